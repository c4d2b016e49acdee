import { useState } from "react";
import { KeyRound, LoaderCircle, Plus, TriangleAlert } from "lucide-react";
import { commands, type KeyProfileView } from "../../bindings";
import { FieldError } from "../../components/Form";
import { asFailure, call } from "../../lib/ipc";

type Props = {
  profiles: KeyProfileView[];
  value: string;
  error: string | undefined;
  onChange: (keyProfileId: string) => void;
  /** A new key was made: the caller adds it to the list and offers its recovery kit. */
  onCreated: (profile: KeyProfileView) => void;
  onExport: (profile: KeyProfileView) => void;
  busy: boolean;
  id: (part: string) => string;
};

export function EncryptionFields({ profiles, value, error, onChange, onCreated, onExport, busy, id }: Props) {
  const [naming, setNaming] = useState(profiles.length === 0);
  const [name, setName] = useState(profiles.length === 0 ? "My backup key" : "");
  const [creating, setCreating] = useState(false);
  const [createError, setCreateError] = useState<string | undefined>();
  const chosen = profiles.find((p) => p.id === value);

  async function create() {
    if (!name.trim()) return setCreateError("Give the key a name.");
    setCreating(true);
    setCreateError(undefined);
    try {
      const profile = await call(() => commands.createKeyProfile(name.trim()));
      setNaming(false);
      setName("");
      onCreated(profile);
    } catch (e) {
      setCreateError(asFailure(e).message);
    } finally {
      setCreating(false);
    }
  }

  return (
    <div className="field">
      <label className="field__label" htmlFor={id("key")}>
        Encryption key
      </label>
      <div className="input-row">
        <select
          id={id("key")}
          className="input select"
          value={value}
          onChange={(e) => onChange(e.target.value)}
          disabled={busy}
          aria-invalid={error ? true : undefined}
          data-testid="job-key"
        >
          {profiles.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} (key {p.keyId})
            </option>
          ))}
          <option value="">No encryption</option>
        </select>
        {!naming && (
          <button type="button" className="button" onClick={() => setNaming(true)} disabled={busy} data-testid="new-key">
            <Plus size={14} aria-hidden />
            New key
          </button>
        )}
      </div>
      <FieldError id={id("key-error")} message={error} />
      {naming && (
        <div className="input-row new-key" data-testid="new-key-form">
          <KeyRound size={15} aria-hidden />
          <input
            className="input"
            aria-label="Name of the new key"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="e.g. Office key"
            readOnly={creating}
            data-testid="new-key-name"
          />
          <button
            type="button"
            className="button button--primary"
            onClick={() => void create()}
            disabled={creating || busy}
            data-testid="create-key"
          >
            {creating && <LoaderCircle size={14} className="spin" aria-hidden />}
            Create key
          </button>
          {profiles.length > 0 && (
            <button type="button" className="button" onClick={() => setNaming(false)} disabled={creating}>
              Cancel
            </button>
          )}
        </div>
      )}
      <FieldError id={id("new-key-error")} message={createError} />
      {value === "" ? (
        <p className="field__hint field__hint--warning" data-testid="no-encryption-warning">
          <TriangleAlert size={13} aria-hidden /> Backups will be stored unencrypted: anyone who can
          read the bucket or folder can read your data.
        </p>
      ) : chosen && !chosen.exported ? (
        <p className="field__hint field__hint--warning" data-testid="kit-not-saved">
          <TriangleAlert size={13} aria-hidden /> No recovery kit saved for this key yet. Without one,
          losing this computer loses the backups.{" "}
          <button type="button" className="link-button" onClick={() => onExport(chosen)}>
            Save recovery kit
          </button>
        </p>
      ) : (
        <p className="field__hint">
          AES-256-GCM. The key stays in the OS keyring; backups name it by its id.
        </p>
      )}
    </div>
  );
}
