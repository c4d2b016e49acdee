import { useEffect, useState } from "react";
import { CalendarClock } from "lucide-react";
import { commands, type SchedulePreview } from "../../bindings";
import { FieldError, SelectField, TextField, Toggle } from "../../components/Form";
import { localTime } from "../../lib/format";
import { asFailure, call } from "../../lib/ipc";
import { SCHEDULE_KINDS, WEEKDAYS, scheduleOf, type JobFormValues } from "../../lib/jobs";

const DAYS = [
  ...Array.from({ length: 28 }, (_, i) => ({ value: String(i + 1), label: `Day ${i + 1}` })),
  { value: "0", label: "Last day of the month" },
];

/** Waits for typing to pause before asking the engine for the next run times. */
const PREVIEW_DELAY_MS = 250;

type Props = {
  values: JobFormValues;
  error: string | undefined;
  onChange: <K extends keyof JobFormValues>(key: K, value: JobFormValues[K]) => void;
  busy: boolean;
  id: (part: string) => string;
};

export function ScheduleFields({ values, error, onChange, busy, id }: Props) {
  const [preview, setPreview] = useState<SchedulePreview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const schedule = scheduleOf(values);
  const key = typeof schedule === "string" ? null : JSON.stringify(schedule);

  useEffect(() => {
    if (key === null || typeof schedule === "string") {
      setPreview(null);
      return;
    }
    let live = true;
    const timer = window.setTimeout(() => {
      call(() => commands.previewSchedule(schedule)).then(
        (p) => {
          if (!live) return;
          setPreview(p);
          setPreviewError(null);
        },
        (e) => {
          if (!live) return;
          setPreview(null);
          setPreviewError(asFailure(e).message);
        },
      );
    }, PREVIEW_DELAY_MS);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
    // `key` stands for the schedule's content.
  }, [key]);

  const kind = values.scheduleKind;
  const shownError = error ?? previewError ?? undefined;
  return (
    <>
      <div className="field-row">
        <SelectField
          id={id("schedule-kind")}
          label="Runs"
          value={kind}
          options={SCHEDULE_KINDS}
          onChange={(v) => onChange("scheduleKind", v)}
          disabled={busy}
          testId="job-schedule-kind"
        />
        {kind === "hourly" && (
          <TextField
            id={id("minute")}
            label="Minutes past the hour"
            value={values.minute}
            onChange={(v) => onChange("minute", v)}
            mono
            readOnly={busy}
            testId="job-minute"
          />
        )}
        {kind === "cron" && (
          <TextField
            id={id("cron")}
            label="Cron expression"
            value={values.cron}
            onChange={(v) => onChange("cron", v)}
            hint="minute hour day-of-month month day-of-week"
            mono
            readOnly={busy}
            testId="job-cron"
          />
        )}
        {(kind === "daily" || kind === "weekly" || kind === "monthly") && (
          <div className="field">
            <label className="field__label" htmlFor={id("time")}>
              At
            </label>
            <input
              id={id("time")}
              type="time"
              className="input input--mono"
              value={values.time}
              onChange={(e) => onChange("time", e.target.value)}
              readOnly={busy}
              data-testid="job-time"
            />
          </div>
        )}
      </div>
      {kind === "weekly" && (
        <SelectField
          id={id("weekday")}
          label="On"
          value={values.weekday}
          options={WEEKDAYS}
          onChange={(v) => onChange("weekday", v)}
          disabled={busy}
          testId="job-weekday"
        />
      )}
      {kind === "monthly" && (
        <SelectField
          id={id("day")}
          label="On"
          value={values.day}
          options={DAYS}
          onChange={(v) => onChange("day", v)}
          disabled={busy}
          testId="job-day"
        />
      )}
      <FieldError id={id("schedule-error")} message={shownError} />
      {kind !== "manual" && preview && !shownError && (
        <div className="schedule-preview" data-testid="schedule-preview" aria-live="polite">
          <CalendarClock size={14} aria-hidden />
          <div>
            <p>{preview.summary.charAt(0).toUpperCase() + preview.summary.slice(1)}. Next runs:</p>
            <ul>
              {preview.nextRuns.slice(0, 3).map((t) => (
                <li key={t}>
                  <time dateTime={t}>{localTime(t)}</time>
                </li>
              ))}
            </ul>
          </div>
        </div>
      )}
      {kind !== "manual" && (
        <Toggle
          id={id("catch-up")}
          label="Catch up on missed runs"
          checked={values.catchUp}
          onChange={(v) => onChange("catchUp", v)}
          hint="When the computer was off or asleep at a scheduled time, run once when DBackup starts."
          disabled={busy}
          testId="job-catch-up"
        />
      )}
    </>
  );
}
