import * as l10n from '@vscode/l10n';
import type { Curve } from '../../src/core/analysis/schema';
import { EXPORT_SIZE, axisStyle, mountChart } from '../charts';
import { curvesToCsv } from '../../src/core/analysis/resultCsv';
import { clear, h, pct, ppoints } from '../dom';
import { setChartCsv } from '../export/chartCsv';
import { chartFrame, tableFrame } from '../export/exportBar';
import { chanceAccuracy, resultNotes } from '../../src/core/report/resultNotes';
import { selectorLabel } from '../../src/core/analysis/selectorRegistry';
import { curvesFor, numExperts, pointAt } from '../model';
import { radioGroup } from '../radioGroup';
import type { Palette } from '../theme';
import type { View, ViewContext } from './types';

/** The oracle's chance level: the same search for a wrong label drawn per input (CurvePoint.chance). */
const oracleChanceLabel = (): string => l10n.t('Oracle chance (wrong label)');

/** The colour of the i-th curve (the theme's series colours in turn). */
function curveColor(p: Palette, i: number): string {
  return p.series[i % p.series.length] as string;
}

/**
 * What the curves are read against. Each is drawn the same way, as the mark line of a series without points of its
 * own (the axis tooltip leaves it out; what it stands for is told with the curve it belongs to): a level across the
 * chart, or a curve over k given by its points.
 */
interface Reference {
  at: number | Array<[number, number]>;
  /** The text on the chart (levels) or in the legend. */
  label: string;
  /** A colour of the theme: its text, its muted text, or the i-th curve's. */
  color: 'fg' | 'muted' | number;
  type: 'solid' | 'dashed' | 'dotted';
  /** Its own legend entry, which hides and shows it; without one it is labelled on the chart, always shown. */
  legend?: boolean;
}

/**
 * The full model's accuracy (the ceiling every subset is measured against), chance (1/classes) and, where the
 * oracle was searched for a wrong label too, its chance level per k: dotted under the oracle, in its colour.
 */
function references(r: ViewContext['result'], curves: Curve[], x: (pt: { k: number; fraction: number }) => number): Reference[] {
  const chance = chanceAccuracy(r);
  const out: Reference[] = [
    // Labels at the left, where subsets of few experts sit well below the full model.
    { at: r.fullAccuracy, label: l10n.t`full model ${pct(r.fullAccuracy)}`, color: 'fg', type: 'solid' },
    ...(chance > 0 ? [{ at: chance, label: l10n.t`chance ${pct(chance)}`, color: 'muted' as const, type: 'dashed' as const }] : []),
  ];
  const i = curves.findIndex((c) => c.selector === 'oracle');
  const pts = i < 0 ? [] : (curves[i] as Curve).points.filter((pt) => pt.chance !== undefined);
  if (pts.length) {
    out.push({ at: pts.map((pt) => [x(pt), pt.chance as number]), label: oracleChanceLabel(), color: i, type: 'dotted', legend: true });
  }
  return out;
}

/** The series that draw `refs`: one for the labelled levels, one per reference with a legend entry. */
function referenceSeries(refs: Reference[], p: Palette): unknown[] {
  const color = (ref: Reference): string => (typeof ref.color === 'number' ? curveColor(p, ref.color) : p[ref.color]);
  const style = (ref: Reference) => ({ color: color(ref), type: ref.type, width: ref.legend ? 1.6 : 1.2, opacity: ref.legend ? 0.9 : 0.7 });
  const marks = (ref: Reference): unknown[] => (typeof ref.at === 'number'
    ? [{ yAxis: ref.at, lineStyle: style(ref), label: { color: color(ref), formatter: ref.label, position: 'insideStartTop' } }]
    // A curve: one segment between each pair of neighbouring points.
    : ref.at.slice(1).map((pt, j) => [{ coord: (ref.at as Array<[number, number]>)[j], lineStyle: style(ref), label: { show: false } }, { coord: pt }]));
  const series = (name: string, list: Reference[], own?: Reference) => ({
    name, type: 'line', data: [], tooltip: { show: false },
    // A legend entry's icon is drawn from the series' own colour and line style (its symbol hidden: the line has none).
    ...(own ? { color: color(own), symbol: 'none', lineStyle: style(own), itemStyle: { opacity: 0 } } : {}),
    markLine: { silent: true, symbol: 'none', data: list.flatMap(marks) },
  });
  return [series('reference', refs.filter((ref) => !ref.legend)), ...refs.filter((ref) => ref.legend).map((ref) => series(ref.label, [ref], ref))];
}

/** Legend entries: every curve, and the references that have one (the oracle's chance level) right after the oracle. */
function legendNames(curves: Curve[], refs: Reference[]): string[] {
  const own = refs.filter((ref) => ref.legend).map((ref) => ref.label);
  return curves.flatMap((c) => [selectorLabel(c.selector), ...(c.selector === 'oracle' ? own : [])]);
}

/**
 * How many rows ECharts' legend takes for `names` across `width` pixels (its defaults: a 25 px icon, 5 px to the
 * text, 10 px between entries, 5 px padding), so the plot starts below it: with every selector and the oracle's
 * chance level the legend wraps on an editor-wide panel.
 */
function legendRows(names: string[], width: number, p: Palette): number {
  const ctx = document.createElement('canvas').getContext('2d');
  if (!ctx) return 1;
  ctx.font = `${p.fontSize - 1}px ${p.font}`;
  let rows = 1;
  let x = 0;
  for (const name of names) {
    const w = 25 + 5 + ctx.measureText(name).width + 10;
    if (x > 0 && x + w > width - 10) {
      rows += 1;
      x = 0;
    }
    x += w;
  }
  return rows;
}

/**
 * The marker of the i-th curve: it changes with every curve, not only after a round of theme colours, so two curves
 * whose colours are close in a theme (light's orange and yellow: Random and Token choice) still look different.
 */
const MARKERS = ['emptyCircle', 'emptyRect', 'emptyTriangle', 'emptyDiamond'] as const;
export function curveMarker(i: number): (typeof MARKERS)[number] {
  return MARKERS[i % MARKERS.length] as (typeof MARKERS)[number];
}

function seriesFor(curves: Curve[], xAxis: 'k' | 'fraction', p: Palette, markX: number, markLabel: string): unknown[] {
  const out: unknown[] = [];
  const x = (pt: { k: number; fraction: number }): number => (xAxis === 'k' ? pt.k : pt.fraction);
  curves.forEach((c, i) => {
    const color = curveColor(p, i);
    // More curves than theme colours: the next round of colours gets a long dash (and, like every curve, a marker of
    // its own), so no two curves look alike.
    const round = Math.floor(i / p.series.length);
    const name = selectorLabel(c.selector);
    out.push({
      name, type: 'line', color, symbolSize: round === 0 ? 6 : 8, showSymbol: true, symbol: curveMarker(i),
      lineStyle: { width: c.selector === 'heuristic' ? 2.5 : 1.8, type: c.selector === 'oracle' ? 'dashed' : round === 0 ? 'solid' : [10, 4] },
      data: c.points.map((pt) => [x(pt), pt.accuracy]),
      ...(i === 0 ? {
        markLine: { silent: true, symbol: 'none', lineStyle: { color: p.accent, type: 'dotted', width: 1.5 },
          label: { color: p.fg, formatter: markLabel }, data: [{ xAxis: markX }] },
      } : {}),
    });
    if (c.selector === 'random' && c.points.some((pt) => pt.std !== undefined)) {
      const stack = `band-${c.drop}`;
      out.push({ name: l10n.t`${name} ± std`, type: 'line', stack, symbol: 'none', lineStyle: { opacity: 0 }, tooltip: { show: false },
        data: c.points.map((pt) => [x(pt), pt.accuracy - (pt.std ?? 0)]) });
      out.push({ name: l10n.t`${name} ± std`, type: 'line', stack, symbol: 'none', lineStyle: { opacity: 0 }, color,
        areaStyle: { color, opacity: 0.18 }, tooltip: { show: false },
        data: c.points.map((pt) => [x(pt), 2 * (pt.std ?? 0)]) });
    }
  });
  return out;
}

/**
 * k ticks evenly spaced at round steps: every k up to 20 experts; else the power of two (n is usually one) or the
 * 1-2-5 step that gives at most ten intervals. Such an axis starts at 0, whose label is left out (k = 0 keeps no
 * expert), and ends at n.
 */
export function kTicks(n: number): { min: number; max: number; interval: number } {
  if (n <= 20) return { min: 1, max: n, interval: 1 };
  for (let p = 2; p <= n; p *= 2) if (n % p === 0 && n / p <= 10) return { min: 0, max: n, interval: p };
  for (let mag = 1; ; mag *= 10) {
    const step = [1, 2, 5].map((f) => f * mag).find((v) => n / v <= 10);
    if (step) return { min: 0, max: n, interval: step };
  }
}

function drawChart(el: HTMLElement, ctx: ViewContext): void {
  const r = ctx.result;
  const drop = ctx.state.drop ?? 'zero';
  const xAxis = ctx.state.xAxis;
  const n = numExperts(r);
  const k = ctx.state.k ?? 1;
  const curves = curvesFor(r, drop);
  const markX = xAxis === 'k' ? k : k / n;
  const ticks = kTicks(n);
  const refs = references(r, curves, (pt) => (xAxis === 'k' ? pt.k : pt.fraction));
  const summary = {
    drop, xAxis, k, series: curves.map((c, i) => ({ selector: c.selector, points: c.points.length, marker: curveMarker(i) })),
    fullAccuracy: r.fullAccuracy, chance: chanceAccuracy(r), ...(xAxis === 'k' ? { kTicks: ticks } : {}),
    legend: legendNames(curves, refs), references: refs.map((ref) => ({ label: ref.label, at: ref.at, legend: ref.legend ?? false })),
  };
  mountChart(el, (p) => ({
    color: p.series,
    legend: { top: 0, textStyle: { color: p.fg }, data: legendNames(curves, refs) },
    grid: { left: 56, right: 24, top: 40 + 24 * (legendRows(legendNames(curves, refs), el.clientWidth || EXPORT_SIZE.wide.width, p) - 1), bottom: 48 },
    tooltip: {
      trigger: 'axis',
      formatter: (params: unknown) => {
        const bands = new Set(curves.map((c) => l10n.t`${selectorLabel(c.selector)} ± std`));
        const list = (params as Array<{ seriesName: string; value: [number, number]; color: string }>).filter((q) => !bands.has(q.seriesName));
        if (!list.length) return '';
        const xv = list[0].value[0];
        const kk = xAxis === 'k' ? xv : Math.round(xv * n);
        const lines = list.map((q) => {
          const c = curves.find((cc) => selectorLabel(cc.selector) === q.seriesName);
          const pt = c?.points.find((pp) => pp.k === kk);
          const std = pt?.std !== undefined ? ` ± ${pct(pt.std)}` : '';
          // The oracle's chance level is a reference line (no tooltip of its own): its numbers go with the oracle.
          const chance = pt?.chance !== undefined ? l10n.t` (a wrong label ${pct(pt.chance)}, excess ${ppoints(pt.excess ?? 0)})` : '';
          return `${q.seriesName}: ${pct(q.value[1])}${std}${chance}`;
        });
        return [l10n.t`k = ${kk} of ${n} (${pct(kk / n, 0)} of experts)`, ...lines].join('<br>');
      },
    },
    xAxis: {
      type: 'value', name: xAxis === 'k' ? l10n.t('experts kept per input (k)') : l10n.t('fraction of experts kept'), nameLocation: 'middle', nameGap: 30,
      ...(xAxis === 'k' ? ticks : { min: 0, max: 1, interval: 0.125 }),
      axisLabel: { color: p.muted, showMinLabel: xAxis === 'fraction' || ticks.min > 0, showMaxLabel: xAxis === 'fraction' || n % ticks.interval === 0, formatter: xAxis === 'k' ? '{value}' : (v: number) => pct(v, 1).replace(/\.0%$/, '%') },
      ...axisStyle(p), splitLine: { show: false },
    },
    yAxis: {
      type: 'value', name: l10n.t('top-1 accuracy'), nameLocation: 'middle', nameGap: 42, min: 0, max: 1,
      ...axisStyle(p), axisLabel: { color: p.muted, formatter: (v: number) => pct(v, 0) },
    },
    series: [...seriesFor(curves, xAxis, p, markX, l10n.t`k = ${k}`), ...referenceSeries(refs, p)],
  }), summary, xAxis === 'k' ? l10n.t`Subset accuracy against k, drop ${drop}` : l10n.t`Subset accuracy against the fraction of experts, drop ${drop}`);
}

/** The global subset at k (one for every input): which experts, what pruning to it gives, and the button. */
function renderGlobal(el: HTMLElement, ctx: ViewContext): void {
  clear(el);
  const r = ctx.result;
  const g = r.globalSelection;
  if (!g) return;
  const k = ctx.state.k ?? 1;
  const n = numExperts(r);
  const order = g.orders.renorm ?? g.orders[ctx.state.drop ?? 'zero'];
  const pt = pointAt(r, 'global', 'renorm', k);
  const c = g.calibration;
  const experts = order ? order.map((o) => `[${o.slice(0, k).sort((a, b) => a - b).join(', ')}]`).join(' ') : '–';
  const where = `${c.name} [${c.start}:${c.end}]`;
  const method = g.ranking === 'eliminate' ? l10n.t`backward elimination on ${where}` : l10n.t`dataset-mean ${g.ranking} on ${where}`;
  el.append(h('p', { class: 'global-note' },
    l10n.t`Global subset at k = ${k} (one for every input, ${method}, ${c.examples.toLocaleString('en-US')} calibration examples): experts ${experts}`,
    pt ? l10n.t` — a pruned checkpoint scores ${pct(pt.accuracy)} here (renorm).` : ''));
  if (ctx.prune && g.orders.renorm && k < n) {
    const button = h('vscode-button', { class: 'prune-button', title: l10n.t`Write a checkpoint with these ${k} of ${n} experts per layer` }, l10n.t('Prune Experts…'));
    button.addEventListener('click', () => ctx.prune?.(ctx.state.k ?? k));
    el.append(button);
  }
}

function renderTable(el: HTMLElement, ctx: ViewContext): void {
  const r = ctx.result;
  const drop = ctx.state.drop ?? 'zero';
  const k = ctx.state.k ?? 1;
  const curves = curvesFor(r, drop);
  clear(el);
  el.append(h('table', { class: 'grid-table' },
    h('caption', null, l10n.t`At k = ${k} (${drop})`),
    h('thead', null, h('tr', null, ...[l10n.t('Selector'), l10n.t('Accuracy'), l10n.t('Relative to full'), l10n.t('Notes')].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, ...curves.map((c) => {
      const pt = pointAt(r, c.selector, drop, k);
      const notes = [
        pt?.std !== undefined ? l10n.t`± ${pct(pt.std)} over ${c.trials ?? '?'} trials` : '',
        pt?.chance !== undefined ? l10n.t`chance (a wrong label) ${pct(pt.chance)}, excess ${ppoints(pt.excess ?? 0)}` : '',
        pt?.heuristicIsSpecialised !== undefined ? l10n.t`heuristic subset specialised for ${pct(pt.heuristicIsSpecialised, 0)} of inputs` : '',
        pt?.greedy ? l10n.t('greedy search') : '',
        c.selector === 'global' ? l10n.t('one subset for every input') : '',
      ].filter(Boolean).join('; ');
      return h('tr', null, h('td', null, selectorLabel(c.selector)), h('td', null, pct(pt?.accuracy)), h('td', null, pct(pt?.relative)), h('td', null, notes));
    }))));
}

export const curvesView: View = {
  id: 'curves',
  title: () => l10n.t('Subset accuracy'),
  mount(container, ctx) {
    const axisGroup = radioGroup({
      label: l10n.t('Horizontal axis'), name: 'xaxis', className: 'axis-toggle', value: ctx.state.xAxis,
      choices: [{ value: 'k', text: l10n.t('number of experts (k)') }, { value: 'fraction', text: l10n.t('fraction of experts') }],
      onChange: (v) => ctx.set({ xAxis: v }),
    });
    const chartEl = h('div', { class: 'chart chart-tall', id: 'chart-curves' });
    const tableEl = h('div', { class: 'curve-table' });
    const globalEl = h('div', { class: 'global-subset' });
    setChartCsv(chartEl, () => curvesToCsv(ctx.result));
    // What these curves leave out or rest on, beside them.
    const notes = resultNotes(ctx.result).filter((x) => x.id === 'skipped' || x.id === 'tiny' || x.id === 'chance');
    container.append(h('div', { class: 'view curves' }, h('div', { class: 'toolbar' }, h('span', { class: 'toolbar-label' }, l10n.t('Horizontal axis:')), axisGroup),
      notes.length ? h('ul', { class: 'notes' }, ...notes.map((x) => h('li', { class: `note ${x.severity}`, 'data-note': x.id }, x.text))) : null,
      chartFrame(chartEl, 'subset accuracy', l10n.t('subset accuracy')), globalEl, tableFrame(tableEl, 'subset accuracy table', l10n.t('subset accuracy table'))));
    const update = (c: ViewContext): void => {
      ctx = c;
      drawChart(chartEl, c);
      renderGlobal(globalEl, c);
      renderTable(tableEl, c);
    };
    update(ctx);
    return { update };
  },
};
