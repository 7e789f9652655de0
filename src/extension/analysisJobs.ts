/**
 * Analyses on the extension host's side, shared by Analyze Experts, Compare Runs and Analyze Training Run: the
 * cache key of a checkpoint (its bytes' stamp, the dataset's, the result-changing settings), and running several
 * missing analyses one after another in the worker under ONE cancellable progress notification (Cancel stops all;
 * what finished before is cached).
 */
import { stat } from 'node:fs/promises';
import * as vscode from 'vscode';
import { SoftMoeError, throwIfAborted } from '../core/errors';
import type { AnalysisResult } from '../core/analysis/schema';
import { SETTINGS_SECTION, resolveAnalysisSettings } from './analysisSettings';
import type { ResolvedSettings } from './analysisSettings';
import { analysisCacheKey } from './cacheKey';
import type { FileStamp } from './cacheKey';
import { ProgressTracker } from './progressText';
import type { Services } from './services';
import { runWorkerJob } from './workerClient';

export async function stamp(path: string, what: string): Promise<FileStamp> {
  try {
    const s = await stat(path);
    return { path, size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    throw new SoftMoeError('E_NOT_FOUND', `${what} ${path} does not exist or cannot be read.`);
  }
}

export interface PreparedAnalysis {
  uri: vscode.Uri;
  label: string;
  datasetPath: string;
  key: string;
  resolved: ResolvedSettings;
}

export async function prepareAnalysis(services: Services, uri: vscode.Uri, datasetPath: string, label: string): Promise<PreparedAnalysis> {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, uri);
  const resolved = resolveAnalysisSettings((k) => config.get(k));
  for (const w of resolved.warnings) services.log.warn(w);
  const key = analysisCacheKey(await stamp(uri.fsPath, 'Checkpoint'), await stamp(datasetPath, 'Dataset'), resolved.settings);
  return { uri, label, datasetPath, key, resolved };
}

function runOne(services: Services, job: PreparedAnalysis, signal: AbortSignal, onProgress: (percent: number, message: string) => void): Promise<AnalysisResult> {
  const { log } = services;
  const tracker = new ProgressTracker();
  let percent = 0;
  log.info(`analyze ${job.uri.fsPath} with ${job.datasetPath}: ${JSON.stringify(job.resolved)}`);
  return runWorkerJob(services.workerFile, {
    type: 'analyze', checkpoint: job.uri.fsPath, dataset: job.datasetPath, settings: job.resolved.settings, execution: job.resolved.execution,
  }, {
    signal,
    onProgress: (p) => {
      const step = tracker.step(p);
      percent += step.increment;
      onProgress(percent, step.message);
    },
    onLog: (m) => (m.level === 'error' ? log.error(m.message) : m.level === 'warn' ? log.warn(m.message) : log.info(m.message)),
  });
}

/**
 * Results for every job, from the cache unless `rerun`, else analysed in the worker one after another with one
 * progress notification titled `title`. Each new result is cached as soon as it exists. Throws E_CANCELLED when
 * the user cancels (nothing after that starts).
 */
export async function analyzeAll(services: Services, jobs: PreparedAnalysis[], title: string, rerun = false): Promise<Array<{ result: AnalysisResult; fromCache: boolean }>> {
  const out: Array<{ result: AnalysisResult; fromCache: boolean } | null> = [];
  const missing: number[] = [];
  for (const [i, job] of jobs.entries()) {
    const cached = rerun ? null : await services.cache.get(job.key);
    if (cached) services.log.info(`analysis of ${job.uri.fsPath} served from the cache (${job.key})`);
    out.push(cached ? { result: cached, fromCache: true } : null);
    if (!cached) missing.push(i);
  }
  if (missing.length) {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      let reported = 0;
      for (const [pos, i] of missing.entries()) {
        throwIfAborted(ac.signal);
        const job = jobs[i];
        const prefix = missing.length > 1 ? `${pos + 1}/${missing.length} ${job.label}: ` : '';
        const result = await runOne(services, job, ac.signal, (percent, message) => {
          const overall = (100 * pos + Math.min(100, percent)) / missing.length;
          progress.report({ increment: Math.max(0, overall - reported), message: `${prefix}${message}` });
          reported = Math.max(reported, overall);
        });
        await services.cache.put(job.key, result);
        services.log.info(`analysis of ${job.uri.fsPath} done in ${result.timing.seconds.toFixed(1)} s; cached as ${job.key}`);
        out[i] = { result, fromCache: false };
      }
    });
  }
  return out.map((x) => x as { result: AnalysisResult; fromCache: boolean });
}
