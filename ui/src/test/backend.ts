import { vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import type {
  AddedDestination,
  AppOverview,
  BackupView,
  DestinationView,
  IpcError,
  JobView,
  RunView,
  RunningJob,
  NewLocalDestination,
  NewS3Destination,
} from "../bindings";

/**
 * A stand-in for the Rust side behind `invoke`. Test files must call
 * `vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }))` first.
 */
export type FakeBackend = {
  destinations: DestinationView[];
  jobs: JobView[];
  runs: RunView[];
  running: RunningJob[];
  backups: BackupView[];
  allPaused: boolean;
  /** Commands listed here reject with this error instead of running. */
  failNext: Partial<Record<string, IpcError | Error>>;
  calls: { cmd: string; args: unknown }[];
};

export function overviewWith(destinations: DestinationView[]): AppOverview {
  return {
    version: "0.3.1",
    dataDir: "/home/ada/.local/share/dbackup",
    logDir: "/home/ada/.local/state/dbackup/logs",
    databasePath: "/home/ada/.local/share/dbackup/dbackup.sqlite3",
    destinations,
  };
}

export function destination(overrides: Partial<DestinationView> = {}): DestinationView {
  return {
    id: "7b0c5f6e-0000-4000-8000-000000000001",
    name: "Office NAS",
    kind: "local",
    location: "/mnt/nas/backups",
    createdAt: new Date(Date.now() - 3 * 24 * 3600 * 1000).toISOString(),
    ...overrides,
  };
}

export function installBackend(initial: DestinationView[] = []): FakeBackend {
  const backend: FakeBackend = {
    destinations: [...initial],
    jobs: [],
    runs: [],
    running: [],
    backups: [],
    allPaused: false,
    failNext: {},
    calls: [],
  };
  let seq = 100;
  vi.mocked(invoke).mockImplementation(async (cmd: string, args?: unknown) => {
    backend.calls.push({ cmd, args });
    const failure = backend.failNext[cmd];
    if (failure) {
      delete backend.failNext[cmd];
      throw failure;
    }
    switch (cmd) {
      case "app_overview":
        return overviewWith([...backend.destinations]);
      case "list_destinations":
        return [...backend.destinations];
      case "add_local_destination": {
        const { input } = args as { input: NewLocalDestination };
        const added = destination({
          id: `id-${++seq}`,
          name: input.name,
          location: input.path,
          createdAt: new Date().toISOString(),
        });
        backend.destinations.push(added);
        return added;
      }
      case "add_s3_destination": {
        // Like the engine: keys are trimmed, with a notice saying so.
        const { input } = args as { input: NewS3Destination };
        const notices: string[] = [];
        for (const field of ["accessKeyId", "secretAccessKey"] as const) {
          if (input[field].trim() !== input[field])
            notices.push(
              `removed spaces around the ${field}; pasted keys often carry them, and S3 then rejects the key`,
            );
        }
        const prefix = input.prefix
          .split("/")
          .filter(Boolean)
          .map((s) => `${s}/`)
          .join("");
        // The engine names the endpoint only for S3-compatible servers.
        const endpoint = input.provider === "custom" ? input.endpoint : null;
        const added = destination({
          id: `id-${++seq}`,
          name: input.name,
          kind: "s3",
          location: `s3://${input.bucket}/${prefix}${endpoint ? ` at ${endpoint}` : ""}`,
          createdAt: new Date().toISOString(),
        });
        backend.destinations.push(added);
        return { destination: added, notices } satisfies AddedDestination;
      }
      case "remove_destination": {
        const { id } = args as { id: string };
        backend.destinations = backend.destinations.filter((d) => d.id !== id);
        return null;
      }
      case "list_jobs":
        return [...backend.jobs];
      case "running_jobs":
        return [...backend.running];
      case "schedule_status":
        return { elsewhere: null, allPaused: backend.allPaused };
      case "set_all_paused":
        backend.allPaused = (args as { paused: boolean }).paused;
        return null;
      case "set_job_paused": {
        const { id, paused } = args as { id: string; paused: boolean };
        backend.jobs = backend.jobs.map((j) => (j.id === id ? { ...j, enabled: !paused } : j));
        return null;
      }
      case "run_job_now": {
        const { id } = args as { id: string };
        backend.jobs = backend.jobs.map((j) => (j.id === id ? { ...j, running: true } : j));
        return null;
      }
      case "list_runs":
        return { runs: [...backend.runs], next: null };
      case "list_backups":
        return [...backend.backups];
      case "set_backup_locked": {
        const { object, locked } = args as { object: string; locked: boolean };
        backend.backups = backend.backups.map((b) => (b.object === object ? { ...b, locked } : b));
        return null;
      }
      default:
        throw `command ${cmd} not found`;
    }
  });
  return backend;
}

export function callsOf(backend: FakeBackend, cmd: string) {
  return backend.calls.filter((c) => c.cmd === cmd);
}

export function job(overrides: Partial<JobView> = {}): JobView {
  return {
    id: "job-1",
    name: "orders",
    sourceId: "src-1",
    sourceName: "orders db",
    targets: [
      {
        destinationId: "7b0c5f6e-0000-4000-8000-000000000001",
        destinationName: "Office NAS",
        retention: { mode: "last", count: 7 },
        retentionSummary: "keep last 7",
      },
    ],
    schedule: { kind: "daily", hour: 2, minute: 30 },
    scheduleSummary: "daily at 02:30",
    nextRuns: [new Date(Date.now() + 3600 * 1000).toISOString()],
    catchUp: "once",
    compression: "zstd",
    level: 3,
    keyProfileId: "kp-1",
    keyProfileName: "laptop",
    notifyOnFailure: true,
    notifyOnSuccess: false,
    enabled: true,
    lastRun: null,
    running: false,
    ...overrides,
  };
}

export function run(overrides: Partial<RunView> = {}): RunView {
  return {
    id: "run-1",
    jobId: "job-1",
    jobName: "orders",
    trigger: "schedule",
    status: "success",
    startedAt: new Date(Date.now() - 600 * 1000).toISOString(),
    finishedAt: new Date(Date.now() - 590 * 1000).toISOString(),
    durationSeconds: 10,
    bytesIn: 10_000_000,
    bytesOut: 2_500_000,
    ratio: 4,
    outcome: { destinations: [], unitErrors: [] },
    error: null,
    ...overrides,
  };
}
