/** The checkpoint editor's content: facts, Soft MoE layers (Φ, slot cosine, expert norms) and the tensor table. */
import * as l10n from '@vscode/l10n';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import type { CheckpointSummary, LayerSummary, MatrixView } from '../src/core/protocol/checkpointSummary';
import { axisStyle, mountChart, redrawAll } from './charts';
import { runName } from '../src/core/report/runLabels';
import { clear, fmtBytes, fmtInt, h, plural, stat } from './dom';
import { heatmapOption } from './heatmap';
import { layerLabel } from './model';
import { watchTheme } from './theme';

export interface CheckpointAppOptions {
  filter?: string;
  onFilter?: (filter: string) => void;
  onAnalyze?: () => void;
  onCompare?: () => void;
}

const tensors = (n: number): string => plural(n, l10n.t('{0} tensor'), l10n.t('{0} tensors'));

/** Rows drawn at most; the filter narrows the rest. */
const MAX_ROWS = 400;

function toRows(m: MatrixView): number[][] {
  return Array.from({ length: m.rows }, (_, r) => m.values.slice(r * m.cols, (r + 1) * m.cols));
}

/**
 * The model dimensions each row of a downsampled Φ stands for (rows were averaged in contiguous groups): row g
 * covers dims [⌊g·D/R⌋, ⌊(g+1)·D/R⌋). Labels name real dims ("0", "12–23"), not bin numbers.
 */
export function phiRowLabels(m: MatrixView): string[] {
  return Array.from({ length: m.rows }, (_, g) => {
    const r0 = Math.floor((g * m.sourceRows) / m.rows);
    const r1 = Math.floor(((g + 1) * m.sourceRows) / m.rows) - 1;
    return r1 > r0 ? `${r0}–${r1}` : String(r0);
  });
}

function layerSection(l: LayerSummary, i: number): HTMLElement {
  const slots = l.numExperts * l.slotsPerExpert;
  const slotLabel = (s: number): string => (l.slotsPerExpert === 1 ? `e${s}` : `e${Math.floor(s / l.slotsPerExpert)}.${s % l.slotsPerExpert}`);
  const phiEl = h('div', { class: 'chart chart-tall', id: `chart-phi-${i}` });
  const cosEl = h('div', { class: 'chart chart-square', id: `chart-slot-cos-${i}` });
  const normEl = h('div', { class: 'chart', id: `chart-norms-${i}` });
  const sec = h('section', { class: 'layer' },
    h('h3', null, l10n.t`${layerLabel(l.name, i)} — ${l.layout}`),
    h('p', { class: 'muted' }, l10n.t`${plural(l.numExperts, l10n.t('{0} expert'), l10n.t('{0} experts'))} × ${plural(l.slotsPerExpert, l10n.t('{0} slot'), l10n.t('{0} slots'))}, dim ${l.dim}, expert hidden ${l.expertHidden}`),
    h('div', { class: 'two-col' },
      h('div', null, h('h4', null, l.phi && l.phi.sourceRows !== l.phi.rows ? l10n.t`Slot parameters Φ (${l.phi.sourceRows} dims averaged in ${l.phi.rows} groups)` : l10n.t('Slot parameters Φ')), l.phi ? phiEl : h('p', { class: 'muted' }, l10n.t('This layout stores no Φ.'))),
      h('div', null, h('h4', null, l10n.t('Cosine similarity between slot vectors')), l.slotCosine ? cosEl : h('p', { class: 'muted' }, '–'))),
    h('h4', null, l10n.t('Weight norm per expert')),
    l.expertNorms.length ? normEl : h('p', { class: 'muted expert-norms-note', id: `norms-note-${i}` }, l.expertNormsNote ?? l10n.t('No expert weights found for this layer.')));
  queueMicrotask(() => {
    if (l.phi) {
      const phi = l.phi;
      mountChart(phiEl, (p) => heatmapOption(p, {
        xLabels: Array.from({ length: slots }, (_, s) => slotLabel(s)), yLabels: phiRowLabels(phi),
        xName: l10n.t('slot'), yName: phi.sourceRows !== phi.rows ? l10n.t('dims (mean)') : l10n.t('dim'), matrix: toRows(phi), scale: 'diverging', showValues: false,
      }), { rows: phi.rows, cols: phi.cols, dims: phi.sourceRows, firstRows: phiRowLabels(phi).slice(0, 3) }, l10n.t`Heatmap of the slot parameters of ${layerLabel(l.name, i)}`);
    }
    if (l.slotCosine) {
      const cos = l.slotCosine;
      mountChart(cosEl, (p) => heatmapOption(p, {
        xLabels: Array.from({ length: cos.cols }, (_, s) => slotLabel(s)), yLabels: Array.from({ length: cos.rows }, (_, s) => slotLabel(s)),
        xName: l10n.t('slot'), yName: l10n.t('slot'), matrix: toRows(cos), scale: 'diverging', min: -1, max: 1,
      }), { slots: cos.rows }, l10n.t`Cosine similarity between the slot vectors of ${layerLabel(l.name, i)}`);
    }
    if (l.expertNorms.length) mountChart(normEl, (p) => ({
      grid: { left: 48, right: 16, top: 16, bottom: 40 },
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => v.toFixed(3) },
      xAxis: { type: 'category', data: l.expertNorms.map((_, e) => String(e)), name: l10n.t('expert'), nameLocation: 'middle', nameGap: 26, ...axisStyle(p) },
      yAxis: { type: 'value', name: '‖W‖', ...axisStyle(p) },
      series: [{ type: 'bar', name: l10n.t('weight norm'), color: p.series[0], data: l.expertNorms }],
    }), { experts: l.expertNorms.length }, l10n.t`Weight norm of each expert of ${layerLabel(l.name, i)}`);
  });
  return sec;
}

function tensorTable(header: HTMLElement, body: HTMLElement, count: HTMLElement, s: CheckpointSummary, filter: string): void {
  const f = filter.trim().toLowerCase();
  const rows = f ? s.tensors.filter((t) => t.name.toLowerCase().includes(f) || t.dtype.toLowerCase() === f) : s.tensors;
  clear(body);
  for (const t of rows.slice(0, MAX_ROWS)) {
    body.append(h('vscode-table-row', null,
      h('vscode-table-cell', { class: 'mono' }, t.name), h('vscode-table-cell', null, t.dtype),
      h('vscode-table-cell', { class: 'mono' }, `[${t.shape.join(', ')}]`), h('vscode-table-cell', null, t.meta ? l10n.t('meta, no data') : fmtBytes(t.byteLength))));
  }
  keepColumnWidths(header, body);
  const more = rows.length > MAX_ROWS ? l10n.t` (showing the first ${MAX_ROWS}; type to narrow)` : '';
  const trunc = s.tensorsTruncated ? l10n.t` — the file holds ${fmtInt(s.tensorCount)} tensors, the table lists the first ${fmtInt(s.tensors.length)}` : '';
  count.textContent = `${l10n.t`${fmtInt(rows.length)} of ${tensors(s.tensors.length)}`}${more}${trunc}`;
}

/**
 * vscode-table sizes its columns through the cells of the body's FIRST row, and only when the body element itself
 * changes; rows replaced by the filter come without widths and the columns fall back to equal shares (dtype under
 * Name). Give the new first row the header's widths (which also carry any column the user resized).
 */
function keepColumnWidths(header: HTMLElement, body: HTMLElement): void {
  const widths = [...header.querySelectorAll('vscode-table-header-cell')].map((c) => (c as HTMLElement).style.width);
  const first = body.querySelector('vscode-table-row');
  if (!first || widths.every((w) => !w)) return;
  first.querySelectorAll('vscode-table-cell').forEach((c, i) => {
    if (widths[i]) (c as HTMLElement).style.width = widths[i] as string;
  });
}

export function renderCheckpoint(root: HTMLElement, s: CheckpointSummary, opts: CheckpointAppOptions = {}): { dispose(): void } {
  clear(root);
  const analyze = h('vscode-button', { id: 'btn-analyze', disabled: s.layers.length === 0 || !opts.onAnalyze }, l10n.t('Analyze Experts'));
  analyze.addEventListener('click', () => opts.onAnalyze?.());
  const compare = h('vscode-button', { id: 'btn-compare', secondary: true, disabled: !opts.onCompare }, l10n.t('Compare with…'));
  compare.addEventListener('click', () => opts.onCompare?.());
  const search = h('vscode-textfield', { placeholder: l10n.t('Filter tensors by name'), 'aria-label': l10n.t('Filter tensors by name'), value: opts.filter ?? '' });
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const header = h('vscode-table-header', { slot: 'header' }, ...[l10n.t('Name'), l10n.t('dtype'), l10n.t('Shape'), l10n.t('Bytes')].map((t) => h('vscode-table-header-cell', null, t)));
  const body = h('vscode-table-body', { slot: 'body' });
  search.addEventListener('input', () => {
    const v = (search as unknown as { value: string }).value;
    tensorTable(header, body, count, s, v);
    opts.onFilter?.(v);
  });
  root.append(
    h('header', { class: 'app-header' },
      h('div', null, h('h1', null, runName(s.path || s.name)), h('p', { class: 'muted mono', title: s.path }, s.path)),
      h('div', { class: 'actions' }, analyze, compare)),
    h('div', { class: 'stats' },
      stat(l10n.t('Format'), s.format),
      stat(l10n.t('Size'), fmtBytes(s.fileSize), l10n.t`${fmtInt(s.fileSize)} bytes`),
      stat(l10n.t('Parameters'), fmtInt(s.parameterCount), tensors(s.tensorCount)),
      stat(l10n.t('Architecture'), s.architecture || l10n.t('not recognised'), s.detectionNote ?? (s.layers.length ? plural(s.layers.length, l10n.t('{0} Soft MoE layer'), l10n.t('{0} Soft MoE layers')) : ''))),
    h('h2', null, l10n.t('Soft MoE layers')),
    ...(s.layers.length ? s.layers.map((l, i) => layerSection(l, i)) : [h('p', { class: 'muted' }, s.detectionNote ?? l10n.t('No Soft MoE layer found in this checkpoint.'))]),
    ...(Object.keys(s.metadata).length ? [h('h2', null, l10n.t('Metadata')), h('dl', { class: 'facts' }, ...Object.entries(s.metadata).flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]))] : []),
    h('h2', null, l10n.t('Tensors')), search, count,
    h('vscode-table', { zebra: true, bordered: true, 'resizable': true, columns: JSON.stringify(['50%', '10%', '25%', '15%']) }, header, body),
  );
  tensorTable(header, body, count, s, opts.filter ?? '');
  const stop = watchTheme(() => redrawAll());
  return { dispose: () => { stop(); clear(root); } };
}

/** What the editor shows for a file it cannot read: the core's one-line message, no crash. */
export function renderCheckpointError(root: HTMLElement, path: string, error: { code: string; userMessage: string }, onShowLog?: () => void): void {
  clear(root);
  const log = onShowLog ? h('vscode-button', { secondary: true }, l10n.t('Show Log')) : null;
  log?.addEventListener('click', () => onShowLog?.());
  root.append(h('div', { class: 'error-box', role: 'alert' },
    h('h2', null, l10n.t('This file cannot be shown')),
    h('p', { class: 'error-message' }, error.userMessage),
    h('p', { class: 'muted' }, `${error.code} · ${path}`), log));
}
