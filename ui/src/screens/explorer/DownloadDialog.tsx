import { useState, type FormEvent } from "react";
import { LoaderCircle } from "lucide-react";
import { commands, type BackupView } from "../../bindings";
import { Dialog } from "../../components/Dialog";
import { TextField } from "../../components/Form";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";
import { isAbsolutePath } from "../../lib/validation";
import { FormError } from "../../components/FormError";
import { UnencryptedChoice } from "./UnencryptedChoice";

/** The file name a download suggests: the backup's, without the .dbk of the stored form. */
function suggestedName(object: string, decrypt: boolean): string {
  const name = object.split("/").pop() ?? "backup";
  return decrypt ? name.replace(/\.dbk$/, "") : name;
}

export function DownloadDialog({
  backup,
  onClose,
  onStarted,
}: {
  backup: BackupView;
  onClose: () => void;
  onStarted: () => void;
}) {
  const [decrypt, setDecrypt] = useState(true);
  const [path, setPath] = useState(`~/Downloads/${suggestedName(backup.object, true)}`);
  const [error, setError] = useState<IpcFailure | null>(null);
  const [pathError, setPathError] = useState<string | undefined>();
  const [starting, setStarting] = useState(false);
  // Anyone who can write to the destination can plant an unencrypted backup: taking
  // its data out is the user's explicit choice.
  const unencrypted = backup.encryption === "none";
  const [acceptUnencrypted, setAcceptUnencrypted] = useState(false);
  const blocked = decrypt && unencrypted && !acceptUnencrypted;

  function choose(next: boolean) {
    setDecrypt(next);
    // Follow the choice while the name is still the suggested one.
    const dir = path.slice(0, path.lastIndexOf("/") + 1);
    if (path.endsWith(suggestedName(backup.object, !next))) setPath(dir + suggestedName(backup.object, next));
  }

  async function start(e: FormEvent) {
    e.preventDefault();
    const target = path.trim();
    if (!target.startsWith("~/") && !isAbsolutePath(target)) {
      setPathError("Give a full path, such as ~/Downloads/shop.sql.");
      return;
    }
    setPathError(undefined);
    setStarting(true);
    setError(null);
    try {
      await call(() => commands.startDownload(
          backup.destinationId,
          backup.object,
          target,
          decrypt,
          decrypt && unencrypted && acceptUnencrypted,
        ),);
      onStarted();
    } catch (err) {
      const failure = asFailure(err);
      if (failure.field === "target") setPathError(failure.message);
      else setError(failure);
      setStarting(false);
    }
  }

  return (
    <Dialog
      title="Download backup"
      description={<code className="inline-path">{backup.object}</code>}
      onClose={onClose}
      busy={starting}
      testId="download-dialog"
    >
      <form className="form" onSubmit={start} noValidate>
        <fieldset className="choice-group">
          <legend className="field__label">Save</legend>
          <label className="check">
            <input type="radio" name="decrypt" checked={decrypt} onChange={() => choose(true)} data-testid="download-decrypted" />
            <span>
              The original data <span className="cell-muted">(decrypted and decompressed: a dump, database file or tar)</span>
            </span>
          </label>
          <label className="check">
            <input type="radio" name="decrypt" checked={!decrypt} onChange={() => choose(false)} data-testid="download-stored" />
            <span>
              The backup as stored <span className="cell-muted">(still encrypted; restore it later with the key)</span>
            </span>
          </label>
        </fieldset>
        <TextField
          id="download-path"
          label="Save to"
          value={path}
          onChange={setPath}
          error={pathError}
          hint="A new file; an existing one is never replaced. The download is checked before it gets this name."
          mono
          readOnly={starting}
          testId="download-path"
        />
        {decrypt && unencrypted && (
          <UnencryptedChoice
            id="download-allow-unencrypted"
            checked={acceptUnencrypted}
            onChange={setAcceptUnencrypted}
            disabled={starting}
          />
        )}
        <FormError error={error} />
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onClose} disabled={starting}>
            Cancel
          </button>
          <button
            type="submit"
            className="button button--primary"
            disabled={starting || blocked}
            data-testid="start-download"
          >
            {starting && <LoaderCircle size={14} className="spin" aria-hidden />}
            Download
          </button>
        </div>
      </form>
    </Dialog>
  );
}
