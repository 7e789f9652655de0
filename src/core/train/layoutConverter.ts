/**
 * Trainable variables may be held in a different layout from the checkpoint (the engine wants input-major
 * matrices, PyTorch saves Linear weights [out, in]). A converter turns host tensors between the two, by name.
 */
import type { HostTensor } from './runFolder';

export interface LayoutConverter {
  /** Variable layout → checkpoint (state_dict) layout. */
  toCheckpoint(name: string, t: HostTensor): HostTensor;
  /** Checkpoint layout → variable layout. */
  fromCheckpoint(name: string, t: HostTensor): HostTensor;
}

export function transpose2d(t: HostTensor): HostTensor {
  const [r, c] = t.shape as [number, number];
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j] as number;
  return { shape: [c, r], data: out };
}

/** The named 2D tensors are transposed between the two layouts; everything else is shared as is. */
export function layoutConverter(transposed: Set<string>): LayoutConverter {
  const conv = (name: string, t: HostTensor) => (transposed.has(name) ? transpose2d(t) : t);
  return { toCheckpoint: conv, fromCheckpoint: conv };
}
