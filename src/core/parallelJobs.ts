/**
 * What one part of a parallel analysis or evaluation computes, in whatever thread runs it (src/pool/poolWorker.ts): its own
 * engine (through openEngine, on the caller's tfjs backend), its own dataset reader, and — once handed its examples
 * (parallel.ts, runSplit) — the work on them.
 */
import { analyzePart } from './analysis/analyze';
import type { AnalysisPartial } from './analysis/partial';
import type { Dataset } from './data/types';
import type { Engine } from './engine/engine';
import { openEngine } from './engine/openEngine';
import { openDatasetForModel } from './engine/openDatasetForModel';
import { evaluateCounts } from './engine/evaluate';
import type { AnalyzePartJob, EvalCounts, EvaluatePartJob, ExampleRange, PartHooks, PartSource, StartedPart } from './parallel';

/** Opens the part's own engine and dataset at once; `run` does `work` on its examples, then closes both. */
function onOwnEngine<T>(job: PartSource, hooks: PartHooks, work: (engine: Engine, dataset: Dataset, range: ExampleRange) => Promise<T>): StartedPart<T> {
  const opened = (async () => {
    // The caller's engine has run this model on this backend already: no probe here (openEngine's `probed`).
    const { engine } = await openEngine(job.checkpoint, { engine: 'tfjs', backend: job.backend, probed: true, ...(hooks.signal ? { signal: hooks.signal } : {}) });
    try {
      return { engine, dataset: await openDatasetForModel(job.dataset, engine.info, { split: job.split, limit: job.limit }) };
    } catch (err) {
      await engine.dispose();
      throw err;
    }
  })();
  return {
    ready: opened.then(() => undefined),
    run: async (range) => {
      const { engine, dataset } = await opened;
      try {
        return range ? await work(engine, dataset, range) : null;
      } finally {
        try {
          await dataset.close();
        } finally {
          await engine.dispose();
        }
      }
    },
  };
}

export function runAnalyzePart(job: AnalyzePartJob, hooks: PartHooks = {}): StartedPart<AnalysisPartial> {
  return onOwnEngine(job, hooks, (engine, dataset, range) => analyzePart(engine, dataset, { ...job.options, limit: job.limit, range }, {
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    onProgress: (p) => hooks.onProgress?.(p.done),
  }));
}

export function runEvaluatePart(job: EvaluatePartJob, hooks: PartHooks = {}): StartedPart<EvalCounts> {
  return onOwnEngine(job, hooks, (engine, dataset, range) => evaluateCounts(engine, dataset, {
    batchSize: job.batchSize, range,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
    onProgress: (done) => hooks.onProgress?.(done),
  }));
}
