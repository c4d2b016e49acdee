import { useEffect, useState } from "react";
import { FolderSearch, RefreshCw, Snowflake } from "lucide-react";
import { commands, type BackupView, type DestinationView, type OperationView } from "../../bindings";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { Loading } from "../../components/Loading";
import { EmptyState } from "../../components/EmptyState";
import { ErrorPanel } from "../../components/ErrorPanel";
import { PageHeader } from "../../components/PageHeader";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";
import { useLoad } from "../../lib/useLoad";
import { folders, visibleBackups, type Sort } from "./backupList";
import { BulkBar } from "./BulkBar";
import { deleteAll, describeOutcome, lockAll, verifyAll } from "./bulk";
import { DownloadDialog } from "./DownloadDialog";
import { BackupsTable } from "./BackupsTable";
import { GlacierDialog } from "./GlacierDialog";
import { OperationsPanel } from "./OperationsPanel";
import { OtherFiles } from "./OtherFiles";
import { RestoreDialog } from "./RestoreDialog";

/** While something runs, its progress is followed at this pace. */
const OPERATIONS_POLL_MS = 1000;

/** The backups DBackup knows on a destination: from its own runs, and from rescans. */
export function ExplorerScreen({ initialDestination = null }: { initialDestination?: string | null }) {
  const destinations = useLoad<DestinationView[]>(() => call(() => commands.listDestinations()));
  const [chosen, setChosen] = useState<string | null>(initialDestination);
  const destinationId = chosen ?? destinations.data?.[0]?.id ?? null;
  const backups = useLoad<BackupView[]>(() =>
    destinationId ? call(() => commands.listBackups(destinationId)) : Promise.resolve([]),
  );
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [actionError, setActionError] = useState<IpcFailure | null>(null);
  const [downloading, setDownloading] = useState<BackupView | null>(null);
  const [restoring, setRestoring] = useState<BackupView | null>(null);
  const [deleting, setDeleting] = useState<BackupView | null>(null);
  const [thawing, setThawing] = useState<BackupView | null>(null);
  const [selected, setSelected] = useState<Set<string>>(() => new Set());
  const [bulkDeleting, setBulkDeleting] = useState(false);
  const [query, setQuery] = useState("");
  const [folder, setFolder] = useState<string | null>(null);
  const [sort, setSort] = useState<Sort>({ key: "createdAt", descending: true });
  const operations = useLoad<OperationView[]>(
    () => call(() => commands.listOperations()),
    OPERATIONS_POLL_MS,
  );
  const reloadBackups = backups.reload;
  const running = new Set(
    (operations.data ?? []).filter((o) => o.state === "running").map((o) => o.object),
  );

  useEffect(() => {
    setSelected(new Set());
    setFolder(null);
    void reloadBackups();
  }, [destinationId, reloadBackups]);

  // A verify that ended has a verdict to show in the integrity column.
  const endedVerifies = (operations.data ?? [])
    .filter((o) => o.kind === "verify" && o.state !== "running")
    .map((o) => o.id)
    .join(",");
  useEffect(() => {
    if (endedVerifies) void reloadBackups();
  }, [endedVerifies, reloadBackups]);

  // Only backups still listed stay selected (after a delete or a rescan).
  const selectedBackups = (backups.data ?? []).filter((b) => selected.has(b.object));

  function toggle(object: string, on: boolean) {
    setSelected((prev) => {
      const next = new Set(prev);
      if (on) next.add(object);
      else next.delete(object);
      return next;
    });
  }

  async function act(what: string, action: () => Promise<string | null>) {
    setBusy(what);
    setActionError(null);
    setMessage(null);
    try {
      setMessage(await action());
      await backups.reload();
    } catch (e) {
      setActionError(asFailure(e));
    } finally {
      setBusy(null);
    }
  }

  const awaitingGlacier = (backups.data ?? []).some((b) => b.glacier?.state === "restoring");
  const checkGlacier = awaitingGlacier && (
    <button
      type="button"
      className="button"
      data-testid="check-glacier"
      disabled={busy !== null}
      onClick={() =>
        void act("check-glacier", async () => {
          const check = await call(() => commands.checkGlacierRestores());
          if (check.errors.length > 0) return `Could not ask S3: ${check.errors.join("; ")}`;
          return check.ready.length > 0
            ? `${check.ready.length} restore(s) from Glacier ready`
            : "The restores from Glacier are still under way";
        })
      }
    >
      <Snowflake size={15} className={busy === "check-glacier" ? "spin" : undefined} aria-hidden />
      Check Glacier restores
    </button>
  );

  const rescan = destinationId && (
    <button
      type="button"
      className="button"
      data-testid="rescan"
      disabled={busy !== null}
      onClick={() =>
        void act("rescan", async () => {
          const report = await call(() => commands.rescanDestination(destinationId));
          const bare = report.withoutManifest.length;
          return (
            `${report.destination}: ${report.backups} backup(s) found` +
            (bare > 0 ? `; ${bare} other file(s) left alone` : "")
          );
        })
      }
    >
      <RefreshCw size={15} className={busy === "rescan" ? "spin" : undefined} aria-hidden />
      Read the destination again
    </button>
  );

  let content: React.ReactNode;
  if (!destinations.data && destinations.loading) {
    content = (
      <Loading>Loading destinations…</Loading>
    );
  } else if (!destinations.data && destinations.error) {
    content = <ErrorPanel title="Destinations could not be loaded" error={destinations.error} />;
  } else if (!destinationId) {
    content = (
      <EmptyState icon={FolderSearch} title="Nothing to browse yet" testId="empty-explorer">
        Add a destination first; the Storage Explorer then lists the backups kept there.
      </EmptyState>
    );
  } else {
    const all = backups.data ?? [];
    const list = visibleBackups(all, query, sort, folder);
    const folderList = folders(all);
    content = (
      <>
        <div className="field-row">
          <label className="field">
            <span className="field__label">Destination</span>
            <select
              className="input select"
              value={destinationId}
              data-testid="explorer-destination"
              onChange={(e) => setChosen(e.target.value)}
            >
              {(destinations.data ?? []).map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          </label>
          {folderList.length > 1 && (
            <label className="field">
              <span className="field__label">Folder</span>
              <select
                className="input select"
                value={folder === null ? "" : folder === "" ? "/" : folder}
                data-testid="explorer-folder"
                onChange={(e) => {
                  const v = e.target.value;
                  setFolder(v === "" ? null : v === "/" ? "" : v);
                }}
              >
                <option value="">All folders ({all.length})</option>
                {folderList.map((f) => (
                  <option key={f.folder} value={f.folder === "" ? "/" : f.folder}>
                    {f.folder === "" ? "(top level)" : f.folder} ({f.count})
                  </option>
                ))}
              </select>
            </label>
          )}
          <label className="field">
            <span className="field__label">Search</span>
            <input
              type="search"
              className="input"
              placeholder="Job, database, server or file name"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              data-testid="explorer-search"
            />
          </label>
        </div>
        {message && (
          <p className="banner" role="status">
            {message}
          </p>
        )}
        {actionError && (
          <p className="form-error" role="alert">
            {actionError.message}
          </p>
        )}
        <OperationsPanel operations={operations.data ?? []} onChange={() => void operations.reload()} />
        {selectedBackups.length > 0 && (
          <BulkBar
            count={selectedBackups.length}
            busy={busy !== null}
            onVerify={() =>
              void act("bulk", async () => {
                const outcome = await verifyAll(selectedBackups, running);
                await operations.reload();
                return describeOutcome("verifying", outcome);
              })
            }
            onLock={() =>
              void act("bulk", async () => describeOutcome("locked", await lockAll(selectedBackups, true)))
            }
            onUnlock={() =>
              void act("bulk", async () =>
                describeOutcome("unlocked", await lockAll(selectedBackups, false)),
              )
            }
            onDelete={() => setBulkDeleting(true)}
            onClear={() => setSelected(new Set())}
          />
        )}
        {backups.error && !backups.data ? (
          <ErrorPanel title="Backups could not be listed" error={backups.error} />
        ) : !backups.data ? (
          <Loading>Loading backups…</Loading>
        ) : all.length > 0 && list.length === 0 ? (
          <p className="cell-muted" data-testid="no-matches">
            No backup matches “{query}”.
          </p>
        ) : list.length === 0 ? (
          <EmptyState icon={FolderSearch} title="No backups known here" testId="empty-explorer">
            Backups appear here after a job runs. For backups made by another computer or before
            this one's state was lost, read the destination again.
          </EmptyState>
        ) : (
          <BackupsTable
            list={list}
            selected={selected}
            sort={sort}
            onSort={setSort}
            running={running}
            busy={busy !== null}
            onToggle={toggle}
            onToggleAll={(on) =>
              setSelected((prev) => {
                const next = new Set(prev);
                for (const b of list) {
                  if (on) next.add(b.object);
                  else next.delete(b.object);
                }
                return next;
              })
            }
            onRestore={setRestoring}
            onThaw={setThawing}
            onVerify={(b) =>
              void act(b.object, async () => {
                await call(() => commands.startVerify(b.destinationId, b.object));
                await operations.reload();
                return null;
              })
            }
            onDownload={setDownloading}
            onLock={(b, locked) =>
              void act(b.object, async () => {
                await call(() => commands.setBackupLocked(b.destinationId, b.object, locked));
                return null;
              })
            }
            onDelete={setDeleting}
          />
        )}
        <OtherFiles key={destinationId} destinationId={destinationId} />
      </>
    );
  }

  return (
    <div className="page">
      <PageHeader
        title="Storage Explorer"
        subtitle="Browse and restore stored backups"
        actions={
          <>
            {checkGlacier}
            {rescan}
          </>
        }
      />
      <div className="page__content page__content--stack">{content}</div>
      {downloading && (
        <DownloadDialog
          backup={downloading}
          onClose={() => setDownloading(null)}
          onStarted={() => {
            setDownloading(null);
            void operations.reload();
          }}
        />
      )}
      {restoring && (
        <RestoreDialog
          backup={restoring}
          onClose={() => setRestoring(null)}
          onStarted={() => {
            setRestoring(null);
            void operations.reload();
          }}
        />
      )}
      {thawing && (
        <GlacierDialog
          backup={thawing}
          onClose={() => setThawing(null)}
          onRequested={(summary) => {
            setThawing(null);
            setMessage(summary);
            void backups.reload();
          }}
        />
      )}
      {bulkDeleting && (
        <ConfirmDialog
          title={`Delete ${selectedBackups.length} backup(s)?`}
          description={
            <>
              The selected backups and their manifests are deleted from the destination; locked
              ones are kept. This cannot be undone.
            </>
          }
          confirmLabel="Delete backups"
          busyLabel="Deleting…"
          action={async () => {
            const outcome = await deleteAll(selectedBackups, running);
            setMessage(describeOutcome("deleted", outcome));
          }}
          onClose={() => setBulkDeleting(false)}
          onDone={() => {
            setBulkDeleting(false);
            setSelected(new Set());
            void backups.reload();
          }}
          testId="bulk-delete-dialog"
        />
      )}
      {deleting && (
        <ConfirmDialog
          title="Delete this backup?"
          description={
            <>
              <code className="inline-path">{deleting.object}</code> and its manifest are deleted
              from the destination. This cannot be undone.
            </>
          }
          confirmLabel="Delete backup"
          busyLabel="Deleting…"
          action={() => call(() => commands.deleteBackup(deleting.destinationId, deleting.object))}
          onClose={() => setDeleting(null)}
          onDone={() => {
            setDeleting(null);
            void backups.reload();
          }}
          testId="delete-backup-dialog"
        />
      )}
    </div>
  );
}
