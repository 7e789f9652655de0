/**
 * Choosing the backend. For analysis and evaluation (`INFERENCE_ORDER`): ONNX Runtime when onnxruntime-node loads
 * (optional dependency; the model's tfjs code recorded into graphs, onnx/graphBackend.ts), else tfjs-node when
 * installed, else wasm, else cpu. Training needs tfjs's own gradients (`TRAINING_ORDER`): node → wasm → cpu.
 *
 * The wasm binaries are read from beside the bundle (scripts/build.mjs copies them into dist/) or, when run from
 * source through tsx, from node_modules. Gradients are registered here once, for the trainer.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
// A named import, used below: the package's `sideEffects` list omits its node entry file, so a bare
// `import '@tensorflow/tfjs-backend-cpu'` is dropped by esbuild and the bundled CLI would have no cpu backend.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SoftMoeError } from '../errors';
import { GRAPH_BACKEND, registerGraphBackend } from './onnx/graphBackend';
import { loadOrt, ortUnavailableReason } from './onnx/ortRuntime';
import { installFastWasmSlice } from './wasmSlice';

import { BACKEND_NAMES, currentBackend, type BackendName } from './backendName';

export { BACKEND_NAMES, currentBackend, type BackendName } from './backendName';

const WASM_FILE = 'tfjs-backend-wasm-simd.wasm';

/** Folder (with trailing slash) holding the wasm binaries, or undefined if none is found. */
export function findWasmDir(): string | undefined {
  const candidates: string[] = [];
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  candidates.push(here, join(here, '..'), join(here, '..', 'dist'));
  try {
    const req = createRequire(join(here, 'noop.js'));
    candidates.push(join(dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist'));
  } catch {
    // not resolvable from here (bundled): the folders beside the bundle are the only candidates
  }
  candidates.push(join(process.cwd(), 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'));
  for (const dir of candidates) {
    if (existsSync(join(dir, WASM_FILE))) return dir.endsWith('/') ? dir : `${dir}/`;
  }
  return undefined;
}

let nodeTried = false;
let nodeLoaded = false;

/** Load @tensorflow/tfjs-node if it is installed; silent when it is not. */
function tryLoadNode(): boolean {
  if (nodeTried) return nodeLoaded;
  nodeTried = true;
  try {
    const req = createRequire(typeof __filename === 'string' ? __filename : join(process.cwd(), 'noop.js'));
    const name = ['@tensorflow', 'tfjs-node'].join('/');
    req(name);
    nodeLoaded = tf.findBackendFactory('tensorflow') !== null;
  } catch {
    nodeLoaded = false;
  }
  return nodeLoaded;
}

let wasmRegistered = false;

function registerWasm(): boolean {
  if (wasmRegistered) return true;
  const dir = findWasmDir();
  if (!dir) return false;
  setWasmPaths(dir);
  wasmRegistered = true;
  return true;
}

async function activate(name: BackendName): Promise<boolean> {
  if (name === 'onnx') {
    if (!loadOrt()) return false;
    registerGraphBackend();
    return tf.setBackend(GRAPH_BACKEND);
  }
  if (name === 'node') {
    if (!tryLoadNode()) return false;
    return tf.setBackend('tensorflow');
  }
  if (name === 'wasm') {
    if (!registerWasm()) return false;
    try {
      installFastWasmSlice();
      return await tf.setBackend('wasm');
    } catch {
      return false;
    }
  }
  // Referencing the package keeps its backend registration in the bundle (see the import above).
  if (!version_cpu) return false;
  return tf.setBackend('cpu');
}


/** The fastest first, for analysis and evaluation. */
export const INFERENCE_ORDER: readonly BackendName[] = ['onnx', 'node', 'wasm', 'cpu'];
/** The backends with tfjs's gradients, fastest first (training). */
export const TRAINING_ORDER: readonly BackendName[] = ['node', 'wasm', 'cpu'];

/**
 * Select and initialise a backend. With `preferred`, only that backend is tried (E_UNSUPPORTED if it cannot
 * start; E_USAGE if it is not in `order`); without, the first of `order` that starts. Returns the backend now active.
 */
export async function initBackend(preferred?: BackendName, order: readonly BackendName[] = TRAINING_ORDER): Promise<BackendName> {
  tf.enableProdMode();
  if (preferred !== undefined && !BACKEND_NAMES.includes(preferred)) {
    throw new SoftMoeError('E_USAGE', `Unknown backend '${String(preferred)}': use ${BACKEND_NAMES.join(', ')}.`);
  }
  if (preferred !== undefined && !order.includes(preferred)) {
    throw new SoftMoeError('E_USAGE', `The ${preferred} backend runs analysis and evaluation only (it has no gradients); train with ${order.join(', ')}.`);
  }
  const tried: readonly BackendName[] = preferred ? [preferred] : order;
  for (const name of tried) {
    if (await activate(name)) {
      await tf.ready();
      return currentBackend();
    }
  }
  const why: Record<BackendName, string> = {
    onnx: `ONNX Runtime could not load (${ortUnavailableReason()}; npm install onnxruntime-node)`,
    node: 'the node backend needs @tensorflow/tfjs-node, which is not installed (npm install @tensorflow/tfjs-node)',
    wasm: `the wasm backend could not start: ${WASM_FILE} was not found beside the program or in node_modules`,
    cpu: 'the cpu backend could not start',
  };
  throw new SoftMoeError('E_UNSUPPORTED', `Backend '${tried[0]}' is not available: ${why[tried[0] as BackendName]}.`);
}
