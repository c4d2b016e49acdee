const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365.25 * 24 * 3600],
  ["month", 30.44 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "just now", "5 minutes ago", "yesterday", "3 months ago"; the input is RFC 3339. */
export function relativeTime(iso: string, now: Date = new Date()): string {
  const then = new Date(iso);
  if (Number.isNaN(then.getTime())) return iso;
  const seconds = Math.round((then.getTime() - now.getTime()) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return "just now";
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (abs >= size) {
      // Whole units that have fully passed: 50 days is "last month", not "2 months ago".
      return rtf.format(Math.sign(seconds) * Math.floor(abs / size), unit);
    }
  }
  return "just now";
}
