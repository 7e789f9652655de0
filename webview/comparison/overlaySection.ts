/** Subset-accuracy curves of every run against the FRACTION of experts kept: heuristic solid, random dashed. */
import * as l10n from '@vscode/l10n';
import { overlaySeries } from '../../src/core/report/comparison';
import { overlayCsv } from '../../src/core/report/comparisonCsv';
import { axisStyle, mountChart } from '../charts';
import { h, pct } from '../dom';
import { setChartCsv } from '../export/chartCsv';
import { chartFrame } from '../export/exportBar';
import { runColor } from './runColors';
import type { ComparisonContext, Section } from './types';

function draw(el: HTMLElement, ctx: ComparisonContext): void {
  const drop = ctx.state.drop;
  const series = overlaySeries(ctx.runs, drop);
  const index = new Map(ctx.runs.map((r, i) => [r.label, i]));
  const nOf = new Map(ctx.runs.map((r) => [r.label, r.result.layers[0]?.numExperts ?? 0]));
  setChartCsv(el, () => overlayCsv(ctx.runs, drop));
  mountChart(el, (p) => ({
    legend: { top: 0, type: 'scroll', textStyle: { color: p.fg }, data: ctx.runs.map((r) => r.label) },
    grid: { left: 56, right: 24, top: 40, bottom: 48 },
    tooltip: {
      trigger: 'item',
      formatter: (q: { seriesId: string; seriesName: string; value: [number, number] }) => {
        const sel = q.seriesId.endsWith(':random') ? l10n.t('random') : l10n.t('heuristic');
        const n = nOf.get(q.seriesName) ?? 0;
        return `${q.seriesName} — ${sel}<br>${l10n.t`k = ${Math.round(q.value[0] * n)} of ${n} (${pct(q.value[0], 0)})`}<br><b>${pct(q.value[1])}</b>`;
      },
    },
    xAxis: {
      type: 'value', name: l10n.t('fraction of experts kept'), nameLocation: 'middle', nameGap: 30, min: 0, max: 1,
      ...axisStyle(p), axisLabel: { color: p.muted, formatter: (v: number) => pct(v, 0) }, splitLine: { show: false },
    },
    yAxis: { type: 'value', name: l10n.t('top-1 accuracy'), nameLocation: 'middle', nameGap: 42, min: 0, max: 1, ...axisStyle(p), axisLabel: { color: p.muted, formatter: (v: number) => pct(v, 0) } },
    series: series.map((s) => {
      const color = runColor(p, index.get(s.label) ?? 0);
      return {
        id: `${s.label}:${s.selector}`, name: s.label, type: 'line', color, data: s.points,
        symbol: s.selector === 'heuristic' ? 'circle' : 'emptyCircle', symbolSize: s.points.length > 20 ? 3 : 6,
        lineStyle: { width: s.selector === 'heuristic' ? 2.5 : 1.6, type: s.selector === 'heuristic' ? 'solid' : 'dashed' },
      };
    }),
  }), { drop, series: series.map((s) => ({ label: s.label, selector: s.selector, points: s.points.length })) },
  l10n.t`Subset accuracy of ${ctx.runs.length} runs against the fraction of experts kept; heuristic solid, random dashed (${drop})`);
}

export function overlaySection(root: HTMLElement, ctx: ComparisonContext): Section {
  const el = h('div', { class: 'chart chart-tall', id: 'chart-compare-curves' });
  root.append(h('section', { class: 'compare-section' },
    h('h2', null, l10n.t('Subset accuracy against the fraction of experts kept')),
    h('p', { class: 'muted' }, l10n.t('Solid: heuristic (Algorithm 1, the experts with the most combine mass per input). Dashed: random subsets of the same size. Runs with different numbers of experts line up on the fraction k / n.')),
    chartFrame(el, 'subset accuracy of the compared runs', l10n.t('subset accuracy of the compared runs'))));
  draw(el, ctx);
  return { update: (c) => draw(el, c) };
}
