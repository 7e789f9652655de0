import * as l10n from '@vscode/l10n';
import { h } from '../dom';
import { layerLabel } from '../model';
import type { ViewContext } from './types';

/** A layer chooser (a vscode-single-select), or nothing when the model has one MoE layer. */
export function layerPicker(ctx: () => ViewContext): HTMLElement | null {
  const layers = ctx().result.layers;
  if (layers.length < 2) return null;
  const sel = h('vscode-single-select', { 'aria-label': l10n.t('MoE layer'), class: 'layer-select' },
    ...layers.map((l, i) => h('vscode-option', { value: String(i), selected: i === ctx().state.layer }, layerLabel(l.name, i))));
  sel.addEventListener('change', () => {
    const v = Number((sel as unknown as { value: string }).value);
    if (Number.isInteger(v)) ctx().set({ layer: v });
  });
  return h('label', { class: 'toolbar-item' }, h('span', { class: 'toolbar-label' }, l10n.t('Layer:')), sel);
}
