/**
 * The PyTorch engine: the `Engine` (engine.ts) computed by the user's own model code, in their own PyTorch, in a
 * child process (runner/softmoe_runner.py, spoken to over protocol/torchProtocol.ts).
 *
 *   openTorchEngine(checkpoint) reads the checkpoint with the core's safe reader and its sidecars, finds the factory
 *   in softmoe.json and the Soft MoE layers with the core's detection, starts the runner, has it build the model,
 *   streams the state_dict to it tensor by tensor, and learns from a probe pass the classes and the layers' order.
 *
 * The runner replaces each detected layer's forward with a reference forward of its variant and checks it against
 * the module's own forward on the first batch (a layer that differs is refused with the difference). Everything
 * the engine returns is host arrays; the analysis on top is the same TypeScript as for the built-in engine.
 */
import { dirname, resolve } from 'node:path';
import type { DropMode } from '../../analysis/schema';
import { SoftMoeError, throwIfAborted } from '../../errors';
import { openCheckpoint } from '../../io/openCheckpoint';
import { detectSoftMoeLayers } from '../../model/detect';
import type { Checkpoint } from '../../io/types';
import { readSidecars, withCheckpointArgs, type Sidecars } from '../../model/sidecar';
import type {
  BegunMessage, BuiltMessage, LayerCheck, LoadedMessage, PredictionsMessage, SelectMessage, TracedMessage,
} from '../../protocol/torchProtocol';
import type { BatchTrace, Engine, EngineBatch, EngineDescription, LayerTrace, MaskedPasses, SelectingPasses, TraceRequest } from '../engine';
import type { LayerInfo, ModelInfo } from '../model';
import { float32Of, int32Of } from './frames';
import { readModelFactory } from './modelFactory';
import { defaultPython, RunnerProcess, type Answer, type PythonChoice } from './runnerProcess';
import { findRunnerScript } from './runnerScript';
import { inferTokenGrid, planTorchModel } from './torchPlan';

export interface TorchEngineOptions {
  /** The interpreter (default `python3` on PATH). */
  python?: PythonChoice;
  /** 'auto' (cuda when available, else cpu), 'cpu', 'cuda', 'cuda:N', 'mps'. Default 'auto'. */
  device?: string;
  /** torch.set_num_threads (default: torch's own choice). */
  threads?: number | null;
  /** Upper bound on rows × the largest per-row activation of one stacked forward, in values. Default 2²⁴. */
  maxStackedValues?: number;
  /** The runner's stderr (the user's prints, Python warnings) and the engine's notes, line by line. */
  log?: (line: string) => void;
  /** Cancels starting and loading. */
  signal?: AbortSignal;
  /** softmoe_runner.py to run (default: the one shipped beside this code). */
  runnerScript?: string;
}

export interface TorchEngine extends Engine {
  /** The runner's pid (tests check no process is left behind). */
  readonly pid: number | undefined;
  /** The self-check of every layer, once the first batch has run. */
  readonly checks: LayerCheck[] | undefined;
}

/** Open a checkpoint and start the PyTorch engine on it (the checkpoint is closed again once the weights are sent). */
export async function openTorchEngine(checkpointPath: string, opts: TorchEngineOptions = {}): Promise<TorchEngine> {
  const ckpt = await openCheckpoint(resolve(checkpointPath));
  try {
    return await torchEngineFromCheckpoint(ckpt, await readSidecars(ckpt.path), opts);
  } finally {
    await ckpt.close();
  }
}

/** Start the PyTorch engine on an opened checkpoint and its sidecars (the caller closes the checkpoint). */
export async function torchEngineFromCheckpoint(ckpt: Checkpoint, sidecars: Sidecars, opts: TorchEngineOptions = {}): Promise<TorchEngine> {
  const path = ckpt.path;
  const log = opts.log ?? (() => undefined);
  let runner: RunnerProcess | undefined;
  try {
    const factory = readModelFactory(sidecars);
    if (!factory) {
      throw new SoftMoeError('E_CONFIG', `${path}: the PyTorch engine runs your model's own code, named in a softmoe.json beside the checkpoint: {"model": {"factory": "package.module:build_model", "kwargs": {…}}}; there is none${sidecars.softmoe ? ' in its softmoe.json' : ''}.`);
    }
    // The same sidecars the built-in engine reads: the files beside the checkpoint, then its own saved args.
    const plan = planTorchModel(path, ckpt.tensors, withCheckpointArgs(sidecars, ckpt), factory, detectSoftMoeLayers(ckpt.tensors));
    for (const n of plan.notes) log(`torch engine: ${n}`);
    throwIfAborted(opts.signal);
    const python = opts.python ?? defaultPython();
    runner = await RunnerProcess.start({
      python, script: opts.runnerScript ?? findRunnerScript(), cwd: dirname(factory.sidecar), onStderr: (l) => log(`[python] ${l}`),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const r = runner;
    const { factory: f, kwargs, pythonPath, strict } = factory;
    const built = (await r.request<BuiltMessage>({ type: 'build', factory: { factory: f, kwargs, pythonPath, strict }, device: opts.device ?? 'auto', threads: opts.threads ?? null }, [], withSignal(opts.signal))).message;
    log(`torch engine: ${factory.factory} built ${built.modelClass} (${built.parameterCount} parameters) on ${built.device}${built.device === 'cpu' ? ` with ${built.threads} thread${built.threads === 1 ? '' : 's'}` : ''}`);
    const entries = [...ckpt.tensors.values()];
    const loaded = (await r.request<LoadedMessage>({
      type: 'weights', count: entries.length, layers: plan.layers, input: plan.input, maxStackedValues: opts.maxStackedValues ?? 2 ** 24,
    }, [], {
      ...withSignal(opts.signal),
      after: async () => {
        for (const e of entries) {
          throwIfAborted(opts.signal);
          const bytes = e.readBytes ? await e.readBytes() : await e.readFloat32();
          await r.write({ type: 'tensor', name: e.name, dtype: e.readBytes ? e.dtype : 'F32', shape: e.shape }, [bytes]);
        }
      },
    })).message;
    for (const n of loaded.notes) log(`torch engine: ${n}`);
    const byName = new Map(plan.layers.map((l) => [l.module, l]));
    const moeLayers: LayerInfo[] = loaded.layers.map(({ module }) => {
      const l = byName.get(module);
      if (!l) throw new SoftMoeError('E_ENGINE', `PyTorch engine: the runner reported a layer '${module}' that was never sent.`);
      return {
        name: l.module, layout: l.layout, numExperts: l.numExperts, slotsPerExpert: l.slotsPerExpert, dim: l.dim, expertHidden: l.expertHidden,
        ...(l.outDim !== undefined && l.outDim !== l.dim ? { outDim: l.outDim } : {}),
      };
    });
    const tokens = loaded.layers[0]?.tokens ?? 1;
    const tokenGrid = plan.tokenGrid ?? inferTokenGrid(tokens);
    if (!plan.tokenGrid) log(`torch engine: ${tokens} tokens drawn as ${tokenGrid.hasClassToken ? 'a class token and ' : ''}a ${tokenGrid.rows}×${tokenGrid.cols} grid (set "token_grid" in softmoe.json to change it)`);
    const [, , c] = plan.input.shape;
    const info: ModelInfo = {
      architecture: plan.architecture,
      moeLayers,
      numClasses: loaded.numClasses,
      inputShape: plan.input.shape,
      mean: plan.input.mean ?? new Array<number>(c).fill(0),
      std: plan.input.std ?? new Array<number>(c).fill(1),
      tokenGrid,
      parameterCount: built.parameterCount,
      preprocessing: plan.preprocessing,
    };
    const h = r.hello;
    const description: EngineDescription = {
      kind: 'torch',
      backend: built.device,
      label: `torch ${h.torch?.version ?? '?'} on ${built.device} (${h.python.executable}, Python ${h.python.version}; ${factory.factory})`,
    };
    return new TorchEngineImpl(r, info, description);
  } catch (err) {
    if (runner) await runner.close(200);
    throw err;
  }
}

function withSignal(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}

class TorchEngineImpl implements TorchEngine {
  readonly linearReadout = false;
  checks: LayerCheck[] | undefined;
  private nextBatch = 1;

  constructor(readonly runner: RunnerProcess, readonly info: ModelInfo, readonly description: EngineDescription) {}

  get pid(): number | undefined {
    return this.runner.pid;
  }

  async begin(images: Float32Array, b: number, signal?: AbortSignal): Promise<EngineBatch> {
    const [h, w, c] = this.info.inputShape;
    if (images.length !== b * h * w * c) {
      throw new SoftMoeError('E_SHAPE', `A batch of ${b} images of ${h}×${w}×${c} has ${b * h * w * c} values, got ${images.length}.`);
    }
    const id = this.nextBatch++;
    const begun = await this.runner.request<BegunMessage>({ type: 'begin', batch: id, b }, [images], withSignal(signal));
    if (begun.message.checks) this.checks = begun.message.checks;
    return new TorchBatch(this, id, b, signal);
  }

  async dispose(): Promise<void> {
    await this.runner.close();
  }
}

class TorchBatch implements EngineBatch {
  private closed = false;

  constructor(private readonly engine: TorchEngineImpl, private readonly id: number, readonly size: number, private readonly signal?: AbortSignal) {}

  private get layers(): LayerInfo[] {
    return this.engine.info.moeLayers;
  }

  private check(): void {
    if (this.closed) throw new SoftMoeError('E_INTERNAL', 'Internal error: this batch was closed.');
  }

  async trace(request: TraceRequest = {}): Promise<BatchTrace> {
    this.check();
    if (request.contributions) throw new SoftMoeError('E_UNSUPPORTED', 'The PyTorch engine runs the model\'s own code, which has no linear readout to split into contributions.');
    const a = await this.engine.runner.request<TracedMessage>({ type: 'trace', batch: this.id, slotOutputs: request.slotOutputs === true }, [], withSignal(this.signal));
    const m = a.message;
    const b = this.size;
    const C = this.engine.info.numClasses;
    const logits = float32Of(a.buffers[0] as Uint8Array, b * C, 'the logits');
    const per = m.slotOutputs ? 4 : 3;
    if (a.buffers.length !== 1 + per * this.layers.length || m.layers.length !== this.layers.length) {
      throw new SoftMoeError('E_ENGINE', `PyTorch engine: the trace has ${m.layers.length} layers, the model ${this.layers.length}.`);
    }
    const layers = m.layers.map((l, i) => layerTrace(b, l.m, l.d, this.layers[i] as LayerInfo, a.buffers.slice(1 + per * i, 1 + per * (i + 1)), m.slotOutputs, i));
    return { logits, layers };
  }

  async run(passes: MaskedPasses): Promise<Int32Array> {
    this.check();
    const { count, drop } = checkPasses(passes.count, passes.drop);
    if (passes.masks.length > this.layers.length) throw new SoftMoeError('E_SHAPE', `Masks for ${passes.masks.length} MoE layers, the model has ${this.layers.length}.`);
    const masked = this.layers.map((_, l) => passes.masks[l] !== undefined);
    const buffers: Uint8Array[] = [];
    this.layers.forEach((layer, l) => {
      const mk = passes.masks[l];
      if (!mk) return;
      if (mk.length !== count * this.size * layer.numExperts) {
        throw new SoftMoeError('E_SHAPE', `Masks for layer '${layer.name}' have ${mk.length} values, expected ${count} × ${this.size} × ${layer.numExperts}.`);
      }
      buffers.push(mk);
    });
    if (count === 0) return new Int32Array(0);
    const a = await this.engine.runner.request<PredictionsMessage>({ type: 'run', batch: this.id, drop, count, masked }, buffers, withSignal(this.signal));
    return int32Of(a.buffers[0] as Uint8Array, count * this.size, 'the predictions');
  }

  async runSelecting(passes: SelectingPasses): Promise<Int32Array> {
    this.check();
    const { count, drop } = checkPasses(passes.count, passes.drop);
    if (count === 0) return new Int32Array(0);
    const a = await this.engine.runner.request<PredictionsMessage>({ type: 'runSelecting', batch: this.id, drop, count, slotOutputs: passes.slotOutputs }, [], {
      ...withSignal(this.signal),
      onSelect: (ans: Answer) => {
        const s = ans.message as SelectMessage;
        const layer = this.layers[s.layer];
        if (!layer) throw new SoftMoeError('E_ENGINE', `PyTorch engine: the runner asked for masks of layer ${s.layer}, the model has ${this.layers.length}.`);
        const routing = layerTrace(s.rows, s.m, s.d, layer, ans.buffers, s.slotOutputs, s.layer);
        const mask = passes.select(s.layer, routing, s.firstPass);
        if (!(mask instanceof Uint8Array) || mask.length !== s.rows * layer.numExperts) {
          throw new SoftMoeError('E_INTERNAL', `Internal error: the selection for layer '${layer.name}' returned ${mask?.length} values, expected ${s.rows} × ${layer.numExperts}.`);
        }
        return { header: { type: 'masks', id: s.re, layer: s.layer, firstPass: s.firstPass }, buffers: [mask] };
      },
    });
    return int32Of(a.buffers[0] as Uint8Array, count * this.size, 'the predictions');
  }

  async predict(): Promise<Int32Array> {
    this.check();
    const a = await this.engine.runner.request<PredictionsMessage>({ type: 'predict', batch: this.id }, [], withSignal(this.signal));
    return int32Of(a.buffers[0] as Uint8Array, this.size, 'the predictions');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.engine.runner.alive) await this.engine.runner.request({ type: 'close', batch: this.id }).catch(() => undefined);
  }
}

function checkPasses(count: number, drop: DropMode): { count: number; drop: DropMode } {
  if (!Number.isInteger(count) || count < 0) throw new SoftMoeError('E_INTERNAL', `Internal error: ${count} passes.`);
  if (drop !== 'zero' && drop !== 'renorm') throw new SoftMoeError('E_INTERNAL', `Internal error: drop mode ${String(drop)}.`);
  return { count, drop };
}

/** One layer's routing from its buffers; `d` is the width of the experts' outputs (the layer's d, or fkodom's out width). */
function layerTrace(b: number, m: number, d: number, layer: LayerInfo, bufs: Uint8Array[], withOutputs: boolean, index: number): LayerTrace {
  const { numExperts: n, slotsPerExpert: p } = layer;
  const size = b * m * n * p;
  const what = (x: string) => `layer ${index} ('${layer.name}') ${x}`;
  return {
    b, m, n, p, d,
    logits: float32Of(bufs[0] as Uint8Array, size, what('router logits')),
    combine: float32Of(bufs[1] as Uint8Array, size, what('combine weights')),
    dispatch: float32Of(bufs[2] as Uint8Array, size, what('dispatch weights')),
    ...(withOutputs ? { slotOutputs: float32Of(bufs[3] as Uint8Array, b * n * p * d, what('slot outputs')) } : {}),
  };
}
