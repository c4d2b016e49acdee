import { useEffect, useState } from "react";
import { CircleAlert, CircleCheck, CircleMinus, CircleX, Copy, LoaderCircle, TriangleAlert } from "lucide-react";
import { commands, type DestinationView, type ProbeReport, type ProbeOutcome } from "../../bindings";
import { Dialog } from "../../components/Dialog";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";
import { asSentence } from "../../lib/s3";

const OUTCOME: Record<ProbeOutcome, { label: string; icon: typeof CircleCheck }> = {
  ok: { label: "Allowed", icon: CircleCheck },
  denied: { label: "Denied", icon: CircleX },
  failed: { label: "Failed", icon: CircleAlert },
  skipped: { label: "Not tried", icon: CircleMinus },
};

/** What an unknown bucket setting says: unreadable, or never asked for. */
function unknown(report: ProbeReport) {
  return report.answered ? "Not readable with these keys" : "Not checked";
}

function yesNo(report: ProbeReport, value: boolean | null, yes: string, no: string) {
  return value === null ? unknown(report) : value ? yes : no;
}

function headline(report: ProbeReport, allOk: boolean) {
  if (allOk) return "Everything DBackup needs works.";
  if (!report.answered) return "The server did not answer, so nothing else was checked.";
  return "Some actions DBackup needs do not work; see below for what to do.";
}

/** "Test connection": each action of the minimal policy, the bucket's settings, and advice. */
export function TestDestinationDialog({
  destination,
  onClose,
}: {
  destination: DestinationView;
  onClose: () => void;
}) {
  const [report, setReport] = useState<ProbeReport | null>(null);
  const [error, setError] = useState<IpcFailure | null>(null);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    let live = true;
    call(() => commands.testDestination(destination.id)).then(
      (r) => live && setReport(r),
      (e) => live && setError(asFailure(e)),
    );
    return () => {
      live = false;
    };
  }, [destination.id]);

  async function copyPolicy() {
    if (!report) return;
    try {
      await navigator.clipboard.writeText(report.iamPolicy);
      setCopied(true);
    } catch {
      // Some webviews refuse clipboard access; the policy stays selectable.
      setCopied(false);
    }
  }

  const s3 = destination.kind === "s3";
  const allOk = report?.actions.every((a) => a.outcome === "ok") ?? false;
  return (
    <Dialog
      title={`Test “${destination.name}”`}
      description={<code className="inline-path">{destination.location}</code>}
      onClose={onClose}
      size="lg"
      dismissOnBackdrop
      testId="test-destination-dialog"
    >
      {!report && !error && (
        <p className="loading" role="status">
          <LoaderCircle size={16} className="spin" aria-hidden /> Writing, reading, listing and
          deleting a probe object…
        </p>
      )}
      {error && (
        <div className="check-result check-result--failed" role="alert" data-testid="probe-error">
          <CircleAlert size={16} aria-hidden />
          <div>
            <p className="check-result__title">The test could not run</p>
            <p>{error.message}</p>
          </div>
        </div>
      )}
      {report && (
        <div className="probe" data-testid="probe-report" data-ok={allOk}>
          <div
            className={`check-result ${allOk ? "check-result--ok" : "check-result--failed"}`}
            role="status"
          >
            {allOk ? <CircleCheck size={16} aria-hidden /> : <CircleAlert size={16} aria-hidden />}
            <p className="check-result__title">
              {headline(report, allOk)}
            </p>
          </div>
          <table className="table probe__actions">
            <tbody>
              {report.actions.map((a) => {
                const o = OUTCOME[a.outcome];
                const Icon = o.icon;
                return (
                  <tr key={a.action} data-testid="probe-action" data-outcome={a.outcome}>
                    <td className="cell-mono">{a.action}</td>
                    <td className={`probe__outcome probe__outcome--${a.outcome}`}>
                      <Icon size={14} aria-hidden /> {o.label}
                    </td>
                    <td className="probe__detail">{a.detail && asSentence(a.detail)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {s3 && (
            <dl className="props">
              <div className="props__row">
                <dt>Bucket region</dt>
                <dd>{report.bucketRegion ?? (report.answered ? "Not reported" : "Not checked")}</dd>
              </div>
              <div className="props__row">
                <dt>Versioning</dt>
                <dd>{report.versioning ?? unknown(report)}</dd>
              </div>
              <div className="props__row">
                <dt>MFA Delete</dt>
                <dd data-testid="probe-mfa-delete" title="For critical buckets: deleting a version or turning versioning off then needs an MFA code. Only the root account can turn it on.">
                  {report.mfaDelete ?? unknown(report)}
                </dd>
              </div>
              <div className="props__row">
                <dt>Default encryption</dt>
                <dd>{report.defaultEncryption ?? unknown(report)}</dd>
              </div>
              <div className="props__row">
                <dt>Public access</dt>
                <dd>{yesNo(report, report.publicAccessBlocked, "Blocked", "Not fully blocked")}</dd>
              </div>
              {report.staleUploadsAborted > 0 && (
                <div className="props__row">
                  <dt>Cleaned up</dt>
                  <dd>
                    {report.staleUploadsAborted} incomplete upload
                    {report.staleUploadsAborted === 1 ? "" : "s"} older than a day
                  </dd>
                </div>
              )}
            </dl>
          )}
          {(report.regionMismatch || report.warnings.length > 0) && (
            <ul className="probe__warnings" data-testid="probe-warnings">
              {report.regionMismatch && (
                <li>
                  <TriangleAlert size={13} aria-hidden /> {asSentence(report.regionMismatch)}
                </li>
              )}
              {report.warnings.map((w, i) => (
                <li key={i}>
                  <TriangleAlert size={13} aria-hidden /> {asSentence(w)}
                </li>
              ))}
            </ul>
          )}
          {s3 && (
            // Open when permissions may be the problem; a silent server is not one.
            <details className="probe__policy" open={!allOk && report.answered}>
              <summary>Minimal IAM policy for this bucket and prefix</summary>
              <pre data-testid="iam-policy">{report.iamPolicy}</pre>
              <button type="button" className="button button--small" onClick={() => void copyPolicy()}>
                <Copy size={13} aria-hidden />
                {copied ? "Copied" : "Copy policy"}
              </button>
            </details>
          )}
        </div>
      )}
      <div className="dialog__actions">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
