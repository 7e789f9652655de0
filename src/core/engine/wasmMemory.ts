/**
 * What fits the wasm backend. tfjs-backend-wasm's heap cannot grow past 4 GiB (wasm32), and the built-in engine
 * holds every weight there as float32 while XNNPACK keeps a packed copy of each matrix it multiplies on the right:
 * about twice the model's float32 bytes in all. Past the limit XNNPACK cannot pack, and tfjs-backend-wasm returns
 * ZEROS for that product (a warning on stderr, no error) — wrong results, silently. So a model that cannot fit is
 * refused before any weight is read.
 */
import { basename } from 'node:path';
import { SoftMoeError } from '../errors';
import type { Checkpoint } from '../io/types';

/** The wasm heap's most (wasm32: 4 GiB). */
export const WASM_HEAP_LIMIT = 4 * 2 ** 30;
/** Room kept beside the weights and their packed copies for a batch's activations and the runtime. */
export const WASM_WORKING_ROOM = 512 * 2 ** 20;

/** Float32 bytes of the checkpoint's tensors that hold data (meta tensors hold none). */
export function float32Bytes(ckpt: Pick<Checkpoint, 'tensors'>): number {
  let bytes = 0;
  for (const t of ckpt.tensors.values()) if (t.byteLength > 0) bytes += 4 * t.numel;
  return bytes;
}

/** Throws E_ENGINE when the checkpoint's model cannot fit the wasm heap with its packed copies. */
export function checkFitsWasm(ckpt: Pick<Checkpoint, 'tensors' | 'path'>): void {
  const f32 = float32Bytes(ckpt);
  if (2 * f32 + WASM_WORKING_ROOM <= WASM_HEAP_LIMIT) return;
  const gb = (b: number) => (b / 1e9).toFixed(1);
  throw new SoftMoeError(
    'E_ENGINE',
    `${basename(ckpt.path)}: its ${gb(f32)} GB of float32 weights need about ${gb(2 * f32 + WASM_WORKING_ROOM)} GB in the wasm backend, which holds at most ${gb(WASM_HEAP_LIMIT)} GB; use --backend cpu (slower, no such limit) or your own PyTorch (--engine torch; README, 'Your own model').`,
  );
}
