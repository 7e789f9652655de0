/**
 * Datasets become token matrices once: images stream through the model's parameter-free stem in chunks and the
 * tokens entering the first Soft MoE layer are kept in one Float32Array (60,000 × 4 × 196 floats ≈ 188 MB), so
 * epochs can visit examples in any order without decoding images again.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from '../data/types';
import { SoftMoeError, throwIfAborted } from '../errors';
import type { TrainableModel } from './trainableModel';

export interface TokenSet {
  count: number;
  /** Values per example (m·d). */
  width: number;
  tokens: Float32Array;
  labels: Int32Array;
}

export async function cacheTokens(model: TrainableModel, data: Dataset, opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void; chunk?: number } = {}): Promise<TokenSet> {
  const width = model.tokens * model.dim;
  const count = data.numExamples;
  if (count <= 0) throw new SoftMoeError('E_DATASET', `${data.path}: the ${data.split} split has no examples.`);
  const tokens = new Float32Array(count * width);
  const labels = new Int32Array(count);
  const [h, w, c] = data.shape;
  let done = 0;
  for await (const batch of data.batches(opts.chunk ?? 1000, { signal: opts.signal })) {
    throwIfAborted(opts.signal);
    const out = tf.tidy(() => model.stem(tf.tensor4d(batch.x, [batch.size, h, w, c])));
    const values = out.dataSync() as Float32Array;
    out.dispose();
    if (values.length !== batch.size * width) {
      throw new SoftMoeError('E_SHAPE', `${data.path}: images of shape [${data.shape.join(', ')}] do not give ${model.tokens} tokens of ${model.dim} values.`);
    }
    tokens.set(values, batch.start * width);
    labels.set(batch.y, batch.start);
    done += batch.size;
    opts.onProgress?.(done, count);
  }
  return { count, width, tokens, labels };
}
