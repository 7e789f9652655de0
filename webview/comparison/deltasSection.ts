/** Per-class heuristic accuracy at one fraction of the experts, as differences to the first run. */
import * as l10n from '@vscode/l10n';
import { classDeltas, sharedFractions } from '../../src/core/report/comparison';
import { classDeltasCsv } from '../../src/core/report/comparisonCsv';
import { axisStyle, mountChart } from '../charts';
import { clear, h, pct } from '../dom';
import { setChartCsv } from '../export/chartCsv';
import { chartFrame, tableFrame } from '../export/exportBar';
import { runColor } from './runColors';
import type { ComparisonContext, Section } from './types';

function signed(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  return l10n.t`${v > 0 ? '+' : v < 0 ? '−' : '±'}${(Math.abs(v) * 100).toFixed(1)} pt`;
}

function draw(chart: HTMLElement, table: HTMLElement, ctx: ComparisonContext): void {
  const f = ctx.state.fraction;
  const d = classDeltas(ctx.runs, f);
  const others = d.runs.slice(1);
  setChartCsv(chart, () => classDeltasCsv(d, f));
  mountChart(chart, (p) => ({
    legend: { top: 0, type: 'scroll', textStyle: { color: p.fg } },
    grid: { left: 56, right: 16, top: 32, bottom: 64 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => signed(v) },
    xAxis: { type: 'category', data: d.classNames, ...axisStyle(p), axisLabel: { color: p.muted, rotate: 30, interval: 0 } },
    yAxis: { type: 'value', name: l10n.t`Δ accuracy vs ${d.baseline}`, nameLocation: 'middle', nameGap: 42, ...axisStyle(p), axisLabel: { color: p.muted, formatter: (v: number) => `${(v * 100).toFixed(0)}` } },
    series: others.map((r, i) => ({ name: r.label, type: 'bar', color: runColor(p, i + 1), data: r.delta ?? d.classNames.map(() => null) })),
  }), { fraction: f, ks: d.runs.map((r) => r.k), runs: others.map((r) => ({ label: r.label, hasDelta: r.delta !== null })) },
  l10n.t`Per-class heuristic accuracy at ${pct(f, 1)} of the experts, minus ${d.baseline}'s`);
  clear(table);
  table.append(h('table', { class: 'grid-table' },
    h('caption', null, l10n.t`Heuristic accuracy per class at ${pct(f, 1)} of the experts (k = ${d.runs.map((r) => r.k ?? '–').join(', ')})`),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, l10n.t('Class')), ...d.runs.map((r, i) => h('th', { scope: 'col' }, i === 0 ? r.label : `${r.label} (Δ)`)))),
    h('tbody', null, ...d.classNames.map((name, c) => h('tr', null, h('th', { scope: 'row' }, name),
      ...d.runs.map((r, i) => h('td', null, i === 0 ? pct(r.accuracy?.[c]) : `${pct(r.accuracy?.[c])} (${signed(r.delta?.[c])})`)))))));
}

export function deltasSection(root: HTMLElement, ctx: ComparisonContext): Section {
  const chart = h('div', { class: 'chart', id: 'chart-compare-deltas' });
  const table = h('div', { class: 'table-scroll', id: 'compare-deltas-table' });
  const picker = h('select', { id: 'fraction-select', class: 'select', 'aria-label': l10n.t('Fraction of experts kept') });
  const fill = (c: ComparisonContext): void => {
    clear(picker);
    for (const f of sharedFractions(c.runs, c.state.drop).filter((x) => x.value < 1)) {
      picker.append(h('option', { value: String(f.value), selected: Math.abs(f.value - c.state.fraction) < 1e-12 }, `${f.num}/${f.den} (${pct(f.value, 1)})`));
    }
  };
  picker.addEventListener('change', () => {
    const v = Number(picker.value);
    if (v > 0 && v <= 1) ctx.set({ fraction: v });
  });
  root.append(h('section', { class: 'compare-section' },
    h('h2', null, l10n.t('Per-class accuracy at a fraction of the experts')),
    h('div', { class: 'toolbar' }, h('label', { class: 'toolbar-label', for: 'fraction-select' }, l10n.t('Experts kept:')), picker,
      h('span', { class: 'muted' }, l10n.t`differences to ${ctx.runs[0]?.label ?? ''}, in percentage points`)),
    chartFrame(chart, 'per-class accuracy deltas', l10n.t('per-class accuracy deltas')), tableFrame(table, 'per-class accuracy table', l10n.t('per-class accuracy table'))));
  fill(ctx);
  draw(chart, table, ctx);
  return {
    update: (c) => {
      ctx = c;
      fill(c);
      draw(chart, table, c);
    },
  };
}
