import { ArrowDown, ArrowUp } from "lucide-react";
import type { Sort, SortKey } from "./backupList";

/** A column header that sorts by its column; a second click reverses the order. */
export function SortHeader({
  label,
  column,
  sort,
  onSort,
  className,
}: {
  label: string;
  column: SortKey;
  sort: Sort;
  onSort: (sort: Sort) => void;
  className?: string;
}) {
  const active = sort.key === column;
  return (
    <th
      scope="col"
      className={className}
      aria-sort={active ? (sort.descending ? "descending" : "ascending") : "none"}
    >
      <button
        type="button"
        className="sort-button"
        onClick={() => onSort({ key: column, descending: active ? !sort.descending : column !== "jobName" })}
        data-testid={`sort-${column}`}
      >
        {label}
        {active && (sort.descending ? <ArrowDown size={12} aria-hidden /> : <ArrowUp size={12} aria-hidden />)}
      </button>
    </th>
  );
}
