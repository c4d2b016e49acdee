import { Lock, LockOpen, ShieldCheck, Trash2, X } from "lucide-react";

/** The actions on the selected backups, shown while some are selected. */
export function BulkBar({
  count,
  busy,
  onVerify,
  onLock,
  onUnlock,
  onDelete,
  onClear,
}: {
  count: number;
  busy: boolean;
  onVerify: () => void;
  onLock: () => void;
  onUnlock: () => void;
  onDelete: () => void;
  onClear: () => void;
}) {
  return (
    <div className="bulk-bar" role="toolbar" aria-label="Selected backups" data-testid="bulk-bar">
      <span className="bulk-bar__count" aria-live="polite">
        {count} selected
      </span>
      <button type="button" className="button button--small" disabled={busy} onClick={onVerify} data-testid="bulk-verify">
        <ShieldCheck size={13} aria-hidden />
        Verify
      </button>
      <button type="button" className="button button--small" disabled={busy} onClick={onLock} data-testid="bulk-lock">
        <Lock size={13} aria-hidden />
        Lock
      </button>
      <button type="button" className="button button--small" disabled={busy} onClick={onUnlock} data-testid="bulk-unlock">
        <LockOpen size={13} aria-hidden />
        Unlock
      </button>
      <button
        type="button"
        className="button button--small button--danger"
        disabled={busy}
        onClick={onDelete}
        data-testid="bulk-delete"
      >
        <Trash2 size={13} aria-hidden />
        Delete
      </button>
      <button type="button" className="icon-button" aria-label="Clear the selection" title="Clear the selection" onClick={onClear} data-testid="bulk-clear">
        <X size={15} aria-hidden />
      </button>
    </div>
  );
}
