import { useState, type FormEvent } from "react";
import { KeyRound, TriangleAlert } from "lucide-react";
import { commands, type KeyProfileView } from "../../bindings";
import { FormError } from "../../components/FormError";
import { TextField } from "../../components/Form";
import { localTime } from "../../lib/format";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";
import { useLoad } from "../../lib/useLoad";
import { RecoveryKitDialog } from "../jobs/RecoveryKitDialog";

/** Encryption keys: which exist, which lack a saved recovery kit, and importing one from a kit. */
export function KeysCard() {
  const keys = useLoad<KeyProfileView[]>(() => call(() => commands.listKeyProfiles()));
  const [kitFor, setKitFor] = useState<KeyProfileView | null>(null);
  const [name, setName] = useState("");
  const [path, setPath] = useState("");
  const [error, setError] = useState<IpcFailure | null>(null);
  const [importing, setImporting] = useState(false);

  async function importKit(e: FormEvent) {
    e.preventDefault();
    setImporting(true);
    setError(null);
    try {
      await call(() => commands.importKeyProfile(name.trim(), path.trim()));
      setName("");
      setPath("");
      await keys.reload();
    } catch (err) {
      setError(asFailure(err));
    } finally {
      setImporting(false);
    }
  }

  const list = keys.data ?? [];
  return (
    <section className="card settings" aria-labelledby="keys-title" data-testid="keys-card">
      <h2 className="card__title" id="keys-title">
        <KeyRound size={15} aria-hidden /> Encryption keys
      </h2>
      {list.length === 0 ? (
        <p className="cell-muted">No keys yet. Create one when you set up a job.</p>
      ) : (
        <ul className="plain-list">
          {list.map((k) => (
            <li key={k.id} className="key-row" data-testid="key-row" data-name={k.name}>
              <span>
                <span className="cell-name">{k.name}</span>{" "}
                <span className="cell-muted cell-mono">key {k.keyId}</span>{" "}
                <span className="cell-muted">· made {localTime(k.createdAt)}</span>
              </span>
              {k.exported ? (
                <span className="cell-muted">Recovery kit saved</span>
              ) : (
                <span className="field__hint--warning">
                  <TriangleAlert size={13} aria-hidden /> No recovery kit saved
                </span>
              )}
              <button type="button" className="button button--small" onClick={() => setKitFor(k)}>
                Save recovery kit
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="form" onSubmit={importKit} noValidate>
        <p className="field__hint">
          Restoring on a new computer? Import the recovery kit of the key your backups were made
          with.
        </p>
        <div className="field-row">
          <TextField id="import-key-name" label="Name" value={name} onChange={setName} placeholder="e.g. Office key" testId="import-key-name" />
          <TextField
            id="import-key-path"
            label="Recovery kit file"
            value={path}
            onChange={setPath}
            mono
            placeholder="/media/usb/DBackup recovery kit.txt"
            testId="import-key-path"
          />
        </div>
        <FormError error={error} testId="import-key-error" />
        <div className="dialog__actions">
          <button type="submit" className="button" disabled={importing || !name.trim() || !path.trim()}>
            Import key
          </button>
        </div>
      </form>
      {kitFor && (
        <RecoveryKitDialog
          profile={kitFor}
          onClose={() => {
            setKitFor(null);
            void keys.reload();
          }}
        />
      )}
    </section>
  );
}
