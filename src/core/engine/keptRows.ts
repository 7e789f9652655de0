/**
 * Which rows each expert of a Soft MoE layer runs on under a keep mask (softMoeLayer.ts, masked `apply`): computed on
 * the host from the mask, by the layer itself when it can read the mask, or by the engine (tfjsEngine.ts) and handed
 * in as inputs when it cannot (a graph being recorded, onnx/).
 */
import type * as tf from '@tensorflow/tfjs-core';

/**
 * Where each expert runs under a mask, as int32 tensors (`keptRowIndices` on the host): `rows[e]` the rows of the
 * flattened slots [b·n·p, d] that expert e runs on (the slots of the inputs that keep it) [k_e·p]; `where` [b, n·p]
 * each slot's row in the experts' outputs stacked in expert order and followed by one zero row (dropped slots point
 * at the zero row).
 */
export interface KeptRows {
  rows: tf.Tensor1D[];
  where: tf.Tensor2D;
}

/** `KeptRows` as host arrays. */
export interface KeptRowIndices {
  rows: Int32Array[];
  where: Int32Array;
}

/** The kept rows of a [b, n] keep mask (1 keep, 0 drop) for experts of p slots each. */
export function keptRowIndices(mask: ArrayLike<number>, b: number, n: number, p: number): KeptRowIndices {
  const where = new Int32Array(b * n * p);
  const rows: Int32Array[] = [];
  const dropped: number[] = [];
  let total = 0;
  for (let e = 0; e < n; e++) {
    let k = 0;
    for (let r = 0; r < b; r++) if (mask[r * n + e] !== 0) k++;
    const mine = new Int32Array(k * p);
    let at = 0;
    for (let r = 0; r < b; r++) {
      const base = (r * n + e) * p;
      if (mask[r * n + e] !== 0) {
        for (let s = 0; s < p; s++) {
          mine[at++] = base + s;
          where[base + s] = total++;
        }
      } else {
        for (let s = 0; s < p; s++) dropped.push(base + s);
      }
    }
    rows.push(mine);
  }
  for (const i of dropped) where[i] = total; // the zero row
  return { rows, where };
}

