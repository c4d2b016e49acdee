import { describe, expect, it } from "vitest";
import { job } from "../test/backend";
import { emptyJobForm, jobFormFrom, retentionOf, scheduleOf, validateJob, buildJobInput } from "./jobs";

describe("job form values", () => {
  it("turns each schedule kind into the engine's schedule, or says what is wrong", () => {
    const v = emptyJobForm("");
    expect(scheduleOf({ ...v, scheduleKind: "daily", time: "07:05" })).toEqual({ kind: "daily", hour: 7, minute: 5 });
    expect(scheduleOf({ ...v, scheduleKind: "weekly", weekday: "friday", time: "23:59" })).toEqual({
      kind: "weekly", weekday: "friday", hour: 23, minute: 59,
    });
    expect(scheduleOf({ ...v, scheduleKind: "monthly", day: "0", time: "01:00" })).toEqual({
      kind: "monthly", day: 0, hour: 1, minute: 0,
    });
    expect(scheduleOf({ ...v, scheduleKind: "hourly", minute: "61" })).toMatch(/0 to 59/);
    expect(scheduleOf({ ...v, scheduleKind: "daily", time: "24:00" })).toMatch(/00:00 to 23:59/);
    expect(scheduleOf({ ...v, scheduleKind: "monthly", day: "29" })).toMatch(/1 to 28/);
    expect(scheduleOf({ ...v, scheduleKind: "cron", cron: "  " })).toMatch(/five fields/);
    expect(scheduleOf({ ...v, scheduleKind: "manual" })).toEqual({ kind: "manual" });
  });

  it("checks retention counts", () => {
    const base = { mode: "last" as const, count: "0", hourly: "0", daily: "0", weekly: "0", monthly: "0", yearly: "0" };
    expect(retentionOf(base)).toMatch(/at least 1/);
    expect(retentionOf({ ...base, count: "5" })).toEqual({ mode: "last", count: 5 });
    expect(retentionOf({ ...base, mode: "gfs" })).toMatch(/above 0/);
    expect(retentionOf({ ...base, mode: "gfs", daily: "x" })).toMatch(/daily count/);
    expect(retentionOf({ ...base, mode: "gfs", weekly: "4" })).toEqual({
      mode: "gfs", hourly: 0, daily: 0, weekly: 4, monthly: 0, yearly: 0,
    });
  });

  it("round-trips an existing job through the form unchanged", () => {
    const existing = job({
      schedule: { kind: "weekly", weekday: "sunday", hour: 3, minute: 0 },
      catchUp: "skip",
      compression: "none",
      notifyOnSuccess: true,
    });
    const values = jobFormFrom(existing);
    expect(validateJob(values)).toEqual({});
    expect(buildJobInput(values)).toEqual({
      name: existing.name,
      sourceId: existing.sourceId,
      targets: existing.targets.map((t) => ({ destinationId: t.destinationId, retention: t.retention })),
      schedule: existing.schedule,
      catchUp: "skip",
      compression: "none",
      level: 3,
      keyProfileId: existing.keyProfileId,
      notifyOnFailure: true,
      notifyOnSuccess: true,
      enabled: true,
    });
  });
});
