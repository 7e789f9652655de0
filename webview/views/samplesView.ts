import type { SampleRecord } from '../../src/core/analysis/schema';
import { mountChart, disposeChartsUnder } from '../charts';
import { chartFrame } from '../export/exportBar';
import { clear, h, pct } from '../dom';
import { heatmapOption } from '../heatmap';
import { allKs, className, selectedExperts } from '../model';
import { imageCanvas } from '../sampleCanvas';
import { readPalette } from '../theme';
import type { View, ViewContext } from './types';

function predAt(s: SampleRecord, k: number): number {
  return s.predictionAtK[String(k)] ?? s.prediction;
}

function renderGrid(el: HTMLElement, ctx: ViewContext): void {
  const r = ctx.result;
  const k = ctx.state.k ?? 1;
  const focused = el.contains(document.activeElement) ? document.activeElement?.getAttribute('data-index') : null;
  clear(el);
  if (!r.samples.length) {
    el.append(h('p', { class: 'muted' }, 'This result keeps no samples.'));
    return;
  }
  for (const s of r.samples) {
    const pk = predAt(s, k);
    const ok = pk === s.label;
    const btn = h('button', {
      class: `thumb${ctx.state.sample === s.index ? ' selected' : ''}`, type: 'button', 'data-index': s.index,
      'aria-pressed': ctx.state.sample === s.index ? 'true' : 'false',
      'aria-label': `Sample ${s.index}: ${className(r, s.label)}, predicted ${className(r, pk)} at k = ${k}`,
      title: `#${s.index} — label ${className(r, s.label)}, at k = ${k}: ${className(r, pk)}`,
    }, imageCanvas(s, 2), h('span', { class: `thumb-caption ${ok ? 'ok' : 'wrong'}` }, `${ok ? '✓' : '✗'} ${className(r, pk)}`));
    btn.addEventListener('click', () => ctx.set({ sample: ctx.state.sample === s.index ? null : s.index }));
    el.append(btn);
    if (focused === String(s.index)) btn.focus();
  }
}

function renderDetail(el: HTMLElement, ctx: ViewContext): void {
  disposeChartsUnder(el);
  clear(el);
  const r = ctx.result;
  const s = r.samples.find((x) => x.index === ctx.state.sample);
  el.hidden = !s;
  if (!s) return;
  const k = ctx.state.k ?? 1;
  const li = Math.min(ctx.state.layer, s.layers.length - 1);
  const layer = s.layers[li];
  const p = readPalette();
  const chosen = layer ? selectedExperts(layer.ranking, k) : [];
  const overlays = h('div', { class: 'overlays' }, ...chosen.map((e, i) => h('figure', { class: 'overlay' },
    imageCanvas(s, 3, { weights: layer.dispatch[e] ?? [], color: p.series[1] }),
    h('figcaption', null, `#${i + 1}: expert ${e}`, h('br'), `score ${(layer.scores[e] ?? 0).toFixed(3)}`))));
  const combineEl = h('div', { class: 'chart', id: 'chart-sample-combine' });
  const ks = allKs(r);
  const chips = h('ol', { class: 'chips', 'aria-label': 'Prediction at each k' }, ...ks.map((kk) => {
    const pk = predAt(s, kk);
    const ok = pk === s.label;
    return h('li', { class: `chip ${ok ? 'ok' : 'wrong'}${kk === k ? ' current' : ''}`, title: `k = ${kk}: ${className(r, pk)}` },
      h('span', { class: 'chip-k' }, `k=${kk}`), h('span', null, `${ok ? '✓' : '✗'} ${className(r, pk)}`));
  }));
  const close = h('vscode-button', { secondary: true, class: 'close-detail' }, 'Close');
  close.addEventListener('click', () => ctx.set({ sample: null }));
  el.append(
    h('div', { class: 'detail-head' },
      h('h3', null, `Sample #${s.index} — label ${className(r, s.label)}, full model predicts ${className(r, s.prediction)}`), close),
    h('div', { class: 'detail-body' },
      h('figure', { class: 'input' }, imageCanvas(s, 6), h('figcaption', null, 'input')),
      h('div', null,
        h('p', { class: 'muted' }, `Dispatch weights of the ${chosen.length} expert${chosen.length === 1 ? '' : 's'} the heuristic keeps at k = ${k} (brighter patch = more weight)`),
        overlays)),
    h('h4', null, 'Combine weights: tokens × experts'), chartFrame(combineEl, `combine weights of sample ${s.index}`),
    h('h4', null, 'Prediction at each k'), chips,
  );
  if (layer) {
    const tokens = layer.combine.length;
    const n = layer.combine[0]?.length ?? 0;
    const grid = s.tokenGrid;
    const tokLabel = (t: number): string => (grid?.hasClassToken ? (t === 0 ? 'cls' : `p${t - 1}`) : `p${t}`);
    mountChart(combineEl, (pp) => heatmapOption(pp, {
      xLabels: Array.from({ length: n }, (_, e) => (chosen.includes(e) ? `${e}★` : String(e))),
      yLabels: Array.from({ length: tokens }, (_, t) => tokLabel(t)),
      xName: 'expert', yName: 'token', matrix: layer.combine, scale: 'sequential', min: 0, format: (v) => pct(v, 0),
    }), { sample: s.index, tokens, experts: n, selected: chosen }, `Combine weights of sample ${s.index}, tokens by experts`);
  }
  el.dataset.sample = String(s.index);
}

export const samplesView: View = {
  id: 'samples',
  title: 'Samples',
  mount(container, ctx) {
    const grid = h('div', { class: 'thumbs', role: 'group', 'aria-label': 'Samples' });
    const detail = h('section', { class: 'sample-detail', 'aria-live': 'polite' });
    container.append(h('div', { class: 'view samples' },
      h('p', { class: 'muted' }, 'Each tile shows the prediction with the heuristic subset at the current k. Select one to see which experts it uses.'),
      grid, detail));
    let lastSample: number | null = null;
    const update = (c: ViewContext): void => {
      ctx = c;
      renderGrid(grid, c);
      renderDetail(detail, c);
      if (c.state.sample !== null && c.state.sample !== lastSample) detail.scrollIntoView?.({ block: 'nearest' });
      lastSample = c.state.sample;
    };
    update(ctx);
    return { update };
  },
};
