/**
 * Open the engine that runs a checkpoint: the one place that decides which engine computes a model and how it is
 * started. The CLI (`eval`, `analyze`, `demo`), the worker and benchmarks all call it, so a checkpoint is always
 * paired with its sidecars and engine the same way.
 *
 *   'tfjs'   the built-in TensorFlow.js engine (the paper's MNIST model, the Soft MoE ViT), in this process;
 *   'torch'  the user's own model code in their own PyTorch (softmoe.json's model.factory; torch/torchEngine.ts),
 *            in a child process — it runs code from the checkpoint's folder, so only when asked for;
 *   'auto'   'torch' when softmoe.json names a model factory, else 'tfjs' — for callers that may run that code
 *            (VS Code in a trusted workspace).
 * Another engine is one more `kind` here and one more implementation of `Engine` (engine.ts).
 */
import { basename, resolve } from 'node:path';
import { SoftMoeError } from '../errors';
import { openCheckpoint } from '../io/openCheckpoint';
import type { Checkpoint } from '../io/types';
import { readSidecars, type Sidecars } from '../model/sidecar';
import { INFERENCE_ORDER, initBackend, type BackendName } from './backend';
import type { Engine } from './engine';
import { eagerExecutor, type Executor } from './executor';
import type { SoftMoeModel } from './model';
import { graphBackend } from './onnx/graphBackend';
import { graphExecutor } from './onnx/graphExecutor';
import { loadOrt } from './onnx/ortRuntime';
import { modelFromCheckpoint } from './loadModel';
import { withLoadProgress, type LoadProgress } from './preflight';
import { checkFitsWasm } from './wasmMemory';
import { createTfjsEngine } from './tfjsEngine';
import { readModelFactory } from './torch/modelFactory';
import type { PythonChoice } from './torch/runnerProcess';
import { torchEngineFromCheckpoint } from './torch/torchEngine';

export type EngineKind = 'tfjs' | 'torch';

export const ENGINE_KINDS: readonly EngineKind[] = ['tfjs', 'torch'];

export type EngineChoice = EngineKind | 'auto';

export const ENGINE_CHOICES: readonly EngineChoice[] = ['tfjs', 'torch', 'auto'];

/** How the PyTorch engine runs. */
export interface TorchOptions {
  /** The interpreter and where that choice came from (default `python3` on PATH). */
  python?: PythonChoice;
  /** 'auto' (cuda when available, else cpu), 'cpu', 'cuda', 'cuda:N', 'mps'. */
  device?: string;
  /** torch.set_num_threads. */
  threads?: number | null;
}

/**
 * What chooses and configures the engine: what the CLI's engine flags (cli/options.ts) and the extension's settings
 * set, handed on whole by every caller (analyzeCheckpoint splits it off with `splitEngineSelection`), so a new
 * engine option is a field here and its use in `openEngine`.
 */
export interface EngineSelection {
  /** Default 'tfjs'. */
  engine?: EngineChoice;
  /** Built-in engine's backend; default the fastest available (onnx → node → wasm → cpu, backend.ts INFERENCE_ORDER). */
  backend?: BackendName;
  torch?: TorchOptions;
}

/** EngineSelection's keys (complete by type). */
const SELECTION_KEYS: Record<keyof EngineSelection, true> = { engine: true, backend: true, torch: true };

/** Options that carry an engine selection among others, as the selection and the rest. */
export function splitEngineSelection<T extends EngineSelection>(options: T): { selection: EngineSelection; rest: Omit<T, keyof EngineSelection> } {
  const selection: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined) continue;
    (k in SELECTION_KEYS ? selection : rest)[k] = v;
  }
  return { selection: selection as EngineSelection, rest: rest as Omit<T, keyof EngineSelection> };
}

export interface OpenEngineOptions extends EngineSelection {
  /** Sidecars already read (else read from the checkpoint's folder). */
  sidecars?: Sidecars;
  /**
   * Called with the opened checkpoint (header only) and its sidecars before any tensor is read: header-first checks
   * (engine/preflight.ts) that refuse a mismatched dataset without loading gigabytes of weights.
   */
  beforeLoad?: (ckpt: Checkpoint, sidecars: Sidecars) => Promise<void>;
  /** Tensor bytes read while the model loads. */
  onLoadProgress?: (p: LoadProgress) => void;
  /** Notes and the PyTorch runner's output, line by line. */
  log?: (line: string) => void;
  /** Cancels starting the engine. */
  signal?: AbortSignal;
  /**
   * This model already ran on this backend in this job (a part of a split: the caller's engine was probed), so the
   * onnx backend compiles each graph when it is first used instead of probing every graph up front.
   */
  probed?: boolean;
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

/** The engine an `EngineChoice` means for a checkpoint with these sidecars. */
export function resolveEngineKind(choice: EngineChoice, sidecars: Sidecars): EngineKind {
  if (choice !== 'auto') return choice;
  return readModelFactory(sidecars) ? 'torch' : 'tfjs';
}

export async function openEngine(checkpointPath: string, opts: OpenEngineOptions = {}): Promise<OpenedEngine> {
  const path = resolve(checkpointPath);
  const ckpt = await openCheckpoint(path);
  try {
    const sidecars = opts.sidecars ?? (await readSidecars(ckpt.path));
    await opts.beforeLoad?.(ckpt, sidecars);
    const kind = resolveEngineKind(opts.engine ?? 'tfjs', sidecars);
    const source = withLoadProgress(ckpt, opts.onLoadProgress);
    let engine: Engine;
    if (kind === 'torch') {
      engine = await torchEngineFromCheckpoint(source, sidecars, {
        ...opts.torch, ...(opts.log ? { log: opts.log } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } else {
      const backend = await initBackend(opts.backend, INFERENCE_ORDER);
      if (backend === 'wasm') checkFitsWasm(ckpt);
      const model = await modelFromCheckpoint(source, sidecars).catch((err: unknown) => {
        throw withTorchHint(err, sidecars);
      });
      engine = await builtInEngine(model, backend, opts.log, { checkWasm: () => checkFitsWasm(ckpt), ...(opts.probed ? { probed: true } : {}) });
    }
    return { engine, checkpoint: { path, name: basename(path), format: ckpt.format, fileSize: ckpt.fileSize }, sidecars };
  } finally {
    await ckpt.close();
  }
}

/** A model the built-in engine cannot run whose softmoe.json names its own code: say that the torch engine would run it. */
function withTorchHint(err: unknown, sidecars: Sidecars): unknown {
  if (!(err instanceof SoftMoeError) || err.code !== 'E_UNSUPPORTED') return err;
  const factory = readModelFactory(sidecars);
  if (!factory) return err;
  const hint = ` Its softmoe.json names the model's code (model.factory '${factory.factory}'): add --engine torch to run it (in VS Code: a trusted workspace).`;
  return new SoftMoeError(err.code, `${err.userMessage.replace(/\.?$/, '.')}${hint}`, { cause: err });
}

/** How the built-in engine executes on a backend: ONNX Runtime graphs for 'onnx', tfjs eagerly otherwise. */
export function executorFor(backend: BackendName): Executor {
  if (backend !== 'onnx') return eagerExecutor(backend);
  const ort = loadOrt();
  const gb = graphBackend();
  if (!ort || !gb) throw new SoftMoeError('E_INTERNAL', 'Internal error: the onnx backend is active but ONNX Runtime is not loaded.');
  return graphExecutor(ort, gb);
}

/**
 * The built-in engine over `model` on `backend`. On 'onnx' the model's functions are first recorded and run once on
 * a small batch (every graph an analysis uses: the stem, the trace, masked passes of both drop modes on every layer,
 * the plain forward; they are kept for the real work): a model with an operation ONNX Runtime cannot take is then run
 * on wasm instead, with a one-line notice (and the reason in the engine's label), before any result depends on it.
 */
export async function builtInEngine(
  model: SoftMoeModel, backend: BackendName, log?: (line: string) => void,
  opts: {
    ownsModel?: boolean;
    /** Throws when the model cannot run on wasm (wasmMemory.ts), before falling back to it. */ checkWasm?: () => void;
    /** Skip the probe (OpenEngineOptions.probed). */ probed?: boolean;
  } = {},
): Promise<Engine> {
  const { checkWasm, probed, ...engineOpts } = opts;
  const exec = executorFor(backend);
  const engine = createTfjsEngine(model, { ...engineOpts, executor: exec });
  if (backend !== 'onnx' || probed) return engine;
  try {
    await probeEngine(engine);
    return engine;
  } catch (err) {
    await exec.dispose();
    const why = (err instanceof SoftMoeError ? err.userMessage : (err as Error).message).replace(/\.$/, '');
    try {
      checkWasm?.();
    } catch (tooBig) {
      if (!(tooBig instanceof SoftMoeError)) throw tooBig;
      throw new SoftMoeError(tooBig.code, `ONNX Runtime cannot run this model (${why}), and ${tooBig.userMessage}`, { cause: err });
    }
    const wasm = await initBackend('wasm');
    log?.(`ONNX Runtime cannot run this model (${why}); running it on ${wasm} instead.`);
    // Said in the engine's label too, so every output and result that names the engine says why it is not onnx.
    return createTfjsEngine(model, { ...engineOpts, executor: eagerExecutor(wasm), note: `ONNX Runtime cannot run this model: ${why}` });
  }
}

/** One small batch through every kind of call an analysis makes (see `builtInEngine`). */
async function probeEngine(engine: Engine): Promise<void> {
  const [h, w, c] = engine.info.inputShape;
  const b = 2;
  const images = new Float32Array(b * h * w * c).fill(0.5);
  const batch = await engine.begin(images, b);
  try {
    await batch.trace({ ...(engine.linearReadout ? { contributions: true } : {}) });
    await batch.predict();
    const masks = engine.info.moeLayers.map((l) => {
      const m = new Uint8Array(b * l.numExperts).fill(1);
      m[0] = 0;
      return m;
    });
    for (const drop of ['zero', 'renorm'] as const) await batch.run({ drop, count: 1, masks });
  } finally {
    await batch.close();
  }
}
