/**
 * Where exports go. In VS Code the bridge installs a sink that asks the extension (save dialog, then
 * workspace.fs); in a standalone report the default sink downloads the file through the browser.
 */
import type { ExportFormat, ExportResponse } from '../../src/core/protocol/webviewProtocol';

export interface ExportSink {
  save(format: ExportFormat, suggestedName: string, data: string): Promise<ExportResponse>;
  /** The whole panel as a standalone HTML report (only where a host can build one). */
  report?: (suggestedName: string) => Promise<ExportResponse>;
}

const MIME: Record<ExportFormat, string> = { png: 'image/png', svg: 'image/svg+xml', csv: 'text/csv', json: 'application/json' };

/** The browser's own download (standalone reports): a blob URL on a temporary link. */
export const downloadSink: ExportSink = {
  async save(format, suggestedName, data) {
    const url = format === 'png' ? data : URL.createObjectURL(new Blob([data], { type: `${MIME[format]};charset=utf-8` }));
    const a = document.createElement('a');
    a.href = url;
    a.download = suggestedName;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    if (format !== 'png') setTimeout(() => URL.revokeObjectURL(url), 10_000);
    return { saved: true, name: suggestedName };
  },
};

let current: ExportSink = downloadSink;

export function setExportSink(sink: ExportSink): void {
  current = sink;
}

export function exportSink(): ExportSink {
  return current;
}

/** A file name from free text: letters, digits, dot, dash and underscore only, at most 80 characters. */
export function fileStem(text: string): string {
  return text.replace(/\.[a-z0-9]+$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'softmoe';
}
