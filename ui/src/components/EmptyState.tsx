import type { ReactNode } from "react";
import type { LucideIcon } from "lucide-react";

type EmptyStateProps = {
  icon: LucideIcon;
  title: string;
  children: ReactNode;
  action?: ReactNode;
  note?: ReactNode;
  testId?: string;
};

export function EmptyState({ icon: Icon, title, children, action, note, testId }: EmptyStateProps) {
  return (
    <section className="empty" data-testid={testId} aria-labelledby={testId ? `${testId}-title` : undefined}>
      <div className="empty__icon" aria-hidden>
        <Icon size={26} strokeWidth={1.6} />
      </div>
      <h2 className="empty__title" id={testId ? `${testId}-title` : undefined}>
        {title}
      </h2>
      <p className="empty__text">{children}</p>
      {action && <div className="empty__action">{action}</div>}
      {note && <p className="empty__note">{note}</p>}
    </section>
  );
}
