/**
 * Soft MoE: Analyze Experts. Resolves the checkpoint and the dataset, serves the cached result when the
 * checkpoint, dataset and settings are unchanged, joins the run when the same analysis is already running, else
 * runs the analysis in the worker with a cancellable progress notification, caches the result and shows the panel.
 * A dataset the model cannot take is answered with "Choose Dataset…", which asks again and re-runs.
 */
import * as vscode from 'vscode';
import { toSoftMoeError } from '../core/errors';
import { runName } from '../core/report/runLabels';
import type { AnalysisPanels } from './analysisPanels';
import { analyzeAll, prepareAnalysis, resultOf } from './analysisJobs';
import { pickDataset, resolveDataset } from './datasetPicker';
import { MANAGE_TRUST_COMMAND } from './engineChoice';
import { CHECKPOINT_EXTS, isCheckpointPath } from './contributions';
import type { Services } from './services';

export interface AnalyzeArgs {
  rerun?: boolean;
}

/** Errors a different dataset would fix: the toast offers to choose one. */
export const DATASET_ERRORS: ReadonlySet<string> = new Set(['E_DATASET', 'E_SHAPE']);

/** The checkpoint: the argument (explorer, editor title), else the active checkpoint editor, else a file dialog. */
async function targetUri(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText) {
    if (isCheckpointPath(input.uri.path)) return input.uri;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false, openLabel: vscode.l10n.t('Analyze'),
    filters: { [vscode.l10n.t('Checkpoints')]: CHECKPOINT_EXTS.map((e) => e.slice(1)) },
  });
  return picked?.[0];
}

export async function analyzeExperts(services: Services, panels: AnalysisPanels, arg: unknown, args: AnalyzeArgs = {}, forcePick = false): Promise<void> {
  const { log, context } = services;
  const uri = await targetUri(arg);
  if (!uri) return;
  try {
    const datasetPath = await resolveDataset(context, uri, forcePick);
    if (!datasetPath) return;
    const name = runName(uri.fsPath);
    const job = await prepareAnalysis(services, uri, datasetPath, name);
    const [outcome] = await analyzeAll(services, [job], vscode.l10n.t('Analyzing experts of {0}', name), { rerun: args.rerun === true });
    if (!outcome) return;
    const { result, fromCache } = resultOf(outcome);
    panels.show(result, job.key, fromCache);
  } catch (err) {
    const e = toSoftMoeError(err);
    if (e.code === 'E_CANCELLED') {
      log.info(`analysis of ${uri.fsPath} cancelled`);
      void vscode.window.showInformationMessage(vscode.l10n.t('Analysis cancelled.'));
      return;
    }
    const choose = vscode.l10n.t('Choose Dataset…');
    const trust = vscode.l10n.t('Manage Workspace Trust');
    // An E_USAGE in an untrusted workspace is the PyTorch engine refused by Restricted Mode (engineChoice.ts).
    const actions = DATASET_ERRORS.has(e.code) ? [choose] : e.code === 'E_USAGE' && !vscode.workspace.isTrusted ? [trust] : [];
    const picked = await log.showError(e, `analyze ${uri.fsPath}`, actions);
    if (picked === choose) await analyzeExperts(services, panels, uri, args, true);
    else if (picked === trust) await vscode.commands.executeCommand(MANAGE_TRUST_COMMAND);
  }
}

/** Soft MoE: Choose Dataset for Analysis… — for the checkpoint given or open (remembered for its folder), else the workspace default. */
export async function chooseDataset(services: Services, arg: unknown): Promise<void> {
  let uri = arg instanceof vscode.Uri ? arg : undefined;
  if (!uri) {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (input instanceof vscode.TabInputCustom && isCheckpointPath(input.uri.path)) uri = input.uri;
  }
  await pickDataset(services.context, uri);
}
