import { RefreshCw, TriangleAlert } from "lucide-react";
import type { IpcFailure } from "../lib/ipc";

type ErrorPanelProps = {
  title: string;
  error: IpcFailure;
  onRetry?: () => void;
  retrying?: boolean;
  testId?: string;
};

export function ErrorPanel({ title, error, onRetry, retrying, testId }: ErrorPanelProps) {
  return (
    <section className="error-panel" role="alert" data-testid={testId}>
      <div className="error-panel__icon" aria-hidden>
        <TriangleAlert size={20} />
      </div>
      <div className="error-panel__body">
        <h2 className="error-panel__title">{title}</h2>
        <p className="error-panel__message">{error.message}</p>
        <p className="error-panel__code">
          Error code <code>{error.code}</code>
        </p>
      </div>
      {onRetry && (
        <button
          type="button"
          className="button"
          onClick={onRetry}
          disabled={retrying}
          data-testid="retry"
        >
          <RefreshCw size={14} aria-hidden className={retrying ? "spin" : undefined} />
          {retrying ? "Retrying…" : "Retry"}
        </button>
      )}
    </section>
  );
}
