/**
 * Soft MoE: Compare Runs. On a multi-selection in the explorer (VS Code passes `(uri, uris)`), from the checkpoint
 * editor's "Compare with…" (one uri: pick the others), or from the palette (pick from the workspace). Checkpoints
 * are analysed (cache first, then the worker, one progress notification); saved result JSONs are read as they are.
 */
import * as vscode from 'vscode';
import { toSoftMoeError } from '../core/errors';
import { runLabels } from '../core/report/runLabels';
import type { ComparisonRun } from '../core/protocol/webviewProtocol';
import { analyzeAll, prepareAnalysis } from './analysisJobs';
import type { PreparedAnalysis } from './analysisJobs';
import { CHECKPOINT_EXTS } from './analyzeCommand';
import { comparisonRun } from './comparisonPanels';
import type { ComparisonPanels } from './comparisonPanels';
import { resolveDataset } from './datasetPicker';
import { readResultFile } from './resultFile';
import type { Services } from './services';

export const COMPARE_RUNS_COMMAND = 'softmoe.compareRuns';

const isJson = (u: vscode.Uri): boolean => u.path.toLowerCase().endsWith('.json');
const isCheckpoint = (u: vscode.Uri): boolean => CHECKPOINT_EXTS.some((e) => u.path.toLowerCase().endsWith(e));

/** The uris a command invocation names: `(uri, uris[])` from the explorer, `(uri)` from an editor, nothing from the palette. */
export function selectedUris(arg: unknown, uris: unknown): vscode.Uri[] {
  if (Array.isArray(uris) && uris.length > 0 && uris.every((u) => u instanceof vscode.Uri)) return uris as vscode.Uri[];
  return arg instanceof vscode.Uri ? [arg] : [];
}

/** Checkpoints and result JSONs in the workspace, the `preselected` first and picked. */
async function pickRuns(preselected: vscode.Uri[]): Promise<vscode.Uri[] | undefined> {
  const exclude = '**/{node_modules,.git}/**';
  const found = [
    ...await vscode.workspace.findFiles(`**/*{${CHECKPOINT_EXTS.join(',')}}`, exclude, 500),
    ...await vscode.workspace.findFiles('**/*.softmoe.json', exclude, 200),
  ].filter((u) => !/(^|\/)optimizer\.[^/]+$/.test(u.path));
  const chosen = new Set(preselected.map((u) => u.toString()));
  const all = [...preselected, ...found.filter((u) => !chosen.has(u.toString())).sort((a, b) => a.path.localeCompare(b.path))];
  const labels = runLabels(all.map((u) => u.fsPath));
  const items = all.map((uri, i) => ({ label: labels[i], description: vscode.workspace.asRelativePath(uri), uri, picked: chosen.has(uri.toString()) }));
  const picks = await vscode.window.showQuickPick(items, {
    canPickMany: true, title: vscode.l10n.t('Compare Runs'), placeHolder: vscode.l10n.t('Pick two or more checkpoints or saved analyses (*.softmoe.json)'),
  });
  return picks?.map((p) => p.uri);
}

export async function compareRuns(services: Services, comparisons: ComparisonPanels, arg: unknown, uris: unknown): Promise<void> {
  let targets = selectedUris(arg, uris);
  if (targets.length < 2) {
    const picked = await pickRuns(targets);
    if (!picked) return;
    targets = picked;
  }
  const unknown = targets.filter((u) => !isJson(u) && !isCheckpoint(u));
  if (unknown.length) {
    void vscode.window.showWarningMessage(vscode.l10n.t('{0} is neither a checkpoint nor a saved analysis; it is left out.', unknown.map((u) => u.path.split('/').pop()).join(', ')));
    targets = targets.filter((u) => !unknown.includes(u));
  }
  if (targets.length < 2) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Compare Runs needs at least two checkpoints or saved analyses.'));
    return;
  }
  const labels = runLabels(targets.map((u) => u.fsPath));
  try {
    const runs = await loadRuns(services, targets, labels, vscode.l10n.t('Comparing {0} runs', targets.length));
    if (!runs) return;
    comparisons.show({ kind: 'comparison', mode: 'runs', title: vscode.l10n.t('Compare: {0}', labels.join(' · ')).slice(0, 120), runs });
  } catch (err) {
    await reportFailure(services, err, 'compare runs');
  }
}

/** Each target's analysis (result files read, checkpoints analysed or served from the cache), in order. Null: no dataset chosen. */
export async function loadRuns(services: Services, targets: vscode.Uri[], labels: string[], title: string, epochs?: number[]): Promise<ComparisonRun[] | null> {
  const checkpoints = targets.filter(isCheckpoint);
  let datasetPath: string | undefined;
  if (checkpoints.length) {
    datasetPath = await resolveDataset(services.context.extensionPath, checkpoints[0]);
    if (!datasetPath) return null;
  }
  const jobs: PreparedAnalysis[] = [];
  for (const [i, uri] of targets.entries()) if (isCheckpoint(uri)) jobs.push(await prepareAnalysis(services, uri, datasetPath as string, labels[i]));
  const analysed = await analyzeAll(services, jobs, title);
  const runs: ComparisonRun[] = [];
  let j = 0;
  for (const [i, uri] of targets.entries()) {
    if (isCheckpoint(uri)) {
      runs.push(comparisonRun(labels[i], analysed[j].result, { kind: 'cache', cacheKey: jobs[j].key }, epochs?.[i]));
      j++;
    } else {
      runs.push(comparisonRun(labels[i], await readResultFile(uri), { kind: 'file', path: uri.fsPath }, epochs?.[i]));
    }
  }
  return runs;
}

export async function reportFailure(services: Services, err: unknown, what: string): Promise<void> {
  const e = toSoftMoeError(err);
  if (e.code === 'E_CANCELLED') {
    services.log.info(`${what} cancelled`);
    void vscode.window.showInformationMessage(vscode.l10n.t('Cancelled: the analyses finished so far are cached.'));
    return;
  }
  await services.log.showError(e, what);
}
