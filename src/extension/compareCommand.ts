/**
 * Soft MoE: Compare Runs. On a multi-selection in the explorer (VS Code passes `(uri, uris)`), from the checkpoint
 * editor's "Compare with…" (one uri: pick the others), or from the palette (pick from the workspace). Checkpoints
 * are analysed (cache first, then the worker, one progress notification); saved result JSONs are read as they are.
 */
import * as vscode from 'vscode';
import { SoftMoeError } from '../core/errors';
import { runLabels } from '../core/report/runLabels';
import { MODEL_EXTS, isCheckpointPath } from './contributions';
import type { ComparisonPanels } from './comparisonPanels';
import { loadRuns } from './loadRuns';
import { reportFailure } from './reportFailure';
import type { Services } from './services';

const isJson = (u: vscode.Uri): boolean => u.path.toLowerCase().endsWith('.json');
const isCheckpoint = (u: vscode.Uri): boolean => isCheckpointPath(u.path);

/** The uris a command invocation names: `(uri, uris[])` from the explorer, `(uri)` from an editor, nothing from the palette. */
export function selectedUris(arg: unknown, uris: unknown): vscode.Uri[] {
  if (Array.isArray(uris) && uris.length > 0 && uris.every((u) => u instanceof vscode.Uri)) return uris as vscode.Uri[];
  return arg instanceof vscode.Uri ? [arg] : [];
}

/** Checkpoints and result JSONs in the workspace, the `preselected` first and picked. */
async function pickRuns(preselected: vscode.Uri[]): Promise<vscode.Uri[] | undefined> {
  const exclude = '**/{node_modules,.git}/**';
  const found = [
    ...await vscode.workspace.findFiles(`**/*{${MODEL_EXTS.join(',')}}`, exclude, 500),
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
  try {
    const loaded = await loadRuns(services, targets, null, vscode.l10n.t('Comparing {0} runs', targets.length));
    if (!loaded) return;
    const { runs, skipped } = loaded;
    if (skipped.length) {
      for (const x of skipped) services.log.warn(`compare runs: ${x.label} left out: ${x.reason}`);
      void vscode.window.showWarningMessage(vscode.l10n.t('Compare Runs left out {0}: {1}', skipped.length === 1 ? vscode.l10n.t('1 run') : vscode.l10n.t('{0} runs', skipped.length),
        skipped.map((x) => `${x.label} (${x.reason})`).join('; ')));
    }
    if (runs.length < 2) {
      throw new SoftMoeError('E_NOT_FOUND', vscode.l10n.t('Compare Runs needs at least two readable runs; {0} of {1} could be read.', runs.length, targets.length));
    }
    comparisons.show({ kind: 'comparison', mode: 'runs', title: vscode.l10n.t('Compare: {0}', runs.map((r) => r.label).join(' · ')).slice(0, 120), runs, ...(skipped.length ? { skipped } : {}) });
  } catch (err) {
    await reportFailure(services, err, 'compare runs');
  }
}
