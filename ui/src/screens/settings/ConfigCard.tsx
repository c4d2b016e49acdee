import { useState, type FormEvent } from "react";
import { ArrowRightLeft, CircleCheck, LoaderCircle, TriangleAlert } from "lucide-react";
import { commands, type ImportItem, type ImportReport, type ImportedKind } from "../../bindings";
import { FormError } from "../../components/FormError";
import { TextField } from "../../components/Form";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";

const KIND_LABEL: Record<ImportedKind, string> = {
  settings: "Settings",
  key: "Encryption key",
  destination: "Destination",
  source: "Source",
  job: "Job",
};

function outcomeLabel(item: ImportItem, applied: boolean): string {
  switch (item.outcome) {
    case "added":
      if (item.what === "settings") return applied ? "Applied" : "Will be applied";
      return applied ? "Added" : "Will be added";
    case "needs_secret":
      return item.what === "key" ? "Key needed" : applied ? "Added, secret needed" : "Will need a secret";
    case "exists":
      return "Already here";
    case "skipped":
      return applied ? "Not imported" : "Will not be imported";
  }
}

function ImportReportTable({ report }: { report: ImportReport }) {
  return (
    <table className="table table--compact import-report" data-testid="import-report">
      <thead>
        <tr>
          <th scope="col" className="import-report__what">
            What
          </th>
          <th scope="col" className="import-report__name">
            Name
          </th>
          <th scope="col">Outcome</th>
        </tr>
      </thead>
      <tbody>
        {report.items.map((item) => (
          <tr
            key={`${item.what}/${item.name}`}
            data-testid="import-item"
            data-what={item.what}
            data-name={item.name}
            data-outcome={item.outcome}
          >
            <td>{KIND_LABEL[item.what]}</td>
            <td className="cell-name">{item.name}</td>
            <td>
              <span className={`import-outcome import-outcome--${item.outcome}`}>
                {outcomeLabel(item, report.applied)}
              </span>
              {item.detail && <p className="field__hint">{item.detail}</p>}
              {item.warnings.map((warning) => (
                <p key={warning} className="field__hint field__hint--warning" data-testid="import-warning">
                  <TriangleAlert size={13} aria-hidden /> {warning}
                </p>
              ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Moving to another computer: the configuration as a file without secrets, and importing one
 * (previewed first; what needs a secret or a key is named).
 */
export function ConfigCard({ onImported }: { onImported: () => void }) {
  const [exportPath, setExportPath] = useState("");
  const [exported, setExported] = useState<string | null>(null);
  const [exportError, setExportError] = useState<IpcFailure | null>(null);
  const [importPath, setImportPath] = useState("");
  const [report, setReport] = useState<ImportReport | null>(null);
  const [importError, setImportError] = useState<IpcFailure | null>(null);
  const [busy, setBusy] = useState<"export" | "preview" | "import" | null>(null);

  async function runExport(e: FormEvent) {
    e.preventDefault();
    setBusy("export");
    setExportError(null);
    setExported(null);
    try {
      const path = exportPath.trim();
      setExported(await call(() => commands.exportConfig(path === "" ? null : path)));
    } catch (err) {
      setExportError(asFailure(err));
    } finally {
      setBusy(null);
    }
  }

  async function runImport(apply: boolean) {
    setBusy(apply ? "import" : "preview");
    setImportError(null);
    try {
      const result = await call(() => commands.importConfig(importPath.trim(), apply));
      setReport(result);
      if (apply) onImported();
    } catch (err) {
      setReport(null);
      setImportError(asFailure(err));
    } finally {
      setBusy(null);
    }
  }

  const canApply = report !== null && !report.applied && report.items.some((i) => i.outcome === "added" || i.outcome === "needs_secret");
  return (
    <section className="card settings" aria-labelledby="config-title" data-testid="config-card">
      <h2 className="card__title" id="config-title">
        <ArrowRightLeft size={15} aria-hidden /> Move to another computer
      </h2>
      <form className="form" onSubmit={runExport} noValidate>
        <p className="field__hint">
          Exports destinations, sources, jobs and preferences to a file. It holds no secret: secret
          keys, database passwords and encryption keys stay in this computer's keyring, and the other
          computer asks for them.
        </p>
        <TextField
          id="export-config-path"
          label="Save to"
          optional
          value={exportPath}
          onChange={setExportPath}
          hint="A full path for a new file. Leave empty to save it in your home folder."
          mono
          placeholder="~/DBackup configuration.json"
          readOnly={busy !== null}
          testId="export-config-path"
        />
        {exported && (
          <p className="settings__status" role="status" data-testid="config-exported">
            <CircleCheck size={13} aria-hidden /> Saved to <code className="inline-path">{exported}</code>
          </p>
        )}
        <FormError error={exportError} testId="export-config-error" />
        <div className="dialog__actions">
          <button type="submit" className="button" disabled={busy !== null} data-testid="export-config">
            {busy === "export" && <LoaderCircle size={14} className="spin" aria-hidden />}
            Export configuration
          </button>
        </div>
      </form>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void runImport(false);
        }}
        noValidate
      >
        <p className="field__hint">
          Importing adds what this computer does not have yet; what has the same name here is left as
          it is. Preview first: nothing changes until you import.
        </p>
        <TextField
          id="import-config-path"
          label="Configuration file"
          value={importPath}
          onChange={(v) => {
            setImportPath(v);
            setReport(null);
          }}
          mono
          placeholder="/media/usb/DBackup configuration.json"
          readOnly={busy !== null}
          testId="import-config-path"
        />
        <FormError error={importError} testId="import-config-error" />
        {report && (
          <>
            <p className="settings__status" role="status" data-testid="import-summary">
              {report.applied
                ? "Imported. Type the secrets named below (Destinations and Sources, Edit) before the first backup."
                : "Nothing has changed yet. This is what importing would do:"}
            </p>
            <ImportReportTable report={report} />
          </>
        )}
        <div className="dialog__actions">
          <button
            type="submit"
            className="button"
            disabled={busy !== null || importPath.trim() === ""}
            data-testid="preview-import"
          >
            {busy === "preview" && <LoaderCircle size={14} className="spin" aria-hidden />}
            Preview import
          </button>
          <button
            type="button"
            className="button button--primary"
            disabled={busy !== null || !canApply}
            onClick={() => void runImport(true)}
            data-testid="apply-import"
          >
            {busy === "import" && <LoaderCircle size={14} className="spin" aria-hidden />}
            Import
          </button>
        </div>
      </form>
    </section>
  );
}
