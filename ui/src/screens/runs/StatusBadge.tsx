import type { RunStatus } from "../../bindings";

const LABEL: Record<RunStatus, string> = {
  running: "Running",
  success: "Success",
  partial: "Partial",
  failed: "Failed",
  cancelled: "Cancelled",
  skipped: "Skipped",
  interrupted: "Interrupted",
};

/** A run's status as a coloured badge; the colour is never the only signal (it has a word). */
export function StatusBadge({ status }: { status: RunStatus }) {
  return (
    <span className={`badge badge--status badge--${status}`} data-testid="run-status">
      {LABEL[status] ?? status}
    </span>
  );
}
