/**
 * Evaluate a model on a dataset in batches: accuracy, per-class accuracy, throughput. Shared by the CLI
 * (`softmoe eval`), the worker and the extension; any engine (engine.ts) computes the predictions. Correct predictions are counted in JS integers (never float32
 * sums); memory stays bounded by the batch size (each batch's tensors are disposed before the next).
 */
import { checkDatasetFitsModel } from '../data/checkDatasetFitsModel';
import type { Dataset } from '../data/types';
import { SoftMoeError, throwIfAborted } from '../errors';
import type { Engine } from './engine';

export interface EvaluateOptions {
  /** Default 256. */
  batchSize?: number;
  signal?: AbortSignal;
  /** Called after every batch with the number of examples done and the total. */
  onProgress?: (done: number, total: number) => void;
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
  const classes = engine.info.numClasses;
  const support = new Array<number>(classes).fill(0);
  const hits = new Array<number>(classes).fill(0);
  const total = dataset.numExamples;
  let done = 0;
  const t0 = performance.now();
  throwIfAborted(opts.signal);
  for await (const batch of dataset.batches(batchSize, { signal: opts.signal })) {
    throwIfAborted(opts.signal);
    const eb = await engine.begin(batch.x, batch.size, opts.signal);
    let p: Int32Array;
    try {
      p = await eb.predict();
    } finally {
      await eb.close();
    }
    for (let i = 0; i < batch.size; i++) {
      const y = batch.y[i];
      if (!(y >= 0 && y < classes)) {
        throw new SoftMoeError('E_DATASET', `${dataset.path}: example ${batch.start + i} has label ${y}, outside the model's ${classes} classes.`);
      }
      support[y] += 1;
      if (p[i] === y) hits[y] += 1;
    }
    done += batch.size;
    opts.onProgress?.(done, total);
  }
  const seconds = (performance.now() - t0) / 1000;
  const correct = hits.reduce((a, b) => a + b, 0);
  const names = dataset.classNames;
  return {
    dataset: dataset.name,
    split: dataset.split,
    numExamples: done,
    correct,
    accuracy: done > 0 ? correct / done : 0,
    perClass: support.map((s, k) => ({ name: names[k] ?? String(k), support: s, correct: hits[k], accuracy: s > 0 ? hits[k] / s : null })),
    seconds,
    examplesPerSecond: seconds > 0 ? done / seconds : 0,
    backend: engine.description.backend,
    engine: engine.description.label,
    batchSize,
  };
}
