/** Shared test setup: the cpu backend, fake models and labelled data. */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { SoftMoeModel } from '../../../src/core/engine/model';
import { createPrng } from '../../../src/core/train/prng';
import { arrayDataset } from './arrayDataset';
import { FakeModel, type FakeSpec } from './fakeModel';
import type { Dataset } from '../../../src/core/data/types';

export async function useCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  await tf.ready();
}

export const SMALL: FakeSpec = { kind: 'linear', m: 4, d: 6, n: 6, p: 2, h: 5, classes: 4, seed: 7 };

/** Random images; labels are the full model's prediction for ~80% of inputs, random for the rest. */
export function labelledData(model: SoftMoeModel, count: number, seed: number): { x: Float32Array; y: Int32Array; dataset: Dataset } {
  const [hh, ww, cc] = model.info.inputShape;
  const rng = createPrng(seed);
  const x = Float32Array.from({ length: count * hh * ww * cc }, () => rng.next());
  const logits = tf.tidy(() => model.forward(model.preprocess(tf.tensor4d(x, [count, hh, ww, cc]))).logits);
  const pred = (tf.argMax(logits, 1).dataSync() as Int32Array).slice();
  logits.dispose();
  const y = Int32Array.from(pred, (p) => (rng.next() < 0.8 ? p : rng.int(model.info.numClasses)));
  return { x, y, dataset: arrayDataset(x, y, [hh, ww, cc], model.info.numClasses) };
}

export function fake(spec: Partial<FakeSpec> = {}): FakeModel {
  return new FakeModel({ ...SMALL, ...spec });
}
