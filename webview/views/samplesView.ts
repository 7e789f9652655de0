import * as l10n from '@vscode/l10n';
import type { SampleRecord } from '../../src/core/analysis/schema';
import { mountChart, disposeChartsUnder } from '../charts';
import { chartFrame } from '../export/exportBar';
import { append, clear, h, pct } from '../dom';
import { heatmapOption } from '../heatmap';
import { allKs, className, layerLabel, selectedExperts } from '../model';
import { imageCanvas } from '../sampleCanvas';
import { readPalette } from '../theme';
import { layerPicker } from './layerPicker';
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
    el.append(h('p', { class: 'muted' }, l10n.t('This result keeps no samples.')));
    return;
  }
  for (const s of r.samples) {
    const pk = predAt(s, k);
    const ok = pk === s.label;
    const btn = h('button', {
      class: `thumb${ctx.state.sample === s.index ? ' selected' : ''}`, type: 'button', 'data-index': s.index,
      'aria-pressed': ctx.state.sample === s.index ? 'true' : 'false',
      'aria-label': l10n.t`Sample ${s.index}: ${className(r, s.label)}, predicted ${className(r, pk)} at k = ${k}`,
      title: l10n.t`#${s.index} — true label ${className(r, s.label)}; at k = ${k} predicted ${className(r, pk)}`,
    }, imageCanvas(s, 2),
    h('span', { class: `thumb-caption ${ok ? 'ok' : 'wrong'}` }, `${ok ? '✓' : '✗'} ${className(r, pk)}`),
    ok ? null : h('span', { class: 'thumb-label muted' }, l10n.t`true: ${className(r, s.label)}`));
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
  // One scale for every overlay, so brighter means more dispatch weight across them, not within each.
  const weights = chosen.map((e) => layer?.dispatch[e] ?? []);
  const max = Math.max(1e-12, ...weights.flat());
  const overlays = h('div', { class: 'overlays' }, ...chosen.map((e, i) => h('figure', { class: 'overlay', 'data-expert': e },
    imageCanvas(s, 3, { weights: weights[i] ?? [], color: p.series[1], max }),
    h('figcaption', null, l10n.t`#${i + 1}: expert ${e}`, h('br'), l10n.t`score ${(layer?.scores[e] ?? 0).toFixed(3)}`))));
  const ramp = h('span', { class: 'colour-ramp' });
  // Through the CSSOM: the page's CSP refuses style attributes.
  ramp.style.setProperty('--ramp', p.series[1] ?? 'currentColor');
  const colourBar = h('div', { class: 'colour-bar', role: 'img', 'aria-label': l10n.t`Overlay colour scale: dispatch weight from 0 to ${max.toFixed(3)}` },
    h('span', null, '0'), ramp, h('span', null, max.toFixed(3)),
    h('span', { class: 'muted' }, l10n.t('dispatch weight per patch (summed over the expert’s slots)')));
  const layers = r.layers.length;
  const combineEl = h('div', { class: 'chart', id: 'chart-sample-combine' });
  const ks = allKs(r);
  const chips = h('ol', { class: 'chips', 'aria-label': l10n.t('Prediction at each k') }, ...ks.map((kk) => {
    const pk = predAt(s, kk);
    const ok = pk === s.label;
    return h('li', { class: `chip ${ok ? 'ok' : 'wrong'}${kk === k ? ' current' : ''}`, title: l10n.t`k = ${kk}: ${className(r, pk)}` },
      h('span', { class: 'chip-k' }, `k=${kk}`), h('span', null, `${ok ? '✓' : '✗'} ${className(r, pk)}`));
  }));
  const close = h('vscode-button', { secondary: true, class: 'close-detail' }, l10n.t('Close'));
  close.addEventListener('click', () => ctx.set({ sample: null }));
  const layerName = layer ? layerLabel(layer.layer, li) : '';
  append(el, [
    h('div', { class: 'detail-head' },
      h('h3', null, l10n.t`Sample #${s.index} — true label ${className(r, s.label)}, full model predicts ${className(r, s.prediction)}`), close),
    layers > 1 ? h('p', { class: 'detail-layer', 'data-layer': li }, l10n.t`Routing of Soft MoE layer ${li + 1} of ${layers}: ${layerName} (choose another with Layer above)`) : null,
    h('div', { class: 'detail-body' },
      h('figure', { class: 'input' }, imageCanvas(s, 6), h('figcaption', null, l10n.t('input'))),
      h('div', null,
        h('p', { class: 'muted' }, `${chosen.length === 1
          ? (layers > 1 ? l10n.t`Dispatch weights of the expert the heuristic keeps at k = ${k} in ${layerName}` : l10n.t`Dispatch weights of the expert the heuristic keeps at k = ${k}`)
          : (layers > 1 ? l10n.t`Dispatch weights of the ${chosen.length} experts the heuristic keeps at k = ${k} in ${layerName}` : l10n.t`Dispatch weights of the ${chosen.length} experts the heuristic keeps at k = ${k}`)} ${l10n.t("(brighter patch = more weight). Score: the expert's combine weight summed over all tokens and its slots — Algorithm 1 keeps the k highest.")}`),
        overlays, colourBar)),
    h('h4', null, l10n.t('Combine weights: tokens × experts')), chartFrame(combineEl, `combine weights of sample ${s.index}`, l10n.t`combine weights of sample ${s.index}`),
    h('h4', null, l10n.t('Prediction at each k')), chips,
  ]);
  if (layer) {
    const tokens = layer.combine.length;
    const n = layer.combine[0]?.length ?? 0;
    const grid = s.tokenGrid;
    const tokLabel = (t: number): string => (grid?.hasClassToken ? (t === 0 ? l10n.t({ message: 'cls', comment: ['the class token, as the token axis of the combine heatmap labels it'] }) : `p${t - 1}`) : `p${t}`);
    mountChart(combineEl, (pp) => heatmapOption(pp, {
      xLabels: Array.from({ length: n }, (_, e) => (chosen.includes(e) ? `${e}★` : String(e))),
      yLabels: Array.from({ length: tokens }, (_, t) => tokLabel(t)),
      xName: l10n.t('expert'), yName: l10n.t('token'), matrix: layer.combine, scale: 'sequential', min: 0, format: (v) => pct(v, 0),
    }), { sample: s.index, tokens, experts: n, selected: chosen }, l10n.t`Combine weights of sample ${s.index}, tokens by experts`);
  }
  el.dataset.sample = String(s.index);
}

export const samplesView: View = {
  id: 'samples',
  title: () => l10n.t('Samples'),
  mount(container, ctx) {
    const grid = h('div', { class: 'thumbs', role: 'group', 'aria-label': l10n.t('Samples') });
    const detail = h('section', { class: 'sample-detail', 'aria-live': 'polite' });
    container.append(h('div', { class: 'view samples' },
      h('div', { class: 'toolbar' }, layerPicker(() => ctx)),
      h('p', { class: 'muted' }, l10n.t('Each tile shows the prediction with the heuristic subset at the current k (✓ right, ✗ wrong, with the true label). Select one to see which experts it uses; Escape closes it.')),
      grid, detail));
    // Escape closes the drill-down (wherever the focus is while the Samples tab shows) and focuses its tile.
    const onKey = (e: KeyboardEvent): void => {
      if (!container.isConnected) {
        document.removeEventListener('keydown', onKey);
        return;
      }
      if (e.key !== 'Escape' || ctx.state.sample === null || grid.offsetParent === null) return;
      const index = ctx.state.sample;
      e.preventDefault();
      ctx.set({ sample: null });
      (grid.querySelector(`.thumb[data-index="${index}"]`) as HTMLElement | null)?.focus();
    };
    document.addEventListener('keydown', onKey);
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
