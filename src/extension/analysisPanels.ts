/**
 * The analysis panels: one per checkpoint, revealed when it is analysed again; restored after a window reload
 * by a WebviewPanelSerializer that reads the cache key the webview saved with setState, and shows the result only
 * while its run identity still holds (the checkpoint, sidecars and dataset unchanged).
 */
import * as vscode from 'vscode';
import type { AnalysisResult } from '../core/analysis/schema';
import { runName } from '../core/report/runLabels';
import { sanitizePanelState } from '../core/protocol/webviewProtocol';
import type { RequestHandlers, ViewModel } from '../core/protocol/webviewProtocol';
import { COMMANDS, VIEW_TYPES } from './contributions';
import { staleReason } from './cacheKey';
import type { Services } from './services';
import { handleExport } from './exportHandler';
import { handlePrune } from './pruneHandler';
import { attachWebviewHost, setWebviewHtml, webviewOptions } from './webviewHost';

/** "Experts: n16/ep4_moe.safetensors": runs whose files are named alike keep apart in the tabs. */
export function analysisPanelTitle(checkpointPath: string): string {
  return vscode.l10n.t('Experts: {0}', runName(checkpointPath));
}

interface Shown {
  panel: vscode.WebviewPanel;
  view: ViewModel;
}

export class AnalysisPanels implements vscode.WebviewPanelSerializer {
  private readonly open = new Map<string, Shown>();

  constructor(private readonly services: Services) {}

  static register(services: Services): { panels: AnalysisPanels; disposable: vscode.Disposable } {
    const panels = new AnalysisPanels(services);
    return { panels, disposable: vscode.window.registerWebviewPanelSerializer(VIEW_TYPES.analysis, panels) };
  }

  /**
   * Show a result: reuse the checkpoint's panel (new data, same panel), else open one in the column the analysis
   * panels already use, else beside the editor, like VS Code's own previews: analysing five checkpoints gives five
   * tabs in one column, not five columns.
   */
  show(result: AnalysisResult, cacheKey: string | null, fromCache: boolean): void {
    const key = result.checkpoint.path;
    const view: ViewModel = { kind: 'analysis', result, cacheKey, fromCache };
    const existing = this.open.get(key);
    if (existing) {
      const same = existing.view.kind === 'analysis' && cacheKey !== null && existing.view.cacheKey === cacheKey;
      existing.view = view;
      existing.panel.reveal(undefined, false);
      // A fresh page re-runs the handshake and picks the new view up (nothing to reload when it already shows it).
      if (!same) setWebviewHtml(existing.panel.webview, this.services.extensionUri, existing.panel.title);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPES.analysis,
      analysisPanelTitle(result.checkpoint.path || result.checkpoint.name),
      { viewColumn: this.column(), preserveFocus: false },
      { ...webviewOptions(this.services.extensionUri), retainContextWhenHidden: false },
    );
    this.attach(panel, key, view);
  }

  /** The column of the most recently shown analysis panel that is still open, else beside the active editor. */
  private column(): vscode.ViewColumn {
    const columns = [...this.open.values()].map((s) => s.panel.viewColumn).filter((c): c is vscode.ViewColumn => c !== undefined);
    return columns[columns.length - 1] ?? vscode.ViewColumn.Beside;
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, rawState: unknown): Promise<void> {
    panel.webview.options = webviewOptions(this.services.extensionUri);
    const state = sanitizePanelState(rawState);
    const cacheKey = state.restore?.kind === 'analysis' ? state.restore.cacheKey : null;
    const result = cacheKey ? await this.services.cache.get(cacheKey) : null;
    if (!result || !cacheKey) {
      const view: ViewModel = {
        kind: 'checkpoint-error', path: '',
        error: { code: 'E_NOT_FOUND', userMessage: vscode.l10n.t('The analysis shown here is no longer cached; run Soft MoE: Analyze Experts again.') },
      };
      this.attach(panel, `restored:${Date.now()}`, view);
      return;
    }
    // The result is the run its files were then; if they changed since (or the tool did), it would show numbers that
    // belong to no file on disk.
    const stale = await staleReason(result);
    if (stale) {
      this.services.log.info(`restored analysis ${cacheKey} is out of date: ${stale}`);
      const view: ViewModel = {
        kind: 'checkpoint-error', path: result.checkpoint.path,
        error: { code: 'E_NOT_FOUND', userMessage: vscode.l10n.t('The analysis shown here is out of date: {0}. Run Soft MoE: Analyze Experts again.', stale) },
      };
      this.attach(panel, `restored:${Date.now()}`, view);
      return;
    }
    panel.title = analysisPanelTitle(result.checkpoint.path || result.checkpoint.name);
    this.attach(panel, result.checkpoint.path, { kind: 'analysis', result, cacheKey, fromCache: true });
  }

  private attach(panel: vscode.WebviewPanel, key: string, view: ViewModel): void {
    const shown: Shown = { panel, view };
    this.open.set(key, shown);
    const requests: RequestHandlers = {
      analyze: async (req) => {
        await vscode.commands.executeCommand(COMMANDS.analyzeExperts, vscode.Uri.file(req.path), { rerun: req.rerun });
        return null;
      },
      compare: async (req) => {
        await vscode.commands.executeCommand(COMMANDS.compareRuns, vscode.Uri.file(req.path));
        return null;
      },
      export: (req) => handleExport(this.services, req, shown.view),
      exportReport: (req) => handleExport(this.services, req, shown.view),
      prune: (req) => handlePrune(this.services, req, shown.view),
    };
    const sub = attachWebviewHost(panel.webview, { view: async () => shown.view, requests }, this.services.log);
    setWebviewHtml(panel.webview, this.services.extensionUri, panel.title);
    panel.onDidDispose(() => {
      sub.dispose();
      if (this.open.get(key) === shown) this.open.delete(key);
    });
  }
}
