import { commands, type DestinationView } from "../../bindings";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { call } from "../../lib/ipc";

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
  return (
    <ConfirmDialog
      title={`Remove “${destination.name}”?`}
      description={
        <>
          DBackup will stop using this destination. Backups already stored in{" "}
          <code className="inline-path">{destination.location}</code> are not deleted.
        </>
      }
      confirmLabel="Remove"
      busyLabel="Removing…"
      action={() => call(() => commands.removeDestination(destination.id))}
      onClose={onClose}
      onDone={() => onRemoved(destination)}
      testId="remove-destination-dialog"
    />
  );
}
