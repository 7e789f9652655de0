/**
 * Export buttons (@vscode-elements buttons: focusable, Enter and Space press them) for one chart, table or the
 * whole panel, with a status line read out by screen readers.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { ExportFormat } from '../../src/core/protocol/webviewProtocol';
import { chartPng, chartSvg } from '../charts';
import { h } from '../dom';
import { chartCsv } from './chartCsv';
import { exportContext } from './exportContext';
import { exportSink, fileStem } from './exportSink';
import { tableCsv } from './tableCsv';

export interface ExportItem {
  format: ExportFormat | 'html';
  /** What the data is, e.g. "subset accuracy" (for the button's accessible name and the file name). */
  data: () => string | null;
}

const LABEL: Record<ExportItem['format'], string> = { png: 'PNG', svg: 'SVG', csv: 'CSV', json: 'JSON', html: 'Report' };

/**
 * `stem`: the file name without extension; by default the run's stem and `what` (`n16-ep4_moe-subset-accuracy`).
 */
export function exportBar(what: string, items: ExportItem[], stem?: string): HTMLElement {
  const status = h('span', { class: 'export-status muted', role: 'status', 'aria-live': 'polite' });
  const run = async (item: ExportItem): Promise<void> => {
    status.textContent = '';
    try {
      const sink = exportSink();
      const run = exportContext().stem;
      const name = `${stem ?? (run ? `${run}-${fileStem(what)}` : fileStem(what))}.${item.format}`;
      let res;
      if (item.format === 'html') {
        if (!sink.report) return;
        res = await sink.report(name);
      } else {
        const data = item.data();
        if (data === null) {
          status.textContent = 'Nothing to export yet.';
          return;
        }
        res = await sink.save(item.format, name, data);
      }
      status.textContent = res.saved ? `Saved ${res.name ?? name}` : '';
    } catch (err) {
      status.textContent = (err as { userMessage?: string })?.userMessage ?? (err instanceof Error ? err.message : 'Export failed.');
    }
  };
  const buttons = items
    .filter((item) => item.format !== 'html' || exportSink().report)
    .map((item) => {
      const b = h('vscode-button', {
        secondary: true, class: 'export-button', 'data-export': item.format,
        'aria-label': `Export ${what} as ${item.format === 'html' ? 'a standalone HTML report' : LABEL[item.format]}`,
        title: `Export ${what} as ${item.format === 'html' ? 'a standalone HTML report' : LABEL[item.format]}`,
      }, LABEL[item.format]);
      b.addEventListener('click', () => void run(item));
      return b;
    });
  return h('div', { class: 'export-bar', role: 'toolbar', 'aria-label': `Export ${what}` }, h('span', { class: 'toolbar-label' }, 'Export:'), ...buttons, status);
}

/** A chart with PNG, SVG and CSV buttons above it. `title` heads the exported image (default: `what`, capitalised). */
export function chartFrame(chartEl: HTMLElement, what: string, title = what.charAt(0).toUpperCase() + what.slice(1)): HTMLElement {
  return h('div', { class: 'chart-frame' }, exportBar(what, [
    { format: 'png', data: () => chartPng(chartEl, title) },
    { format: 'svg', data: () => chartSvg(chartEl, title) },
    { format: 'csv', data: () => chartCsv(chartEl) },
  ]), chartEl);
}

/** A table host (whose <table> views re-render) with a CSV button above it. */
export function tableFrame(hostEl: HTMLElement, what: string, csv?: () => string): HTMLElement {
  return h('div', { class: 'table-frame' }, exportBar(what, [
    { format: 'csv', data: () => csv?.() ?? tableCsv(hostEl) },
  ]), hostEl);
}
