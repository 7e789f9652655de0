/**
 * What an export request from a webview turns into on disk: a safe file name with the right extension and the
 * bytes, checked for what they claim to be (a PNG data URL decodes to a PNG, SVG is an <svg> document, JSON
 * parses). No vscode import, so it is unit-tested directly.
 */
import { SoftMoeError } from '../core/errors';
import { dirname } from 'node:path';
import type { ExportFormat, ViewModel } from '../core/protocol/webviewProtocol';

export type SavedFormat = ExportFormat | 'html';

export const EXPORT_FILTERS: Record<SavedFormat, { label: string; ext: string }> = {
  png: { label: 'PNG image', ext: 'png' },
  svg: { label: 'SVG image', ext: 'svg' },
  csv: { label: 'CSV table', ext: 'csv' },
  json: { label: 'Soft MoE analysis (JSON)', ext: 'json' },
  html: { label: 'Standalone HTML report', ext: 'html' },
};

/** A plain file name (no folders, no control or reserved characters) ending in the format's extension. */
export function exportFileName(suggested: string, format: SavedFormat): string {
  const ext = EXPORT_FILTERS[format].ext;
  const plain = [...(suggested.split(/[\\/]/).pop() ?? '')].map((c) => (c.charCodeAt(0) < 32 || '<>:"|?*'.includes(c) ? '-' : c)).join('');
  const base = plain.replace(/^[.\s-]+/, '').trim().slice(0, 120);
  const stem = base.toLowerCase().endsWith(`.${ext}`) ? base.slice(0, -ext.length - 1) : base;
  return `${stem || 'softmoe'}.${ext}`;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function exportBytes(format: SavedFormat, data: string): Uint8Array {
  if (format === 'png') {
    const m = /^data:image\/png;base64,([A-Za-z0-9+/]+={0,2})$/.exec(data);
    const bytes = m ? Buffer.from(m[1], 'base64') : null;
    if (!bytes || bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
      throw new SoftMoeError('E_FORMAT', 'The chart did not render as a PNG image; nothing was saved.');
    }
    return bytes;
  }
  if (format === 'svg' && !/^\s*(<\?xml[^>]*>\s*)?<svg[\s>]/.test(data)) {
    throw new SoftMoeError('E_FORMAT', 'The chart did not render as an SVG document; nothing was saved.');
  }
  if (format === 'json') {
    try {
      JSON.parse(data);
    } catch {
      throw new SoftMoeError('E_FORMAT', 'The analysis to export is not valid JSON; nothing was saved.');
    }
  }
  return Buffer.from(data, 'utf8');
}

/**
 * Where an export of this view is saved by default: the folder of the checkpoint it shows (a comparison: of its
 * first run), when `exists` says that folder is there (a result from another machine names folders that are not).
 */
export function exportFolder(view: ViewModel, exists: (path: string) => boolean): string | null {
  const path = view.kind === 'analysis' ? view.result.checkpoint.path
    : view.kind === 'comparison' ? (view.runs.find((r) => r.result.checkpoint.path && exists(dirname(r.result.checkpoint.path)))?.result.checkpoint.path ?? view.runs[0]?.result.checkpoint.path)
      : view.kind === 'checkpoint' ? view.summary.path : undefined;
  if (!path) return null;
  const folder = dirname(path);
  return exists(folder) ? folder : null;
}
