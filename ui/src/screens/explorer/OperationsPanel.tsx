import { CircleAlert, CircleCheck, Square, X } from "lucide-react";
import { commands, type OperationKind, type OperationView } from "../../bindings";
import { call } from "../../lib/ipc";
import { ProgressLine } from "../runs/ProgressLine";

const VERB: Record<OperationKind, string> = {
  verify: "Verifying",
  download: "Downloading",
  restore: "Restoring",
};

/** Verifications, downloads and restores started here: live progress, then their outcome. */
export function OperationsPanel({
  operations,
  onChange,
}: {
  operations: OperationView[];
  onChange: () => void;
}) {
  if (operations.length === 0) return null;
  return (
    <ul className="operations" aria-label="Verifications, downloads and restores" data-testid="operations">
      {operations.map((op) => {
        const name = op.object.split("/").pop();
        return (
          <li
            key={op.id}
            className={`operation operation--${op.state}`}
            data-testid="operation"
            data-kind={op.kind}
            data-state={op.state}
          >
            <div className="operation__body">
              <p className="operation__title">
                {op.state === "succeeded" && <CircleCheck size={15} aria-hidden />}
                {(op.state === "failed" || op.state === "cancelled") && <CircleAlert size={15} aria-hidden />}
                {VERB[op.kind]} <span className="cell-mono">{name}</span>
                {op.state === "cancelled" && " - cancelled"}
              </p>
              {op.state === "running" && <ProgressLine progress={op.progress} verb={VERB[op.kind]} />}
              {op.summary && (
                <p className="operation__summary" data-testid="operation-summary">
                  {op.summary}.
                </p>
              )}
              {op.warnings.map((w, i) => (
                <p key={i} className="check-result__warning">
                  {w}
                </p>
              ))}
              {op.error && op.state === "failed" && (
                <p className="operation__error" role="alert" data-testid="operation-error">
                  {op.error.message}
                </p>
              )}
            </div>
            {op.state === "running" ? (
              <button
                type="button"
                className="button button--small"
                onClick={() => void call(() => commands.cancelOperation(op.id)).then(onChange)}
              >
                <Square size={13} aria-hidden />
                Cancel
              </button>
            ) : (
              <button
                type="button"
                className="icon-button icon-button--small"
                aria-label="Dismiss"
                onClick={() => void call(() => commands.dismissOperation(op.id)).then(onChange)}
              >
                <X size={14} aria-hidden />
              </button>
            )}
          </li>
        );
      })}
    </ul>
  );
}
