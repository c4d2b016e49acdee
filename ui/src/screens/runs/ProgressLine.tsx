import type { Progress } from "../../bindings";
import { byteSize, duration } from "../../lib/format";

/** Live progress of a running job: a bar when the size is known, bytes, rate and ETA. */
export function ProgressLine({
  progress,
  verb = "Backing up",
}: {
  progress: Progress;
  /** What the work is called while it transfers, e.g. "Verifying". */
  verb?: string;
}) {
  const percent =
    progress.total && progress.total > 0
      ? Math.min(100, Math.round((progress.bytesIn / progress.total) * 100))
      : null;
  const phase =
    progress.phase === "starting"
      ? "Starting"
      : progress.phase === "finishing"
        ? "Finishing"
        : progress.phase === "done"
          ? "Done"
          : verb;
  return (
    <div className="progress" data-testid="run-progress">
      <div
        className={`progress__bar${percent === null ? " progress__bar--busy" : ""}`}
        role="progressbar"
        aria-label={phase}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent ?? undefined}
      >
        <span style={{ width: `${percent ?? 100}%` }} />
      </div>
      <span className="progress__text">
        {phase}: {byteSize(progress.bytesIn)} read, {byteSize(progress.bytesOut)} stored
        {progress.rate > 0 && `, ${byteSize(progress.rate)}/s`}
        {progress.etaSeconds != null && `, about ${duration(progress.etaSeconds)} left`}
      </span>
    </div>
  );
}
