import * as l10n from '@vscode/l10n';
import type { LayerSpecialisation } from '../../src/core/analysis/schema';
import { axisStyle, mountChart } from '../charts';
import { clear, h, pct } from '../dom';
import { heatmapOption } from '../heatmap';
import { chartFrame, tableFrame } from '../export/exportBar';
import { className, layerLabel } from '../model';
import { radioGroup } from '../radioGroup';
import { layerPicker } from './layerPicker';
import type { View, ViewContext } from './types';

type Which = 'mass' | 'selected';

function specOf(ctx: ViewContext): LayerSpecialisation | undefined {
  const r = ctx.result;
  return r.perClass.specialisation[ctx.state.layer] ?? r.perClass.specialisation[0];
}

/**
 * The selection frequencies the heatmap shows: at the k of the slider when the result has them for every k, else
 * at the one k it recorded (older results, or very large ones), which the caption then names.
 */
export function selectedAt(spec: LayerSpecialisation, k: number): { matrix: number[][]; k: number; followsSlider: boolean } {
  const byK = spec.classExpertSelectedByK?.[String(k)];
  return byK ? { matrix: byK, k, followsSlider: true } : { matrix: spec.classExpertSelected, k: spec.selectedAtK, followsSlider: false };
}

function drawHeatmap(el: HTMLElement, caption: HTMLElement, ctx: ViewContext, which: Which): void {
  const r = ctx.result;
  const spec = specOf(ctx);
  if (!spec) {
    el.textContent = l10n.t('No specialisation data in this result.');
    return;
  }
  const k = ctx.state.k ?? 1;
  const sel = selectedAt(spec, k);
  const matrix = which === 'mass' ? spec.classExpertMass : sel.matrix;
  const n = matrix[0]?.length ?? 0;
  const uniform = n > 0 ? 1 / n : 0;
  caption.textContent = which === 'mass'
    ? l10n.t`Mean combine mass of each expert over the inputs of each class (rows sum to 1). Centred on uniform routing, 1/n = ${uniform.toFixed(3)}: blue above, red below.`
    : sel.followsSlider
      ? l10n.t`How often the heuristic keeps each expert for the inputs of each class, at k = ${sel.k}.`
      : l10n.t`How often the heuristic keeps each expert for the inputs of each class, at k = ${sel.k}: this result records it at that k only, not at the slider's k = ${k}.`;
  mountChart(el, (p) => heatmapOption(p, which === 'mass'
    ? {
      xLabels: Array.from({ length: n }, (_, e) => String(e)), yLabels: matrix.map((_, c) => className(r, c)),
      xName: l10n.t('expert'), yName: l10n.t('class'), matrix, scale: 'diverging', center: uniform, format: (v) => v.toFixed(3),
    }
    : {
      xLabels: Array.from({ length: n }, (_, e) => String(e)), yLabels: matrix.map((_, c) => className(r, c)),
      xName: l10n.t('expert'), yName: l10n.t('class'), matrix, scale: 'sequential', min: 0, max: 1, format: (v) => pct(v, 0),
    }), { which, layer: spec.layer, rows: matrix.length, cols: n, k: which === 'selected' ? sel.k : null, ...(which === 'mass' ? { center: uniform } : {}) },
  which === 'mass' ? l10n.t('Mean combine mass of each expert per class, centred on 1/n') : l10n.t`How often the heuristic keeps each expert per class at k = ${sel.k}`);
}

function drawPerClass(el: HTMLElement, ctx: ViewContext): void {
  const r = ctx.result;
  const k = ctx.state.k ?? 1;
  const atK = r.perClass.heuristicAccuracy[String(k)] ?? null;
  const names = r.perClass.classNames.map((_, c) => className(r, c));
  mountChart(el, (p) => ({
    color: [p.series[2], p.series[0]],
    legend: { top: 0, textStyle: { color: p.fg } },
    grid: { left: 48, right: 16, top: 32, bottom: 64 },
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => pct(v) },
    xAxis: { type: 'category', data: names, ...axisStyle(p), axisLabel: { color: p.muted, rotate: 30, interval: 0 } },
    yAxis: { type: 'value', min: 0, max: 1, ...axisStyle(p), axisLabel: { color: p.muted, formatter: (v: number) => pct(v, 0) } },
    series: [
      { name: l10n.t('Full model'), type: 'bar', data: r.perClass.fullAccuracy },
      ...(atK ? [{ name: l10n.t`Heuristic, k = ${k}`, type: 'bar', data: atK }] : []),
    ],
  }), { k, hasK: atK !== null, classes: names.length }, l10n.t`Accuracy per class, full model and heuristic at k = ${k}`);
}

function topTable(el: HTMLElement, ctx: ViewContext): void {
  const r = ctx.result;
  const spec = specOf(ctx);
  clear(el);
  if (!spec) return;
  el.append(h('table', { class: 'grid-table' },
    h('caption', null, l10n.t`Top experts per class — ${layerLabel(spec.layer, ctx.state.layer)}`),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, l10n.t('Class')), h('th', { scope: 'col' }, l10n.t('Support')), h('th', { scope: 'col' }, l10n.t('Top experts (share of combine mass)')))),
    h('tbody', null, ...spec.topExperts.map((experts, c) => h('tr', null,
      h('td', null, className(r, c)),
      h('td', null, String(r.perClass.support[c] ?? '')),
      h('td', null, experts.map((e) => `#${e} (${pct(spec.classExpertMass[c]?.[e] ?? 0, 0)})`).join(', ')))))));
}

export const specialisationView: View = {
  id: 'specialisation',
  title: () => l10n.t('Specialisation'),
  mount(container, ctx) {
    let which: Which = 'mass';
    const heat = h('div', { class: 'chart chart-tall', id: 'chart-class-expert' });
    const caption = h('p', { class: 'muted heat-caption', 'aria-live': 'polite' });
    const bars = h('div', { class: 'chart', id: 'chart-per-class' });
    const table = h('div');
    const toggle = radioGroup<Which>({
      label: l10n.t('Heatmap values'), name: 'heat', value: which,
      choices: [{ value: 'mass', text: l10n.t('combine mass') }, { value: 'selected', text: l10n.t('kept by the heuristic at k') }],
      onChange: (v) => {
        which = v;
        drawHeatmap(heat, caption, ctx, which);
      },
    });
    container.append(h('div', { class: 'view specialisation' },
      h('div', { class: 'toolbar' }, layerPicker(() => ctx), h('span', { class: 'toolbar-label' }, l10n.t('Show:')), toggle),
      h('h3', null, l10n.t('Class × expert')), caption, chartFrame(heat, 'class-expert heatmap', l10n.t('class-expert heatmap'), l10n.t('Class × expert')),
      h('h3', null, l10n.t('Accuracy per class')), chartFrame(bars, 'accuracy per class', l10n.t('accuracy per class')), tableFrame(table, 'top experts per class', l10n.t('top experts per class'))));
    const update = (c: ViewContext): void => {
      ctx = c;
      drawHeatmap(heat, caption, c, which);
      drawPerClass(bars, c);
      topTable(table, c);
    };
    update(ctx);
    return { update };
  },
};
