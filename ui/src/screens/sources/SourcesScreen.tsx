import { useEffect, useState } from "react";
import { Database, FileBox, Folder, LoaderCircle, Pencil, PlugZap, Plus, Server, Trash2 } from "lucide-react";
import { commands, type ServerInfo, type SourceForm, type SourceKind, type SourceView } from "../../bindings";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { Dialog } from "../../components/Dialog";
import { EmptyState } from "../../components/EmptyState";
import { FormError } from "../../components/FormError";
import { ErrorPanel } from "../../components/ErrorPanel";
import { Loading } from "../../components/Loading";
import { PageHeader } from "../../components/PageHeader";
import { relativeTime } from "../../lib/format";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";
import { useLoad } from "../../lib/useLoad";
import { AddSourceDialog } from "./AddSourceDialog";
import { SourceCheckResult } from "./SourceCheckResult";

export const SOURCE_KIND_LABEL: Record<SourceKind, string> = {
  postgres: "PostgreSQL",
  mysql: "MySQL / MariaDB",
  sqlite: "SQLite",
  folder: "Folder",
};

const KIND_ICON = { postgres: Database, mysql: Server, sqlite: FileBox, folder: Folder };

function SourceKindBadge({ kind }: { kind: SourceKind }) {
  const Icon = KIND_ICON[kind];
  return (
    <span className={`badge badge--source-${kind}`}>
      <Icon size={12} aria-hidden />
      {SOURCE_KIND_LABEL[kind]}
    </span>
  );
}

/** Runs "Test connection" on a saved source as soon as it opens. */
function TestSourceDialog({ source, onClose }: { source: SourceView; onClose: () => void }) {
  const [result, setResult] = useState<{ info: ServerInfo | null; error: IpcFailure | null } | null>(
    null,
  );
  useEffect(() => {
    let live = true;
    call(() => commands.testSource(source.id)).then(
      (info) => live && setResult({ info, error: null }),
      (e) => live && setResult({ info: null, error: asFailure(e) }),
    );
    return () => {
      live = false;
    };
  }, [source.id]);
  return (
    <Dialog
      title={`Test “${source.name}”`}
      description={<code className="inline-path">{source.location}</code>}
      onClose={onClose}
      dismissOnBackdrop
      testId="test-source-dialog"
    >
      {result ? (
        <SourceCheckResult info={result.info} error={result.error} />
      ) : (
        <p className="loading" role="status">
          <LoaderCircle size={16} className="spin" aria-hidden /> Connecting…
        </p>
      )}
      <div className="dialog__actions">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

export function SourcesScreen() {
  const loaded = useLoad(() => call(() => commands.listSources()));
  const [adding, setAdding] = useState(false);
  const [testing, setTesting] = useState<SourceView | null>(null);
  const [removing, setRemoving] = useState<SourceView | null>(null);
  const [editing, setEditing] = useState<{ id: string; form: SourceForm } | null>(null);
  const [editError, setEditError] = useState<IpcFailure | null>(null);

  async function edit(s: SourceView) {
    setEditError(null);
    try {
      setEditing({ id: s.id, form: await call(() => commands.sourceForm(s.id)) });
    } catch (e) {
      setEditError(asFailure(e));
    }
  }
  const [highlightId, setHighlightId] = useState<string | null>(null);
  const sources = loaded.data ?? [];

  const addButton = (
    <button
      type="button"
      className="button button--primary"
      onClick={() => setAdding(true)}
      data-testid="add-source"
    >
      <Plus size={15} aria-hidden />
      Add source
    </button>
  );

  let content: React.ReactNode;
  if (!loaded.data && loaded.loading) {
    content = <Loading>Loading sources…</Loading>;
  } else if (!loaded.data && loaded.error) {
    content = (
      <ErrorPanel
        title="Sources could not be loaded"
        error={loaded.error}
        onRetry={() => void loaded.reload()}
      />
    );
  } else if (sources.length === 0) {
    content = (
      <EmptyState icon={Database} title="No sources yet - add one" action={addButton} testId="empty-sources">
        A source is what DBackup backs up: a PostgreSQL, MySQL or MariaDB server, an SQLite file, or
        a folder on this computer.
      </EmptyState>
    );
  } else {
    content = (
      <div className="table-card">
        <table className="table" data-testid="sources-table">
          <thead>
            <tr>
              <th scope="col" className="col-name">
                Name
              </th>
              <th scope="col" className="col-kind">
                Kind
              </th>
              <th scope="col">Location</th>
              <th scope="col" className="col-created">
                Added
              </th>
              <th scope="col" className="col-actions--wide">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sources.map((s) => (
              <tr
                key={s.id}
                data-testid="source-row"
                data-name={s.name}
                className={s.id === highlightId ? "row--new" : undefined}
              >
                <td className="col-name">
                  <span className="cell-name" title={s.name}>
                    {s.name}
                  </span>
                </td>
                <td className="col-kind">
                  <SourceKindBadge kind={s.kind} />
                </td>
                <td>
                  <span className="cell-location truncate-end" title={s.location}>
                    <bdi>{s.location}</bdi>
                  </span>
                </td>
                <td className="col-created">
                  <time dateTime={s.createdAt} title={s.createdAt}>
                    {relativeTime(s.createdAt)}
                  </time>
                </td>
                <td className="col-actions--wide">
                  <button
                    type="button"
                    className="button button--small"
                    onClick={() => setTesting(s)}
                    data-testid="test-saved-source"
                  >
                    <PlugZap size={13} aria-hidden />
                    Test
                  </button>
                  <button
                    type="button"
                    className="icon-button"
                    aria-label={`Edit ${s.name}`}
                    title="Edit source"
                    onClick={() => void edit(s)}
                    data-testid="edit-source"
                  >
                    <Pencil size={15} aria-hidden />
                  </button>
                  <button
                    type="button"
                    className="icon-button icon-button--danger"
                    aria-label={`Remove ${s.name}`}
                    title="Remove source"
                    onClick={() => setRemoving(s)}
                    data-testid="remove-source"
                  >
                    <Trash2 size={15} aria-hidden />
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  const count = sources.length;
  return (
    <div className="page">
      <PageHeader
        title="Sources"
        subtitle={
          count > 0
            ? `${count} ${count === 1 ? "source" : "sources"} · what gets backed up`
            : "What gets backed up"
        }
        actions={count > 0 ? addButton : undefined}
      />
      <div className="page__content">
        <FormError error={editError} testId="source-edit-error" />
        {content}
      </div>
      {editing && (
        <AddSourceDialog
          editing={editing}
          onClose={() => setEditing(null)}
          onAdded={(s) => {
            setEditing(null);
            setHighlightId(s.id);
            void loaded.reload();
          }}
        />
      )}
      {adding && (
        <AddSourceDialog
          onClose={() => setAdding(false)}
          onAdded={(s) => {
            setAdding(false);
            setHighlightId(s.id);
            void loaded.reload();
          }}
        />
      )}
      {testing && <TestSourceDialog source={testing} onClose={() => setTesting(null)} />}
      {removing && (
        <ConfirmDialog
          title={`Remove “${removing.name}”?`}
          description="DBackup forgets this source and its password. Backups already made from it stay where they are."
          confirmLabel="Remove"
          busyLabel="Removing…"
          action={() => call(() => commands.removeSource(removing.id))}
          onClose={() => setRemoving(null)}
          onDone={() => {
            setRemoving(null);
            void loaded.reload();
          }}
          testId="remove-source-dialog"
        />
      )}
    </div>
  );
}
