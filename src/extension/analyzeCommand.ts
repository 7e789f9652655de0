/**
 * Soft MoE: Analyze Experts. Resolves the checkpoint and the dataset, serves the cached result when the
 * checkpoint, dataset and settings are unchanged, else runs the analysis in the worker with a cancellable
 * progress notification, caches the result and shows the panel.
 */
import * as vscode from 'vscode';
import { toSoftMoeError } from '../core/errors';
import type { AnalysisPanels } from './analysisPanels';
import { analyzeAll, prepareAnalysis } from './analysisJobs';
import { resolveDataset } from './datasetPicker';
import type { Services } from './services';

export interface AnalyzeArgs {
  rerun?: boolean;
}

export const CHECKPOINT_EXTS = ['.safetensors', '.pt', '.pth', '.ckpt', '.bin'];

/** The checkpoint: the argument (explorer, editor title), else the active checkpoint editor, else a file dialog. */
async function targetUri(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText) {
    if (CHECKPOINT_EXTS.some((e) => input.uri.path.toLowerCase().endsWith(e))) return input.uri;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false, openLabel: vscode.l10n.t('Analyze'),
    filters: { [vscode.l10n.t('Checkpoints')]: CHECKPOINT_EXTS.map((e) => e.slice(1)) },
  });
  return picked?.[0];
}

export async function analyzeExperts(services: Services, panels: AnalysisPanels, arg: unknown, args: AnalyzeArgs = {}): Promise<void> {
  const { log, context } = services;
  const uri = await targetUri(arg);
  if (!uri) return;
  try {
    const datasetPath = await resolveDataset(context.extensionPath, uri);
    if (!datasetPath) return;
    const name = uri.path.split('/').pop() ?? uri.fsPath;
    const job = await prepareAnalysis(services, uri, datasetPath, name);
    const [{ result, fromCache }] = await analyzeAll(services, [job], vscode.l10n.t('Analyzing experts of {0}', name), args.rerun === true);
    panels.show(result, job.key, fromCache);
  } catch (err) {
    const e = toSoftMoeError(err);
    if (e.code === 'E_CANCELLED') {
      log.info(`analysis of ${uri.fsPath} cancelled`);
      void vscode.window.showInformationMessage(vscode.l10n.t('Analysis cancelled.'));
      return;
    }
    await log.showError(e, `analyze ${uri.fsPath}`);
  }
}
