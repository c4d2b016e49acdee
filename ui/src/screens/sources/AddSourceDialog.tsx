import { useId, useRef, useState, type FormEvent } from "react";
import { Database, FileBox, Folder, LoaderCircle, PlugZap, Server } from "lucide-react";
import { commands, type ServerInfo, type SourceForm, type SourceKind, type SourceView } from "../../bindings";
import { Dialog } from "../../components/Dialog";
import { FormSection, SecretField, SelectField, TextField, Toggle } from "../../components/Form";
import { TilePicker, type TileOption } from "../../components/TilePicker";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";
import {
  FIELDS_OF,
  SSL_MODES,
  buildSourceInput,
  emptySourceForm,
  formOfSaved,
  sourceFieldOf,
  validateSource,
  type SourceErrors,
  type SourceField,
  type SourceFormValues,
} from "../../lib/sources";
import { NAME_MAX } from "../../lib/validation";
import { SourceCheckResult } from "./SourceCheckResult";
import { FormError } from "../../components/FormError";

const KINDS: TileOption<SourceKind>[] = [
  { id: "postgres", label: "PostgreSQL", detail: "pg_dump, one server", icon: Database },
  { id: "mysql", label: "MySQL / MariaDB", detail: "mysqldump or mariadb-dump", icon: Server },
  { id: "sqlite", label: "SQLite", detail: "A database file", icon: FileBox },
  { id: "folder", label: "Folder", detail: "Files on this computer", icon: Folder },
];

const PLACEHOLDER_NAME: Record<SourceKind, string> = {
  postgres: "e.g. Shop database",
  mysql: "e.g. Blog database",
  sqlite: "e.g. App data",
  folder: "e.g. Documents",
};

type Props = {
  onClose: () => void;
  onAdded: (source: SourceView) => void;
  /** Edit this source instead of adding one: its kind stays, its password is kept unless retyped. */
  editing?: { id: string; form: SourceForm };
};

export function AddSourceDialog({ onClose, onAdded, editing }: Props) {
  const [initial] = useState(() =>
    editing ? formOfSaved(editing.form) : { kind: "postgres" as SourceKind, values: emptySourceForm("postgres") },
  );
  const [kind, setKind] = useState<SourceKind>(initial.kind);
  const [values, setValues] = useState<SourceFormValues>(initial.values);
  const passwordStored = editing?.form.hasPassword ?? false;
  const [clearPassword, setClearPassword] = useState(false);
  const [errors, setErrors] = useState<SourceErrors>({});
  const [attempted, setAttempted] = useState(false);
  const [formError, setFormError] = useState<IpcFailure | null>(null);
  const [busy, setBusy] = useState<"testing" | "adding" | null>(null);
  const [check, setCheck] = useState<{ info: ServerInfo | null; error: IpcFailure | null } | null>(
    null,
  );
  const refs = useRef<Partial<Record<SourceField, HTMLInputElement | null>>>({});
  const base = useId();
  const id = (f: string) => `${base}-${f}`;
  const server = kind === "postgres" || kind === "mysql";

  const ref = (f: SourceField) => (el: HTMLInputElement | null) => {
    refs.current[f] = el;
  };

  function update<K extends keyof SourceFormValues>(key: K, value: SourceFormValues[K]) {
    const next = { ...values, [key]: value };
    setValues(next);
    setCheck(null);
    if (key !== "sslMode")
      setErrors((e) => ({ ...e, [key]: attempted ? validateSource(kind, next)[key as SourceField] : undefined }));
  }

  function changeKind(next: SourceKind) {
    if (next === kind) return;
    // Keep what applies to both (the name, and the server fields between the two servers).
    const fresh = emptySourceForm(next);
    const keepServer = (kind === "postgres" || kind === "mysql") && (next === "postgres" || next === "mysql");
    const nextValues: SourceFormValues = {
      ...fresh,
      name: values.name,
      ...(keepServer
        ? { host: values.host, user: values.user, password: values.password }
        : {}),
    };
    setKind(next);
    setValues(nextValues);
    setCheck(null);
    setFormError(null);
    setErrors(attempted ? validateSource(next, nextValues) : {});
  }

  /** Validates here first; returns false (focusing the first problem) when the form is not ready. */
  function ready(): boolean {
    setAttempted(true);
    setFormError(null);
    const found = validateSource(kind, values);
    setErrors(found);
    const first = FIELDS_OF[kind].find((f) => found[f]);
    if (first) {
      refs.current[first]?.focus();
      return false;
    }
    return true;
  }

  function place(failure: IpcFailure): boolean {
    const field = failure.code === "conflict" ? "name" : sourceFieldOf(kind, failure.field);
    if (!field) return false;
    setErrors({ [field]: failure.message });
    refs.current[field]?.focus();
    return true;
  }

  async function test() {
    // The name does not matter for a test; do not block it on one.
    const found = validateSource(kind, { ...values, name: values.name || "test" });
    setAttempted(true);
    setErrors(found);
    const first = FIELDS_OF[kind].find((f) => found[f]);
    if (first) return refs.current[first]?.focus();
    setBusy("testing");
    setCheck(null);
    try {
      const input = buildSourceInput(kind, { ...values, name: values.name.trim() || "test" });
      const info = await call(() =>
        editing ? commands.testSourceChange(editing.id, input) : commands.testNewSource(input),
      );
      setCheck({ info, error: null });
    } catch (e) {
      const failure = asFailure(e);
      if (!place(failure)) setCheck({ info: null, error: failure });
    } finally {
      setBusy(null);
    }
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy || !ready()) return;
    setBusy("adding");
    try {
      const input = buildSourceInput(kind, values);
      const added = await call(() =>
        editing ? commands.updateSource(editing.id, input, clearPassword) : commands.addSource(input),
      );
      onAdded(added);
    } catch (err) {
      const failure = asFailure(err);
      if (!place(failure)) setFormError(failure);
      setBusy(null);
    }
  }

  const locked = busy !== null;
  return (
    <Dialog
      title={editing ? "Edit source" : "Add source"}
      description={editing ? "Change where the data comes from. Its backups stay as they are." : "Choose what DBackup backs up."}
      onClose={onClose}
      busy={locked}
      size="lg"
      fillBody
      testId="add-source-dialog"
    >
      <form className="form form--dialog" onSubmit={submit} noValidate data-testid="add-source-form">
        <div className="form__scroll">
          {!editing && (
            <div className="field">
              <span className="field__label" aria-hidden>
                Kind
              </span>
              <TilePicker
                label="Source kind"
                options={KINDS}
                value={kind}
                onChange={changeKind}
                disabled={locked}
                testId="source-kind-picker"
              />
            </div>
          )}

          <TextField
            id={id("name")}
            label="Name"
            value={values.name}
            onChange={(v) => update("name", v)}
            error={errors.name}
            hint={`A unique label, up to ${NAME_MAX} characters.`}
            inputRef={ref("name")}
            placeholder={PLACEHOLDER_NAME[kind]}
            readOnly={locked}
            testId="source-name"
          />

          {server && (
            <FormSection id={id("server")} title="Server" testId="source-server">
              <div className="field-row field-row--port">
                <TextField
                  id={id("host")}
                  label="Host"
                  value={values.host}
                  onChange={(v) => update("host", v)}
                  error={errors.host}
                  inputRef={ref("host")}
                  mono
                  readOnly={locked}
                  testId="source-host"
                />
                <TextField
                  id={id("port")}
                  label="Port"
                  value={values.port}
                  onChange={(v) => update("port", v)}
                  error={errors.port}
                  inputRef={ref("port")}
                  mono
                  readOnly={locked}
                  testId="source-port"
                />
              </div>
              <div className="field-row">
                <TextField
                  id={id("user")}
                  label="User"
                  value={values.user}
                  onChange={(v) => update("user", v)}
                  error={errors.user}
                  inputRef={ref("user")}
                  mono
                  readOnly={locked}
                  testId="source-user"
                />
                <SecretField
                  id={id("password")}
                  label="Password"
                  optional
                  value={values.password}
                  onChange={(v) => update("password", v)}
                  error={errors.password}
                  inputRef={ref("password")}
                  hint={
                    passwordStored
                      ? "A password is stored in the OS keyring. Leave empty to keep it, or type a new one."
                      : "Kept in the OS keyring. Leave empty for peer or trust authentication."
                  }
                  readOnly={locked || clearPassword}
                  testId="source-password"
                  revealLabel="Show the password"
                />
              </div>
              {passwordStored && (
                <Toggle
                  id={id("clear-password")}
                  label="Forget the stored password"
                  checked={clearPassword}
                  onChange={(v) => {
                    setClearPassword(v);
                    if (v) update("password", "");
                  }}
                  hint="For peer or trust authentication, where the server asks for none."
                  testId="source-clear-password"
                />
              )}
              {kind === "postgres" ? (
                <>
                  <TextField
                    id={id("database")}
                    label="Database"
                    optional
                    value={values.database}
                    onChange={(v) => update("database", v)}
                    error={errors.database}
                    inputRef={ref("database")}
                    hint="Leave empty to back up every database on the server (one archive each, plus roles)."
                    mono
                    readOnly={locked}
                    testId="source-database"
                  />
                  <SelectField
                    id={id("ssl")}
                    label="TLS"
                    value={values.sslMode}
                    options={SSL_MODES}
                    onChange={(v) => update("sslMode", v)}
                    disabled={locked}
                    testId="source-ssl-mode"
                  />
                </>
              ) : (
                <TextField
                  id={id("databases")}
                  label="Databases"
                  optional
                  value={values.databases}
                  onChange={(v) => update("databases", v)}
                  error={errors.databases}
                  inputRef={ref("databases")}
                  hint="Comma-separated. Leave empty to back up every database except the system ones."
                  mono
                  readOnly={locked}
                  testId="source-databases"
                />
              )}
            </FormSection>
          )}

          {!server && (
            <TextField
              id={id("path")}
              label={kind === "sqlite" ? "Database file" : "Folder"}
              value={values.path}
              onChange={(v) => update("path", v)}
              error={errors.path}
              inputRef={ref("path")}
              hint={
                kind === "sqlite"
                  ? "The full path of the .sqlite or .db file. DBackup copies it with SQLite's online backup, so the app using it can keep running."
                  : "The full path of the folder to back up."
              }
              mono
              placeholder={kind === "sqlite" ? "/var/lib/app/data.sqlite" : "/home/ada/Documents"}
              readOnly={locked}
              testId="source-path"
            />
          )}
          {kind === "folder" && (
            <div className="field">
              <label className="field__label" htmlFor={id("exclude")}>
                Leave out
              </label>
              <textarea
                ref={(el) => {
                  refs.current.exclude = el as unknown as HTMLInputElement | null;
                }}
                id={id("exclude")}
                className="input input--mono textarea"
                rows={3}
                value={values.exclude}
                onChange={(e) => update("exclude", e.target.value)}
                placeholder={"node_modules/\n*.tmp"}
                readOnly={locked}
                aria-describedby={id("exclude-hint")}
                data-testid="source-exclude"
              />
              <p className="field__hint" id={id("exclude-hint")}>
                Optional. One pattern per line, relative to the folder.
              </p>
            </div>
          )}
        </div>

        <div className="form__footer">
          {check && <SourceCheckResult info={check.info} error={check.error} />}
          <FormError error={formError} />
          <div className="dialog__actions">
            <button
              type="button"
              className="button dialog__actions-start"
              onClick={() => void test()}
              disabled={locked}
              data-testid="test-source"
            >
              {busy === "testing" ? (
                <LoaderCircle size={14} className="spin" aria-hidden />
              ) : (
                <PlugZap size={14} aria-hidden />
              )}
              {busy === "testing" ? "Testing…" : "Test connection"}
            </button>
            <button type="button" className="button" onClick={onClose} disabled={locked}>
              Cancel
            </button>
            <button
              type="submit"
              className="button button--primary"
              disabled={locked}
              data-testid="submit-source"
            >
              {busy === "adding" && <LoaderCircle size={14} className="spin" aria-hidden />}
              {busy === "adding" ? (editing ? "Saving…" : "Adding…") : editing ? "Save changes" : "Add source"}
            </button>
          </div>
        </div>
      </form>
    </Dialog>
  );
}
