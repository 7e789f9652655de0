/**
 * Cache keys for analysis results: the key of the run's identity (src/core/analysis/runIdentity.ts) — the
 * checkpoint's files, its sidecars, the dataset's files, every option that can change the result (batch size
 * included when the `batch` selector runs) and the tool and schema versions. No vscode here, so tests drive it.
 */
import { engineRunOptions, executionEngine, identityDifference, isRunKey, requestOf, runIdentity, runKey, type RunRequest } from '../core/analysis/runIdentity';
import type { AnalysisResult, RunIdentity } from '../core/analysis/schema';
import { toSoftMoeError } from '../core/errors';
import type { AnalysisSettings, ExecutionSettings } from '../core/protocol/workerProtocol';

/**
 * The run the worker makes of an analyze job (runAnalysis: the test split, the settings, the batch size, the engine). A test
 * checks that the identity the worker records in its result has the key computed here.
 */
export function jobRequest(checkpoint: string, dataset: string, job: { settings: AnalysisSettings; execution: ExecutionSettings }): RunRequest {
  const s = job.settings;
  return {
    checkpoint, dataset, split: 'test',
    options: {
      selectors: s.selectors, drops: s.drops, trials: s.trials, seed: s.seed, target: s.target, samples: s.samples, limit: s.limit, batchSize: job.execution.batchSize,
      ...(s.calibration !== undefined ? { calibration: s.calibration } : {}), ...(s.globalRanking !== undefined ? { globalRanking: s.globalRanking } : {}),
      // The engine as runAnalysis hands it to analyzeCheckpoint, recorded as analyzeCheckpoint records it.
      ...engineRunOptions(executionEngine(job.execution)),
    },
  };
}

/** The identity of an analyze job as its files are now, and its cache key. */
export async function jobIdentity(checkpoint: string, dataset: string, job: { settings: AnalysisSettings; execution: ExecutionSettings }): Promise<{ key: string; identity: RunIdentity }> {
  const identity = await runIdentity(jobRequest(checkpoint, dataset, job));
  return { key: runKey(identity), identity };
}

export function analysisCacheKey(identity: RunIdentity): string {
  return runKey(identity);
}

export function isCacheKey(s: string): boolean {
  return isRunKey(s);
}

/**
 * Why a cached result no longer describes its inputs (a panel restored after a reload checks this), or null when it
 * still does: its checkpoint, sidecars or dataset changed or went away, or the tool was updated.
 */
export async function staleReason(result: AnalysisResult): Promise<string | null> {
  if (!result.run) return 'it records no run identity (it was made by an older version)';
  try {
    return identityDifference(result.run.identity, await runIdentity(requestOf(result.run.identity))) ?? null;
  } catch (err) {
    return toSoftMoeError(err).userMessage;
  }
}
