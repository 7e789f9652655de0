/**
 * What one part of a parallel analysis or evaluation computes, in whatever thread runs it (src/pool/poolWorker.ts): its own
 * engine (through openEngine, on the caller's tfjs backend), its own dataset reader, and the work on its examples.
 */
import { analyzePart } from './analysis/analyze';
import type { AnalysisPartial } from './analysis/partial';
import type { Dataset } from './data/types';
import type { Engine } from './engine/engine';
import { openEngine } from './engine/openEngine';
import { openDatasetForModel } from './engine/openDatasetForModel';
import { evaluateCounts } from './engine/evaluate';
import type { AnalyzePartJob, EvalCounts, EvaluatePartJob, PartHooks, PartSource } from './parallel';

/** `work` on the part's own engine and dataset, both closed afterwards. */
async function onOwnEngine<T>(job: PartSource, hooks: PartHooks, work: (engine: Engine, dataset: Dataset) => Promise<T>): Promise<T> {
  const { engine } = await openEngine(job.checkpoint, { engine: 'tfjs', backend: job.backend, ...(hooks.signal ? { signal: hooks.signal } : {}) });
  try {
    const dataset = await openDatasetForModel(job.dataset, engine.info, { split: job.split, limit: job.limit });
    try {
      return await work(engine, dataset);
    } finally {
      await dataset.close();
    }
  } finally {
    await engine.dispose();
  }
}

export function runAnalyzePart(job: AnalyzePartJob, hooks: PartHooks = {}): Promise<AnalysisPartial> {
  return onOwnEngine(job, hooks, (engine, dataset) => analyzePart(engine, dataset, { ...job.options, limit: job.limit, range: job.range }, {
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    onProgress: (p) => hooks.onProgress?.(p.done),
  }));
}

export function runEvaluatePart(job: EvaluatePartJob, hooks: PartHooks = {}): Promise<EvalCounts> {
  return onOwnEngine(job, hooks, (engine, dataset) => evaluateCounts(engine, dataset, {
    batchSize: job.batchSize, range: job.range,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    onProgress: (done) => hooks.onProgress?.(done),
  }));
}
