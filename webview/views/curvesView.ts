import * as l10n from '@vscode/l10n';
import type { Curve } from '../../src/core/analysis/schema';
import { axisStyle, mountChart } from '../charts';
import { curvesToCsv } from '../../src/core/analysis/resultCsv';
import { clear, h, pct } from '../dom';
import { setChartCsv } from '../export/chartCsv';
import { chartFrame, tableFrame } from '../export/exportBar';
import { chanceAccuracy, resultNotes, selectorLabel } from '../../src/core/report/resultNotes';
import { curvesFor, numExperts, pointAt } from '../model';
import { radioGroup } from '../radioGroup';
import type { Palette } from '../theme';
import type { View, ViewContext } from './types';

function seriesFor(curves: Curve[], xAxis: 'k' | 'fraction', p: Palette, markX: number, markLabel: string): unknown[] {
  const out: unknown[] = [];
  const x = (pt: { k: number; fraction: number }): number => (xAxis === 'k' ? pt.k : pt.fraction);
  curves.forEach((c, i) => {
    const color = p.series[i % p.series.length];
    const name = selectorLabel(c.selector);
    out.push({
      name, type: 'line', color, symbolSize: 6, showSymbol: true,
      lineStyle: { width: c.selector === 'heuristic' ? 2.5 : 1.8, type: c.selector === 'oracle' ? 'dashed' : 'solid' },
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

/** Reference lines: the full model's accuracy (the ceiling every subset is measured against) and chance (1/classes). */
function referenceLines(r: ViewContext['result'], p: Palette): unknown {
  const chance = chanceAccuracy(r);
  const line = (y: number, label: string, color: string, type: string, position: string) => ({
    yAxis: y, lineStyle: { color, type, width: 1.2, opacity: 0.7 }, label: { color, formatter: label, position },
  });
  return {
    name: 'reference', type: 'line', data: [], tooltip: { show: false },
    markLine: {
      silent: true, symbol: 'none',
      data: [
        // Labels at the left, where subsets of few experts sit well below the full model.
        line(r.fullAccuracy, l10n.t`full model ${pct(r.fullAccuracy)}`, p.fg, 'solid', 'insideStartTop'),
        ...(chance > 0 ? [line(chance, l10n.t`chance ${pct(chance)}`, p.muted, 'dashed', 'insideStartTop')] : []),
      ],
    },
  };
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
  const summary = {
    drop, xAxis, k, series: curves.map((c) => ({ selector: c.selector, points: c.points.length })),
    fullAccuracy: r.fullAccuracy, chance: chanceAccuracy(r), ...(xAxis === 'k' ? { kTicks: ticks } : {}),
  };
  mountChart(el, (p) => ({
    color: p.series,
    legend: { top: 0, textStyle: { color: p.fg }, data: curves.map((c) => selectorLabel(c.selector)) },
    grid: { left: 56, right: 24, top: 40, bottom: 48 },
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
          return `${q.seriesName}: ${pct(q.value[1])}${std}`;
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
    series: [...seriesFor(curves, xAxis, p, markX, l10n.t`k = ${k}`), referenceLines(r, p)],
  }), summary, xAxis === 'k' ? l10n.t`Subset accuracy against k, drop ${drop}` : l10n.t`Subset accuracy against the fraction of experts, drop ${drop}`);
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
        pt?.heuristicIsSpecialised !== undefined ? l10n.t`heuristic subset specialised for ${pct(pt.heuristicIsSpecialised, 0)} of inputs` : '',
        pt?.greedy ? l10n.t('greedy search') : '',
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
    setChartCsv(chartEl, () => curvesToCsv(ctx.result));
    // What these curves leave out or rest on, beside them.
    const notes = resultNotes(ctx.result).filter((x) => x.id === 'skipped' || x.id === 'tiny' || x.id === 'chance');
    container.append(h('div', { class: 'view curves' }, h('div', { class: 'toolbar' }, h('span', { class: 'toolbar-label' }, l10n.t('Horizontal axis:')), axisGroup),
      notes.length ? h('ul', { class: 'notes' }, ...notes.map((x) => h('li', { class: `note ${x.severity}`, 'data-note': x.id }, x.text))) : null,
      chartFrame(chartEl, 'subset accuracy', l10n.t('subset accuracy')), tableFrame(tableEl, 'subset accuracy table', l10n.t('subset accuracy table'))));
    const update = (c: ViewContext): void => {
      ctx = c;
      drawChart(chartEl, c);
      renderTable(tableEl, c);
    };
    update(ctx);
    return { update };
  },
};
