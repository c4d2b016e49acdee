import { useState, type FormEvent } from "react";
import { LoaderCircle } from "lucide-react";
import { commands, type BackupView, type RestoreTier } from "../../bindings";
import { Dialog } from "../../components/Dialog";
import { TextField } from "../../components/Form";
import { FormError } from "../../components/FormError";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";

/** S3's restore tiers, with the waits AWS documents per class. */
function tiers(storageClass: string): { tier: RestoreTier; label: string; wait: string }[] {
  const deep = storageClass === "DEEP_ARCHIVE";
  const all: { tier: RestoreTier; label: string; wait: string }[] = [
    { tier: "expedited", label: "Expedited", wait: "1-5 minutes; the most expensive" },
    { tier: "standard", label: "Standard", wait: deep ? "within 12 hours" : "3-5 hours" },
    { tier: "bulk", label: "Bulk", wait: deep ? "within 48 hours; the cheapest" : "5-12 hours; the cheapest" },
  ];
  // Deep Archive offers no Expedited retrieval.
  return deep ? all.slice(1) : all;
}

/** Asks S3 to make a temporary readable copy of a backup stored in Glacier. */
export function GlacierDialog({
  backup,
  onClose,
  onRequested,
}: {
  backup: BackupView;
  onClose: () => void;
  onRequested: (summary: string) => void;
}) {
  const storageClass = backup.storageClass ?? "GLACIER";
  const [tier, setTier] = useState<RestoreTier>("standard");
  const [days, setDays] = useState("7");
  const [daysError, setDaysError] = useState<string | undefined>();
  const [error, setError] = useState<IpcFailure | null>(null);
  const [sending, setSending] = useState(false);

  async function request(e: FormEvent) {
    e.preventDefault();
    const n = Number(days);
    if (!Number.isInteger(n) || n < 1 || n > 365) {
      setDaysError("Give a number of days from 1 to 365.");
      return;
    }
    setDaysError(undefined);
    setSending(true);
    setError(null);
    try {
      const status = await call(() =>
        commands.requestGlacierRestore(backup.destinationId, backup.object, tier, n),
      );
      onRequested(status.summary);
    } catch (err) {
      const failure = asFailure(err);
      if (failure.field === "days") setDaysError(failure.message);
      else setError(failure);
      setSending(false);
    }
  }

  return (
    <Dialog
      title="Restore from Glacier"
      description={
        <>
          <code className="inline-path">{backup.object}</code> is in {storageClass}. S3 makes a
          temporary copy that can be downloaded, verified and restored; DBackup notifies you when it
          is ready.
        </>
      }
      onClose={onClose}
      busy={sending}
      testId="glacier-dialog"
    >
      <form className="form" onSubmit={request} noValidate>
        <fieldset className="choice-group">
          <legend className="field__label">Speed</legend>
          {tiers(storageClass).map((t) => (
            <label className="check" key={t.tier}>
              <input
                type="radio"
                name="tier"
                checked={tier === t.tier}
                onChange={() => setTier(t.tier)}
                data-testid={`glacier-tier-${t.tier}`}
              />
              <span>
                {t.label} <span className="cell-muted">({t.wait})</span>
              </span>
            </label>
          ))}
        </fieldset>
        <TextField
          id="glacier-days"
          label="Keep the copy for (days)"
          value={days}
          onChange={setDays}
          error={daysError}
          hint="S3 charges for the copy as STANDARD storage until it expires; the backup stays in Glacier."
          readOnly={sending}
          testId="glacier-days"
        />
        <FormError error={error} />
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onClose} disabled={sending}>
            Cancel
          </button>
          <button
            type="submit"
            className="button button--primary"
            disabled={sending}
            data-testid="request-glacier-restore"
          >
            {sending && <LoaderCircle size={14} className="spin" aria-hidden />}
            Request restore
          </button>
        </div>
      </form>
    </Dialog>
  );
}
