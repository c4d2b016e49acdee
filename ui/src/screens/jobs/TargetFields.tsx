import type { DestinationView } from "../../bindings";
import { FieldError } from "../../components/Form";
import {
  DEFAULT_RETENTION,
  GFS_TIERS,
  type JobFormValues,
  type RetentionForm,
  type RetentionMode,
} from "../../lib/jobs";

const MODES: { value: RetentionMode; label: string }[] = [
  { value: "gfs", label: "Keep hourly, daily, weekly, monthly and yearly backups" },
  { value: "last", label: "Keep the newest backups" },
  { value: "none", label: "Keep every backup" },
];

const TIER_LABEL = { hourly: "Hourly", daily: "Daily", weekly: "Weekly", monthly: "Monthly", yearly: "Yearly" };

type Props = {
  destinations: DestinationView[];
  values: JobFormValues;
  error: string | undefined;
  retentionErrors: Record<string, string>;
  onChange: (destinationIds: string[], retention: Record<string, RetentionForm>) => void;
  busy: boolean;
  id: (part: string) => string;
  firstRef: React.Ref<HTMLInputElement>;
};

/** The destinations a job writes to, each with its own retention. */
export function TargetFields({
  destinations,
  values,
  error,
  retentionErrors,
  onChange,
  busy,
  id,
  firstRef,
}: Props) {
  function toggle(destinationId: string, on: boolean) {
    const ids = on
      ? [...values.destinationIds, destinationId]
      : values.destinationIds.filter((d) => d !== destinationId);
    const retention = { ...values.retention };
    if (on && !retention[destinationId]) retention[destinationId] = { ...DEFAULT_RETENTION };
    onChange(ids, retention);
  }

  function setRetention(destinationId: string, next: Partial<RetentionForm>) {
    const current = values.retention[destinationId] ?? DEFAULT_RETENTION;
    onChange(values.destinationIds, { ...values.retention, [destinationId]: { ...current, ...next } });
  }

  if (destinations.length === 0) {
    return (
      <p className="field__hint" data-testid="job-no-destinations">
        No destinations yet: add one under Destinations first.
      </p>
    );
  }

  return (
    <div className="targets" role="group" aria-describedby={error ? id("targets-error") : undefined}>
      {destinations.map((d, i) => {
        const chosen = values.destinationIds.includes(d.id);
        const r = values.retention[d.id] ?? DEFAULT_RETENTION;
        const rError = retentionErrors[d.id];
        return (
          <div key={d.id} className={`target${chosen ? " target--chosen" : ""}`} data-testid="job-target" data-name={d.name}>
            <label className="check">
              <input
                ref={i === 0 ? firstRef : undefined}
                type="checkbox"
                checked={chosen}
                onChange={(e) => toggle(d.id, e.target.checked)}
                disabled={busy}
                data-testid="job-target-check"
              />
              <span className="cell-name">{d.name}</span>
              <span className="cell-muted truncate-end">{d.location}</span>
            </label>
            {chosen && (
              <div className="target__retention">
                <select
                  className="input select"
                  aria-label={`Retention on ${d.name}`}
                  value={r.mode}
                  onChange={(e) => setRetention(d.id, { mode: e.target.value as RetentionMode })}
                  disabled={busy}
                  data-testid="job-retention-mode"
                >
                  {MODES.map((m) => (
                    <option key={m.value} value={m.value}>
                      {m.label}
                    </option>
                  ))}
                </select>
                {r.mode === "last" && (
                  <label className="tier">
                    <span>Keep the last</span>
                    <input
                      className="input input--mono input--count"
                      inputMode="numeric"
                      value={r.count}
                      onChange={(e) => setRetention(d.id, { count: e.target.value })}
                      readOnly={busy}
                      aria-invalid={rError ? true : undefined}
                      data-testid="job-retention-count"
                    />
                  </label>
                )}
                {r.mode === "gfs" && (
                  <div className="tiers">
                    {GFS_TIERS.map((tier) => (
                      <label key={tier} className="tier">
                        <span>{TIER_LABEL[tier]}</span>
                        <input
                          className="input input--mono input--count"
                          inputMode="numeric"
                          value={r[tier]}
                          onChange={(e) => setRetention(d.id, { [tier]: e.target.value })}
                          readOnly={busy}
                          aria-invalid={rError ? true : undefined}
                          data-testid={`job-retention-${tier}`}
                        />
                      </label>
                    ))}
                  </div>
                )}
                <FieldError id={id(`retention-${d.id}`)} message={rError} />
              </div>
            )}
          </div>
        );
      })}
      <FieldError id={id("targets-error")} message={error} />
      <p className="field__hint">
        Locked backups are always kept. Retention runs after each successful backup; the preview on
        the Jobs screen shows what it would delete.
      </p>
    </div>
  );
}
