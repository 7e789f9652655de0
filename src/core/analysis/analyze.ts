/**
 * `analyze(model, dataset, options, hooks)`: Algorithm 1 and beyond over a whole dataset (or one shard of it).
 *
 * Data flow per batch: images → engine.begin (the engine preprocesses and keeps what precedes the first MoE layer)
 * → ONE traced pass (fast path: every subset is then a host-side recombination; general path: batched masked
 * passes per selector and drop mode, and for the random trials) → BatchOutcome (predictions + routing arrays) → integer counts and exact sums
 * (AnalysisStats) → at the end finalizeResult. Shards stop before finalizing and hand back the statistics.
 */
import { checkDatasetFitsModel } from '../data/checkDatasetFitsModel';
import type { Dataset } from '../data/types';
import { readAhead } from '../data/readAhead';
import type { Engine } from '../engine/engine';
import { SoftMoeError, throwIfAborted, yieldTurn } from '../errors';
import { SCHEMA_VERSION, type AnalysisResult } from './schema';
import { TOOL_VERSION } from '../version';
import { resolveOptions, sampleIndices, shardRange, type AnalyzeOptions } from './options';
import { createStats } from './stats';
import { PARTIAL_KIND, type AnalysisPartial, type ResultHead } from './partial';
import type { RunContext } from './context';
import { fastBatch } from './fastPath';
import { generalBatch } from './generalPath';
import { accumulateBatch } from './accumulate';
import { collectSamples } from './samples';
import { finalizeResult } from './finalize';
import { calibrateGlobal, type CalibrationData } from './calibrate';
import { unsupportedSelectors } from './selectorSupport';
import type { SampleRecord } from './schema';
import type { OpenRange } from '../parallel';

export interface AnalyzeProgress {
  /** Examples of this run (or shard) done, and in all. */
  done: number;
  total: number;
  examplesPerSecond: number;
}

export interface AnalyzeHooks {
  onProgress?: (p: AnalyzeProgress) => void;
  /** The `global` selector's calibration pass: examples done and in all. */
  onCalibrationProgress?: (done: number, total: number) => void;
  /** Cancels between batches and between forward passes (within a second); rejects with E_CANCELLED. */
  signal?: AbortSignal;
  /**
   * The examples of this part when engines that start later may take its tail (parallel.ts, runSplit): computed from
   * its start, `next` kept at the end of the batch begun, stopping at `end` as it is then. Replaces options.range.
   */
  openRange?: OpenRange;
}

/** Analyse the whole dataset and return the result. */
export async function analyze(engine: Engine, dataset: Dataset, options: AnalyzeOptions = {}, hooks: AnalyzeHooks = {}): Promise<AnalysisResult> {
  return finalizeResult(await analyzePart(engine, dataset, options, hooks));
}

/** Analyse the slice chosen by `options.shard` (all of it without) and return its sufficient statistics. */
export async function analyzePart(engine: Engine, dataset: Dataset, options: AnalyzeOptions = {}, hooks: AnalyzeHooks = {}): Promise<AnalysisPartial> {
  const { signal, onProgress } = hooks;
  throwIfAborted(signal);
  const info = engine.info;
  const layers = info.moeLayers;
  if (layers.length === 0) throw new SoftMoeError('E_UNSUPPORTED', 'The model has no Soft MoE layer to analyse.');
  const n = layers[0]?.numExperts as number;
  if (layers.some((l) => l.numExperts !== n)) throw new SoftMoeError('E_UNSUPPORTED', `The model's MoE layers have different numbers of experts (${layers.map((l) => l.numExperts).join(', ')}); analysis needs one n.`);
  const opts = resolveOptions(options, n);
  const C = info.numClasses;
  checkDatasetFitsModel(dataset, info);
  const fast = engine.linearReadout && layers.length === 1;
  const unsupported = unsupportedSelectors(engine, opts.selectors);
  if (unsupported.length) {
    throw new SoftMoeError('E_UNSUPPORTED', `The ${unsupported.map((x) => `${x.selector} selector ${x.reason}`).join('; the ')}: drop it from --selectors.`);
  }
  if (opts.selectors.includes('global') && !options.calibration) {
    throw new SoftMoeError('E_USAGE', 'The global selector chooses its subsets on a calibration split, never on the evaluation examples: give --calibration train[:N] (or --calibration-data PATH).');
  }
  const ctx: RunContext = { engine, opts, numExperts: n, numClasses: C, numLayers: layers.length, ...(signal ? { signal } : {}) };
  const head: ResultHead = {
    schemaVersion: SCHEMA_VERSION,
    tool: { name: 'softmoe-inspector', version: options.toolVersion ?? TOOL_VERSION, backend: engine.description.backend, engine: { ...engine.description } },
    createdAt: new Date().toISOString(),
    checkpoint: {
      path: '', name: '', format: '', fileSize: 0,
      parameterCount: info.parameterCount, architecture: info.architecture,
      ...options.checkpoint,
    },
    dataset: {
      path: dataset.path, name: dataset.name, split: dataset.split, numClasses: C, classNames: [...dataset.classNames],
      ...(dataset.sourceExamples !== undefined ? { totalExamples: dataset.sourceExamples } : {}),
    },
    options: {
      drops: opts.drops, selectors: opts.selectors, trials: opts.trials, seed: opts.seed, ks: opts.ks,
      limit: opts.limit, shard: opts.shard, target: opts.target, batchSize: opts.batchSize, samples: opts.samples,
      ...(opts.selectors.includes('oracle') ? { oracleBudget: opts.oracleBudget } : {}),
    },
    layers: layers.map((l, i) => ({ ...l, ...(options.expertParameters?.[i] !== undefined ? { expertParameters: options.expertParameters[i] } : {}) })),
    ...(info.preprocessing ? { preprocessing: { ...info.preprocessing, resized: dataset.resized === true } } : {}),
    ...(options.run ? { run: options.run } : {}),
  };
  if (opts.selectors.includes('global')) {
    const sel = await calibrateGlobal(engine, options.calibration as CalibrationData, {
      ranking: opts.globalRanking, drops: opts.drops, batchSize: opts.batchSize, ...(signal ? { signal } : {}),
      ...(hooks.onCalibrationProgress ? { onProgress: hooks.onCalibrationProgress } : {}),
    });
    head.globalSelection = sel;
    head.options.globalRanking = opts.globalRanking;
    ctx.global = sel.orders;
  }
  const stats = createStats({
    numClasses: C, numExperts: n, dim: layers.map((l) => l.outDim ?? l.dim), numLayers: layers.length, ks: opts.ks, drops: opts.drops,
    counted: opts.counted, trials: opts.trials > 0 ? opts.trials : null, oracle: opts.selectors.includes('oracle'),
  });
  const open = hooks.openRange;
  const range = open ?? options.range ?? shardRange(dataset.numExamples, opts.batchSize, opts.shard);
  const unit = opts.selectors.includes('batch') ? opts.batchSize : 1;
  if ((open ?? options.range) && !(range.start >= 0 && range.start <= range.end && range.end <= dataset.numExamples && range.start % unit === 0)) {
    throw new SoftMoeError('E_INTERNAL', `Internal error: examples [${range.start}, ${range.end}) are not whole batches of ${unit} of the ${dataset.numExamples} examples.`);
  }
  const wanted = sampleIndices(dataset.numExamples, opts.samples);
  const samples: SampleRecord[] = [];
  const total = range.end - range.start;
  const t0 = performance.now();
  let done = 0;
  if (total > 0) {
    for await (const batch of readAhead(dataset.batches(opts.batchSize, { start: range.start, end: range.end, ...(signal ? { signal } : {}) }))) {
      throwIfAborted(signal);
      if (open) {
        if (batch.start >= open.end) break;
        open.next = batch.start + batch.size;
      }
      const labels = batch.y;
      for (let i = 0; i < batch.size; i++) {
        const y = labels[i] as number;
        if (!(y >= 0 && y < C)) throw new SoftMoeError('E_DATASET', `Dataset '${dataset.name}': example ${batch.start + i} has label ${y}, outside the model's ${C} classes.`);
      }
      const eb = await engine.begin(batch.x, batch.size, signal);
      let outcome;
      try {
        outcome = fast ? await fastBatch(ctx, eb, labels, batch.start) : await generalBatch(ctx, eb, batch.start);
      } finally {
        await eb.close();
      }
      accumulateBatch(stats, outcome, labels, opts, C);
      samples.push(...collectSamples(outcome, { x: batch.x, labels, start: batch.start, shape: dataset.shape }, wanted, opts, info));
      done += batch.size;
      const secs = (performance.now() - t0) / 1000;
      onProgress?.({ done, total, examplesPerSecond: secs > 0 ? done / secs : 0 });
      await yieldTurn(signal);
    }
  }
  throwIfAborted(signal);
  const end = open ? open.end : range.end;
  if (done !== end - range.start) throw new SoftMoeError('E_DATASET', `Dataset '${dataset.name}' yielded ${done} examples for [${range.start}, ${end}).`);
  return {
    kind: PARTIAL_KIND, head, numExperts: n, totalExamples: dataset.numExamples, range: { start: range.start, end }, stats, samples,
    seconds: (performance.now() - t0) / 1000,
  };
}
