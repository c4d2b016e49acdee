import type { BackupView } from "../../bindings";

export type SortKey = "createdAt" | "jobName" | "storedSize";
export type Sort = { key: SortKey; descending: boolean };

/** Backups matching every word of `query` (object, job or database), in `sort` order. */
export function visibleBackups(backups: BackupView[], query: string, sort: Sort): BackupView[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matching = backups.filter((b) => {
    const text = `${b.object} ${b.jobName ?? ""} ${b.database ?? ""}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
  const value = (b: BackupView) =>
    sort.key === "storedSize" ? b.storedSize : sort.key === "jobName" ? (b.jobName ?? "") : b.createdAt;
  return matching.sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    const order = x < y ? -1 : x > y ? 1 : a.object.localeCompare(b.object);
    return sort.descending ? -order : order;
  });
}
