/**
 * The analyze job: the core's one pipeline from paths (`analyzeCheckpoint`: engine and model,
 * dataset in the model's geometry, analysis) with progress and cancellation. The extension's settings apply to every
 * model, so selectors a model cannot run (the oracle on a ViT) are left out with a log line instead of failing.
 */
import { defaultedPreprocessing, type AnalysisResult } from '../core/analysis/schema';
import { analyzeCheckpoint } from '../core/analysis/analyzeCheckpoint';
import { executionEngine } from '../core/analysis/runIdentity';
import { finalizeResult } from '../core/analysis/finalize';
import { throwIfAborted } from '../core/errors';
import type { AnalyzeJob, WorkerProgress } from '../core/protocol/workerProtocol';
import { createPool } from '../pool/pool';

export type ProgressSink = (p: Omit<WorkerProgress, 'type' | 'id'>) => void;

export async function runAnalysis(job: AnalyzeJob, onProgress: ProgressSink, signal: AbortSignal, log: (message: string) => void = () => undefined): Promise<AnalysisResult> {
  const { execution, settings } = job;
  let phase = 'loading model';
  let lastLoadReport = 0;
  onProgress({ done: 0, total: 0, examplesPerSecond: 0, phase });
  throwIfAborted(signal);
  const part = await analyzeCheckpoint(job.checkpoint, job.dataset, {
    ...executionEngine(execution),
    split: 'test',
    selectors: settings.selectors,
    drops: settings.drops,
    trials: settings.trials,
    seed: settings.seed,
    target: settings.target,
    samples: settings.samples,
    batchSize: execution.batchSize,
    limit: settings.limit,
    ...(settings.calibration !== undefined ? { calibration: settings.calibration } : {}),
    ...(settings.globalRanking !== undefined ? { globalRanking: settings.globalRanking } : {}),
    skipUnsupportedSelectors: true,
  }, {
    signal,
    log,
    // Big jobs on the built-in engine use every core: parts in threads of their own (src/pool).
    parts: createPool(),
    // The panel shows these in its Overview; the log says them as soon as they are known.
    onPreprocessing: (p) => {
      for (const line of p ? defaultedPreprocessing(p) : []) log(`${job.checkpoint}: ${line}; no sidecar or checkpoint gives it (set it in softmoe.json beside the checkpoint).`);
    },
    onPhase: (p) => {
      phase = p;
      onProgress({ done: 0, total: 0, examplesPerSecond: 0, phase });
    },
    onLoadProgress: (p) => {
      // One tensor at a time is thousands of events for a big model: at most ten a second, and the last.
      const now = Date.now();
      if (p.done > 0 && p.done < p.total && now - lastLoadReport < 100) return;
      lastLoadReport = now;
      onProgress({ done: p.done, total: p.total, unit: 'bytes', examplesPerSecond: 0, phase });
    },
    onProgress: (p) => onProgress({ done: p.done, total: p.total, examplesPerSecond: p.examplesPerSecond, phase }),
  });
  return finalizeResult(part);
}
