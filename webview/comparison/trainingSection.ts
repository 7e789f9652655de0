/** Training mode: how accuracy, heuristic-vs-random and routing change over the epochs of one run. */
import * as l10n from '@vscode/l10n';
import { trainingSeries } from '../../src/core/report/comparison';
import { trainingCsv } from '../../src/core/report/comparisonCsv';
import { axisStyle, mountChart } from '../charts';
import { h, pct } from '../dom';
import { setChartCsv } from '../export/chartCsv';
import { chartFrame } from '../export/exportBar';
import type { ComparisonContext, Section } from './types';

function draw(acc: HTMLElement, routing: HTMLElement, ctx: ComparisonContext): void {
  const pts = trainingSeries(ctx.runs, ctx.state.drop);
  const epochs = pts.map((q) => String(q.epoch));
  setChartCsv(acc, () => trainingCsv(pts));
  setChartCsv(routing, () => trainingCsv(pts));
  mountChart(acc, (p) => ({
    legend: { top: 0, textStyle: { color: p.fg } },
    grid: { left: 56, right: 24, top: 40, bottom: 48 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => pct(v) },
    xAxis: { type: 'category', data: epochs, name: l10n.t('epoch'), nameLocation: 'middle', nameGap: 30, boundaryGap: false, ...axisStyle(p) },
    yAxis: { type: 'value', min: 0, max: 1, name: l10n.t('top-1 accuracy'), nameLocation: 'middle', nameGap: 42, ...axisStyle(p), axisLabel: { color: p.muted, formatter: (v: number) => pct(v, 0) } },
    series: [
      { name: l10n.t('Full model'), type: 'line', color: p.series[2], lineStyle: { width: 2 }, data: pts.map((q) => q.fullAccuracy) },
      { name: l10n.t('Heuristic at 1/4'), type: 'line', color: p.series[0], lineStyle: { width: 2.5 }, data: pts.map((q) => q.heuristicQuarter) },
      { name: l10n.t('Random at 1/4'), type: 'line', color: p.series[1], lineStyle: { width: 1.8, type: 'dashed' }, data: pts.map((q) => q.randomQuarter) },
      { name: l10n.t('Heuristic at recommended k'), type: 'line', color: p.series[3], lineStyle: { width: 1.8, type: 'dotted' }, data: pts.map((q) => q.heuristicAtRecommended) },
    ],
  }), { epochs: pts.map((q) => q.epoch), series: 4 }, l10n.t('Full accuracy, heuristic and random at a quarter of the experts, over training'));
  // Entropy from 0 to its maximum ln(n·p): a 0.001-nat change must look like one, not fill the chart.
  const maxEntropy = Math.max(0, ...ctx.runs.map((r) => r.result.routing[0]?.maxEntropy ?? 0));
  const entropies = pts.map((q) => q.combineEntropy).filter((v): v is number => v !== null);
  const range = entropies.length ? l10n.t`${Math.min(...entropies).toFixed(4)}–${Math.max(...entropies).toFixed(4)} nats` : '';
  mountChart(routing, (p) => ({
    legend: { top: 0, textStyle: { color: p.fg } },
    grid: { left: 56, right: 64, top: 40, bottom: 48 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: epochs, name: l10n.t('epoch'), nameLocation: 'middle', nameGap: 30, boundaryGap: false, ...axisStyle(p) },
    yAxis: [
      { type: 'value', min: 0, max: 1, name: l10n.t('recommended fraction'), nameLocation: 'middle', nameGap: 42, ...axisStyle(p), axisLabel: { color: p.muted, formatter: (v: number) => pct(v, 0) } },
      {
        type: 'value', min: 0, ...(maxEntropy > 0 ? { max: Number(maxEntropy.toFixed(3)) } : {}),
        name: maxEntropy > 0 ? l10n.t`combine entropy (nats; max ln(n·p) = ${maxEntropy.toFixed(2)})` : l10n.t('combine entropy (nats)'),
        nameLocation: 'middle', nameGap: 44, ...axisStyle(p), splitLine: { show: false },
      },
    ],
    series: [
      // No k below n reaching the target means the run needs all its experts: drawn at 100%.
      { name: l10n.t('Recommended fraction of experts'), type: 'line', color: p.series[0], data: pts.map((q) => q.recommendedFraction ?? 1), tooltip: { valueFormatter: (v: number) => pct(v, 1) } },
      { name: range ? l10n.t`Combine entropy (${range})` : l10n.t('Combine entropy'), type: 'line', yAxisIndex: 1, color: p.series[4], lineStyle: { type: 'dashed' }, data: pts.map((q) => q.combineEntropy), tooltip: { valueFormatter: (v: number) => (v === null ? '–' : v.toFixed(3)) } },
    ],
  }), { epochs: pts.map((q) => q.epoch), entropy: pts.map((q) => q.combineEntropy), entropyAxis: [0, maxEntropy] }, l10n.t`Recommended fraction of experts and combine entropy over training (entropy ${range})`);
}

export function trainingSection(root: HTMLElement, ctx: ComparisonContext): Section {
  const acc = h('div', { class: 'chart chart-tall', id: 'chart-training-accuracy' });
  const routing = h('div', { class: 'chart', id: 'chart-training-routing' });
  root.append(h('section', { class: 'compare-section' },
    h('h2', null, l10n.t('Over training')),
    h('p', { class: 'muted' }, l10n.t('Does specialisation emerge during training? The gap between the heuristic and random subsets at a quarter of the experts, and how much of the model the heuristic needs to keep 99% of full accuracy, per saved epoch.')),
    chartFrame(acc, 'accuracy over training', l10n.t('accuracy over training')), chartFrame(routing, 'routing over training', l10n.t('routing over training'))));
  draw(acc, routing, ctx);
  return { update: (c) => draw(acc, routing, c) };
}
