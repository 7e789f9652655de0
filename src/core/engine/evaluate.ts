/**
 * Evaluate a model on a dataset in batches: accuracy, per-class accuracy, throughput. Shared by the CLI
 * (`softmoe eval`), the worker and the extension; any engine (engine.ts) computes the predictions. Correct predictions are counted in JS integers (never float32
 * sums); memory stays bounded by the batch size (each batch's tensors are disposed before the next).
 */
import { checkDatasetFitsModel } from '../data/checkDatasetFitsModel';
import type { Dataset } from '../data/types';
import { readAhead } from '../data/readAhead';
import { SoftMoeError, throwIfAborted } from '../errors';
import type { Engine } from './engine';
import { isBuiltInBackend } from './backendName';
import { chooseEngines, earliestStarts, runSplit, type EvalCounts, type ExampleRange, type OpenRange, type PartRunner } from '../parallel';

export interface EvaluateOptions {
  /** Default 256. */
  batchSize?: number;
  signal?: AbortSignal;
  /** Called after every batch with the number of examples done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Only the examples [start, end) (one part of an evaluation split over engines). Default all. */
  range?: ExampleRange;
  /**
   * Built-in engine: split the examples over this engine and the runner's (worker threads, src/pool) when that pays
   * (`chooseEngines`); each part opens its own engine on the same tfjs backend. Counts add, so the result is the
   * one-engine result.
   */
  parts?: { runner: PartRunner; checkpoint: string; dataset: string; split: 'train' | 'test'; limit: number | null; modelBytes: number; workers?: number; log?: (line: string) => void };
}

export interface ClassResult {
  name: string;
  support: number;
  correct: number;
  /** correct / support; null when the class has no examples. */
  accuracy: number | null;
}

export interface EvalResult {
  dataset: string;
  split: 'train' | 'test';
  numExamples: number;
  correct: number;
  accuracy: number;
  perClass: ClassResult[];
  /** Wall time of the evaluation loop (reading data included). */
  seconds: number;
  examplesPerSecond: number;
  /** tfjs backend or torch device. */
  backend: string;
  /** Which engine ran, for people (e.g. 'tfjs wasm'). */
  engine: string;
  batchSize: number;
}

export async function evaluate(engine: Engine, dataset: Dataset, opts: EvaluateOptions = {}): Promise<EvalResult> {
  const batchSize = opts.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new SoftMoeError('E_USAGE', `Batch size must be a positive integer, got ${batchSize}.`);
  checkDatasetFitsModel(dataset, engine.info);
  const t0 = performance.now();
  const split = await evaluateInParts(engine, dataset, { ...opts, batchSize });
  const c = split?.counts ?? (await evaluateCounts(engine, dataset, { ...opts, batchSize }));
  const seconds = (performance.now() - t0) / 1000;
  const correct = c.hits.reduce((a, b) => a + b, 0);
  const done = c.examples;
  const names = dataset.classNames;
  return {
    dataset: dataset.name,
    split: dataset.split,
    numExamples: done,
    correct,
    accuracy: done > 0 ? correct / done : 0,
    perClass: c.support.map((s, k) => ({ name: names[k] ?? String(k), support: s, correct: c.hits[k] as number, accuracy: s > 0 ? (c.hits[k] as number) / s : null })),
    seconds,
    examplesPerSecond: seconds > 0 ? done / seconds : 0,
    backend: engine.description.backend,
    // Every output says what ran: here, possibly several engines at once.
    engine: split && split.engines > 1 ? `${engine.description.label}, ${split.engines} engines at once` : engine.description.label,
    batchSize,
  };
}

/**
 * The evaluation loop over the examples of `opts.range` (default all): per-class support and correct predictions.
 * `opts.openRange` instead: the caller's part of a split (parallel.ts, runSplit), whose end may move down.
 */
export async function evaluateCounts(engine: Engine, dataset: Dataset, opts: Omit<EvaluateOptions, 'parts'> & { openRange?: OpenRange } = {}): Promise<EvalCounts> {
  const batchSize = opts.batchSize ?? 256;
  const classes = engine.info.numClasses;
  const support = new Array<number>(classes).fill(0);
  const hits = new Array<number>(classes).fill(0);
  const open = opts.openRange;
  const range = open ?? opts.range ?? { start: 0, end: dataset.numExamples };
  const total = range.end - range.start;
  let done = 0;
  throwIfAborted(opts.signal);
  for await (const batch of readAhead(dataset.batches(batchSize, { start: range.start, end: range.end, ...(opts.signal ? { signal: opts.signal } : {}) }))) {
    throwIfAborted(opts.signal);
    if (open) {
      if (batch.start >= open.end) break;
      open.next = batch.start + batch.size;
    }
    const eb = await engine.begin(batch.x, batch.size, opts.signal);
    let p: Int32Array;
    try {
      p = await eb.predict();
    } finally {
      await eb.close();
    }
    for (let i = 0; i < batch.size; i++) {
      const y = batch.y[i] as number;
      if (!(y >= 0 && y < classes)) {
        throw new SoftMoeError('E_DATASET', `${dataset.path}: example ${batch.start + i} has label ${y}, outside the model's ${classes} classes.`);
      }
      support[y] += 1;
      if (p[i] === y) hits[y] += 1;
    }
    done += batch.size;
    opts.onProgress?.(done, total);
  }
  return { examples: done, support, hits };
}

/**
 * The examples split over this engine and `opts.parts`' runner when that pays (parallel.ts, runSplit): this engine
 * starts at once, the worker threads take their share of what is left once they are open, counts added. Undefined
 * when one engine does it all (no runner, another engine kind, or a job too small).
 */
async function evaluateInParts(engine: Engine, dataset: Dataset, opts: EvaluateOptions & { batchSize: number }): Promise<{ counts: EvalCounts; engines: number } | undefined> {
  const parts = opts.parts;
  const backend = engine.description.backend;
  if (!parts || engine.description.kind !== 'tfjs' || !isBuiltInBackend(backend)) return undefined;
  const whole = opts.range ?? { start: 0, end: dataset.numExamples };
  const engines = chooseEngines({
    ...(parts.workers !== undefined ? { requested: parts.workers } : {}), cores: parts.runner.extra + 1, modelBytes: parts.modelBytes,
    work: (whole.end - whole.start) * engine.info.parameterCount,
  });
  if (engines <= 1 || whole.end - whole.start <= opts.batchSize) return undefined;
  parts.log?.(`evaluating examples ${whole.start}–${whole.end} on ${engines} engines at once (${engine.description.label} in each; the split is made when all are ready)`);
  const total = whole.end - whole.start;
  const job = { checkpoint: parts.checkpoint, dataset: parts.dataset, split: parts.split, limit: parts.limit, backend, batchSize: opts.batchSize };
  const counts = await runSplit(whole, opts.batchSize,
    (openRange, signal, onProgress) => evaluateCounts(engine, dataset, { batchSize: opts.batchSize, openRange, signal, onProgress }),
    earliestStarts(whole, opts.batchSize, engines).map((readFrom) => (signal: AbortSignal, onProgress: (done: number) => void) => parts.runner.evaluate({ ...job, readFrom }, { signal, onProgress })),
    opts.signal, (done) => opts.onProgress?.(done, total));
  return { counts: addCounts(counts), engines: counts.length };
}

/** Parts' counts added. */
export function addCounts(parts: EvalCounts[]): EvalCounts {
  const first = parts[0];
  if (!first) throw new SoftMoeError('E_INTERNAL', 'Internal error: no evaluation parts to add.');
  return {
    examples: parts.reduce((a, p) => a + p.examples, 0),
    support: first.support.map((_, k) => parts.reduce((a, p) => a + (p.support[k] as number), 0)),
    hits: first.hits.map((_, k) => parts.reduce((a, p) => a + (p.hits[k] as number), 0)),
  };
}
