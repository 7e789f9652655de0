/** The checkpoint editor's content: facts, Soft MoE layers (Φ, slot cosine, expert norms) and the tensor table. */
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
import { clear, fmtBytes, fmtInt, h, stat } from './dom';
import { heatmapOption } from './heatmap';
import { layerLabel } from './model';
import { watchTheme } from './theme';

export interface CheckpointAppOptions {
  filter?: string;
  onFilter?: (filter: string) => void;
  onAnalyze?: () => void;
  onCompare?: () => void;
}

/** Rows drawn at most; the filter narrows the rest. */
const MAX_ROWS = 400;

function toRows(m: MatrixView): number[][] {
  return Array.from({ length: m.rows }, (_, r) => m.values.slice(r * m.cols, (r + 1) * m.cols));
}

function layerSection(l: LayerSummary, i: number): HTMLElement {
  const slots = l.numExperts * l.slotsPerExpert;
  const slotLabel = (s: number): string => (l.slotsPerExpert === 1 ? `e${s}` : `e${Math.floor(s / l.slotsPerExpert)}.${s % l.slotsPerExpert}`);
  const phiEl = h('div', { class: 'chart chart-tall', id: `chart-phi-${i}` });
  const cosEl = h('div', { class: 'chart chart-square', id: `chart-slot-cos-${i}` });
  const normEl = h('div', { class: 'chart', id: `chart-norms-${i}` });
  const sec = h('section', { class: 'layer' },
    h('h3', null, `${layerLabel(l.name, i)} — ${l.layout}`),
    h('p', { class: 'muted' }, `${l.numExperts} experts × ${l.slotsPerExpert} slot${l.slotsPerExpert === 1 ? '' : 's'}, dim ${l.dim}, expert hidden ${l.expertHidden}`),
    h('div', { class: 'two-col' },
      h('div', null, h('h4', null, l.phi && l.phi.sourceRows !== l.phi.rows ? `Slot parameters Φ (${l.phi.sourceRows} rows averaged to ${l.phi.rows})` : 'Slot parameters Φ'), l.phi ? phiEl : h('p', { class: 'muted' }, 'This layout stores no Φ.')),
      h('div', null, h('h4', null, 'Cosine similarity between slot vectors'), l.slotCosine ? cosEl : h('p', { class: 'muted' }, '–'))),
    h('h4', null, 'Weight norm per expert'), normEl);
  queueMicrotask(() => {
    if (l.phi) {
      const phi = l.phi;
      mountChart(phiEl, (p) => heatmapOption(p, {
        xLabels: Array.from({ length: slots }, (_, s) => slotLabel(s)), yLabels: Array.from({ length: phi.rows }, (_, r) => String(r)),
        xName: 'slot', yName: 'dim', matrix: toRows(phi), scale: 'diverging', showValues: false,
      }), { rows: phi.rows, cols: phi.cols }, `Heatmap of the slot parameters of ${layerLabel(l.name, i)}`);
    }
    if (l.slotCosine) {
      const cos = l.slotCosine;
      mountChart(cosEl, (p) => heatmapOption(p, {
        xLabels: Array.from({ length: cos.cols }, (_, s) => slotLabel(s)), yLabels: Array.from({ length: cos.rows }, (_, s) => slotLabel(s)),
        xName: 'slot', yName: 'slot', matrix: toRows(cos), scale: 'diverging', min: -1, max: 1,
      }), { slots: cos.rows }, `Cosine similarity between the slot vectors of ${layerLabel(l.name, i)}`);
    }
    mountChart(normEl, (p) => ({
      grid: { left: 48, right: 16, top: 16, bottom: 40 },
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => v.toFixed(3) },
      xAxis: { type: 'category', data: l.expertNorms.map((_, e) => String(e)), name: 'expert', nameLocation: 'middle', nameGap: 26, ...axisStyle(p) },
      yAxis: { type: 'value', name: '‖W‖', ...axisStyle(p) },
      series: [{ type: 'bar', name: 'weight norm', color: p.series[0], data: l.expertNorms }],
    }), { experts: l.expertNorms.length }, `Weight norm of each expert of ${layerLabel(l.name, i)}`);
  });
  return sec;
}

function tensorTable(body: HTMLElement, count: HTMLElement, s: CheckpointSummary, filter: string): void {
  const f = filter.trim().toLowerCase();
  const rows = f ? s.tensors.filter((t) => t.name.toLowerCase().includes(f) || t.dtype.toLowerCase() === f) : s.tensors;
  clear(body);
  for (const t of rows.slice(0, MAX_ROWS)) {
    body.append(h('vscode-table-row', null,
      h('vscode-table-cell', { class: 'mono' }, t.name), h('vscode-table-cell', null, t.dtype),
      h('vscode-table-cell', { class: 'mono' }, `[${t.shape.join(', ')}]`), h('vscode-table-cell', null, t.meta ? 'meta, no data' : fmtBytes(t.byteLength))));
  }
  const more = rows.length > MAX_ROWS ? ` (showing the first ${MAX_ROWS}; type to narrow)` : '';
  const trunc = s.tensorsTruncated ? ` — the file holds ${fmtInt(s.tensorCount)} tensors, the table lists the first ${fmtInt(s.tensors.length)}` : '';
  count.textContent = `${fmtInt(rows.length)} of ${fmtInt(s.tensors.length)} tensors${more}${trunc}`;
}

export function renderCheckpoint(root: HTMLElement, s: CheckpointSummary, opts: CheckpointAppOptions = {}): { dispose(): void } {
  clear(root);
  const analyze = h('vscode-button', { id: 'btn-analyze', disabled: s.layers.length === 0 || !opts.onAnalyze }, 'Analyze Experts');
  analyze.addEventListener('click', () => opts.onAnalyze?.());
  const compare = h('vscode-button', { id: 'btn-compare', secondary: true, disabled: !opts.onCompare }, 'Compare with…');
  compare.addEventListener('click', () => opts.onCompare?.());
  const search = h('vscode-textfield', { placeholder: 'Filter tensors by name', 'aria-label': 'Filter tensors by name', value: opts.filter ?? '' });
  const count = h('p', { class: 'muted', 'aria-live': 'polite' });
  const body = h('vscode-table-body', { slot: 'body' });
  search.addEventListener('input', () => {
    const v = (search as unknown as { value: string }).value;
    tensorTable(body, count, s, v);
    opts.onFilter?.(v);
  });
  root.append(
    h('header', { class: 'app-header' },
      h('div', null, h('h1', null, s.name), h('p', { class: 'muted', title: s.path }, s.path)),
      h('div', { class: 'actions' }, analyze, compare)),
    h('div', { class: 'stats' },
      stat('Format', s.format),
      stat('Size', fmtBytes(s.fileSize), `${fmtInt(s.fileSize)} bytes`),
      stat('Parameters', fmtInt(s.parameterCount), `${fmtInt(s.tensorCount)} tensors`),
      stat('Architecture', s.architecture || 'not recognised', s.detectionNote ?? (s.layers.length ? `${s.layers.length} Soft MoE layer${s.layers.length === 1 ? '' : 's'}` : ''))),
    h('h2', null, 'Soft MoE layers'),
    ...(s.layers.length ? s.layers.map((l, i) => layerSection(l, i)) : [h('p', { class: 'muted' }, s.detectionNote ?? 'No Soft MoE layer found in this checkpoint.')]),
    ...(Object.keys(s.metadata).length ? [h('h2', null, 'Metadata'), h('dl', { class: 'facts' }, ...Object.entries(s.metadata).flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]))] : []),
    h('h2', null, 'Tensors'), search, count,
    h('vscode-table', { zebra: true, bordered: true, 'resizable': true, columns: JSON.stringify(['50%', '10%', '25%', '15%']) },
      h('vscode-table-header', { slot: 'header' },
        ...['Name', 'dtype', 'Shape', 'Bytes'].map((t) => h('vscode-table-header-cell', null, t))),
      body),
  );
  tensorTable(body, count, s, opts.filter ?? '');
  const stop = watchTheme(() => redrawAll());
  return { dispose: () => { stop(); clear(root); } };
}

/** What the editor shows for a file it cannot read: the core's one-line message, no crash. */
export function renderCheckpointError(root: HTMLElement, path: string, error: { code: string; userMessage: string }, onShowLog?: () => void): void {
  clear(root);
  const log = onShowLog ? h('vscode-button', { secondary: true }, 'Show Log') : null;
  log?.addEventListener('click', () => onShowLog?.());
  root.append(h('div', { class: 'error-box', role: 'alert' },
    h('h2', null, 'This file cannot be shown'),
    h('p', { class: 'error-message' }, error.userMessage),
    h('p', { class: 'muted' }, `${error.code} · ${path}`), log));
}
