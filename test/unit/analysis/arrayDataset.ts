/** An in-memory Dataset for tests. */
import type { Batch, Dataset } from '../../../src/core/data/types';
import { throwIfAborted } from '../../../src/core/errors';

export function arrayDataset(x: Float32Array, y: Int32Array, shape: [number, number, number], numClasses: number): Dataset {
  const px = shape[0] * shape[1] * shape[2];
  const numExamples = y.length;
  return {
    name: 'array', path: '(memory)', split: 'test', numExamples, shape, numClasses,
    classNames: Array.from({ length: numClasses }, (_, i) => `class ${i}`),
    async *batches(batchSize: number, opts: { start?: number; end?: number; signal?: AbortSignal } = {}): AsyncIterable<Batch> {
      const end = Math.min(opts.end ?? numExamples, numExamples);
      for (let s = opts.start ?? 0; s < end; s += batchSize) {
        throwIfAborted(opts.signal);
        const e = Math.min(end, s + batchSize);
        yield { x: x.slice(s * px, e * px), y: y.slice(s, e), size: e - s, start: s };
      }
    },
    async close() {},
  };
}
