import { vi } from "vitest";
import { invoke } from "@tauri-apps/api/core";
import type {
  AddedDestination,
  AppOverview,
  AppSettings,
  JobInput,
  KeyProfileView,
  OperationView,
  OtherFile,
  DestinationSettings,
  ProbeReport,
  RestoreTier,
  Schedule,
  ServerInfo,
  SourceForm,
  SourceInput,
  ImportReport,
  SourceView,
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
  otherFiles: OtherFile[];
  /** What `destination_settings` answers, by destination id. */
  settingsOf: Record<string, DestinationSettings>;
  sources: SourceView[];
  /** What `source_form` answers, by source id. */
  sourceForms: Record<string, SourceForm>;
  /** What `import_config` answers; `applied` follows the call. */
  importReport: ImportReport;
  keys: KeyProfileView[];
  operations: OperationView[];
  settings: AppSettings;
  /** What "Test connection" on a source answers. */
  serverInfo: ServerInfo;
  /** What "Test connection" on a destination answers. */
  probe: ProbeReport;
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
    secretMissing: false,
    ...overrides,
  };
}

export function storedBackup(overrides: Partial<BackupView> = {}): BackupView {
  return {
    destinationId: "d1",
    object: "orders/a.dbk",
    jobId: "job-1",
    jobName: "orders",
    createdAt: new Date().toISOString(),
    storedSize: 1234,
    locked: false,
    objectLockUntil: null,
    objectLockMode: null,
    trigger: "manual",
    database: "shop",
    storageClass: "STANDARD",
    glacier: null,
    sourceKind: "postgres",
    engine: "PostgreSQL 15.18",
    plainSize: 5184,
    encryption: "key",
    check: null,
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
    otherFiles: [],
    settingsOf: {},
    sources: [],
    sourceForms: {},
    importReport: { applied: false, items: [] },
    keys: [],
    operations: [],
    settings: {
      theme: "system",
      closeToTray: true,
      startAtLogin: false,
      notifySuccessByDefault: false,
      notifyRetention: false,
      historyDays: 365,
    },
    serverInfo: {
      engine: "PostgreSQL",
      version: "15.18",
      databases: ["shop"],
      dumpTool: "pg_dump (PostgreSQL) 15.18",
      warnings: [],
    },
    probe: {
      actions: ["s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:DeleteObject"].map((action) => ({
        action,
        outcome: "ok",
        detail: null,
      })),
      bucketRegion: "eu-west-1",
      regionMismatch: null,
      versioning: "Enabled",
      mfaDelete: "Disabled",
      defaultEncryption: "AES256",
      publicAccessBlocked: true,
      warnings: [],
      staleUploadsAborted: 0,
      iamPolicy: '{"Version": "2012-10-17"}',
      answered: true,
    },
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
      case "destination_settings": {
        const { id } = args as { id: string };
        const found = backend.settingsOf[id];
        if (!found) throw { code: "not_found", message: `no destination ${id}`, field: null };
        return found;
      }
      case "update_s3_destination":
      case "update_local_destination": {
        const { id, input } = args as { id: string; input: { name: string } };
        backend.destinations = backend.destinations.map((d) =>
          d.id === id ? { ...d, name: input.name } : d,
        );
        const saved = backend.destinations.find((d) => d.id === id)!;
        return cmd === "update_s3_destination" ? { destination: saved, notices: [] } : saved;
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
      case "list_backups": {
        const { destinationId } = (args ?? {}) as { destinationId?: string | null };
        return backend.backups.filter((b) => !destinationId || b.destinationId === destinationId);
      }
      case "status_summary": {
        const failing = backend.jobs.find((j) => j.lastRun && ["failed", "partial", "interrupted"].includes(j.lastRun.status));
        return failing
          ? { state: "attention", line: `Last backup of ${failing.name} failed` }
          : { state: "idle", line: backend.jobs.length ? "Up to date" : "No jobs yet" };
      }
      case "set_backup_locked": {
        const { object, locked } = args as { object: string; locked: boolean };
        backend.backups = backend.backups.map((b) => (b.object === object ? { ...b, locked } : b));
        return null;
      }
      case "test_destination":
        return structuredClone(backend.probe);
      case "list_sources":
        return [...backend.sources];
      case "add_source": {
        const { input } = args as { input: SourceInput };
        if (backend.sources.some((x) => x.name === input.name))
          throw { code: "conflict", message: `a source named "${input.name}" already exists`, field: "name" };
        const added: SourceView = {
          id: `src-${++seq}`,
          name: input.name,
          kind: input.settings.kind,
          location:
            "host" in input.settings
              ? `${input.settings.kind}://${input.settings.user}@${input.settings.host}:${input.settings.port}`
              : input.settings.path,
          createdAt: new Date().toISOString(),
        };
        backend.sources.push(added);
        return added;
      }
      case "test_new_source":
      case "test_source":
        return { ...backend.serverInfo };
      case "source_form": {
        const { id } = args as { id: string };
        const found = backend.sourceForms[id];
        if (!found) throw { code: "not_found", message: `no source ${id}`, field: null };
        return found;
      }
      case "update_source": {
        const { id, input } = args as { id: string; input: SourceInput };
        backend.sources = backend.sources.map((x) => (x.id === id ? { ...x, name: input.name } : x));
        return backend.sources.find((x) => x.id === id)!;
      }
      case "test_source_change":
        return { ...backend.serverInfo };
      case "export_config": {
        const { path } = args as { path: string | null };
        return path ?? "/home/ada/DBackup configuration 2026-12-04.json";
      }
      case "import_config": {
        const { apply } = args as { apply: boolean };
        return { ...backend.importReport, applied: apply };
      }
      case "remove_source": {
        const { id } = args as { id: string };
        backend.sources = backend.sources.filter((x) => x.id !== id);
        return null;
      }
      case "list_key_profiles":
        return [...backend.keys];
      case "create_key_profile": {
        const { name } = args as { name: string };
        const key: KeyProfileView = {
          id: `kp-${++seq}`,
          name,
          keyId: "a1b2c3d4",
          createdAt: new Date().toISOString(),
          exported: false,
        };
        backend.keys.push(key);
        return key;
      }
      case "import_key_profile": {
        const { name } = args as { name: string; path: string };
        const key: KeyProfileView = { id: `kp-${++seq}`, name, keyId: "feedf00d", createdAt: new Date().toISOString(), exported: true };
        backend.keys.push(key);
        return key;
      }
      case "export_recovery_kit": {
        const { id, path } = args as { id: string; path: string | null };
        backend.keys = backend.keys.map((k) => (k.id === id ? { ...k, exported: true } : k));
        return path ?? "/home/ada/DBackup recovery kit.txt";
      }
      case "preview_schedule": {
        const { schedule } = args as { schedule: Schedule };
        if (schedule.kind === "cron" && schedule.expression.split(/\s+/).length !== 5)
          throw { code: "invalid_input", message: "not a cron expression; use five fields", field: "schedule" };
        return { summary: `${schedule.kind} schedule`, nextRuns: [new Date(Date.now() + 3600e3).toISOString()] };
      }
      case "create_job":
      case "update_job": {
        const { input, id } = args as { input: JobInput; id?: string };
        const saved = job({
          id: id ?? `job-${++seq}`,
          name: input.name,
          sourceId: input.sourceId,
          schedule: input.schedule,
          keyProfileId: input.keyProfileId,
        });
        backend.jobs = [...backend.jobs.filter((j) => j.id !== saved.id), saved];
        return saved;
      }
      case "remove_job": {
        const { id, deleteBackups } = args as { id: string; deleteBackups: boolean };
        backend.jobs = backend.jobs.filter((j) => j.id !== id);
        const of = backend.backups.filter((b) => b.jobId === id);
        const kept = of.filter((b) => b.locked).map((b) => b.object);
        if (deleteBackups) backend.backups = backend.backups.filter((b) => b.jobId !== id || b.locked);
        return { deletedBackups: deleteBackups ? of.length - kept.length : 0, keptLocked: deleteBackups ? kept : [] };
      }
      case "get_settings":
        return { ...backend.settings };
      case "save_settings": {
        backend.settings = { ...(args as { settings: AppSettings }).settings };
        return { ...backend.settings };
      }
      case "list_operations":
        return [...backend.operations];
      case "start_verify":
      case "start_download":
      case "start_restore": {
        const { destinationId, object } = args as { destinationId: string; object: string };
        const op: OperationView = {
          id: `op-${++seq}`,
          kind: cmd === "start_verify" ? "verify" : cmd === "start_download" ? "download" : "restore",
          destinationId,
          object,
          state: "running",
          progress: { phase: "transferring", bytesIn: 1000, bytesOut: 1000, total: null, rate: 0, etaSeconds: null },
          summary: null,
          warnings: [],
          error: null,
        };
        backend.operations.push(op);
        return op.id;
      }
      case "cancel_operation":
      case "dismiss_operation": {
        const { id } = args as { id: string };
        backend.operations = backend.operations.filter((o) => o.id !== id);
        return null;
      }
      case "delete_backup": {
        const { object } = args as { object: string };
        backend.backups = backend.backups.filter((b) => b.object !== object);
        return null;
      }
      case "list_other_files":
        return [...backend.otherFiles];
      case "request_glacier_restore": {
        const { object, tier, days } = args as { object: string; tier: RestoreTier; days: number };
        if (days > 365) throw { code: "invalid_input", message: "keep the restored copy for 1 to 365 days", field: "days" };
        backend.backups = backend.backups.map((b) =>
          b.object === object
            ? { ...b, glacier: { state: "restoring", tier, requestedAt: new Date().toISOString(), readyUntil: null } }
            : b,
        );
        return {
          object,
          storageClass: "GLACIER",
          state: "restoring",
          requested: "started",
          readyUntil: null,
          summary: `asked S3 to restore ${object} from GLACIER`,
        };
      }
      case "check_glacier_restores": {
        const ready = backend.backups.filter((b) => b.glacier?.state === "restoring");
        backend.backups = backend.backups.map((b) =>
          b.glacier?.state === "restoring"
            ? { ...b, glacier: { ...b.glacier, state: "restored", readyUntil: "2026-12-09T00:00:00Z" } }
            : b,
        );
        return {
          ready: ready.map((b) => ({
            destinationId: b.destinationId,
            destination: "NAS",
            object: b.object,
            jobName: b.jobName,
            readyUntil: "2026-12-09T00:00:00Z",
          })),
          errors: [],
        };
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
