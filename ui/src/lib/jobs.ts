import type {
  CompressionChoice,
  JobInput,
  JobView,
  Retention,
  Schedule,
  Weekday,
} from "../bindings";
import { validateName } from "./validation";

export type RetentionMode = Retention["mode"];
export type ScheduleKind = Schedule["kind"];

export const GFS_TIERS = ["hourly", "daily", "weekly", "monthly", "yearly"] as const;
export type GfsTier = (typeof GFS_TIERS)[number];

export type RetentionForm = { mode: RetentionMode; count: string } & Record<GfsTier, string>;

export type JobFormValues = {
  name: string;
  sourceId: string;
  /** Chosen destinations, in the order they were ticked. */
  destinationIds: string[];
  retention: Record<string, RetentionForm>;
  scheduleKind: ScheduleKind;
  /** "HH:MM", for daily, weekly and monthly. */
  time: string;
  /** Minute past the hour, for hourly. */
  minute: string;
  weekday: Weekday;
  /** "1".."28", or "0" for the last day of the month. */
  day: string;
  cron: string;
  /** Run once at start for times missed while the computer was off. */
  catchUp: boolean;
  compression: CompressionChoice;
  level: string;
  /** A key profile id, or "" for no encryption. */
  keyProfileId: string;
  notifyOnFailure: boolean;
  notifyOnSuccess: boolean;
  enabled: boolean;
};

export type JobField = "name" | "sourceId" | "targets" | "schedule" | "level" | "keyProfileId";
export type JobErrors = Partial<Record<JobField, string>> & { retention?: Record<string, string> };

export const WEEKDAYS: { value: Weekday; label: string }[] = [
  { value: "monday", label: "Monday" },
  { value: "tuesday", label: "Tuesday" },
  { value: "wednesday", label: "Wednesday" },
  { value: "thursday", label: "Thursday" },
  { value: "friday", label: "Friday" },
  { value: "saturday", label: "Saturday" },
  { value: "sunday", label: "Sunday" },
];

export const SCHEDULE_KINDS: { value: ScheduleKind; label: string }[] = [
  { value: "daily", label: "Every day" },
  { value: "hourly", label: "Every hour" },
  { value: "weekly", label: "Every week" },
  { value: "monthly", label: "Every month" },
  { value: "cron", label: "Custom (cron expression)" },
  { value: "manual", label: "Only when I run it" },
];

export const DEFAULT_RETENTION: RetentionForm = {
  mode: "gfs",
  count: "7",
  hourly: "0",
  daily: "7",
  weekly: "4",
  monthly: "12",
  yearly: "2",
};

export function emptyJobForm(keyProfileId: string): JobFormValues {
  return {
    name: "",
    sourceId: "",
    destinationIds: [],
    retention: {},
    scheduleKind: "daily",
    time: "02:30",
    minute: "0",
    weekday: "sunday",
    day: "1",
    cron: "30 2 * * *",
    catchUp: true,
    compression: "zstd",
    level: "3",
    keyProfileId,
    notifyOnFailure: true,
    notifyOnSuccess: false,
    enabled: true,
  };
}

const pad = (n: number) => String(n).padStart(2, "0");

function retentionForm(r: Retention): RetentionForm {
  switch (r.mode) {
    case "none":
      return { ...DEFAULT_RETENTION, mode: "none" };
    case "last":
      return { ...DEFAULT_RETENTION, mode: "last", count: String(r.count) };
    case "gfs":
      return {
        mode: "gfs",
        count: DEFAULT_RETENTION.count,
        hourly: String(r.hourly ?? 0),
        daily: String(r.daily ?? 0),
        weekly: String(r.weekly ?? 0),
        monthly: String(r.monthly ?? 0),
        yearly: String(r.yearly ?? 0),
      };
  }
}

/** The form for editing an existing job. */
export function jobFormFrom(job: JobView): JobFormValues {
  const values = emptyJobForm(job.keyProfileId ?? "");
  const s = job.schedule;
  values.name = job.name;
  values.sourceId = job.sourceId;
  values.destinationIds = job.targets.map((t) => t.destinationId);
  values.retention = Object.fromEntries(
    job.targets.map((t) => [t.destinationId, retentionForm(t.retention)]),
  );
  values.scheduleKind = s.kind;
  if (s.kind === "hourly") values.minute = String(s.minute);
  if (s.kind === "daily" || s.kind === "weekly" || s.kind === "monthly")
    values.time = `${pad(s.hour)}:${pad(s.minute)}`;
  if (s.kind === "weekly") values.weekday = s.weekday;
  if (s.kind === "monthly") values.day = String(s.day);
  if (s.kind === "cron") values.cron = s.expression;
  values.catchUp = job.catchUp === "once";
  values.compression = job.compression;
  values.level = String(job.level);
  values.notifyOnFailure = job.notifyOnFailure;
  values.notifyOnSuccess = job.notifyOnSuccess;
  values.enabled = job.enabled;
  return values;
}

function whole(text: string): number | null {
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : null;
}

/** The schedule the form means, or the message saying what is wrong with it. */
export function scheduleOf(v: JobFormValues): Schedule | string {
  const time = /^(\d{1,2}):(\d{2})$/.exec(v.time.trim());
  const hm = time ? { hour: Number(time[1]), minute: Number(time[2]) } : null;
  const needsTime = v.scheduleKind === "daily" || v.scheduleKind === "weekly" || v.scheduleKind === "monthly";
  if (needsTime && (!hm || hm.hour > 23 || hm.minute > 59))
    return "Give a time from 00:00 to 23:59.";
  switch (v.scheduleKind) {
    case "manual":
      return { kind: "manual" };
    case "hourly": {
      const minute = whole(v.minute);
      if (minute === null || minute > 59) return "Give a minute from 0 to 59.";
      return { kind: "hourly", minute };
    }
    case "daily":
      return { kind: "daily", ...hm! };
    case "weekly":
      return { kind: "weekly", weekday: v.weekday, ...hm! };
    case "monthly": {
      const day = whole(v.day);
      if (day === null || day > 28) return "Choose a day from 1 to 28, or the last day.";
      return { kind: "monthly", day, ...hm! };
    }
    case "cron":
      if (!v.cron.trim())
        return "Enter five fields: minute hour day-of-month month day-of-week.";
      return { kind: "cron", expression: v.cron.trim() };
  }
}

/** The retention the form means, or the message saying what is wrong with it. */
export function retentionOf(r: RetentionForm): Retention | string {
  if (r.mode === "none") return { mode: "none" };
  if (r.mode === "last") {
    const count = whole(r.count);
    if (count === null || count < 1) return "Keep at least 1 backup.";
    return { mode: "last", count };
  }
  const tiers = {} as Record<GfsTier, number>;
  for (const tier of GFS_TIERS) {
    const n = whole(r[tier]);
    if (n === null) return `Give the ${tier} count as a whole number (0 for none).`;
    tiers[tier] = n;
  }
  if (GFS_TIERS.every((t) => tiers[t] === 0)) return "Give at least one tier a number above 0.";
  return { mode: "gfs", ...tiers };
}

export function validateJob(v: JobFormValues): JobErrors {
  const errors: JobErrors = {};
  const name = validateName(v.name);
  if (name) errors.name = name;
  if (!v.sourceId) errors.sourceId = "Choose what to back up.";
  if (v.destinationIds.length === 0) errors.targets = "Choose at least one destination.";
  const retention: Record<string, string> = {};
  for (const id of v.destinationIds) {
    const r = retentionOf(v.retention[id] ?? DEFAULT_RETENTION);
    if (typeof r === "string") retention[id] = r;
  }
  if (Object.keys(retention).length > 0) errors.retention = retention;
  const schedule = scheduleOf(v);
  if (typeof schedule === "string") errors.schedule = schedule;
  const level = whole(v.level);
  if (v.compression === "zstd" && (level === null || level < 1 || level > 19))
    errors.level = "Choose a level from 1 (fastest) to 19 (smallest).";
  return errors;
}

/** Only call with values that passed {@link validateJob}. */
export function buildJobInput(v: JobFormValues): JobInput {
  const schedule = scheduleOf(v);
  return {
    name: v.name.trim(),
    sourceId: v.sourceId,
    targets: v.destinationIds.map((id) => {
      const r = retentionOf(v.retention[id] ?? DEFAULT_RETENTION);
      return { destinationId: id, retention: typeof r === "string" ? { mode: "none" } : r };
    }),
    schedule: typeof schedule === "string" ? { kind: "manual" } : schedule,
    catchUp: v.catchUp ? "once" : "skip",
    compression: v.compression,
    level: whole(v.level) ?? 3,
    keyProfileId: v.keyProfileId || null,
    notifyOnFailure: v.notifyOnFailure,
    notifyOnSuccess: v.notifyOnSuccess,
    enabled: v.enabled,
  };
}

/** Where an engine error about a job belongs in the form. */
export function jobFieldOf(field: string | null): JobField | null {
  switch (field) {
    case "name":
    case "schedule":
    case "level":
    case "targets":
      return field;
    case "retention":
      return "targets";
    case "source":
      return "sourceId";
    case "key":
      return "keyProfileId";
    default:
      return null;
  }
}
