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
import { readAhead } from './data/readAhead';
import { throwIfAborted } from './errors';

/**
 * Opens the part's own engine and dataset at once — the dataset read up to `job.readFrom` and its first batch there
 * in hand, so that once ready the part computes at full speed; `run` does `work` on its examples, then closes both.
 */
function onOwnEngine<T>(job: PartSource, hooks: PartHooks, work: (engine: Engine, dataset: Dataset, range: ExampleRange) => Promise<T>): StartedPart<T> {
  const opened = (async () => {
    // The caller's engine has run this model on this backend already: no probe here (openEngine's `probed`).
    const { engine } = await openEngine(job.checkpoint, { engine: 'tfjs', backend: job.backend, probed: true, ...(hooks.signal ? { signal: hooks.signal } : {}) });
    try {
      const dataset = await openDatasetForModel(job.dataset, engine.info, { split: job.split, limit: job.limit });
      try {
        return { engine, dataset: job.readFrom ? await readingFrom(dataset, job.readFrom) : dataset };
      } catch (err) {
        await dataset.close();
        throw err;
      }
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

/**
 * `dataset` with its batches of `at.batchSize` from `at.start` already being read, the first one in hand: the one
 * `batches` call that asks for such batches from `at.start` or later (its start a whole number of batches on) is
 * served from that stream, skipping the batches before its start; any other call reads afresh.
 */
async function readingFrom(dataset: Dataset, at: { start: number; batchSize: number }): Promise<Dataset> {
  if (at.start >= dataset.numExamples) return dataset;
  const stream = readAhead(dataset.batches(at.batchSize, { start: at.start }))[Symbol.asyncIterator]();
  const first = await stream.next();
  let used = false;
  return {
    ...dataset,
    batches(batchSize, opts = {}) {
      const start = opts.start ?? 0;
      const end = Math.min(opts.end ?? dataset.numExamples, dataset.numExamples);
      if (used || batchSize !== at.batchSize || start < at.start || (start - at.start) % batchSize !== 0) return dataset.batches(batchSize, opts);
      used = true;
      return (async function* () {
        try {
          for (let r = first; !r.done; r = await stream.next()) {
            throwIfAborted(opts.signal);
            const b = r.value;
            if (b.start >= end) return;
            if (b.start < start) continue;
            yield b.start + b.size <= end ? b : { ...b, size: end - b.start, x: b.x.subarray(0, (end - b.start) * (b.x.length / b.size)), y: b.y.subarray(0, end - b.start) };
          }
        } finally {
          await stream.return?.();
        }
      })();
    },
    async close() {
      if (!used) await stream.return?.();
      await dataset.close();
    },
  };
}
