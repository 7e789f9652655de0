/**
 * Open the engine that runs a checkpoint: the one place that decides which engine computes a model and how it is
 * started. The CLI (`eval`, `analyze`, `demo`), the worker and benchmarks all call it, so a checkpoint is always
 * paired with its sidecars and engine the same way.
 *
 * Today: the built-in TensorFlow.js engine (the paper's MNIST model, the Soft MoE ViT). Another engine is one more
 * `kind` here and one more implementation of `Engine` (engine.ts).
 */
import { basename, resolve } from 'node:path';
import { openCheckpoint } from '../io/openCheckpoint';
import type { Checkpoint } from '../io/types';
import { readSidecars, type Sidecars } from '../model/sidecar';
import { initBackend, type BackendName } from './backend';
import type { Engine } from './engine';
import { modelFromCheckpoint } from './loadModel';
import { withLoadProgress, type LoadProgress } from './preflight';
import { createTfjsEngine } from './tfjsEngine';

export type EngineKind = 'tfjs';

export const ENGINE_KINDS: readonly EngineKind[] = ['tfjs'];

export interface OpenEngineOptions {
  /** Default 'tfjs'. */
  engine?: EngineKind;
  /** tfjs backend; default the fastest available (node → wasm → cpu). */
  backend?: BackendName;
  /** Sidecars already read (else read from the checkpoint's folder). */
  sidecars?: Sidecars;
  /**
   * Called with the opened checkpoint (header only) and its sidecars before any tensor is read: header-first checks
   * (engine/preflight.ts) that refuse a mismatched dataset without loading gigabytes of weights.
   */
  beforeLoad?: (ckpt: Checkpoint, sidecars: Sidecars) => Promise<void>;
  /** Tensor bytes read while the model loads. */
  onLoadProgress?: (p: LoadProgress) => void;
}

/** What the result records about the checkpoint a model came from. */
export interface CheckpointSource {
  path: string;
  name: string;
  format: string;
  fileSize: number;
}

export interface OpenedEngine {
  engine: Engine;
  checkpoint: CheckpointSource;
  sidecars: Sidecars;
}

export async function openEngine(checkpointPath: string, opts: OpenEngineOptions = {}): Promise<OpenedEngine> {
  const path = resolve(checkpointPath);
  await initBackend(opts.backend);
  const ckpt = await openCheckpoint(path);
  try {
    const sidecars = opts.sidecars ?? (await readSidecars(ckpt.path));
    await opts.beforeLoad?.(ckpt, sidecars);
    const model = await modelFromCheckpoint(withLoadProgress(ckpt, opts.onLoadProgress), sidecars);
    return {
      engine: createTfjsEngine(model),
      checkpoint: { path, name: basename(path), format: ckpt.format, fileSize: ckpt.fileSize },
      sidecars,
    };
  } finally {
    await ckpt.close();
  }
}
