import { Fragment } from "react";
import { commands, type JobView, type RetentionPreview } from "../../bindings";
import { Dialog } from "../../components/Dialog";
import { Loading } from "../../components/Loading";
import { ErrorPanel } from "../../components/ErrorPanel";
import { localTime } from "../../lib/format";
import { call } from "../../lib/ipc";
import { useLoad } from "../../lib/useLoad";

/** What the job's retention would keep and delete on each destination, and why. Deletes nothing. */
export function RetentionPreviewDialog({ job, onClose }: { job: JobView; onClose: () => void }) {
  const loaded = useLoad<RetentionPreview[]>(() => call(() => commands.retentionPreview(job.id)));
  let body: React.ReactNode;
  if (!loaded.data && loaded.loading) {
    body = (
      <Loading>Reading what is stored…</Loading>
    );
  } else if (!loaded.data && loaded.error) {
    body = <ErrorPanel title="The preview could not be made" error={loaded.error} />;
  } else {
    body = (loaded.data ?? []).map((p) => {
      const deleted = p.decisions.filter((d) => !d.keep).length;
      return (
        <section key={p.destinationId} className="preview" data-testid="retention-preview">
          <h3 className="preview__title">
            {p.destination}: {p.summary} — keep {p.decisions.length - deleted}, delete {deleted}
          </h3>
          {p.decisions.length === 0 ? (
            <p className="cell-muted">No backups of this job are stored there yet.</p>
          ) : (
            <table className="table table--compact">
              <thead>
                <tr>
                  <th scope="col" className="preview-col-backup">
                    Backup
                  </th>
                  <th scope="col" className="preview-col-made">
                    Made
                  </th>
                  <th scope="col" className="preview-col-outcome">
                    Outcome
                  </th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {p.decisions.map((d, i) => (
                  <Fragment key={d.object}>
                    {/* Each database, and each computer's backups, is judged on its own. */}
                    {d.series !== p.decisions[i - 1]?.series && (
                      <tr className="preview__series" data-testid="retention-series">
                        <th scope="rowgroup" colSpan={4}>
                          {d.series}
                        </th>
                      </tr>
                    )}
                  <tr data-testid="retention-decision" data-keep={d.keep}>
                    <td className="cell-mono cell-break" title={d.object}>
                      {d.object.split("/").pop()}
                    </td>
                    <td>{localTime(d.createdAt)}</td>
                    <td>
                      <span className={`badge badge--status badge--${d.keep ? "success" : "failed"}`}>
                        {d.keep ? "Keep" : "Delete"}
                      </span>
                    </td>
                    <td>{d.reason}</td>
                  </tr>
                  </Fragment>
                ))}
              </tbody>
            </table>
          )}
        </section>
      );
    });
  }
  return (
    <Dialog
      title={`Retention of ${job.name}`}
      description="What the next run would keep and delete. Nothing is deleted from here."
      onClose={onClose}
      size="lg"
      testId="retention-dialog"
    >
      {body}
      <div className="dialog__actions">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
