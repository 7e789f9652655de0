/**
 * Analyses on the extension host's side, shared by Analyze Experts, Compare Runs and Analyze Training Run: the
 * cache key of a job (its run identity: the checkpoint's, sidecars' and dataset's files and every result-changing
 * setting, see cacheKey.ts), and running several
 * missing analyses one after another in the worker under ONE cancellable progress notification (Cancel stops all;
 * what finished before is cached).
 */
import * as vscode from 'vscode';
import { throwIfAborted, toSoftMoeError, type SoftMoeError } from '../core/errors';
import type { AnalysisResult, RunIdentity } from '../core/analysis/schema';
import { readModelFactory } from '../core/engine/torch/modelFactory';
import { readSidecars } from '../core/model/sidecar';
import { SETTINGS_SECTION, resolveAnalysisSettings } from './analysisSettings';
import { decideEngine, readEngineSettings } from './engineChoice';
import { resolvePython } from './pythonInterpreter';
import type { ResolvedSettings } from './analysisSettings';
import { jobIdentity } from './cacheKey';
import { DEMO_DATASET_NAME, demoDatasetPath } from './datasetSetting';
import { ProgressTracker } from './progressText';
import type { Services } from './services';
import { runWorkerJob } from './workerClient';

export interface PreparedAnalysis {
  uri: vscode.Uri;
  label: string;
  datasetPath: string;
  key: string;
  identity: RunIdentity;
  resolved: ResolvedSettings;
}

export async function prepareAnalysis(services: Services, uri: vscode.Uri, datasetPath: string, label: string): Promise<PreparedAnalysis> {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, uri);
  const resolved = resolveAnalysisSettings((k) => config.get(k));
  const engine = readEngineSettings((k) => config.get(k), resolved.warnings);
  for (const w of resolved.warnings) services.log.warn(w);
  const sidecars = await readSidecars(uri.fsPath);
  const decision = decideEngine(engine.engine, { trusted: vscode.workspace.isTrusted, hasFactory: readModelFactory(sidecars) !== undefined });
  if (decision.note) {
    services.log.info(`${uri.fsPath}: ${decision.note}`);
    void vscode.window.showWarningMessage(decision.note);
  }
  if (decision.engine === 'torch') {
    const python = await resolvePython(uri, engine.pythonPath, (m) => services.log.info(m));
    resolved.execution = { ...resolved.execution, engine: 'torch', python, device: engine.device };
  }
  const { key, identity } = await jobIdentity(uri.fsPath, datasetPath, resolved);
  return { uri, label, datasetPath, key, identity, resolved };
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

/** What one job gave: its result (cached or new), or, when the caller keeps going past failures, its error. */
export type JobOutcome = { result: AnalysisResult; fromCache: boolean } | { error: SoftMoeError };

export interface AnalyzeAllOptions {
  /** Ignore the cache. */
  rerun?: boolean;
  /** Record a job's failure in its outcome and go on with the others (Compare Runs); cancelling still stops all. */
  keepGoing?: boolean;
}

/**
 * Results for every job, from the cache unless `rerun`, else analysed in the worker one after another with one
 * progress notification titled `title`. A job whose analysis is already running (another click, another panel)
 * joins that run instead of starting an identical one. Each new result is cached as soon as it exists. Throws
 * E_CANCELLED when the user cancels (nothing after that starts), and a job's error unless `keepGoing`.
 */
export async function analyzeAll(services: Services, jobs: PreparedAnalysis[], title: string, opts: AnalyzeAllOptions = {}): Promise<JobOutcome[]> {
  const out: Array<JobOutcome | null> = [];
  const missing: number[] = [];
  for (const [i, job] of jobs.entries()) {
    const cached = opts.rerun ? null : await services.cache.get(job.key);
    if (cached) services.log.info(`analysis of ${job.uri.fsPath} served from the cache (${job.key})`);
    out.push(cached ? { result: cached, fromCache: true } : null);
    if (!cached) missing.push(i);
  }
  const settle = async (i: number, promise: Promise<AnalysisResult>): Promise<void> => {
    try {
      out[i] = { result: await promise, fromCache: false };
    } catch (err) {
      const e = toSoftMoeError(err);
      if (e.code === 'E_CANCELLED' || !opts.keepGoing) throw e;
      out[i] = { error: e };
    }
  };
  const joined = missing.flatMap((i) => {
    const running = services.runs.get((jobs[i] as PreparedAnalysis).key);
    return running ? [{ i, running }] : [];
  });
  const fresh = missing.filter((i) => !joined.some((j) => j.i === i));
  if (joined.length) {
    const names = joined.map((j) => (jobs[j.i] as PreparedAnalysis).label).join(', ');
    services.log.info(`${names}: already being analyzed with the same settings; joining that run`);
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} is already being analyzed; the result opens when that run finishes.', names));
  }
  if (fresh.length) {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      let reported = 0;
      for (const [pos, i] of fresh.entries()) {
        throwIfAborted(ac.signal);
        const job = jobs[i] as PreparedAnalysis;
        const prefix = fresh.length > 1 ? `${pos + 1}/${fresh.length} ${job.label}: ` : '';
        const { promise } = services.runs.run(job.key, async () => {
          const result = await runOne(services, job, ac.signal, (percent, message) => {
            const overall = (100 * pos + Math.min(100, percent)) / fresh.length;
            progress.report({ increment: Math.max(0, overall - reported), message: `${prefix}${message}` });
            reported = Math.max(reported, overall);
          });
          if (job.datasetPath === demoDatasetPath(services.context.extensionPath)) result.dataset.name = DEMO_DATASET_NAME;
          if (result.run && result.run.key !== job.key) {
            // A file changed between the key and the run: the result is not the key's; keep it out of the cache.
            services.log.warn(`analysis of ${job.uri.fsPath} done, not cached: its files changed while it ran`);
          } else {
            await services.cache.put(job.key, result);
            services.log.info(`analysis of ${job.uri.fsPath} done in ${result.timing.seconds.toFixed(1)} s; cached as ${job.key}`);
          }
          return result;
        });
        await settle(i, promise);
      }
    });
  }
  for (const j of joined) await settle(j.i, j.running);
  return out as JobOutcome[];
}

/** The result of an outcome, or its error thrown. */
export function resultOf(o: JobOutcome): { result: AnalysisResult; fromCache: boolean } {
  if ('error' in o) throw o.error;
  return o;
}
