/**
 * "Prune Experts…" in the analysis panel: write the checkpoint with only the global subset of k experts per layer
 * that the analysis chose (renorm drop — what a pruned model computes). The user picks the folder (a pruned
 * checkpoint gets its own, since its args.json/config.json describe k experts); nothing is replaced without a modal
 * question; the source is only read; the work runs in the worker.
 */
import * as vscode from 'vscode';
import { basename, dirname, join } from 'node:path';
import { stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { SoftMoeError } from '../core/errors';
import type { PruneRequest, PruneResponse, ViewModel } from '../core/protocol/webviewProtocol';
import type { Services } from './services';
import { runWorkerJob } from './workerClient';
import { keptAt, prunedFileName } from './prunePlan';

export async function handlePrune(services: Services, req: PruneRequest, view: ViewModel): Promise<PruneResponse> {
  if (view.kind !== 'analysis') throw new SoftMoeError('E_UNSUPPORTED', vscode.l10n.t('Only an analysis panel can prune.'));
  const r = view.result;
  const orders = r.globalSelection?.orders.renorm;
  if (!orders) {
    throw new SoftMoeError('E_USAGE', vscode.l10n.t('This analysis has no global subsets for the renorm drop: add "global" to softmoeInspector.selectors (with dropModes renorm or both) and analyse again.'));
  }
  const n = r.layers[0]?.numExperts ?? 0;
  if (!(req.k >= 1 && req.k <= n)) throw new SoftMoeError('E_USAGE', vscode.l10n.t('k must be from 1 to {0}.', n));
  const source = r.checkpoint.path;
  const now = await stat(source).catch(() => null);
  if (!now) throw new SoftMoeError('E_NOT_FOUND', vscode.l10n.t('{0} is gone; it cannot be pruned.', source));
  if (now.size !== r.checkpoint.fileSize) {
    throw new SoftMoeError('E_USAGE', vscode.l10n.t('{0} has changed since it was analysed; analyse it again before pruning.', basename(source)));
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: false, canSelectFolders: true, canSelectMany: false,
    defaultUri: vscode.Uri.file(dirname(dirname(source))),
    openLabel: vscode.l10n.t('Write Pruned Checkpoint Here'),
    title: vscode.l10n.t('Prune {0} to {1} of {2} experts per layer: choose a folder (not the checkpoint\'s own, whose sidecars describe {2})', basename(source), req.k, n),
  });
  const folder = picked?.[0];
  if (!folder) return { written: false };
  const output = join(folder.fsPath, prunedFileName(r.checkpoint.name, req.k));
  const clashes = [output, ...['args.json', 'config.json', 'softmoe.json'].map((f) => join(folder.fsPath, f)).filter((f) => existsSync(join(dirname(source), basename(f))))]
    .filter((f) => existsSync(f));
  let overwrite = false;
  if (clashes.length > 0) {
    const replace = vscode.l10n.t('Replace');
    const answer = await vscode.window.showWarningMessage(
      vscode.l10n.t('{0} already exist(s) in {1}. Replace?', clashes.map((f) => basename(f)).join(', '), folder.fsPath),
      { modal: true }, replace,
    );
    if (answer !== replace) return { written: false };
    overwrite = true;
  }
  const keep = keptAt(orders, req.k);
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Pruning {0} to {1} experts', basename(source), req.k) },
    () => runWorkerJob(services.workerFile, { type: 'prune', checkpoint: source, output, keep, overwrite }, { onLog: (m) => services.log.info(m.message) }),
  );
  const point = r.curves.find((c) => c.selector === 'global' && c.drop === 'renorm')?.points.find((p) => p.k === req.k);
  services.log.info(`pruned ${source} → ${report.output}: experts ${JSON.stringify(report.layers.map((l) => l.kept))}, ${report.parametersBefore} → ${report.parametersAfter} parameters`);
  const open = vscode.l10n.t('Open');
  const analyze = vscode.l10n.t('Analyze');
  const choice = await vscode.window.showInformationMessage(
    vscode.l10n.t('Wrote {0}: {1} of {2} experts per layer, {3} parameters fewer.{4}', basename(report.output), req.k, n,
      (report.parametersBefore - report.parametersAfter).toLocaleString('en'),
      point ? vscode.l10n.t(' It should score {0}% on {1} ({2} examples), the global curve\'s renorm point.', (100 * point.accuracy).toFixed(2), r.dataset.name, r.numExamples) : ''),
    open, analyze,
  );
  const uri = vscode.Uri.file(report.output);
  if (choice === open) await vscode.commands.executeCommand('vscode.open', uri);
  else if (choice === analyze) await vscode.commands.executeCommand('softmoe.analyzeExperts', uri);
  return { written: true, path: report.output };
}
