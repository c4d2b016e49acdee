import { commands, type BackupView } from "../../bindings";
import { call } from "../../lib/ipc";
import { isReadable } from "./GlacierBadge";

/** What a bulk action did: how many it did, what it left alone and why, what failed. */
export type BulkOutcome = { done: number; skipped: string[]; failed: string[] };

function name(b: BackupView): string {
  return b.object.split("/").pop() ?? b.object;
}

/**
 * Runs `act` on each backup `eligible` accepts, one after another (the engine does one
 * operation per backup; a burst of S3 requests helps nobody), and says what happened.
 */
async function each(
  backups: BackupView[],
  eligible: (b: BackupView) => string | null,
  act: (b: BackupView) => Promise<unknown>,
): Promise<BulkOutcome> {
  const outcome: BulkOutcome = { done: 0, skipped: [], failed: [] };
  for (const b of backups) {
    const why = eligible(b);
    if (why) {
      outcome.skipped.push(`${name(b)}: ${why}`);
      continue;
    }
    try {
      await act(b);
      outcome.done += 1;
    } catch (e) {
      const message = typeof e === "object" && e && "message" in e ? String(e.message) : String(e);
      outcome.failed.push(`${name(b)}: ${message}`);
    }
  }
  return outcome;
}

export function verifyAll(backups: BackupView[], running: Set<string>) {
  return each(
    backups,
    (b) =>
      running.has(b.object)
        ? "already busy"
        : isReadable(b)
          ? null
          : "in Glacier; restore it from Glacier first",
    (b) => call(() => commands.startVerify(b.destinationId, b.object)),
  );
}

export function lockAll(backups: BackupView[], locked: boolean) {
  return each(
    backups,
    (b) => (b.locked === locked ? (locked ? "already locked" : "not locked") : null),
    (b) => call(() => commands.setBackupLocked(b.destinationId, b.object, locked)),
  );
}

export function deleteAll(backups: BackupView[], running: Set<string>) {
  return each(
    backups,
    (b) =>
      b.locked
        ? "locked; unlock it first"
        : running.has(b.object)
          ? "busy; wait until its operation ends"
          : null,
    (b) => call(() => commands.deleteBackup(b.destinationId, b.object)),
  );
}

/** One line for a banner: "3 verified; 1 skipped (a.dbk: locked…)". */
export function describeOutcome(verb: string, o: BulkOutcome): string {
  const parts = [`${o.done} ${verb}`];
  if (o.skipped.length > 0) parts.push(`${o.skipped.length} skipped (${o.skipped.join("; ")})`);
  if (o.failed.length > 0) parts.push(`${o.failed.length} failed (${o.failed.join("; ")})`);
  return parts.join("; ");
}
