/**
 * What one part of a parallel analysis or evaluation computes, in whatever thread runs it (src/pool/poolWorker.ts): its own
 * engine (through openEngine, on the caller's tfjs backend), its own dataset reader, and the analysis of its examples.
 */
import { analyzePart } from './analysis/analyze';
import type { AnalysisPartial } from './analysis/partial';
import { openEngine } from './engine/openEngine';
import { openDatasetForModel } from './engine/openDatasetForModel';
import { evaluateCounts } from './engine/evaluate';
import type { AnalyzePartJob, EvalCounts, EvaluatePartJob, PartHooks } from './parallel';

export async function runAnalyzePart(job: AnalyzePartJob, hooks: PartHooks = {}): Promise<AnalysisPartial> {
  const { engine } = await openEngine(job.checkpoint, { engine: 'tfjs', backend: job.backend, ...(hooks.signal ? { signal: hooks.signal } : {}) });
  try {
    const dataset = await openDatasetForModel(job.dataset, engine.info, { split: job.split, limit: job.limit });
    try {
      return await analyzePart(engine, dataset, { ...job.options, limit: job.limit, range: job.range }, {
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onProgress: (p) => hooks.onProgress?.(p.done),
      });
    } finally {
      await dataset.close();
    }
  } finally {
    await engine.dispose();
  }
}

export async function runEvaluatePart(job: EvaluatePartJob, hooks: PartHooks = {}): Promise<EvalCounts> {
  const { engine } = await openEngine(job.checkpoint, { engine: 'tfjs', backend: job.backend, ...(hooks.signal ? { signal: hooks.signal } : {}) });
  try {
    const dataset = await openDatasetForModel(job.dataset, engine.info, { split: job.split, limit: job.limit });
    try {
      return await evaluateCounts(engine, dataset, {
        batchSize: job.batchSize, range: job.range,
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onProgress: (done) => hooks.onProgress?.(done),
      });
    } finally {
      await dataset.close();
    }
  } finally {
    await engine.dispose();
  }
}
