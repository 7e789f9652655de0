/**
 * Comparison panels (Compare Runs, Analyze Training Run): one new panel per comparison, restored after a window
 * reload by a serializer that finds every run again from the sources the webview saved (cache keys, result files);
 * a cached run whose run identity no longer holds is out of date and not shown.
 */
import * as vscode from 'vscode';
import type { AnalysisResult } from '../core/analysis/schema';
import { sanitizePanelState } from '../core/protocol/webviewProtocol';
import type { ComparisonRun, RequestHandlers, RunSource, ViewModel } from '../core/protocol/webviewProtocol';
import { VIEW_TYPES } from './contributions';
import { staleReason } from './cacheKey';
import { handleExport } from './exportHandler';
import { readResultFile } from './resultFile';
import type { Services } from './services';
import { attachWebviewHost, setWebviewHtml, webviewOptions } from './webviewHost';

type ComparisonView = Extract<ViewModel, { kind: 'comparison' }>;

/** The run as the webview gets it: no sample records (a comparison draws none; they are most of a result's size). */
export function comparisonRun(label: string, result: AnalysisResult, source: RunSource, epoch?: number): ComparisonRun {
  return { label, result: { ...result, samples: [] }, source, ...(epoch !== undefined ? { epoch } : {}) };
}

export class ComparisonPanels implements vscode.WebviewPanelSerializer {
  constructor(private readonly services: Services) {}

  static register(services: Services): { comparisons: ComparisonPanels; disposable: vscode.Disposable } {
    const comparisons = new ComparisonPanels(services);
    return { comparisons, disposable: vscode.window.registerWebviewPanelSerializer(VIEW_TYPES.comparison, comparisons) };
  }

  show(view: ComparisonView): void {
    const panel = vscode.window.createWebviewPanel(VIEW_TYPES.comparison, view.title,
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      { ...webviewOptions(this.services.extensionUri), retainContextWhenHidden: false });
    this.attach(panel, view);
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, rawState: unknown): Promise<void> {
    panel.webview.options = webviewOptions(this.services.extensionUri);
    const restore = sanitizePanelState(rawState).restore;
    const runs: ComparisonRun[] = [];
    let missing = 0;
    if (restore?.kind === 'comparison') {
      for (const r of restore.runs) {
        const result = await this.find(r.source);
        if (result) runs.push(comparisonRun(r.label, result, r.source, r.epoch));
        else missing++;
      }
    }
    if (restore?.kind !== 'comparison' || missing > 0 || runs.length === 0) {
      this.attach(panel, {
        kind: 'checkpoint-error', path: '',
        error: { code: 'E_NOT_FOUND', userMessage: vscode.l10n.t('{0} of the compared analyses are out of date or no longer cached; run Soft MoE: Compare Runs again.', missing || 'Some') },
      });
      return;
    }
    this.attach(panel, { kind: 'comparison', mode: restore.mode, title: restore.title || panel.title, runs });
  }

  private async find(source: RunSource): Promise<AnalysisResult | null> {
    if (source.kind === 'cache') {
      // A cached run counts only while its identity holds; a saved result file is a snapshot and shown as it is.
      const result = await this.services.cache.get(source.cacheKey);
      const stale = result ? await staleReason(result) : null;
      if (stale) this.services.log.info(`restored comparison run ${source.cacheKey} is out of date: ${stale}`);
      return stale ? null : result;
    }
    if (source.kind === 'file') return readResultFile(vscode.Uri.file(source.path)).catch(() => null);
    return null;
  }

  private attach(panel: vscode.WebviewPanel, view: ViewModel): void {
    // A comparison exports; analysing and comparing start from a checkpoint (answered E_UNSUPPORTED here).
    const requests: RequestHandlers = {
      export: (req) => handleExport(this.services, req, view),
      exportReport: (req) => handleExport(this.services, req, view),
    };
    const sub = attachWebviewHost(panel.webview, { view: async () => view, requests }, this.services.log);
    setWebviewHtml(panel.webview, this.services.extensionUri, panel.title);
    panel.onDidDispose(() => sub.dispose());
  }
}
