import { useState } from "react";
import { History, Square } from "lucide-react";
import { commands, type RunView, type RunningJob } from "../../bindings";
import { Loading } from "../../components/Loading";
import { EmptyState } from "../../components/EmptyState";
import { ErrorPanel } from "../../components/ErrorPanel";
import { PageHeader } from "../../components/PageHeader";
import { byteSize, duration, localTime, relativeTime } from "../../lib/format";
import { asFailure, call, type IpcFailure } from "../../lib/ipc";
import { useLoad } from "../../lib/useLoad";
import { ProgressLine } from "./ProgressLine";
import { StatusBadge } from "./StatusBadge";

const PAGE = 50;
/** How often the history refreshes while the screen is open: runs start and end on their own. */
const REFRESH_MS = 2000;

const TRIGGER: Record<string, string> = {
  schedule: "Schedule",
  manual: "Run now",
  catch_up: "Catch-up",
  cli: "Command line",
};

type Page = { runs: RunView[]; next: string | null; running: RunningJob[] };

async function firstPage(): Promise<Page> {
  const [history, running] = await Promise.all([
    call(() => commands.listRuns(null, null, PAGE)),
    call(() => commands.runningJobs()),
  ]);
  return { runs: history.runs, next: history.next, running };
}

export function RunsScreen({ highlightRunId = null }: { highlightRunId?: string | null } = {}) {
  const loaded = useLoad(firstPage, REFRESH_MS);
  const [older, setOlder] = useState<{ runs: RunView[]; next: string | null } | null>(null);
  const [actionError, setActionError] = useState<IpcFailure | null>(null);
  const data = loaded.data;

  async function loadMore() {
    const before = older?.next ?? data?.next;
    if (!before) return;
    try {
      const page = await call(() => commands.listRuns(null, before, PAGE));
      setOlder((o) => ({ runs: [...(o?.runs ?? []), ...page.runs], next: page.next }));
    } catch (e) {
      setActionError(asFailure(e));
    }
  }

  async function cancel(jobId: string) {
    try {
      await call(() => commands.cancelJob(jobId));
      await loaded.reload();
    } catch (e) {
      setActionError(asFailure(e));
    }
  }

  let content: React.ReactNode;
  if (!data && loaded.loading) {
    content = (
      <Loading>Loading the history…</Loading>
    );
  } else if (!data && loaded.error) {
    content = (
      <ErrorPanel
        title="The history could not be loaded"
        error={loaded.error}
        onRetry={() => void loaded.reload()}
      />
    );
  } else if (data && data.runs.length === 0) {
    content = (
      <EmptyState icon={History} title="No runs yet" testId="empty-runs">
        Each time a job runs, its outcome, duration and size are recorded here.
      </EmptyState>
    );
  } else if (data) {
    const progress = new Map(data.running.map((r) => [r.jobId, r.progress]));
    const runs = [...data.runs, ...(older?.runs ?? [])];
    const next = older ? older.next : data.next;
    content = (
      <>
        {actionError && (
          <p className="form-error" role="alert">
            {actionError.message}
          </p>
        )}
        <div className="table-card">
          <table className="table" data-testid="runs-table">
            <thead>
              <tr>
                <th scope="col" className="runs-col-started">
                  Started
                </th>
                <th scope="col">Job</th>
                <th scope="col" className="runs-col-trigger">
                  Started by
                </th>
                <th scope="col" className="runs-col-status">
                  Status
                </th>
                <th scope="col" className="runs-col-took">
                  Took
                </th>
                <th scope="col" className="runs-col-stored">
                  Stored
                </th>
                <th scope="col" className="col-actions">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => {
                const live = run.status === "running" && run.jobId ? progress.get(run.jobId) : undefined;
                return (
                  <tr
                    key={run.id}
                    data-testid="run-row"
                    data-status={run.status}
                    data-run={run.id}
                    className={run.id === highlightRunId ? "row--new" : undefined}
                    aria-current={run.id === highlightRunId ? "true" : undefined}
                    ref={run.id === highlightRunId ? (el) => el?.scrollIntoView?.({ block: "nearest" }) : undefined}
                  >
                    <td>
                      <time dateTime={run.startedAt} title={localTime(run.startedAt)}>
                        {relativeTime(run.startedAt)}
                      </time>
                    </td>
                    <td>
                      <span className="cell-name">{run.jobName}</span>
                    </td>
                    <td>{TRIGGER[run.trigger] ?? run.trigger}</td>
                    <td className="col-status">
                      <StatusBadge status={run.status} />
                      {live && <ProgressLine progress={live} />}
                      {run.error && run.status !== "success" && (
                        <p className="cell-detail" title={run.error.message}>
                          {run.error.message}
                        </p>
                      )}
                    </td>
                    <td>{run.durationSeconds != null ? duration(run.durationSeconds) : "–"}</td>
                    <td>
                      {run.bytesOut > 0 ? byteSize(run.bytesOut) : "–"}
                      {run.ratio != null && run.ratio > 0 && (
                        <span className="cell-muted"> ({run.ratio.toFixed(1)}×)</span>
                      )}
                    </td>
                    <td className="col-actions">
                      {run.status === "running" && run.jobId && (
                        <button
                          type="button"
                          className="icon-button icon-button--danger"
                          aria-label={`Cancel ${run.jobName}`}
                          title="Cancel this run"
                          onClick={() => void cancel(run.jobId as string)}
                        >
                          <Square size={14} aria-hidden />
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {next && (
          <button type="button" className="button" onClick={() => void loadMore()}>
            Show older runs
          </button>
        )}
      </>
    );
  }

  return (
    <div className="page">
      <PageHeader title="Runs" subtitle="Backup history, newest first" />
      <div className="page__content page__content--stack">{content}</div>
    </div>
  );
}
