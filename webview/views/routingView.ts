import * as l10n from '@vscode/l10n';
import { axisStyle, mountChart } from '../charts';
import { clear, h, pct, stat } from '../dom';
import { heatmapOption } from '../heatmap';
import { chartFrame } from '../export/exportBar';
import { layerPicker } from './layerPicker';
import type { View, ViewContext } from './types';

function render(stats: HTMLElement, load: HTMLElement, cos: HTMLElement, ctx: ViewContext): void {
  const r = ctx.result;
  const rt = r.routing[ctx.state.layer] ?? r.routing[0];
  clear(stats);
  if (!rt) {
    stats.textContent = l10n.t('No routing data in this result.');
    return;
  }
  const n = rt.load.length;
  stats.append(h('div', { class: 'stats' },
    stat(l10n.t('Combine entropy'), l10n.t`${rt.combineEntropy.toFixed(2)} nats`, l10n.t`of at most ${rt.maxEntropy.toFixed(2)} (${pct(rt.combineEntropy / rt.maxEntropy, 0)})`),
    stat(l10n.t('Top 10% of experts hold'), pct(rt.top10Share), l10n.t('of the combine mass, per input')),
    stat(l10n.t('Dead experts'), String(rt.deadExperts.length), rt.deadExperts.length ? l10n.t`#${rt.deadExperts.join(', #')} (load < ${pct(rt.deadThreshold)})` : l10n.t`none below ${pct(rt.deadThreshold)} load`),
  ));
  const dead = new Set(rt.deadExperts);
  const labels = Array.from({ length: n }, (_, e) => String(e));
  mountChart(load, (p) => ({
    legend: { top: 0, textStyle: { color: p.fg } },
    grid: { left: 52, right: 16, top: 32, bottom: 40 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => pct(v, 2) },
    xAxis: { type: 'category', data: labels, name: l10n.t('expert'), nameLocation: 'middle', nameGap: 26, ...axisStyle(p) },
    yAxis: { type: 'value', ...axisStyle(p), axisLabel: { color: p.muted, formatter: (v: number) => pct(v, 0) } },
    series: [
      { name: l10n.t('Combine load'), type: 'bar', color: p.series[0],
        data: rt.load.map((v, e) => (dead.has(e) ? { value: v, itemStyle: { color: p.bad } } : v)),
        markLine: { silent: true, symbol: 'none', lineStyle: { color: p.muted, type: 'dashed' }, label: { color: p.muted, formatter: l10n.t('uniform'), position: 'insideEndTop' }, data: [{ yAxis: 1 / n }] } },
      { name: l10n.t('Dispatch load'), type: 'bar', color: p.series[3], data: rt.dispatchLoad },
    ],
  }), { experts: n, dead: rt.deadExperts }, l10n.t('Load per expert: mean combine and dispatch mass; dead experts in red'));
  mountChart(cos, (p) => heatmapOption(p, {
    xLabels: labels, yLabels: labels, xName: l10n.t('expert'), yName: l10n.t('expert'), matrix: rt.outputCosine, scale: 'diverging', min: -1, max: 1,
  }), { experts: n }, l10n.t('Cosine similarity of mean expert outputs'));
}

export const routingView: View = {
  id: 'routing',
  title: () => l10n.t('Routing'),
  mount(container, ctx) {
    const stats = h('div');
    const load = h('div', { class: 'chart', id: 'chart-load' });
    const cos = h('div', { class: 'chart chart-square', id: 'chart-output-cosine' });
    container.append(h('div', { class: 'view routing' },
      h('div', { class: 'toolbar' }, layerPicker(() => ctx)), stats,
      h('h3', null, l10n.t('Load per expert')), chartFrame(load, 'load per expert', l10n.t('load per expert')),
      h('h3', null, l10n.t('Cosine similarity of expert outputs')), chartFrame(cos, 'expert output cosine', l10n.t('expert output cosine'))));
    const update = (c: ViewContext): void => {
      ctx = c;
      render(stats, load, cos, c);
    };
    update(ctx);
    return { update };
  },
};
