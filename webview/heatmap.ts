/** One heatmap option builder for every matrix view (class × expert, cosine, combine, Φ). */
import type { EChartsCoreOption } from 'echarts/core';
import { axisStyle } from './charts';
import type { Palette } from './theme';

export interface HeatmapSpec {
  xLabels: string[];
  yLabels: string[];
  xName?: string;
  yName?: string;
  /** rows (y) × cols (x). */
  matrix: number[][];
  /** Colour scale: 'sequential' from background to accent, 'diverging' red–background–blue around `center`. */
  scale: 'sequential' | 'diverging';
  /** Diverging scales: the value drawn in the background colour (default 0), e.g. 1/n for uniform routing. */
  center?: number;
  min?: number;
  max?: number;
  format?: (v: number) => string;
  /** Hide cell labels when the grid is dense. */
  showValues?: boolean;
}

function mix(a: string, b: string, t: number): string {
  const pa = parseHex(a);
  const pb = parseHex(b);
  if (!pa || !pb) return b;
  const c = pa.map((v, i) => Math.round(v + (pb[i] - v) * t));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

function parseHex(c: string): [number, number, number] | null {
  const m = /^#([0-9a-f]{3,8})$/i.exec(c.trim());
  if (m) {
    let s = m[1];
    if (s.length === 3 || s.length === 4) s = s.split('').map((x) => x + x).join('');
    return [parseInt(s.slice(0, 2), 16), parseInt(s.slice(2, 4), 16), parseInt(s.slice(4, 6), 16)];
  }
  const r = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/i.exec(c.trim());
  return r ? [Number(r[1]), Number(r[2]), Number(r[3])] : null;
}

export function heatmapOption(p: Palette, s: HeatmapSpec): EChartsCoreOption {
  const data: Array<[number, number, number]> = [];
  let lo = Infinity;
  let hi = -Infinity;
  s.matrix.forEach((row, y) => row.forEach((v, x) => {
    data.push([x, y, v]);
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }));
  const diverging = s.scale === 'diverging';
  const center = s.center ?? 0;
  const bound = Math.max(Math.abs(lo - center), Math.abs(hi - center), 1e-9);
  const min = s.min ?? (diverging ? center - bound : Math.min(0, lo));
  const max = s.max ?? (diverging ? center + bound : (hi > min ? hi : min + 1));
  const fmt = s.format ?? ((v: number) => v.toFixed(2));
  const colors = diverging
    ? [p.series[5], mix(p.bg, p.series[5], 0.15), p.bg, mix(p.bg, p.series[0], 0.15), p.series[0]]
    : [mix(p.bg, p.series[0], 0.06), mix(p.bg, p.series[0], 0.5), p.series[0]];
  const dense = s.xLabels.length * s.yLabels.length > 220;
  const axis = axisStyle(p);
  return {
    grid: { left: 8, right: 64, top: s.yName ? 26 : 8, bottom: s.xName ? 30 : 8, containLabel: true },
    tooltip: {
      position: 'top',
      formatter: (q: { value: [number, number, number] }) => `${s.yName ?? ''} ${s.yLabels[q.value[1]]} · ${s.xName ?? ''} ${s.xLabels[q.value[0]]}<br><b>${fmt(q.value[2])}</b>`,
    },
    xAxis: { type: 'category', data: s.xLabels, name: s.xName, nameLocation: 'middle', nameGap: 26, splitArea: { show: false }, ...axis, axisLabel: { color: p.muted, interval: 'auto' } },
    yAxis: { type: 'category', data: s.yLabels, name: s.yName, nameLocation: 'start', nameGap: 8, inverse: true, splitArea: { show: false }, ...axis, axisLabel: { color: p.muted, interval: 'auto' } },
    visualMap: {
      min, max, calculable: false, text: [fmt(max), fmt(min)], orient: 'vertical', right: 0, top: 'middle', itemHeight: 120, itemWidth: 12,
      textStyle: { color: p.muted }, inRange: { color: colors }, formatter: (v: number) => fmt(v),
    },
    series: [{
      type: 'heatmap', data, progressive: 0,
      label: { show: s.showValues ?? !dense, color: p.fg, fontSize: 9, textBorderColor: p.bg, textBorderWidth: 2, formatter: (q: { value: [number, number, number] }) => fmt(q.value[2]) },
      itemStyle: { borderColor: p.bg, borderWidth: dense ? 0 : 1 },
      emphasis: { itemStyle: { borderColor: p.accent, borderWidth: 2 } },
    }],
  };
}
