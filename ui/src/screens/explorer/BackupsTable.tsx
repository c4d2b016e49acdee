import { forwardRef, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import {
  Download,
  Lock,
  LockOpen,
  RotateCcw,
  ShieldAlert,
  ShieldCheck,
  ShieldQuestion,
  Snowflake,
  Trash2,
  TriangleAlert,
} from "lucide-react";
import type { BackupView } from "../../bindings";
import { byteSize, localTime, relativeTime } from "../../lib/format";
import type { Sort } from "./backupList";
import { GlacierBadge, isReadable } from "./GlacierBadge";
import { SortHeader } from "./SortHeader";

/** Up to this many rows render plainly; beyond it only the rows in view (and a margin) do. */
export const VIRTUALIZE_FROM = 150;
/** A one-line row; taller rows (a database line, badges) are measured as they render. */
const ROW_ESTIMATE_PX = 52;

export type BackupActions = {
  onToggle: (object: string, on: boolean) => void;
  onToggleAll: (on: boolean) => void;
  onRestore: (b: BackupView) => void;
  onThaw: (b: BackupView) => void;
  onVerify: (b: BackupView) => void;
  onDownload: (b: BackupView) => void;
  onLock: (b: BackupView, locked: boolean) => void;
  onDelete: (b: BackupView) => void;
};

type Props = BackupActions & {
  list: BackupView[];
  selected: Set<string>;
  sort: Sort;
  onSort: (sort: Sort) => void;
  /** Objects with a verify, download or restore under way. */
  running: Set<string>;
  busy: boolean;
};

const SOURCE_LABEL: Record<string, string> = {
  postgres: "PostgreSQL",
  mysql: "MySQL / MariaDB",
  sqlite: "SQLite",
  folder: "Folder",
};

/** Stored size against what was read: "4.2×" smaller, or nothing when unknown. */
export function compressionRatio(b: BackupView): string | null {
  if (b.plainSize == null || b.plainSize === 0 || b.storedSize === 0) return null;
  const ratio = b.plainSize / b.storedSize;
  return `${ratio >= 10 ? Math.round(ratio) : ratio.toFixed(1)}×`;
}

function Integrity({ backup }: { backup: BackupView }) {
  const check = backup.check;
  if (!check)
    return (
      <span className="integrity integrity--unknown" title="Not verified on this computer yet" data-testid="integrity">
        <ShieldQuestion size={13} aria-hidden /> Not verified
      </span>
    );
  if (check.problem)
    return (
      <span className="integrity integrity--damaged" title={check.problem} data-testid="integrity">
        <ShieldAlert size={13} aria-hidden /> Damaged
      </span>
    );
  return (
    <span
      className="integrity integrity--ok"
      title={`Every chunk authentic, manifest agrees (checked ${localTime(check.checkedAt)})`}
      data-testid="integrity"
    >
      <ShieldCheck size={13} aria-hidden /> Verified {relativeTime(check.checkedAt)}
    </span>
  );
}

type RowProps = BackupActions & {
  b: BackupView;
  index: number;
  checked: boolean;
  running: boolean;
  busy: boolean;
};

const BackupRow = forwardRef<HTMLTableRowElement, RowProps>(function BackupRow(
  { b, index, checked, running, busy, ...on },
  ref,
) {
  const readable = isReadable(b);
  const ratio = compressionRatio(b);
  return (
    <tr ref={ref} data-index={index} data-testid="backup-row" data-object={b.object} aria-selected={checked}>
      <td className="backups-col-select">
        <input
          type="checkbox"
          aria-label={`Select ${b.object.split("/").pop()}`}
          checked={checked}
          onChange={(e) => on.onToggle(b.object, e.target.checked)}
          data-testid="select-backup"
        />
      </td>
      <td>
        <time dateTime={b.createdAt} title={localTime(b.createdAt)}>
          {relativeTime(b.createdAt)}
        </time>
      </td>
      <td>
        {b.jobName ?? <span className="cell-muted">not from a job</span>}
        <p className="cell-detail" data-testid="backup-source">
          {b.engine ?? (b.sourceKind ? (SOURCE_LABEL[b.sourceKind] ?? b.sourceKind) : "a file")}
        </p>
      </td>
      <td className="cell-mono" title={b.object}>
        {b.object.split("/").pop()}
        {b.database && <p className="cell-detail">database {b.database}</p>}
        <GlacierBadge backup={b} />
      </td>
      <td>
        {byteSize(b.storedSize)}
        {ratio && (
          <p className="cell-detail" title="How much smaller than what was read" data-testid="backup-ratio">
            {ratio} smaller
          </p>
        )}
      </td>
      <td className="backups-col-lock">
        <Integrity backup={b} />
        {b.encryption === "none" && (
          <p className="cell-detail cell-detail--warning" data-testid="unencrypted">
            <TriangleAlert size={12} aria-hidden /> Not encrypted
          </p>
        )}
        {b.locked && (
          <span className="badge badge--status badge--locked" data-testid="locked">
            Locked
          </span>
        )}
        {b.objectLockUntil && (
          <p className="cell-detail" title={b.objectLockMode ?? undefined}>
            Object Lock until {localTime(b.objectLockUntil)}
          </p>
        )}
      </td>
      <td className="col-actions--wide backups-col-actions">
        {readable ? (
          <button
            type="button"
            className="button button--small"
            data-testid="restore"
            disabled={running}
            onClick={() => on.onRestore(b)}
          >
            <RotateCcw size={13} aria-hidden />
            Restore
          </button>
        ) : (
          <button
            type="button"
            className="button button--small"
            data-testid="glacier-restore"
            disabled={b.glacier?.state === "restoring"}
            title={
              b.glacier?.state === "restoring"
                ? "S3 is restoring it; DBackup notifies you when it is ready"
                : "Make a readable copy first: it is in Glacier"
            }
            onClick={() => on.onThaw(b)}
          >
            <Snowflake size={13} aria-hidden />
            {b.glacier?.state === "restoring" ? "Restoring…" : "Restore from Glacier"}
          </button>
        )}
        <button
          type="button"
          className="icon-button"
          aria-label={`Verify ${b.object}`}
          title={
            readable
              ? "Verify: download, authenticate every chunk, compare with the manifest"
              : "In Glacier: restore it from Glacier before verifying"
          }
          data-testid="verify"
          disabled={running || !readable}
          onClick={() => on.onVerify(b)}
        >
          <ShieldCheck size={15} aria-hidden />
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={`Download ${b.object}`}
          title={readable ? "Download" : "In Glacier: restore it from Glacier before downloading"}
          data-testid="download"
          disabled={running || !readable}
          onClick={() => on.onDownload(b)}
        >
          <Download size={15} aria-hidden />
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={`${b.locked ? "Unlock" : "Lock"} ${b.object}`}
          data-testid={b.locked ? "unlock" : "lock"}
          disabled={busy}
          title={b.locked ? "Unlock: let retention judge this backup again" : "Lock: retention will never delete this backup"}
          onClick={() => on.onLock(b, !b.locked)}
        >
          {b.locked ? <LockOpen size={15} aria-hidden /> : <Lock size={15} aria-hidden />}
        </button>
        <button
          type="button"
          className="icon-button icon-button--danger"
          aria-label={`Delete ${b.object}`}
          title={b.locked ? "Locked backups cannot be deleted; unlock it first" : "Delete"}
          data-testid="delete-backup"
          disabled={b.locked || running}
          onClick={() => on.onDelete(b)}
        >
          <Trash2 size={15} aria-hidden />
        </button>
      </td>
    </tr>
  );
});

/**
 * The backups of a destination. Long lists (thousands of backups) render only the rows in
 * view, so scrolling and filtering stay quick whatever the bucket holds.
 */
export function BackupsTable({ list, selected, sort, onSort, running, busy, ...actions }: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtual = list.length > VIRTUALIZE_FROM;
  const rows = useVirtualizer({
    count: list.length,
    enabled: virtual,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_ESTIMATE_PX,
    getItemKey: (i) => list[i]?.object ?? i,
    overscan: 12,
    // Before the first measurement (and where nothing is laid out, as in tests).
    initialRect: { width: 1000, height: 720 },
  });
  const items = virtual ? rows.getVirtualItems() : null;
  const shown = items ? items.map((v) => v.index) : list.map((_, i) => i);
  const first = items?.[0];
  const last = items?.[items.length - 1];
  const padTop = first ? first.start : 0;
  const padBottom = last ? rows.getTotalSize() - last.end : 0;
  const allSelected = list.length > 0 && list.every((b) => selected.has(b.object));
  const someSelected = list.some((b) => selected.has(b.object));

  return (
    <div
      ref={scrollRef}
      className={virtual ? "table-card table-card--scroll" : "table-card"}
      data-testid="backups-scroll"
      data-virtual={virtual}
    >
      <table className="table table--backups" data-testid="backups-table" aria-rowcount={list.length + 1}>
        <thead>
          <tr>
            <th scope="col" className="backups-col-select">
              <input
                type="checkbox"
                aria-label="Select every backup shown"
                checked={allSelected}
                ref={(el) => {
                  if (el) el.indeterminate = someSelected && !allSelected;
                }}
                onChange={(e) => actions.onToggleAll(e.target.checked)}
                data-testid="select-all"
              />
            </th>
            <SortHeader label="Made" column="createdAt" sort={sort} onSort={onSort} className="runs-col-started" />
            <SortHeader label="Job" column="jobName" sort={sort} onSort={onSort} className="backups-col-job" />
            <th scope="col">Backup</th>
            <SortHeader label="Size" column="storedSize" sort={sort} onSort={onSort} className="runs-col-stored" />
            <th scope="col" className="backups-col-lock">
              State
            </th>
            <th scope="col" className="backups-col-actions">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {padTop > 0 && (
            <tr aria-hidden className="table__spacer" style={{ height: padTop }} data-testid="rows-above" />
          )}
          {shown.map((i) => {
            const b = list[i];
            if (!b) return null;
            return (
              <BackupRow
                key={b.object}
                ref={virtual ? rows.measureElement : undefined}
                b={b}
                index={i}
                checked={selected.has(b.object)}
                running={running.has(b.object)}
                busy={busy}
                {...actions}
              />
            );
          })}
          {padBottom > 0 && (
            <tr aria-hidden className="table__spacer" style={{ height: padBottom }} data-testid="rows-below" />
          )}
        </tbody>
      </table>
    </div>
  );
}
