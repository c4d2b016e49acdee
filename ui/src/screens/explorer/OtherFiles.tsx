import { useState } from "react";
import { FileQuestion } from "lucide-react";
import { commands, type OtherFile } from "../../bindings";
import { byteSize, localTime, relativeTime } from "../../lib/format";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";

/**
 * Files at the destination that no manifest describes (another tool's, or uploads that
 * never finished). Listed on request, since it takes a full listing; read-only, because
 * DBackup never changes or deletes what it did not make.
 */
export function OtherFiles({ destinationId }: { destinationId: string }) {
  const [files, setFiles] = useState<OtherFile[] | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<IpcFailure | null>(null);

  async function load() {
    setLoading(true);
    setError(null);
    try {
      setFiles(await call(() => commands.listOtherFiles(destinationId)));
    } catch (e) {
      setError(asFailure(e));
    } finally {
      setLoading(false);
    }
  }

  return (
    <section className="other-files" aria-labelledby="other-files-title" data-testid="other-files">
      <div className="other-files__header">
        <h2 id="other-files-title" className="section-title">
          Other files here
        </h2>
        <button type="button" className="button button--small" onClick={() => void load()} disabled={loading} data-testid="show-other-files">
          <FileQuestion size={13} aria-hidden />
          {files ? "List again" : "List them"}
        </button>
      </div>
      <p className="cell-muted">
        Files that are not DBackup backups: shown read-only; DBackup never changes or deletes them.
      </p>
      {error && (
        <p className="form-error" role="alert">
          {error.message}
        </p>
      )}
      {files && files.length === 0 && <p className="cell-muted" data-testid="no-other-files">None: everything here is a DBackup backup.</p>}
      {files && files.length > 0 && (
        <div className="table-card">
          <table className="table" data-testid="other-files-table">
            <thead>
              <tr>
                <th scope="col">File</th>
                <th scope="col">Size</th>
                <th scope="col">Modified</th>
                <th scope="col">Class</th>
              </tr>
            </thead>
            <tbody>
              {files.map((f) => (
                <tr key={f.key} data-testid="other-file">
                  <td className="cell-mono">{f.key}</td>
                  <td>{byteSize(f.size)}</td>
                  <td>
                    {f.modified ? (
                      <time dateTime={f.modified} title={localTime(f.modified)}>
                        {relativeTime(f.modified)}
                      </time>
                    ) : (
                      "-"
                    )}
                  </td>
                  <td>{f.storageClass ?? "-"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
