/**
 * What every batch of a run shares: the model, the resolved options and (fast path) the projected readout.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { SoftMoeModel } from '../engine/model';
import type { ResolvedOptions } from './options';

export interface RunContext {
  model: SoftMoeModel;
  opts: ResolvedOptions;
  numExperts: number;
  numClasses: number;
  numLayers: number;
  signal?: AbortSignal;
  /** Fast path only: readout weight as [d, m·c] and its bias. */
  projection?: tf.Tensor2D;
  bias?: Float64Array;
  /** Fast path: the readout was checked against the model's logits on the first batch. */
  readoutChecked?: boolean;
}

/** Row-wise argmax of a [b, c] host array. */
export function argmaxRows(v: ArrayLike<number>, b: number, c: number): Int32Array {
  const out = new Int32Array(b);
  for (let i = 0; i < b; i++) {
    let best = 0;
    let bv = v[i * c] as number;
    for (let j = 1; j < c; j++) {
      const x = v[i * c + j] as number;
      if (x > bv) {
        bv = x;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}
