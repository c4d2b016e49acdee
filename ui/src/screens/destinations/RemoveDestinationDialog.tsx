import { useRef, useState } from "react";
import { CircleAlert, LoaderCircle } from "lucide-react";
import { commands, type DestinationView } from "../../bindings";
import { Dialog } from "../../components/Dialog";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";

type RemoveDestinationDialogProps = {
  destination: DestinationView;
  onClose: () => void;
  onRemoved: (destination: DestinationView) => void;
};

export function RemoveDestinationDialog({
  destination,
  onClose,
  onRemoved,
}: RemoveDestinationDialogProps) {
  const [removing, setRemoving] = useState(false);
  const [error, setError] = useState<IpcFailure | null>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);

  async function remove() {
    setRemoving(true);
    setError(null);
    try {
      await call(() => commands.removeDestination(destination.id));
      onRemoved(destination);
    } catch (e) {
      setError(asFailure(e));
      setRemoving(false);
    }
  }

  return (
    <Dialog
      role="alertdialog"
      size="sm"
      title={`Remove “${destination.name}”?`}
      description={
        <>
          DBackup will stop using this destination. Backups already stored in{" "}
          <code className="inline-path">{destination.location}</code> are not deleted.
        </>
      }
      onClose={onClose}
      initialFocus={cancelRef}
      busy={removing}
      dismissOnBackdrop
      testId="remove-destination-dialog"
    >
      {error && (
        <div className="form-error" role="alert" data-testid="remove-error">
          <CircleAlert size={15} aria-hidden />
          <div>
            <p>{error.message}</p>
            <p className="form-error__code">
              Error code <code>{error.code}</code>
            </p>
          </div>
        </div>
      )}
      <div className="dialog__actions">
        <button
          ref={cancelRef}
          type="button"
          className="button"
          onClick={onClose}
          disabled={removing}
        >
          Cancel
        </button>
        <button
          type="button"
          className="button button--danger"
          onClick={remove}
          disabled={removing}
          data-testid="confirm-remove"
        >
          {removing && <LoaderCircle size={14} className="spin" aria-hidden />}
          {removing ? "Removing…" : "Remove"}
        </button>
      </div>
    </Dialog>
  );
}
