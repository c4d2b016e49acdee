import { useEffect, useRef } from "react";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { byteSize } from "../../lib/format";

export type StorageSeries = { name: string; points: { at: number; bytes: number }[] };

const COLORS = ["#0c6b8a", "#c77d1a", "#6b4fbb", "#1d8a4e", "#c33a31"];

/**
 * Bytes stored per destination over time: at each backup's date, the total size of the
 * backups kept there that were made by then.
 */
export function StorageChart({ series, height = 180 }: { series: StorageSeries[]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const el = box.current;
    if (!el || series.length === 0) return;
    let cleanup: (() => void) | null = null;
    let live = true;
    // Loaded on first use: the chart library is only needed where a chart is shown.
    void import("uplot").then(({ default: UPlot }) => {
      if (live) cleanup = draw(UPlot, el);
    });
    return () => {
      live = false;
      cleanup?.();
    };
  }, [series, height]);

  function draw(UPlot: typeof uPlot, el: HTMLDivElement): () => void {
    // One x axis for all: every backup date, each series carrying its total forward.
    const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.at)))].sort((a, b) => a - b);
    const ys = series.map((s) => {
      let i = 0;
      let total: number | null = null;
      return xs.map((x) => {
        while (i < s.points.length && s.points[i]!.at <= x) total = s.points[i++]!.bytes;
        return total;
      });
    });
    const style = getComputedStyle(document.documentElement);
    const text = style.getPropertyValue("--text-muted").trim() || "#5a6472";
    const grid = style.getPropertyValue("--border").trim() || "#e1e5ea";
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const plot = new UPlot(
      {
        width: el.clientWidth || 600,
        height,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [
          axis,
          { ...axis, size: 70, values: (_u: uPlot, splits: number[]) => splits.map((v) => byteSize(v)) },
        ],
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.name,
            stroke: COLORS[i % COLORS.length],
            width: 2,
            value: (_u: uPlot, v: number | null) => (v == null ? "-" : byteSize(v)),
          })),
        ],
      },
      [xs, ...ys] as uPlot.AlignedData,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }

  return <div ref={box} className="storage-chart" data-testid="storage-chart" />;
}
