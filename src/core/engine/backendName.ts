/**
 * The tfjs backends' names, and which one is active — without registering any backend (backend.ts does that), so
 * code that only needs to name the backend does not change which one tfjs picks.
 */
import * as tf from '@tensorflow/tfjs-core';

/** `onnx`: the model's tfjs code recorded into ONNX Runtime graphs (native CPU, onnx/); the others are tfjs's own. */
export type BackendName = 'onnx' | 'node' | 'wasm' | 'cpu';

export const BACKEND_NAMES: readonly BackendName[] = ['onnx', 'node', 'wasm', 'cpu'];

/** The name users see for the active tfjs backend ('tensorflow' is shown as 'node'). */
export function currentBackend(): BackendName {
  const b = tf.getBackend();
  return b === 'tensorflow' ? 'node' : (b as BackendName);
}

/** Whether a name is one of the built-in engine's backends (what a part of a split job can be told to use). */
export function isBuiltInBackend(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}
