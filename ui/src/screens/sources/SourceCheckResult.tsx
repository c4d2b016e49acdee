import { CircleAlert, CircleCheck, TriangleAlert } from "lucide-react";
import type { ServerInfo } from "../../bindings";
import type { IpcFailure } from "../../lib/ipc";

/** What "Test connection" found: the server and what a backup would take, or why it fails. */
export function SourceCheckResult({
  info,
  error,
}: {
  info: ServerInfo | null;
  error: IpcFailure | null;
}) {
  if (error) {
    return (
      <div className="check-result check-result--failed" role="alert" data-testid="source-check-failed">
        <CircleAlert size={16} aria-hidden />
        <div>
          <p className="check-result__title">The test failed</p>
          <p>{error.message}</p>
          <p className="form-error__code">
            Error code <code>{error.code}</code>
          </p>
        </div>
      </div>
    );
  }
  if (!info) return null;
  const what =
    info.engine === "Folder"
      ? "The folder can be read."
      : `Connected to ${info.engine}${info.version ? ` ${info.version}` : ""}.`;
  return (
    <div className="check-result check-result--ok" role="status" data-testid="source-check-ok">
      <CircleCheck size={16} aria-hidden />
      <div>
        <p className="check-result__title">{what}</p>
        {info.engine !== "Folder" && info.databases.length > 0 && (
          <p>
            {info.engine === "SQLite" ? "Database: " : "Backs up: "}
            <span className="cell-mono">{info.databases.join(", ")}</span>
          </p>
        )}
        {info.dumpTool && <p className="cell-muted">Using {info.dumpTool}</p>}
        {info.warnings.map((w, i) => (
          <p key={i} className="check-result__warning">
            <TriangleAlert size={13} aria-hidden /> {w}
          </p>
        ))}
      </div>
    </div>
  );
}
