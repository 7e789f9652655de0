/**
 * The human-readable form of an InspectReport: a summary, the Soft MoE layers, the tensors (per-expert tensors
 * collapsed, long lists cut with a pointer to --json), the sidecars and any warnings.
 */
import { basename } from 'node:path';
import pc from 'picocolors';
import type { InspectReport } from '../../core/model/inspectCheckpoint';
import { formatBytes, formatCount, formatShape, formatShortCount } from './size';
import { makeTable } from './table';
import { groupTensors } from './tensorGroups';
import { safeText } from './safeText';

export interface InspectTextOptions {
  /** Colours on (default: when the terminal supports them). */
  color?: boolean;
  /** Most tensor rows to print; Infinity for all. Default 40. */
  maxRows?: number;
}

export const DEFAULT_MAX_ROWS = 40;

export function formatInspectText(r: InspectReport, opts: InspectTextOptions = {}): string {
  const c = pc.createColors(opts.color ?? pc.isColorSupported);
  const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
  const out: string[] = [];
  const field = (label: string, value: string): void => {
    out.push(`${c.dim(`${label}:`.padEnd(14))}${value}`);
  };

  out.push(c.bold(safeText(r.name)));
  field('Path', safeText(r.path));
  field('Format', `${r.format}${r.stateDictKey ? ` (state_dict under '${r.stateDictKey}')` : ''}`);
  field('File size', `${formatBytes(r.fileSize)} (${formatCount(r.fileSize)} bytes)`);
  field('Parameters', `${formatCount(r.parameterCount)} (${formatShortCount(r.parameterCount)}) in ${formatCount(r.tensorCount - r.metaTensorCount)} tensors, ${formatBytes(r.tensorBytes)}`);
  if (r.metaTensorCount > 0) {
    field('Meta tensors', `${formatCount(r.metaTensorCount)} saved with shape and dtype but no data (marked "meta, no data" below); a model that needs one cannot run`);
  }
  const arch = r.architecture === 'none' ? c.yellow(r.architecture) : c.green(r.architecture);
  field('Architecture', `${arch} ${c.dim(`— ${safeText(r.architectureDetail.reason)}`)}`);
  const meta = Object.entries(r.metadata);
  if (meta.length > 0) field('Metadata', meta.map(([k, v]) => `${safeText(clip(k, 40))}=${safeText(clip(v, 60))}`).join(', '));
  const extras = Object.keys(r.extras);
  if (extras.length > 0) field('Also in file', extras.map((k) => safeText(clip(k, 40))).join(', '));
  field('Sidecars', r.sidecars.files.length > 0 ? r.sidecars.files.map((f) => basename(f)).join(', ') : c.dim('none (args.json, config.json, softmoe.json)'));

  out.push('', c.bold(`Soft MoE layers (${r.softMoeLayers.length})`));
  if (r.softMoeLayers.length === 0) {
    out.push(c.dim('  none recognised'));
  } else {
    const t = makeTable(['name', 'layout', 'experts n', 'slots p', 'dim d', 'hidden h', 'norm', 'experts see', 'activation', 'parameters'], c, [2, 3, 4, 5, 9]);
    for (const l of r.softMoeLayers) {
      t.push([l.name === '' ? c.dim('(top level)') : safeText(l.name), c.cyan(l.layout), l.numExperts, l.slots === 'dynamic' ? '⌈m/n⌉' : l.slotsPerExpert, l.dim,
        l.expertHidden, l.norm, l.expertsSeeNormalized ? 'normed' : 'raw', l.activation === 'none' ? 'linear' : l.activation, formatCount(l.parameterCount)]);
    }
    out.push(t.toString());
  }

  const groups = groupTensors(r.tensors);
  const shown = groups.slice(0, Math.max(0, maxRows));
  out.push('', c.bold(`Tensors (${formatCount(r.tensorCount)}${groups.length < r.tensorCount ? `, ${formatCount(groups.length)} rows with per-expert tensors grouped` : ''})`));
  const t = makeTable(['name', 'dtype', 'shape', 'size'], c, [3]);
  for (const g of shown) {
    t.push([safeText(g.name), g.dtype, `${formatShape(g.shape)}${g.count > 1 ? c.dim(` ×${g.count}`) : ''}`, g.meta ? c.yellow('meta, no data') : formatBytes(g.byteLength)]);
  }
  out.push(t.toString());
  if (shown.length < groups.length) {
    const hidden = groups.slice(shown.length).reduce((s, g) => s + g.count, 0);
    out.push(c.dim(`… ${formatCount(hidden)} more tensor${hidden === 1 ? '' : 's'} (use --json, or --all to list them here)`));
  }

  if (r.warnings.length > 0 || r.problems.length > 0) {
    out.push('', c.bold(c.yellow('Warnings')));
    for (const w of [...r.problems.map((p) => p.userMessage), ...r.warnings]) out.push(`${c.yellow('!')} ${safeText(w)}`);
  }
  return `${out.join('\n')}\n`;
}

function clip(s: string, n: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}
