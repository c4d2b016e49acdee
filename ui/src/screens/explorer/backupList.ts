import type { BackupView } from "../../bindings";

export type SortKey = "createdAt" | "jobName" | "storedSize";
export type Sort = { key: SortKey; descending: boolean };

/** The folder a backup is stored in (its key up to the last `/`), "" at the root. */
export function folderOf(object: string): string {
  const cut = object.lastIndexOf("/");
  return cut < 0 ? "" : object.slice(0, cut + 1);
}

/** The folders backups are stored in, sorted, each with its count. */
export function folders(backups: BackupView[]): { folder: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const b of backups) counts.set(folderOf(b.object), (counts.get(folderOf(b.object)) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([folder, count]) => ({ folder, count }));
}

/**
 * Backups in `folder` (and its subfolders; "" the top level only; null everywhere) matching every word of `query`
 * (object, job or database), in `sort` order.
 */
export function visibleBackups(
  backups: BackupView[],
  query: string,
  sort: Sort,
  folder: string | null = null,
): BackupView[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const matching = backups.filter((b) => {
    if (folder !== null) {
      const own = folderOf(b.object);
      // The top level holds only its own backups; a folder also those in its subfolders.
      if (folder === "" ? own !== "" : !own.startsWith(folder)) return false;
    }
    const text = `${b.object} ${b.jobName ?? ""} ${b.database ?? ""} ${b.engine ?? ""}`.toLowerCase();
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
