import { useId, useRef, useState, type FormEvent } from "react";
import { LoaderCircle } from "lucide-react";
import { commands, type JobView, type KeyProfileView } from "../../bindings";
import { Dialog } from "../../components/Dialog";
import { FormSection, SelectField, TextField, Toggle } from "../../components/Form";
import { Loading } from "../../components/Loading";
import { ErrorPanel } from "../../components/ErrorPanel";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";
import {
  buildJobInput,
  emptyJobForm,
  jobFieldOf,
  jobFormFrom,
  validateJob,
  type JobErrors,
  type JobField,
  type JobFormValues,
} from "../../lib/jobs";
import { useLoad } from "../../lib/useLoad";
import { NAME_MAX } from "../../lib/validation";
import { EncryptionFields } from "./EncryptionFields";
import { RecoveryKitDialog } from "./RecoveryKitDialog";
import { ScheduleFields } from "./ScheduleFields";
import { TargetFields } from "./TargetFields";
import { FormError } from "../../components/FormError";

async function loadChoices() {
  const [sources, destinations, keys, settings] = await Promise.all([
    call(() => commands.listSources()),
    call(() => commands.listDestinations()),
    call(() => commands.listKeyProfiles()),
    call(() => commands.getSettings()),
  ]);
  return { sources, destinations, keys, notifySuccess: settings.notifySuccessByDefault };
}

const FIELD_ORDER: JobField[] = ["name", "sourceId", "targets", "schedule", "level", "keyProfileId"];

type Props = {
  /** The job to edit; a new job when absent. */
  job?: JobView;
  onClose: () => void;
  onSaved: (job: JobView) => void;
};

export function JobDialog({ job, onClose, onSaved }: Props) {
  const choices = useLoad(loadChoices);
  const data = choices.data;
  return (
    <Dialog
      title={job ? `Edit “${job.name}”` : "New job"}
      description="What to back up, where to, and when."
      onClose={onClose}
      size="lg"
      fillBody
      testId="job-dialog"
    >
      {!data && choices.loading && <Loading>Loading sources and destinations…</Loading>}
      {!data && choices.error && (
        <ErrorPanel title="The form could not be loaded" error={choices.error} onRetry={() => void choices.reload()} />
      )}
      {data && (
        <JobForm
          job={job}
          sources={data.sources}
          destinations={data.destinations}
          initialKeys={data.keys}
          notifySuccess={data.notifySuccess}
          onClose={onClose}
          onSaved={onSaved}
        />
      )}
    </Dialog>
  );
}

function JobForm({
  job,
  sources,
  destinations,
  initialKeys,
  notifySuccess,
  onClose,
  onSaved,
}: Props & {
  notifySuccess: boolean;
  sources: Awaited<ReturnType<typeof loadChoices>>["sources"];
  destinations: Awaited<ReturnType<typeof loadChoices>>["destinations"];
  initialKeys: KeyProfileView[];
}) {
  const [keys, setKeys] = useState(initialKeys);
  const [values, setValues] = useState<JobFormValues>(() => {
    if (job) return jobFormFrom(job);
    const v = emptyJobForm(initialKeys[0]?.id ?? "");
    v.notifyOnSuccess = notifySuccess;
    // One source or one destination: nothing to choose.
    if (sources.length === 1) v.sourceId = sources[0]!.id;
    if (destinations.length === 1) {
      v.destinationIds = [destinations[0]!.id];
    }
    return v;
  });
  const [errors, setErrors] = useState<JobErrors>({});
  const [attempted, setAttempted] = useState(false);
  const [saving, setSaving] = useState(false);
  const [formError, setFormError] = useState<IpcFailure | null>(null);
  const [kitFor, setKitFor] = useState<KeyProfileView | null>(null);
  const base = useId();
  const id = (part: string) => `${base}-${part}`;
  const refs = {
    name: useRef<HTMLInputElement>(null),
    sourceId: useRef<HTMLSelectElement>(null),
    targets: useRef<HTMLInputElement>(null),
  };

  function focus(field: JobField) {
    const el =
      field === "name" ? refs.name.current : field === "sourceId" ? refs.sourceId.current : field === "targets" ? refs.targets.current : document.getElementById(id(field === "schedule" ? "schedule-kind" : field === "level" ? "level" : "key"));
    el?.focus();
  }

  function setAll(next: JobFormValues) {
    setValues(next);
    if (attempted) setErrors(validateJob(next));
  }

  function update<K extends keyof JobFormValues>(key: K, value: JobFormValues[K]) {
    setAll({ ...values, [key]: value });
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (saving) return;
    setAttempted(true);
    setFormError(null);
    const found = validateJob(values);
    setErrors(found);
    const first = FIELD_ORDER.find((f) => found[f]) ?? (found.retention ? "targets" : undefined);
    if (first) return focus(first);
    setSaving(true);
    try {
      const input = buildJobInput(values);
      const saved = job
        ? await call(() => commands.updateJob(job.id, input))
        : await call(() => commands.createJob(input));
      onSaved(saved);
    } catch (err) {
      const failure = asFailure(err);
      const field = failure.code === "conflict" ? "name" : jobFieldOf(failure.field);
      if (field) {
        setErrors({ [field]: failure.message });
        focus(field);
      } else {
        setFormError(failure);
      }
      setSaving(false);
    }
  }

  const sourceOptions = [
    ...(values.sourceId ? [] : [{ value: "", label: "Choose a source…" }]),
    ...sources.map((s) => ({ value: s.id, label: `${s.name} (${s.location})` })),
  ];

  return (
    <>
      <form className="form form--dialog" onSubmit={submit} noValidate data-testid="job-form">
        <div className="form__scroll">
          <TextField
            id={id("name")}
            label="Name"
            value={values.name}
            onChange={(v) => update("name", v)}
            error={errors.name}
            hint={`A unique label, up to ${NAME_MAX} characters; it starts the backups' file names.`}
            inputRef={refs.name}
            placeholder="e.g. Shop nightly"
            readOnly={saving}
            testId="job-name"
          />

          <FormSection id={id("what")} title="What">
            {sources.length === 0 ? (
              <p className="field__hint" data-testid="job-no-sources">
                No sources yet: add one under Sources first.
              </p>
            ) : (
              <SelectField
                id={id("source")}
                label="Source"
                value={values.sourceId}
                options={sourceOptions}
                onChange={(v) => update("sourceId", v)}
                error={errors.sourceId}
                disabled={saving}
                selectRef={refs.sourceId}
                testId="job-source"
              />
            )}
          </FormSection>

          <FormSection id={id("where")} title="Where, and how many to keep">
            <TargetFields
              destinations={destinations}
              values={values}
              error={errors.targets}
              retentionErrors={errors.retention ?? {}}
              onChange={(destinationIds, retention) => setAll({ ...values, destinationIds, retention })}
              busy={saving}
              id={id}
              firstRef={refs.targets}
            />
          </FormSection>

          <FormSection id={id("when")} title="When">
            <ScheduleFields values={values} error={errors.schedule} onChange={update} busy={saving} id={id} />
          </FormSection>

          <FormSection id={id("how")} title="Compression and encryption">
            <div className="field-row">
              <SelectField
                id={id("compression")}
                label="Compression"
                value={values.compression}
                options={[
                  { value: "zstd", label: "zstd (recommended)" },
                  { value: "none", label: "None (for data that is already compressed)" },
                ]}
                onChange={(v) => update("compression", v)}
                disabled={saving}
                testId="job-compression"
              />
              {values.compression === "zstd" && (
                <TextField
                  id={id("level")}
                  label="Level"
                  value={values.level}
                  onChange={(v) => update("level", v)}
                  error={errors.level}
                  hint="1 is fastest, 19 smallest; 3 suits most databases."
                  mono
                  readOnly={saving}
                  testId="job-level"
                />
              )}
            </div>
            <EncryptionFields
              profiles={keys}
              value={values.keyProfileId}
              error={errors.keyProfileId}
              onChange={(v) => update("keyProfileId", v)}
              onCreated={(p) => {
                setKeys((k) => [...k, p]);
                update("keyProfileId", p.id);
                setKitFor(p);
              }}
              onExport={setKitFor}
              busy={saving}
              id={id}
            />
          </FormSection>

          <FormSection id={id("notify")} title="Notifications">
            <Toggle
              id={id("notify-failure")}
              label="Notify me when a backup fails"
              checked={values.notifyOnFailure}
              onChange={(v) => update("notifyOnFailure", v)}
              hint="Once per failure streak: a job failing every hour notifies once until it succeeds again."
              disabled={saving}
              testId="job-notify-failure"
            />
            <Toggle
              id={id("notify-success")}
              label="Notify me when a backup succeeds"
              checked={values.notifyOnSuccess}
              onChange={(v) => update("notifyOnSuccess", v)}
              disabled={saving}
              testId="job-notify-success"
            />
          </FormSection>
        </div>

        <div className="form__footer">
          <FormError error={formError} />
          <div className="dialog__actions">
            <button type="button" className="button" onClick={onClose} disabled={saving}>
              Cancel
            </button>
            <button type="submit" className="button button--primary" disabled={saving} data-testid="save-job">
              {saving && <LoaderCircle size={14} className="spin" aria-hidden />}
              {job ? (saving ? "Saving…" : "Save job") : saving ? "Creating…" : "Create job"}
            </button>
          </div>
        </div>
      </form>
      {kitFor && (
        <RecoveryKitDialog
          profile={kitFor}
          onClose={(saved) => {
            if (saved) setKeys((k) => k.map((p) => (p.id === kitFor.id ? { ...p, exported: true } : p)));
            setKitFor(null);
          }}
        />
      )}
    </>
  );
}
