/**
 * Trainable variables may be held in a different layout from the checkpoint (the engine wants input-major
 * matrices, PyTorch saves Linear weights [out, in]). A converter turns host tensors between the two, by name.
 */
import { transpose2d } from '../engine/transpose2d';
import type { HostTensor } from './runFolder';

export interface LayoutConverter {
  /** Variable layout → checkpoint (state_dict) layout. */
  toCheckpoint(name: string, t: HostTensor): HostTensor;
  /** Checkpoint layout → variable layout. */
  fromCheckpoint(name: string, t: HostTensor): HostTensor;
}

function transposeHost(t: HostTensor): HostTensor {
  const [r, c] = t.shape as [number, number];
  return { shape: [c, r], data: transpose2d(t.data, r, c) };
}

/** The named 2D tensors are transposed between the two layouts; everything else is shared as is. */
export function layoutConverter(transposed: Set<string>): LayoutConverter {
  const conv = (name: string, t: HostTensor) => (transposed.has(name) ? transposeHost(t) : t);
  return { toCheckpoint: conv, fromCheckpoint: conv };
}
