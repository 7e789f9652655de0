/**
 * Any chart as CSV, read from the ECharts option it was drawn from: a heatmap becomes a matrix, a category chart
 * one row per category and one column per series, a value-axis chart one row per series and point. Series drawn
 * only as decoration (no tooltip, e.g. the ± std band) are left out. Views may register a better CSV per chart.
 */
import { matrixCsv, toCsv } from '../../src/core/report/csv';
import type { CsvValue } from '../../src/core/report/csv';
import { chartOption } from '../charts';

type Obj = Record<string, unknown>;
const custom = new WeakMap<HTMLElement, () => string>();

/** Use `build` instead of the generic CSV for the chart on `el` (e.g. the curves with std and trials). */
export function setChartCsv(el: HTMLElement, build: () => string): void {
  custom.set(el, build);
}

function first(v: unknown): Obj {
  return (Array.isArray(v) ? v[0] : v) as Obj ?? {};
}

function value(d: unknown): CsvValue {
  if (d !== null && typeof d === 'object' && !Array.isArray(d)) return value((d as Obj).value);
  if (Array.isArray(d)) return value(d[d.length - 1]);
  return typeof d === 'number' || typeof d === 'string' ? d : null;
}

export function chartCsv(el: HTMLElement): string | null {
  const own = custom.get(el);
  if (own) return own();
  const o = chartOption(el);
  if (!o) return null;
  const all = (Array.isArray(o.series) ? o.series : [o.series]) as Array<Obj | undefined>;
  const series = all.filter((s): s is Obj => !!s && (s.tooltip as Obj | undefined)?.show !== false);
  const x = first(o.xAxis);
  const y = first(o.yAxis);
  const heat = series.find((s) => s.type === 'heatmap');
  if (heat) {
    const xs = (x.data as string[]) ?? [];
    const ys = (y.data as string[]) ?? [];
    const m = ys.map(() => xs.map(() => Number.NaN));
    for (const d of (heat.data as Array<[number, number, number]>) ?? []) if (m[d[1]]) m[d[1]][d[0]] = d[2];
    return matrixCsv(`${String(y.name ?? 'row')} \\ ${String(x.name ?? 'column')}`, ys.map(String), xs.map(String), m);
  }
  if (x.type === 'category' && Array.isArray(x.data)) {
    const cats = x.data as unknown[];
    return toCsv([String(x.name ?? 'category'), ...series.map((s) => String(s.name ?? ''))],
      cats.map((c, i) => [String(c), ...series.map((s) => value((s.data as unknown[] | undefined)?.[i]))]));
  }
  const rows: CsvValue[][] = [];
  for (const s of series) {
    for (const d of (s.data as unknown[]) ?? []) {
      const pair = Array.isArray(d) ? d : [null, d];
      rows.push([String(s.name ?? ''), value(pair[0]), value(pair[1])]);
    }
  }
  return toCsv(['series', String(x.name ?? 'x'), String(y.name ?? 'y')], rows);
}
