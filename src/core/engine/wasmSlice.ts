/**
 * A faster `Slice` kernel for the wasm backend. tfjs-backend-wasm 4.22 copies the WHOLE input out of the wasm heap
 * (`readSync`) for every slice, so cutting a [n·rows, d] tensor into n expert blocks costs n full copies (measured:
 * 16 slices of a 3 MB tensor ≈ 40 ms). For contiguous slices this kernel copies only the slice, heap to heap.
 * Other cases go to the original kernel. Gradients are unaffected (they are registered per op, not per kernel).
 */
import * as tf from '@tensorflow/tfjs-core';
import { slice_util, util } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

let installed = false;

export function installFastWasmSlice(): void {
  if (installed) return;
  const original = tf.getKernel('Slice', 'wasm');
  if (!original) return;
  installed = true;
  tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({
    kernelName: 'Slice',
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
      const [b, s] = slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
      if (x.dtype === 'string' || !slice_util.isSliceContinous(x.shape, b, s)) return original.kernelFunc(args);
      const backend = args.backend as BackendWasm;
      const offset = slice_util.computeFlatOffset(b, util.computeStrides(x.shape));
      const n = util.sizeFromShape(s);
      const out = backend.makeOutput(s, x.dtype);
      // Views taken after makeOutput: allocating may grow (and so move) the wasm heap.
      const src = backend.typedArrayFromHeap(x);
      backend.typedArrayFromHeap(out).set(src.subarray(offset, offset + n));
      return out;
    },
  });
}
