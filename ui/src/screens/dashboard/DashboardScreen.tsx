import { useMemo } from "react";
import { CalendarClock, CircleAlert, HardDrive, Play } from "lucide-react";
import {
  commands,
  type BackupView,
  type DestinationView,
  type JobView,
  type RunningJob,
  type StatusSummary,
} from "../../bindings";
import { EmptyState } from "../../components/EmptyState";
import { ErrorPanel } from "../../components/ErrorPanel";
import { Loading } from "../../components/Loading";
import { PageHeader } from "../../components/PageHeader";
import { byteSize, localTime, relativeTime } from "../../lib/format";
import { call } from "../../lib/ipc";
import { useLoad } from "../../lib/useLoad";
import { ProgressLine } from "../runs/ProgressLine";
import { StatusBadge } from "../runs/StatusBadge";
import { StorageChart, type StorageSeries } from "./StorageChart";

const REFRESH_MS = 3000;

type Data = {
  status: StatusSummary;
  jobs: JobView[];
  running: RunningJob[];
  destinations: DestinationView[];
  backups: BackupView[];
};

async function load(): Promise<Data> {
  const [status, jobs, running, destinations, backups] = await Promise.all([
    call(() => commands.statusSummary()),
    call(() => commands.listJobs()),
    call(() => commands.runningJobs()),
    call(() => commands.listDestinations()),
    call(() => commands.listBackups(null)),
  ]);
  return { status, jobs, running, destinations, backups };
}

function storageOf(destinations: DestinationView[], backups: BackupView[]) {
  return destinations.map((d) => {
    const kept = backups
      .filter((b) => b.destinationId === d.id)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    let total = 0;
    const points = kept.map((b) => {
      total += b.storedSize;
      return { at: Date.parse(b.createdAt) / 1000, bytes: total };
    });
    return { destination: d, count: kept.length, bytes: total, newest: kept.at(-1)?.createdAt ?? null, points };
  });
}

const NEEDS_ATTENTION = new Set(["failed", "partial", "interrupted"]);

export function DashboardScreen({ onOpen }: { onOpen: (section: "jobs" | "destinations" | "sources") => void }) {
  const loaded = useLoad(load, REFRESH_MS);
  const data = loaded.data;
  const storage = useMemo(() => (data ? storageOf(data.destinations, data.backups) : []), [data]);
  const series: StorageSeries[] = useMemo(
    () => storage.filter((s) => s.points.length > 0).map((s) => ({ name: s.destination.name, points: s.points })),
    [storage],
  );

  let content: React.ReactNode;
  if (!data && loaded.loading) content = <Loading>Loading…</Loading>;
  else if (!data && loaded.error)
    content = <ErrorPanel title="The dashboard could not be loaded" error={loaded.error} onRetry={() => void loaded.reload()} />;
  else if (data && data.jobs.length === 0) {
    const next = data.destinations.length === 0 ? "destinations" : "jobs";
    content = (
      <EmptyState
        icon={CalendarClock}
        title="Set up your first backup"
        testId="empty-dashboard"
        action={
          <button type="button" className="button button--primary" onClick={() => onOpen(next)}>
            {next === "destinations" ? "Add a destination" : "Create a job"}
          </button>
        }
      >
        Three steps: a destination (where backups go), a source (what to back up), and a job
        (when, how often, and how many to keep).
      </EmptyState>
    );
  } else if (data) {
    const progress = new Map(data.running.map((r) => [r.jobId, r.progress]));
    const attention = data.jobs.filter((j) => j.lastRun && NEEDS_ATTENTION.has(j.lastRun.status));
    const upcoming = data.jobs
      .filter((j) => j.enabled && j.nextRuns.length > 0)
      .sort((a, b) => a.nextRuns[0]!.localeCompare(b.nextRuns[0]!))
      .slice(0, 5);
    const run = (id: string) => void call(() => commands.runJobNow(id)).then(() => loaded.reload(), () => loaded.reload());
    content = (
      <>
        <p className={`status-line status-line--${data.status.state}`} role="status" data-testid="dashboard-status">
          {data.status.line}
        </p>
        {attention.length > 0 && (
          <section className="card card--attention" aria-labelledby="attention-title" data-testid="attention">
            <h2 className="card__title" id="attention-title">
              <CircleAlert size={15} aria-hidden /> Needs attention
            </h2>
            <ul className="plain-list">
              {attention.map((j) => (
                <li key={j.id}>
                  <span className="cell-name">{j.name}</span> <StatusBadge status={j.lastRun!.status} />{" "}
                  <span className="cell-muted">{j.lastRun!.error?.message}</span>
                </li>
              ))}
            </ul>
          </section>
        )}
        <div className="dashboard-jobs" data-testid="dashboard-jobs">
          {data.jobs.map((j) => {
            const live = progress.get(j.id);
            const running = j.running || live !== undefined;
            return (
              <section key={j.id} className="card job-card" data-testid="job-card" data-name={j.name}>
                <div className="job-card__head">
                  <h2 className="card__title">{j.name}</h2>
                  <button
                    type="button"
                    className="button button--primary"
                    onClick={() => run(j.id)}
                    disabled={running}
                    data-testid="dashboard-run-now"
                  >
                    <Play size={14} aria-hidden /> Run now
                  </button>
                </div>
                <p className="cell-detail">
                  {j.sourceName} → {j.targets.map((t) => t.destinationName).join(", ")}
                </p>
                {running ? (
                  <>
                    <StatusBadge status="running" />
                    {live && <ProgressLine progress={live} />}
                  </>
                ) : j.lastRun ? (
                  <p>
                    <StatusBadge status={j.lastRun.status} />{" "}
                    <time dateTime={j.lastRun.startedAt} title={localTime(j.lastRun.startedAt)}>
                      {relativeTime(j.lastRun.startedAt)}
                    </time>
                  </p>
                ) : (
                  <p className="cell-muted">Never run</p>
                )}
                <p className="cell-detail">
                  {j.enabled && j.nextRuns[0] ? (
                    <>Next <time dateTime={j.nextRuns[0]}>{localTime(j.nextRuns[0])}</time></>
                  ) : j.enabled ? (
                    "Runs when started by hand"
                  ) : (
                    "Paused"
                  )}
                </p>
              </section>
            );
          })}
        </div>
        <section className="card" aria-labelledby="storage-title" data-testid="storage">
          <h2 className="card__title" id="storage-title">
            <HardDrive size={15} aria-hidden /> Storage
          </h2>
          <table className="table table--plain">
            <thead>
              <tr>
                <th scope="col">Destination</th>
                <th scope="col">Backups</th>
                <th scope="col">Stored</th>
                <th scope="col">Newest</th>
              </tr>
            </thead>
            <tbody>
              {storage.map((s) => (
                <tr key={s.destination.id} data-testid="storage-row" data-name={s.destination.name}>
                  <td className="cell-name">{s.destination.name}</td>
                  <td>{s.count}</td>
                  <td>{byteSize(s.bytes)}</td>
                  <td>{s.newest ? relativeTime(s.newest) : <span className="cell-muted">none yet</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {series.length > 0 && <StorageChart series={series} />}
        </section>
        {upcoming.length > 0 && (
          <section className="card" aria-labelledby="next-title">
            <h2 className="card__title" id="next-title">
              <CalendarClock size={15} aria-hidden /> Next runs
            </h2>
            <ul className="plain-list">
              {upcoming.map((j) => (
                <li key={j.id}>
                  <time dateTime={j.nextRuns[0]}>{localTime(j.nextRuns[0]!)}</time> · {j.name}
                </li>
              ))}
            </ul>
          </section>
        )}
      </>
    );
  }

  return (
    <div className="page">
      <PageHeader title="Dashboard" subtitle="Your backups at a glance" />
      <div className="page__content page__content--stack">{content}</div>
    </div>
  );
}
