import { useState, type FormEvent } from "react";
import { LoaderCircle, TriangleAlert } from "lucide-react";
import { commands, type BackupView, type SourceView } from "../../bindings";
import { Dialog } from "../../components/Dialog";
import { SelectField, TextField, Toggle } from "../../components/Form";
import { Loading } from "../../components/Loading";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";
import { useLoad } from "../../lib/useLoad";
import { FormError } from "../../components/FormError";
import { UnencryptedChoice } from "./UnencryptedChoice";

/** Restores a backup into a saved source: a database server, an SQLite file or a folder. */
export function RestoreDialog({
  backup,
  onClose,
  onStarted,
}: {
  backup: BackupView;
  onClose: () => void;
  onStarted: () => void;
}) {
  const sources = useLoad<SourceView[]>(() => call(() => commands.listSources()));
  const [sourceId, setSourceId] = useState("");
  const [database, setDatabase] = useState("");
  const [path, setPath] = useState("");
  const [overwrite, setOverwrite] = useState(false);
  // Anyone who can write to the destination can plant an unencrypted backup.
  const unencrypted = backup.encryption === "none";
  const [acceptUnencrypted, setAcceptUnencrypted] = useState(false);
  const [error, setError] = useState<IpcFailure | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [starting, setStarting] = useState(false);

  // The backup's own source first, when it is still saved here.
  const list = sources.data ?? [];
  const chosen = list.find((s) => s.id === sourceId) ?? list[0];
  const server = chosen?.kind === "postgres" || chosen?.kind === "mysql";

  async function start(e: FormEvent) {
    e.preventDefault();
    if (!chosen) return;
    setStarting(true);
    setError(null);
    setFieldErrors({});
    try {
      await call(() =>
        commands.startRestore(backup.destinationId, backup.object, {
          sourceId: chosen.id,
          database: server && database.trim() ? database.trim() : null,
          path: !server && path.trim() ? path.trim() : null,
          overwrite,
          allowUnencrypted: unencrypted && acceptUnencrypted,
        }),
      );
      onStarted();
    } catch (err) {
      const failure = asFailure(err);
      const field = failure.field === "target" || failure.field === "path" ? "path" : failure.field;
      if (field === "path" || field === "database") setFieldErrors({ [field]: failure.message });
      else setError(failure);
      setStarting(false);
    }
  }

  return (
    <Dialog
      title="Restore backup"
      description={<code className="inline-path">{backup.object}</code>}
      onClose={onClose}
      busy={starting}
      testId="restore-dialog"
    >
      {!sources.data && sources.loading && <Loading>Loading sources…</Loading>}
      {sources.data && list.length === 0 && (
        <p className="field__hint">
          No sources yet. Add the database or folder to restore into under Sources first.
        </p>
      )}
      {chosen && (
        <form className="form" onSubmit={start} noValidate>
          <SelectField
            id="restore-source"
            label="Restore into"
            value={chosen.id}
            options={list.map((s) => ({ value: s.id, label: `${s.name} (${s.location})` }))}
            onChange={setSourceId}
            disabled={starting}
            testId="restore-source"
          />
          {server ? (
            <TextField
              id="restore-database"
              label="Database"
              optional
              value={database}
              onChange={setDatabase}
              error={fieldErrors.database}
              hint={`Leave empty to restore into ${backup.database ? `“${backup.database}”, ` : ""}the database the backup came from. A new name restores beside it.`}
              mono
              readOnly={starting}
              testId="restore-database"
            />
          ) : (
            <TextField
              id="restore-path"
              label={chosen.kind === "sqlite" ? "Database file" : "Folder"}
              optional
              value={path}
              onChange={setPath}
              error={fieldErrors.path}
              hint={
                chosen.kind === "sqlite"
                  ? "Leave empty to replace the source's own file (it is swapped in only when complete). Or give a new file's full path."
                  : "A new folder's full path to restore into. Leave empty to restore into the source's folder."
              }
              mono
              readOnly={starting}
              testId="restore-path"
            />
          )}
          <Toggle
            id="restore-overwrite"
            label="Replace what is there"
            checked={overwrite}
            onChange={setOverwrite}
            hint="Needed when the target already holds data: its tables or files are replaced by the backup's."
            disabled={starting}
            testId="restore-overwrite"
          />
          {overwrite && (
            <p className="field__hint field__hint--warning">
              <TriangleAlert size={13} aria-hidden /> Data in the target that is not in the backup
              may be lost.
            </p>
          )}
          {unencrypted && (
            <UnencryptedChoice
              id="restore-allow-unencrypted"
              checked={acceptUnencrypted}
              onChange={setAcceptUnencrypted}
              disabled={starting}
            />
          )}
          <FormError error={error} testId="restore-error" />
          <div className="dialog__actions">
            <button type="button" className="button" onClick={onClose} disabled={starting}>
              Cancel
            </button>
            <button
              type="submit"
              className="button button--primary"
              disabled={starting || (unencrypted && !acceptUnencrypted)}
              data-testid="start-restore"
            >
              {starting && <LoaderCircle size={14} className="spin" aria-hidden />}
              Restore
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
