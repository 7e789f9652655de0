// A small in-memory Dataset for trainer tests: 28×28 grey images whose class is drawn into them (a bright
// horizontal bar at a class-dependent row, plus noise), so a few epochs learn something and runs stay fast.
import type { Batch, Dataset } from '../../../src/core/data/types';
import { createPrng } from '../../../src/core/train/prng';

export function memoryDataset(count: number, split: 'train' | 'test', seed: number): Dataset {
  const rng = createPrng(seed);
  const x = new Float32Array(count * 784);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = rng.int(10);
    y[i] = label;
    for (let p = 0; p < 784; p++) x[i * 784 + p] = rng.next() * 0.3;
    const row = 2 + label * 2;
    for (let c = 4; c < 24; c++) x[i * 784 + row * 28 + c] = 1;
  }
  return {
    name: `memory (${split})`, path: `memory:${split}`, split, numExamples: count, shape: [28, 28, 1], numClasses: 10,
    classNames: Array.from({ length: 10 }, (_, i) => String(i)),
    async *batches(batchSize: number, opts: { start?: number; end?: number; signal?: AbortSignal } = {}): AsyncIterable<Batch> {
      const end = opts.end ?? count;
      for (let s = opts.start ?? 0; s < end; s += batchSize) {
        const e = Math.min(end, s + batchSize);
        yield { x: x.slice(s * 784, e * 784), y: y.slice(s, e), size: e - s, start: s };
      }
    },
    async close() {},
  };
}
