import { useId, useRef, useState, type FormEvent } from "react";
import { LoaderCircle } from "lucide-react";
import {
  commands,
  type DestinationSettings,
  type DestinationView,
  type S3Provider,
} from "../../bindings";
import { Dialog } from "../../components/Dialog";
import { TextField } from "../../components/Form";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";
import {
  DEFAULT_STORAGE_CLASS,
  EMPTY_S3_FORM,
  buildS3Input,
  storageClassesFor,
  type S3FormValues,
} from "../../lib/s3";
import {
  NAME_MAX,
  S3_FIELDS,
  isS3Field,
  s3FieldApplies,
  validateLocalDestination,
  validateS3Destination,
  type S3Field,
} from "../../lib/validation";
import { KindPicker, type KindOptionId } from "./KindPicker";
import { S3DestinationFields } from "./S3DestinationFields";
import { FormError } from "../../components/FormError";

type AddDestinationDialogProps = {
  onClose: () => void;
  /** Called with the saved destination and the engine's notices about the input (may be empty). */
  onAdded: (destination: DestinationView, notices: string[]) => void;
  /** Edit this destination instead of adding one: its kind stays, its secret is kept unless retyped. */
  editing?: { id: string; settings: DestinationSettings; secretMissing?: boolean };
};

/** The form's starting point for an edit: the stored settings, the secret left empty. */
function initialState(editing: AddDestinationDialogProps["editing"]): {
  kind: KindOptionId;
  values: S3FormValues;
  path: string;
  secretStored: boolean;
} {
  const settings = editing?.settings;
  if (!settings) return { kind: "local", values: EMPTY_S3_FORM, path: "", secretStored: false };
  if (settings.kind === "local")
    return { kind: "local", values: { ...EMPTY_S3_FORM, name: settings.name }, path: settings.path, secretStored: false };
  const c = settings.config;
  const kind: KindOptionId = c.provider === "aws" ? "s3" : c.provider === "r2" ? "r2" : "s3-compatible";
  return {
    kind,
    path: "",
    // Imported from another computer: the secret must be typed before saving.
    secretStored: c.credentials !== "default_chain" && !editing.secretMissing,
    values: {
      name: settings.name,
      region: c.provider === "custom" && c.region === "us-east-1" ? "" : c.provider === "r2" ? "" : c.region,
      bucket: c.bucket,
      prefix: c.prefix,
      endpoint: c.endpoint ?? "",
      pathStyle: c.pathStyle,
      accountId: c.accountId ?? "",
      jurisdiction: c.jurisdiction ?? "default",
      accessKeyId: c.accessKeyId,
      secretAccessKey: "",
      defaultCredentials: c.credentials === "default_chain",
      profile: c.profile ?? "",
      storageClass: c.storageClass,
      sse: c.sse,
      kmsKeyId: c.kmsKeyId ?? "",
      transferAcceleration: c.transferAcceleration,
      allowPlainHttp: c.allowPlainHttp ?? false,
    },
  };
}

type FieldKey = S3Field | "path";
type Errors = Partial<Record<FieldKey, string>>;

/** The order fields appear in, so the first invalid one gets focus. */
const FIELD_ORDER: FieldKey[] = ["name", "path", ...S3_FIELDS.filter((f) => f !== "name")];

const PROVIDER: Record<Exclude<KindOptionId, "local">, S3Provider> = {
  s3: "aws",
  r2: "r2",
  "s3-compatible": "custom",
};

function providerOf(kind: KindOptionId): S3Provider | null {
  return kind === "local" ? null : PROVIDER[kind];
}

function validate(
  kind: KindOptionId,
  values: S3FormValues,
  path: string,
  secretStored = false,
): Errors {
  const provider = providerOf(kind);
  if (!provider) return validateLocalDestination({ name: values.name, path });
  const errors = validateS3Destination(provider, values);
  // Editing: an empty secret keeps the stored one.
  if (secretStored && values.secretAccessKey.trim() === "") delete errors.secretAccessKey;
  return errors;
}

export function AddDestinationDialog({ onClose, onAdded, editing }: AddDestinationDialogProps) {
  const [initial] = useState(() => initialState(editing));
  const secretStored = initial.secretStored;
  const [kind, setKind] = useState<KindOptionId>(initial.kind);
  const [values, setValues] = useState<S3FormValues>(initial.values);
  const [path, setPath] = useState(initial.path);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<IpcFailure | null>(null);
  const [attempted, setAttempted] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const nameRef = useRef<HTMLInputElement>(null);
  const fieldEls = useRef<Partial<Record<FieldKey, HTMLElement | null>>>({});
  const base = useId();
  const provider = providerOf(kind);

  const fieldRef = (field: FieldKey) => (el: HTMLElement | null) => {
    fieldEls.current[field] = el;
  };

  function focusField(field: FieldKey) {
    const el = field === "name" ? nameRef.current : fieldEls.current[field];
    if (!el) return;
    // Radio groups focus their chosen option.
    const target = el.matches("input, select, textarea, button")
      ? el
      : el.querySelector<HTMLElement>("input:checked, input");
    target?.focus();
  }

  // Once the user has tried to submit, keep the messages in step with what they type;
  // a server-side message for a field no longer applies after an edit.
  function recheck(field: FieldKey, nextValues: S3FormValues, nextPath: string) {
    setErrors((e) => ({
      ...e,
      [field]: attempted ? validate(kind, nextValues, nextPath, secretStored)[field] : undefined,
    }));
  }

  function update<K extends keyof S3FormValues>(key: K, value: S3FormValues[K]) {
    const next = { ...values, [key]: value };
    setValues(next);
    if (isS3Field(key)) recheck(key, next, path);
  }

  function updatePath(value: string) {
    setPath(value);
    recheck("path", values, value);
  }

  function changeKind(next: KindOptionId) {
    if (next === kind) return;
    const nextProvider = providerOf(next);
    let nextValues = values;
    // R2 has fewer storage classes; fall back to the default rather than send one it refuses.
    if (
      nextProvider &&
      !storageClassesFor(nextProvider).some((c) => c.id === values.storageClass)
    ) {
      nextValues = { ...values, storageClass: DEFAULT_STORAGE_CLASS };
      setValues(nextValues);
    }
    setKind(next);
    setFormError(null);
    setErrors(attempted ? validate(next, nextValues, path) : {});
  }

  /** Where an engine error belongs: a field of the form as shown, or null for the form itself. */
  function fieldFor(failure: IpcFailure): FieldKey | null {
    if (failure.code === "conflict" || failure.field === "name") return "name";
    if (!provider) {
      return failure.field === "path" || (failure.code === "invalid_input" && !failure.field)
        ? "path"
        : null;
    }
    return isS3Field(failure.field) && s3FieldApplies(provider, failure.field)
      ? failure.field
      : null;
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (submitting) return;
    setAttempted(true);
    setFormError(null);
    const found = validate(kind, values, path, secretStored);
    setErrors(found);
    const firstInvalid = FIELD_ORDER.find((f) => found[f]);
    if (firstInvalid) return focusField(firstInvalid);

    setSubmitting(true);
    try {
      if (provider) {
        const input = buildS3Input(provider, values);
        const saved = await call(() =>
          editing
            ? commands.updateS3Destination(editing.id, input)
            : commands.addS3Destination(input),
        );
        onAdded(saved.destination, saved.notices);
      } else {
        const input = { name: values.name.trim(), path: path.trim() };
        const saved = await call(() =>
          editing
            ? commands.updateLocalDestination(editing.id, input)
            : commands.addLocalDestination(input),
        );
        onAdded(saved, []);
      }
    } catch (err) {
      const failure = asFailure(err);
      const field = fieldFor(failure);
      if (field) {
        setErrors({ [field]: failure.message });
        focusField(field);
      } else {
        setFormError(failure);
      }
      setSubmitting(false);
    }
  }

  return (
    <Dialog
      title={editing ? "Edit destination" : "Add destination"}
      description={
        editing
          ? "Backups already stored stay where they are."
          : "Choose where DBackup stores your backups."
      }
      onClose={onClose}
      initialFocus={nameRef}
      busy={submitting}
      size="lg"
      fillBody
      testId="add-destination-dialog"
    >
      <form
        className="form form--dialog"
        onSubmit={submit}
        noValidate
        data-testid="add-destination-form"
      >
        <div className="form__scroll" data-testid="add-destination-scroll">
          {!editing && (
            <div className="field">
              <span className="field__label" aria-hidden>
                Kind
              </span>
              <KindPicker value={kind} onChange={changeKind} disabled={submitting} />
            </div>
          )}

          <TextField
            id={`${base}-name`}
            label="Name"
            value={values.name}
            onChange={(v) => update("name", v)}
            error={errors.name}
            hint={`A unique label, up to ${NAME_MAX} characters.`}
            inputRef={nameRef}
            placeholder={provider ? "e.g. Offsite S3" : "e.g. Office NAS"}
            readOnly={submitting}
            name="name"
            testId="destination-name"
          />

          {provider ? (
            <S3DestinationFields
              provider={provider}
              values={values}
              errors={errors}
              onChange={update}
              fieldRef={fieldRef}
              busy={submitting}
              secretStored={secretStored}
            />
          ) : (
            <TextField
              id={`${base}-path`}
              label="Folder path"
              value={path}
              onChange={updatePath}
              error={errors.path}
              hint="An absolute path on this computer, such as an external disk or a mounted NAS share."
              inputRef={fieldRef("path")}
              mono
              placeholder="/mnt/nas/backups"
              readOnly={submitting}
              name="path"
              testId="destination-path"
            />
          )}
        </div>

        <div className="form__footer">
          <FormError error={formError} />

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
              {editing
                ? submitting
                  ? "Saving…"
                  : "Save changes"
                : submitting
                  ? "Adding…"
                  : "Add destination"}
            </button>
          </div>
        </div>
      </form>
    </Dialog>
  );
}
