/**
 * Saves what a webview exports. Always through the save dialog (it asks before replacing a file), which opens beside
 * the checkpoint with the run's name filled in; written with workspace.fs; a dismissed dialog saves nothing. The whole-panel report is built here from the panel's view and
 * the extension's own webview bundle.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { SoftMoeError } from '../core/errors';
import { reportState } from '../core/protocol/webviewProtocol';
import type { ExportReportRequest, ExportRequest, ExportResponse, ReportState, ViewModel } from '../core/protocol/webviewProtocol';
import { buildStandaloneComparisonReport, buildStandaloneReport } from '../core/report/buildStandaloneReport';
import { EXPORT_FILTERS, exportBytes, exportFileName, exportFolder } from './exportPayload';
import type { SavedFormat } from './exportPayload';
import type { Services } from './services';

/** The report opens at `state`: what the panel's controls showed when it was exported. */
async function reportHtml(services: Services, view: ViewModel, state: ReportState): Promise<string> {
  const js = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(services.extensionUri, 'dist', 'webview.js')));
  if (view.kind === 'analysis') return buildStandaloneReport(view.result, js, { state });
  if (view.kind === 'comparison') return buildStandaloneComparisonReport(view, js, { state });
  throw new SoftMoeError('E_UNSUPPORTED', vscode.l10n.t('This panel has no report to export.'));
}

/** Beside the checkpoint when its folder is there (the run's figures live with the run), else the workspace. */
function defaultFolder(view: ViewModel): vscode.Uri | undefined {
  const beside = exportFolder(view, (p) => existsSync(p));
  return beside ? vscode.Uri.file(beside) : vscode.workspace.workspaceFolders?.[0]?.uri;
}

export async function handleExport(services: Services, req: ExportRequest | ExportReportRequest, view: ViewModel): Promise<ExportResponse> {
  const format: SavedFormat = req.type === 'exportReport' ? 'html' : req.format;
  const name = exportFileName(req.suggestedName, format);
  // Check the payload before asking where to put it: a broken chart never costs the user a dialog.
  const bytes = req.type === 'exportReport' ? null : exportBytes(format, req.data);
  const folder = defaultFolder(view);
  const filter = EXPORT_FILTERS[format];
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
    filters: { [filter.label]: [filter.ext] },
    saveLabel: vscode.l10n.t('Export'),
    title: vscode.l10n.t('Export {0}', filter.label),
  });
  if (!target) return { saved: false };
  const data = bytes ?? new TextEncoder().encode(await reportHtml(services, view, reportState(req.type === 'exportReport' ? req.state : null)));
  await vscode.workspace.fs.writeFile(target, data);
  services.log.info(`exported ${format} to ${target.fsPath} (${data.byteLength} bytes)`);
  return { saved: true, name: target.path.split('/').pop() ?? name };
}
