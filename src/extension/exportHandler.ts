/**
 * Saves what a webview exports. Always through the save dialog (it asks before replacing a file), written with
 * workspace.fs; a dismissed dialog saves nothing. The whole-panel report is built here from the panel's view and
 * the extension's own webview bundle.
 */
import * as vscode from 'vscode';
import { SoftMoeError } from '../core/errors';
import type { ExportReportRequest, ExportRequest, ExportResponse, ViewModel } from '../core/protocol/webviewProtocol';
import { buildStandaloneComparisonReport, buildStandaloneReport } from '../core/report/buildStandaloneReport';
import { EXPORT_FILTERS, exportBytes, exportFileName } from './exportPayload';
import type { SavedFormat } from './exportPayload';
import type { Services } from './services';

async function reportHtml(services: Services, view: ViewModel): Promise<string> {
  const js = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(services.extensionUri, 'dist', 'webview.js')));
  if (view.kind === 'analysis') return buildStandaloneReport(view.result, js);
  if (view.kind === 'comparison') return buildStandaloneComparisonReport(view, js);
  throw new SoftMoeError('E_UNSUPPORTED', vscode.l10n.t('This panel has no report to export.'));
}

function defaultFolder(view: ViewModel): vscode.Uri | undefined {
  const path = view.kind === 'analysis' ? view.result.checkpoint.path : view.kind === 'comparison' ? view.runs[0]?.result.checkpoint.path : undefined;
  const inWorkspace = path ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(path)) : undefined;
  return inWorkspace?.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri;
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
  const data = bytes ?? new TextEncoder().encode(await reportHtml(services, view));
  await vscode.workspace.fs.writeFile(target, data);
  services.log.info(`exported ${format} to ${target.fsPath} (${data.byteLength} bytes)`);
  return { saved: true, name: target.path.split('/').pop() ?? name };
}
