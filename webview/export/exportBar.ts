/**
 * Export buttons (@vscode-elements buttons: focusable, Enter and Space press them) for one chart, table or the
 * whole panel, with a status line read out by screen readers.
 */
import * as l10n from '@vscode/l10n';
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
  data: () => string | null;
}

/** Format names are the same in every language; the report button is not. */
const label = (f: ExportItem['format']): string => (f === 'html' ? l10n.t('Report') : f.toUpperCase());

/**
 * `file`: what the data is in the file name, in English whatever the display language (`subset accuracy` →
 * `n16-ep4_moe-subset-accuracy.png`); `what`: the same for people, localised (the buttons' accessible names).
 * `stem`: the file name without extension; by default the run's stem and `file`.
 */
export function exportBar(file: string, what: string, items: ExportItem[], stem?: string): HTMLElement {
  const status = h('span', { class: 'export-status muted', role: 'status', 'aria-live': 'polite' });
  const run = async (item: ExportItem): Promise<void> => {
    status.textContent = '';
    try {
      const sink = exportSink();
      const run = exportContext().stem;
      const name = `${stem ?? (run ? `${run}-${fileStem(file)}` : fileStem(file))}.${item.format}`;
      let res;
      if (item.format === 'html') {
        if (!sink.report) return;
        res = await sink.report(name);
      } else {
        const data = item.data();
        if (data === null) {
          status.textContent = l10n.t('Nothing to export yet.');
          return;
        }
        res = await sink.save(item.format, name, data);
      }
      status.textContent = res.saved ? l10n.t`Saved ${res.name ?? name}` : '';
    } catch (err) {
      status.textContent = (err as { userMessage?: string })?.userMessage ?? (err instanceof Error ? err.message : l10n.t('Export failed.'));
    }
  };
  const buttons = items
    .filter((item) => item.format !== 'html' || exportSink().report)
    .map((item) => {
      const b = h('vscode-button', {
        secondary: true, class: 'export-button', 'data-export': item.format,
        'aria-label': exportAs(what, item.format),
        title: exportAs(what, item.format),
      }, label(item.format));
      b.addEventListener('click', () => void run(item));
      return b;
    });
  return h('div', { class: 'export-bar', role: 'toolbar', 'aria-label': l10n.t`Export ${what}` }, h('span', { class: 'toolbar-label' }, l10n.t('Export:')), ...buttons, status);
}

function exportAs(what: string, format: ExportItem['format']): string {
  return format === 'html' ? l10n.t`Export ${what} as a standalone HTML report` : l10n.t`Export ${what} as ${label(format)}`;
}

/**
 * A chart with PNG, SVG and CSV buttons above it (`file` and `what` as for `exportBar`). `title` heads the exported
 * image (default: `what`, capitalised).
 */
export function chartFrame(chartEl: HTMLElement, file: string, what: string, title = what.charAt(0).toUpperCase() + what.slice(1)): HTMLElement {
  return h('div', { class: 'chart-frame' }, exportBar(file, what, [
    { format: 'png', data: () => chartPng(chartEl, title) },
    { format: 'svg', data: () => chartSvg(chartEl, title) },
    { format: 'csv', data: () => chartCsv(chartEl) },
  ]), chartEl);
}

/** A table host (whose <table> views re-render) with a CSV button above it. */
export function tableFrame(hostEl: HTMLElement, file: string, what: string, csv?: () => string): HTMLElement {
  return h('div', { class: 'table-frame' }, exportBar(file, what, [
    { format: 'csv', data: () => csv?.() ?? tableCsv(hostEl) },
  ]), hostEl);
}
