import { byteSize, localTime } from "../../lib/format";

export type StorageSeries = { name: string; points: { at: number; bytes: number }[] };

const COLORS = ["#2f9cbf", "#c77d1a", "#7a5fd0", "#1d8a4e", "#d0483f"];
const W = 640;
const H = 160;
const PAD = { left: 64, right: 12, top: 10, bottom: 24 };

/**
 * Bytes stored per destination over time: at each backup's date, the total size of the
 * backups kept there that were made by then. A step line per destination, drawn as SVG so
 * it scales with the window and follows the theme's colours.
 */
export function StorageChart({ series }: { series: StorageSeries[] }) {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return null;
  const t0 = Math.min(...all.map((p) => p.at));
  const t1 = Math.max(...all.map((p) => p.at));
  const top = Math.max(...all.map((p) => p.bytes), 1);
  const x = (t: number) =>
    PAD.left + (t1 === t0 ? (W - PAD.left - PAD.right) / 2 : ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right));
  const y = (b: number) => PAD.top + (1 - b / top) * (H - PAD.top - PAD.bottom);
  const iso = (t: number) => new Date(t * 1000).toISOString();

  return (
    <figure className="storage-chart" data-testid="storage-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Bytes stored per destination over time">
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line className="storage-chart__grid" x1={PAD.left} x2={W - PAD.right} y1={y(top * f)} y2={y(top * f)} />
            <text className="storage-chart__label" x={PAD.left - 6} y={y(top * f) + 4} textAnchor="end">
              {byteSize(top * f)}
            </text>
          </g>
        ))}
        <text className="storage-chart__label" x={PAD.left} y={H - 6}>
          {localTime(iso(t0))}
        </text>
        {t1 !== t0 && (
          <text className="storage-chart__label" x={W - PAD.right} y={H - 6} textAnchor="end">
            {localTime(iso(t1))}
          </text>
        )}
        {series.map((s, i) => {
          // Steps: the total holds until the next backup.
          const path = s.points
            .map((p, j) => `${j === 0 ? "M" : `H${x(p.at)} V`}${j === 0 ? `${x(p.at)},${y(p.bytes)}` : y(p.bytes)}`)
            .join(" ");
          const last = s.points[s.points.length - 1]!;
          return (
            <g key={s.name}>
              <path d={`${path} H${W - PAD.right}`} fill="none" stroke={COLORS[i % COLORS.length]} strokeWidth={2} />
              <circle cx={x(last.at)} cy={y(last.bytes)} r={3} fill={COLORS[i % COLORS.length]} />
            </g>
          );
        })}
      </svg>
      <figcaption className="storage-chart__legend">
        {series.map((s, i) => (
          <span key={s.name}>
            <span className="storage-chart__swatch" style={{ background: COLORS[i % COLORS.length] }} aria-hidden />
            {s.name}: {byteSize(s.points[s.points.length - 1]?.bytes ?? 0)}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
