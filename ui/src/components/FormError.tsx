import { CircleAlert } from "lucide-react";
import type { IpcFailure } from "../lib/ipc";

/** What the engine said went wrong with a form or action as a whole, with its error code. */
export function FormError({ error, testId = "form-error" }: { error: IpcFailure | null; testId?: string }) {
  if (!error) return null;
  return (
    <div className="form-error" role="alert" data-testid={testId}>
      <CircleAlert size={15} aria-hidden />
      <div>
        <p>{error.message}</p>
        <p className="form-error__code">
          Error code <code>{error.code}</code>
        </p>
      </div>
    </div>
  );
}
