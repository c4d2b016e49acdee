import { useId, useRef, useState, type FormEvent } from "react";
import { CircleAlert, LoaderCircle } from "lucide-react";
import { commands, type DestinationView } from "../../bindings";
import { Dialog } from "../../components/Dialog";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";
import { NAME_MAX, validateLocalDestination, type LocalDestinationErrors } from "../../lib/validation";
import { KindPicker, type KindOptionId } from "./KindPicker";

type AddDestinationDialogProps = {
  onClose: () => void;
  onAdded: (destination: DestinationView) => void;
};

function FieldError({ id, message }: { id: string; message?: string }) {
  if (!message) return null;
  return (
    <p id={id} className="field__error" role="alert">
      <CircleAlert size={13} aria-hidden />
      <span>{message}</span>
    </p>
  );
}

export function AddDestinationDialog({ onClose, onAdded }: AddDestinationDialogProps) {
  const [kind, setKind] = useState<KindOptionId>("local");
  const [name, setName] = useState("");
  const [path, setPath] = useState("");
  const [errors, setErrors] = useState<LocalDestinationErrors>({});
  const [formError, setFormError] = useState<IpcFailure | null>(null);
  const [attempted, setAttempted] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const nameRef = useRef<HTMLInputElement>(null);
  const pathRef = useRef<HTMLInputElement>(null);
  const ids = {
    name: useId(),
    nameHint: useId(),
    nameError: useId(),
    path: useId(),
    pathHint: useId(),
    pathError: useId(),
  };

  function updateName(value: string) {
    setName(value);
    // Once the user has tried to submit, keep the messages in step with what they type;
    // a server-side message for this field no longer applies after an edit.
    setErrors((e) => ({
      ...e,
      name: attempted ? validateLocalDestination({ name: value, path }).name : undefined,
    }));
  }

  function updatePath(value: string) {
    setPath(value);
    setErrors((e) => ({
      ...e,
      path: attempted ? validateLocalDestination({ name, path: value }).path : undefined,
    }));
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (submitting) return;
    setAttempted(true);
    setFormError(null);
    const found = validateLocalDestination({ name, path });
    setErrors(found);
    if (found.name) return nameRef.current?.focus();
    if (found.path) return pathRef.current?.focus();

    setSubmitting(true);
    try {
      const added = await call(() =>
        commands.addLocalDestination({ name: name.trim(), path: path.trim() }),
      );
      onAdded(added);
    } catch (err) {
      const failure = asFailure(err);
      if (failure.code === "conflict" || failure.field === "name") {
        setErrors({ name: failure.message });
        nameRef.current?.focus();
      } else if (failure.field === "path" || (failure.code === "invalid_input" && !failure.field)) {
        setErrors({ path: failure.message });
        pathRef.current?.focus();
      } else {
        setFormError(failure);
      }
      setSubmitting(false);
    }
  }

  const describe = (...parts: (string | false | undefined)[]) =>
    parts.filter(Boolean).join(" ") || undefined;

  return (
    <Dialog
      title="Add destination"
      description="Choose where DBackup stores your backups."
      onClose={onClose}
      initialFocus={nameRef}
      busy={submitting}
      testId="add-destination-dialog"
    >
      <form className="form" onSubmit={submit} noValidate data-testid="add-destination-form">
        <div className="field">
          <span className="field__label" aria-hidden>
            Kind
          </span>
          <KindPicker value={kind} onChange={setKind} disabled={submitting} />
        </div>

        <div className="field">
          <label className="field__label" htmlFor={ids.name}>
            Name
          </label>
          <input
            ref={nameRef}
            id={ids.name}
            name="name"
            className="input"
            type="text"
            autoComplete="off"
            spellCheck={false}
            placeholder="e.g. Office NAS"
            value={name}
            onChange={(e) => updateName(e.target.value)}
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={describe(errors.name && ids.nameError, ids.nameHint)}
            readOnly={submitting}
            data-testid="destination-name"
          />
          <FieldError id={ids.nameError} message={errors.name} />
          <p id={ids.nameHint} className="field__hint">
            A unique label, up to {NAME_MAX} characters.
          </p>
        </div>

        <div className="field">
          <label className="field__label" htmlFor={ids.path}>
            Folder path
          </label>
          <input
            ref={pathRef}
            id={ids.path}
            name="path"
            className="input input--mono"
            type="text"
            autoComplete="off"
            spellCheck={false}
            placeholder="/mnt/nas/backups"
            value={path}
            onChange={(e) => updatePath(e.target.value)}
            aria-invalid={errors.path ? true : undefined}
            aria-describedby={describe(errors.path && ids.pathError, ids.pathHint)}
            readOnly={submitting}
            data-testid="destination-path"
          />
          <FieldError id={ids.pathError} message={errors.path} />
          <p id={ids.pathHint} className="field__hint">
            An absolute path on this computer, such as an external disk or a mounted NAS share.
          </p>
        </div>

        {formError && (
          <div className="form-error" role="alert" data-testid="form-error">
            <CircleAlert size={15} aria-hidden />
            <div>
              <p>{formError.message}</p>
              <p className="form-error__code">
                Error code <code>{formError.code}</code>
              </p>
            </div>
          </div>
        )}

        <div className="dialog__actions">
          <button type="button" className="button" onClick={onClose} disabled={submitting}>
            Cancel
          </button>
          <button
            type="submit"
            className="button button--primary"
            disabled={submitting}
            data-testid="submit-destination"
          >
            {submitting && <LoaderCircle size={14} className="spin" aria-hidden />}
            {submitting ? "Adding…" : "Add destination"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
