import { axisStyle, mountChart } from '../charts';
import { clear, h, pct } from '../dom';
import { heatmapOption } from '../heatmap';
import { chartFrame, tableFrame } from '../export/exportBar';
import { className, layerLabel } from '../model';
import { layerPicker } from './layerPicker';
import type { View, ViewContext } from './types';

function drawHeatmap(el: HTMLElement, ctx: ViewContext, which: 'mass' | 'selected'): void {
  const r = ctx.result;
  const spec = r.perClass.specialisation[ctx.state.layer] ?? r.perClass.specialisation[0];
  if (!spec) {
    el.textContent = 'No specialisation data in this result.';
    return;
  }
  const matrix = which === 'mass' ? spec.classExpertMass : spec.classExpertSelected;
  const n = matrix[0]?.length ?? 0;
  mountChart(el, (p) => heatmapOption(p, {
    xLabels: Array.from({ length: n }, (_, e) => String(e)),
    yLabels: matrix.map((_, c) => className(r, c)),
    xName: 'expert', yName: 'class', matrix, scale: 'sequential', min: 0,
    max: which === 'selected' ? 1 : undefined,
    format: (v) => (which === 'mass' ? v.toFixed(2) : pct(v, 0)),
  }), { which, layer: spec.layer, rows: matrix.length, cols: n },
  which === 'mass' ? 'Mean combine mass of each expert per class' : `How often the heuristic keeps each expert per class at k = ${spec.selectedAtK}`);
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
      { name: 'Full model', type: 'bar', data: r.perClass.fullAccuracy },
      ...(atK ? [{ name: `Heuristic, k = ${k}`, type: 'bar', data: atK }] : []),
    ],
  }), { k, hasK: atK !== null, classes: names.length }, `Accuracy per class, full model and heuristic at k = ${k}`);
}

function topTable(el: HTMLElement, ctx: ViewContext): void {
  const r = ctx.result;
  const spec = r.perClass.specialisation[ctx.state.layer] ?? r.perClass.specialisation[0];
  clear(el);
  if (!spec) return;
  el.append(h('table', { class: 'grid-table' },
    h('caption', null, `Top experts per class — ${layerLabel(spec.layer, ctx.state.layer)}`),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Class'), h('th', { scope: 'col' }, 'Support'), h('th', { scope: 'col' }, 'Top experts (share of combine mass)'))),
    h('tbody', null, ...spec.topExperts.map((experts, c) => h('tr', null,
      h('td', null, className(r, c)),
      h('td', null, String(r.perClass.support[c] ?? '')),
      h('td', null, experts.map((e) => `#${e} (${pct(spec.classExpertMass[c]?.[e] ?? 0, 0)})`).join(', ')))))));
}

export const specialisationView: View = {
  id: 'specialisation',
  title: 'Specialisation',
  mount(container, ctx) {
    let which: 'mass' | 'selected' = 'mass';
    const heat = h('div', { class: 'chart chart-tall', id: 'chart-class-expert' });
    const bars = h('div', { class: 'chart', id: 'chart-per-class' });
    const table = h('div');
    const spec0 = ctx.result.perClass.specialisation[0];
    const toggle = h('vscode-radio-group', { 'aria-label': 'Heatmap values' },
      h('vscode-radio', { name: 'heat', value: 'mass', label: 'mass', checked: true }, 'combine mass'),
      h('vscode-radio', { name: 'heat', value: 'selected', label: 'selected' }, `kept by the heuristic (k = ${spec0?.selectedAtK ?? '?'})`));
    toggle.addEventListener('change', (e) => {
      const v = (e.target as HTMLInputElement).value;
      if (v === 'mass' || v === 'selected') {
        which = v;
        drawHeatmap(heat, ctx, which);
      }
    });
    container.append(h('div', { class: 'view specialisation' },
      h('div', { class: 'toolbar' }, layerPicker(() => ctx), h('span', { class: 'toolbar-label' }, 'Show:'), toggle),
      h('h3', null, 'Class × expert'), chartFrame(heat, 'class-expert heatmap'),
      h('h3', null, 'Accuracy per class'), chartFrame(bars, 'accuracy per class'), tableFrame(table, 'top experts per class')));
    const update = (c: ViewContext): void => {
      ctx = c;
      drawHeatmap(heat, c, which);
      drawPerClass(bars, c);
      topTable(table, c);
    };
    update(ctx);
    return { update };
  },
};
