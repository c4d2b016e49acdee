import { useState, type FormEvent } from "react";
import { CircleCheck, LoaderCircle } from "lucide-react";
import { commands, type KeyProfileView } from "../../bindings";
import { Dialog } from "../../components/Dialog";
import { TextField } from "../../components/Form";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";
import { FormError } from "../../components/FormError";

/**
 * Writes a key's recovery kit to a file the user chooses (the key never crosses into the
 * window). Without a kit, losing this computer's keyring loses every backup made with the key.
 */
export function RecoveryKitDialog({
  profile,
  onClose,
}: {
  profile: KeyProfileView;
  onClose: (saved: boolean) => void;
}) {
  const [path, setPath] = useState("");
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<IpcFailure | null>(null);

  async function save(e: FormEvent) {
    e.preventDefault();
    // Opened from the job form: its submit must not reach that form through the portal.
    e.stopPropagation();
    setSaving(true);
    setError(null);
    try {
      const written = await call(() =>
        commands.exportRecoveryKit(profile.id, path.trim() === "" ? null : path.trim()),
      );
      setSaved(written);
    } catch (err) {
      setError(asFailure(err));
    } finally {
      setSaving(false);
    }
  }

  return (
    <Dialog
      title={`Recovery kit for “${profile.name}”`}
      description="The kit holds the key that decrypts these backups. Print it or keep it offline, away from this computer: DBackup cannot recover backups without it if this computer's keyring is lost."
      onClose={() => onClose(saved !== null)}
      busy={saving}
      testId="recovery-kit-dialog"
    >
      {saved ? (
        <div className="check-result check-result--ok" role="status" data-testid="kit-saved">
          <CircleCheck size={16} aria-hidden />
          <div>
            <p className="check-result__title">Saved the recovery kit</p>
            <p>
              <code className="inline-path">{saved}</code>
            </p>
            <p>Only you can read this file. Move it somewhere safe, then delete it from here.</p>
          </div>
        </div>
      ) : (
        <form className="form" onSubmit={save} noValidate>
          <TextField
            id="kit-path"
            label="Save to"
            optional
            value={path}
            onChange={setPath}
            hint="A full path for a new file. Leave empty to save it in your home folder."
            mono
            placeholder={`~/DBackup recovery kit - ${profile.name}.txt`}
            readOnly={saving}
            testId="kit-path"
          />
          <FormError error={error} testId="kit-error" />
          <div className="dialog__actions">
            <button type="button" className="button" onClick={() => onClose(false)} disabled={saving}>
              Later
            </button>
            <button type="submit" className="button button--primary" disabled={saving} data-testid="save-kit">
              {saving && <LoaderCircle size={14} className="spin" aria-hidden />}
              Save recovery kit
            </button>
          </div>
        </form>
      )}
      {saved && (
        <div className="dialog__actions">
          <button type="button" className="button button--primary" onClick={() => onClose(true)}>
            Done
          </button>
        </div>
      )}
    </Dialog>
  );
}
