/**
 * Soft MoE: Analyze Training Run. A run folder (`ep{E}.safetensors` / `ep{E}_moe.pt` … with its args.json) from
 * the explorer, the folder of the checkpoint open in the editor, or a folder dialog: every epoch is analysed (or
 * served from the cache) and the comparison panel shows them in training mode, epochs on the x axis.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { SoftMoeError } from '../core/errors';
import { findRunCheckpoints } from '../core/analysis/findRunCheckpoints';
import type { ComparisonPanels } from './comparisonPanels';
import { loadRuns } from './loadRuns';
import { reportFailure } from './reportFailure';
import type { Services } from './services';

async function targetFolder(arg: unknown): Promise<vscode.Uri | undefined> {
  let uri = arg instanceof vscode.Uri ? arg : undefined;
  if (!uri) {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    if (input instanceof vscode.TabInputCustom) uri = input.uri;
  }
  if (uri) {
    const isDir = await stat(uri.fsPath).then((s) => s.isDirectory(), () => false);
    return isDir ? uri : vscode.Uri.joinPath(uri, '..');
  }
  const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: vscode.l10n.t('Analyze Training Run') });
  return picked?.[0];
}

/** "n = 16 experts" from the run's args.json, when it says. */
async function runNote(folder: string): Promise<string> {
  try {
    const args = JSON.parse(await readFile(join(folder, 'args.json'), 'utf8')) as { num_experts?: unknown };
    return typeof args.num_experts === 'number' ? ` (n = ${args.num_experts})` : '';
  } catch {
    return '';
  }
}

export async function analyzeTrainingRun(services: Services, comparisons: ComparisonPanels, arg: unknown): Promise<void> {
  const folder = await targetFolder(arg);
  if (!folder) return;
  const name = folder.path.split('/').filter(Boolean).pop() ?? folder.fsPath;
  try {
    const epochs = await findRunCheckpoints(folder.fsPath);
    if (epochs.length === 0) {
      throw new SoftMoeError('E_NOT_FOUND', `${folder.fsPath}: no epoch checkpoints here (ep<E>.safetensors, ep<E>_moe.safetensors, ep<E>_moe.pt …).`);
    }
    if (!existsSync(join(folder.fsPath, 'args.json'))) services.log.warn(`${folder.fsPath}: no args.json beside the checkpoints; analyzing them with the settings their tensors imply.`);
    const loaded = await loadRuns(services, epochs.map((e) => vscode.Uri.file(e.path)), epochs.map((e) => `epoch ${e.epoch}`),
      epochs.length === 1 ? vscode.l10n.t('Analyzing 1 epoch of {0}', name) : vscode.l10n.t('Analyzing {0} epochs of {1}', epochs.length, name), epochs.map((e) => e.epoch));
    if (!loaded) return;
    if (loaded.runs.length === 0) throw new SoftMoeError('E_NOT_FOUND', `${folder.fsPath}: no epoch could be analyzed (${loaded.skipped.map((x) => `${x.label}: ${x.reason}`).join('; ')}).`);
    const { runs, skipped } = loaded;
    comparisons.show({ kind: 'comparison', mode: 'training', title: vscode.l10n.t('Training run {0}{1}', name, await runNote(folder.fsPath)), runs, ...(skipped.length ? { skipped } : {}) });
  } catch (err) {
    await reportFailure(services, err, `analyze training run ${folder.fsPath}`);
  }
}
