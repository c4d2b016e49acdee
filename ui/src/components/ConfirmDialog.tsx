import { useRef, useState, type ReactNode } from "react";
import { LoaderCircle } from "lucide-react";
import { Dialog } from "./Dialog";
import { asFailure, type IpcFailure } from "../lib/ipc";
import { FormError } from "./FormError";

type ConfirmDialogProps = {
  title: ReactNode;
  description: ReactNode;
  /** The confirming button, e.g. "Remove", and what it says while working, e.g. "Removing…". */
  confirmLabel: string;
  busyLabel: string;
  /** Runs on confirm; an error keeps the dialog open and is shown in it. */
  action: () => Promise<unknown>;
  onClose: () => void;
  onDone: () => void;
  danger?: boolean;
  children?: ReactNode;
  testId?: string;
};

/** Asks before an action that cannot be undone; Cancel has the focus. */
export function ConfirmDialog({
  title,
  description,
  confirmLabel,
  busyLabel,
  action,
  onClose,
  onDone,
  danger = true,
  children,
  testId,
}: ConfirmDialogProps) {
  const [working, setWorking] = useState(false);
  const [error, setError] = useState<IpcFailure | null>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  async function confirm() {
    setWorking(true);
    setError(null);
    try {
      await action();
      onDone();
    } catch (e) {
      setError(asFailure(e));
      setWorking(false);
    }
  }

  return (
    <Dialog
      role="alertdialog"
      size="sm"
      title={title}
      description={description}
      onClose={onClose}
      initialFocus={cancelRef}
      busy={working}
      dismissOnBackdrop
      testId={testId}
    >
      {children}
      <FormError error={error} testId="confirm-error" />
      <div className="dialog__actions">
        <button ref={cancelRef} type="button" className="button" onClick={onClose} disabled={working}>
          Cancel
        </button>
        <button
          type="button"
          className={`button ${danger ? "button--danger" : "button--primary"}`}
          onClick={() => void confirm()}
          disabled={working}
          data-testid="confirm-action"
        >
          {working && <LoaderCircle size={14} className="spin" aria-hidden />}
          {working ? busyLabel : confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
