import type { ReactNode } from "react";
import { LoaderCircle } from "lucide-react";

/** A spinner with what is being loaded, announced politely to screen readers. */
export function Loading({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <div className="loading" role="status" data-testid={testId}>
      <LoaderCircle size={16} className="spin" aria-hidden />
      {children}
    </div>
  );
}
