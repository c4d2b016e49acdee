import { useState } from "react";
import { CalendarClock, ListChecks, Pause, Pencil, Play, Plus, Square, Trash2 } from "lucide-react";
import { commands, type JobView, type RunningJob, type SchedulesView } from "../../bindings";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { Loading } from "../../components/Loading";
import { EmptyState } from "../../components/EmptyState";
import { ErrorPanel } from "../../components/ErrorPanel";
import { PageHeader } from "../../components/PageHeader";
import { localTime, relativeTime } from "../../lib/format";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";
import { useLoad } from "../../lib/useLoad";
import { ProgressLine } from "../runs/ProgressLine";
import { StatusBadge } from "../runs/StatusBadge";
import { JobDialog } from "./JobDialog";
import { RetentionPreviewDialog } from "./RetentionPreviewDialog";

/** Jobs start, finish and change schedules on their own: refresh while shown. */
const REFRESH_MS = 2000;

type State = { jobs: JobView[]; running: RunningJob[]; schedules: SchedulesView };

async function loadJobs(): Promise<State> {
  const [jobs, running, schedules] = await Promise.all([
    call(() => commands.listJobs()),
    call(() => commands.runningJobs()),
    call(() => commands.scheduleStatus()),
  ]);
  return { jobs, running, schedules };
}

export function JobsScreen() {
  const loaded = useLoad(loadJobs, REFRESH_MS);
  const [previewing, setPreviewing] = useState<JobView | null>(null);
  const [editing, setEditing] = useState<JobView | "new" | null>(null);
  const [removing, setRemoving] = useState<JobView | null>(null);
  const [deleteBackups, setDeleteBackups] = useState(false);
  const [removed, setRemoved] = useState<string | null>(null);
  const [actionError, setActionError] = useState<IpcFailure | null>(null);
  const data = loaded.data;

  async function act(action: () => Promise<unknown>) {
    setActionError(null);
    try {
      await action();
      await loaded.reload();
    } catch (e) {
      setActionError(asFailure(e));
    }
  }

  const allPaused = data?.schedules.allPaused ?? false;
  const newJob = (
    <button
      type="button"
      className="button button--primary"
      data-testid="new-job"
      onClick={() => setEditing("new")}
    >
      <Plus size={15} aria-hidden />
      New job
    </button>
  );
  const actions = data && data.jobs.length > 0 && (
    <>
      <button
        type="button"
        className="button"
        data-testid="pause-all"
        onClick={() => void act(() => call(() => commands.setAllPaused(!allPaused)))}
      >
        {allPaused ? <Play size={15} aria-hidden /> : <Pause size={15} aria-hidden />}
        {allPaused ? "Resume all schedules" : "Pause all schedules"}
      </button>
      {newJob}
    </>
  );

  let content: React.ReactNode;
  if (!data && loaded.loading) {
    content = (
      <Loading>Loading jobs…</Loading>
    );
  } else if (!data && loaded.error) {
    content = (
      <ErrorPanel
        title="Jobs could not be loaded"
        error={loaded.error}
        onRetry={() => void loaded.reload()}
      />
    );
  } else if (data && data.jobs.length === 0) {
    content = (
      <EmptyState
        icon={CalendarClock}
        title="No jobs yet"
        testId="empty-jobs"
        action={newJob}
      >
        A job backs up one source to one or more destinations on a schedule, compressed and
        encrypted, and keeps the backups its retention asks for.
      </EmptyState>
    );
  } else if (data) {
    const progress = new Map(data.running.map((r) => [r.jobId, r.progress]));
    content = (
      <>
        {data.schedules.elsewhere && (
          <p className="banner" role="status" data-testid="schedules-elsewhere">
            Schedules are run by another DBackup: {data.schedules.elsewhere}
          </p>
        )}
        {allPaused && (
          <p className="banner" role="status" data-testid="schedules-paused">
            Every schedule is paused. Jobs run only when started by hand.
          </p>
        )}
        {actionError && (
          <p className="form-error" role="alert">
            {actionError.message}
          </p>
        )}
        <div className="table-card">
          <table className="table" data-testid="jobs-table">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col" className="jobs-col-schedule">
                  Schedule
                </th>
                <th scope="col" className="jobs-col-last">
                  Last run
                </th>
                <th scope="col" className="jobs-col-actions">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.jobs.map((job) => {
                const live = progress.get(job.id);
                const running = job.running || live !== undefined;
                const next = job.nextRuns[0];
                return (
                  <tr key={job.id} data-testid="job-row" data-name={job.name}>
                    <td>
                      <span className="cell-name">{job.name}</span>
                      <p className="cell-detail">
                        {job.sourceName}
                        {job.keyProfileName ? ` · encrypted with ${job.keyProfileName}` : " · NOT encrypted"}
                      </p>
                      {job.targets.map((t) => (
                        <p key={t.destinationId} className="cell-detail">
                          to {t.destinationName} <span className="cell-muted">({t.retentionSummary})</span>
                        </p>
                      ))}
                    </td>
                    <td>
                      {job.scheduleSummary}{" "}
                      {!job.enabled && <span className="badge badge--status badge--skipped">Paused</span>}
                      {job.schedule.kind === "cron" && (
                        <p className="cell-detail cell-mono">{job.schedule.expression}</p>
                      )}
                      {next && job.enabled && !allPaused && (
                        <p className="cell-detail">
                          next <time dateTime={next} title={localTime(next)}>{relativeTime(next)}</time>
                        </p>
                      )}
                    </td>
                    <td className="col-status">
                      {running ? (
                        <>
                          <StatusBadge status="running" />
                          {live && <ProgressLine progress={live} />}
                        </>
                      ) : job.lastRun ? (
                        <>
                          <StatusBadge status={job.lastRun.status} />{" "}
                          <time dateTime={job.lastRun.startedAt} title={localTime(job.lastRun.startedAt)}>
                            {relativeTime(job.lastRun.startedAt)}
                          </time>
                          {job.lastRun.error && job.lastRun.status !== "success" && (
                            <p className="cell-detail" title={job.lastRun.error.message}>
                              {job.lastRun.error.message}
                            </p>
                          )}
                        </>
                      ) : (
                        <span className="cell-muted">Never run</span>
                      )}
                    </td>
                    <td className="col-actions--wide">
                      {running ? (
                        <button
                          type="button"
                          className="button button--small"
                          onClick={() => void act(() => call(() => commands.cancelJob(job.id)))}
                        >
                          <Square size={13} aria-hidden />
                          Cancel
                        </button>
                      ) : (
                        <button
                          type="button"
                          className="button button--small button--primary"
                          data-testid="run-now"
                          onClick={() => void act(() => call(() => commands.runJobNow(job.id)))}
                        >
                          <Play size={13} aria-hidden />
                          Run now
                        </button>
                      )}
                      <button
                        type="button"
                        className="button button--small"
                        data-testid="toggle-pause"
                        onClick={() =>
                          void act(() => call(() => commands.setJobPaused(job.id, job.enabled)))
                        }
                      >
                        {job.enabled ? "Pause" : "Resume"}
                      </button>
                      <button
                        type="button"
                        className="icon-button"
                        aria-label={`Retention preview of ${job.name}`}
                        title="What retention keeps and deletes"
                        data-testid="retention-preview-button"
                        onClick={() => setPreviewing(job)}
                      >
                        <ListChecks size={15} aria-hidden />
                      </button>
                      <button
                        type="button"
                        className="icon-button"
                        aria-label={`Edit ${job.name}`}
                        title="Edit job"
                        data-testid="edit-job"
                        onClick={() => setEditing(job)}
                      >
                        <Pencil size={15} aria-hidden />
                      </button>
                      <button
                        type="button"
                        className="icon-button icon-button--danger"
                        aria-label={`Delete ${job.name}`}
                        title="Delete job"
                        data-testid="delete-job"
                        disabled={running}
                        onClick={() => setRemoving(job)}
                      >
                        <Trash2 size={15} aria-hidden />
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </>
    );
  }

  return (
    <div className="page">
      <PageHeader title="Jobs" subtitle="Scheduled backups" actions={actions} />
      <div className="page__content page__content--stack">
        {removed && (
          <p className="banner" role="status" data-testid="job-removed">
            {removed}
          </p>
        )}
        {content}
      </div>
      {previewing && (
        <RetentionPreviewDialog job={previewing} onClose={() => setPreviewing(null)} />
      )}
      {editing && (
        <JobDialog
          job={editing === "new" ? undefined : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void loaded.reload();
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={`Delete “${removing.name}”?`}
          description="The job and its schedule are deleted. What happens to the backups it stored?"
          confirmLabel={deleteBackups ? "Delete job and backups" : "Delete job"}
          busyLabel="Deleting…"
          action={async () => {
            const name = removing.name;
            const report = await call(() => commands.removeJob(removing.id, deleteBackups));
            const kept = report.keptLocked.length;
            setRemoved(
              deleteBackups
                ? `Deleted “${name}” and ${report.deletedBackups} backup(s)` +
                    (kept > 0 ? `; ${kept} locked backup(s) kept.` : ".")
                : `Deleted “${name}”; its backups are kept in the Storage Explorer.`,
            );
          }}
          onClose={() => {
            setRemoving(null);
            setDeleteBackups(false);
          }}
          onDone={() => {
            setRemoving(null);
            setDeleteBackups(false);
            void loaded.reload();
          }}
          testId="delete-job-dialog"
        >
          <fieldset className="choice-group">
            <legend className="visually-hidden">Its backups</legend>
            <label className="check">
              <input
                type="radio"
                name="job-backups"
                checked={!deleteBackups}
                onChange={() => setDeleteBackups(false)}
                data-testid="keep-job-backups"
              />
              <span>
                Keep them <span className="cell-muted">(restore or delete them later in the Storage Explorer)</span>
              </span>
            </label>
            <label className="check">
              <input
                type="radio"
                name="job-backups"
                checked={deleteBackups}
                onChange={() => setDeleteBackups(true)}
                data-testid="delete-job-backups"
              />
              <span>
                Delete them too <span className="cell-muted">(locked backups are kept)</span>
              </span>
            </label>
          </fieldset>
        </ConfirmDialog>
      )}
    </div>
  );
}
