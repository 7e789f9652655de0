/**
 * Soft MoE: Analyze Experts. Resolves the checkpoint and the dataset, serves the cached result when the
 * checkpoint, dataset and settings are unchanged, else runs the analysis in the worker with a cancellable
 * progress notification, caches the result and shows the panel.
 */
import { stat } from 'node:fs/promises';
import * as vscode from 'vscode';
import { SoftMoeError, toSoftMoeError } from '../core/errors';
import type { AnalysisPanels } from './analysisPanels';
import { SETTINGS_SECTION, resolveAnalysisSettings } from './analysisSettings';
import { analysisCacheKey } from './cacheKey';
import type { FileStamp } from './cacheKey';
import { resolveDataset } from './datasetPicker';
import { ProgressTracker } from './progressText';
import type { Services } from './services';
import { runWorkerJob } from './workerClient';

export interface AnalyzeArgs {
  rerun?: boolean;
}

const CHECKPOINT_EXTS = ['.safetensors', '.pt', '.pth', '.ckpt', '.bin'];

async function stamp(path: string, what: string): Promise<FileStamp> {
  try {
    const s = await stat(path);
    return { path, size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    throw new SoftMoeError('E_NOT_FOUND', `${what} ${path} does not exist or cannot be read.`);
  }
}

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
  const { log, cache, context } = services;
  const uri = await targetUri(arg);
  if (!uri) return;
  try {
    const datasetPath = await resolveDataset(context.extensionPath, uri);
    if (!datasetPath) return;
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, uri);
    const resolved = resolveAnalysisSettings((k) => config.get(k));
    for (const w of resolved.warnings) log.warn(w);
    const key = analysisCacheKey(await stamp(uri.fsPath, 'Checkpoint'), await stamp(datasetPath, 'Dataset'), resolved.settings);
    if (!args.rerun) {
      const cached = await cache.get(key);
      if (cached) {
        log.info(`analysis of ${uri.fsPath} served from the cache (${key})`);
        panels.show(cached, key, true);
        return;
      }
    }
    const name = uri.path.split('/').pop() ?? uri.fsPath;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Analyzing experts of {0}', name), cancellable: true },
      async (progress, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        const tracker = new ProgressTracker();
        log.info(`analyze ${uri.fsPath} with ${datasetPath}: ${JSON.stringify(resolved)}`);
        return runWorkerJob(services.workerFile, {
          type: 'analyze', checkpoint: uri.fsPath, dataset: datasetPath, settings: resolved.settings, execution: resolved.execution,
        }, {
          signal: ac.signal,
          onProgress: (p) => progress.report(tracker.step(p)),
          onLog: (m) => (m.level === 'error' ? log.error(m.message) : m.level === 'warn' ? log.warn(m.message) : log.info(m.message)),
        });
      },
    );
    await cache.put(key, result);
    log.info(`analysis of ${uri.fsPath} done in ${result.timing.seconds.toFixed(1)} s; cached as ${key}`);
    panels.show(result, key, false);
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
