/**
 * THE engine interface: how evaluation and analysis run a model, whoever computes it — TensorFlow.js in this
 * process (`tfjsEngine.ts`), the user's own PyTorch in a child process (`torch/`), or any faster backend later.
 *
 * Everything crosses as plain host arrays (float32 / uint8 / int32, row-major, little-endian), never as a backend's
 * tensors, so an engine can live in another process. The engine computes; it never decides subsets: selectors,
 * seeded random subsets, the oracle and every statistic stay in src/core/analysis, written once.
 *
 * A batch is opened once (`begin`: the engine preprocesses the images and caches everything before the first Soft
 * MoE layer) and then asked for
 *   - `trace`: the full model's logits and each MoE layer's routing (router logits, combine, dispatch, optionally the
 *     per-slot expert outputs and, for models with a linear readout, each slot's contribution to the logits);
 *   - `run`: predictions of many MASKED passes at once (every k × trial × drop mode the analysis wants), the masks
 *     given up front, pass-major, so an engine can stack passes into large matrix products;
 *   - `runSelecting`: predictions of passes in which every MoE layer picks its own experts from its own routing on
 *     the already-masked upstream (the paper's per-layer Algorithm 1 on models with several MoE layers). The engine
 *     calls `select` once per MoE layer per chunk of passes it computes together.
 *
 * Shapes use b (inputs in the batch), m (tokens), n (experts), p (slots per expert), d (model width), C (classes),
 * P (passes). Masks are 1 = keep, 0 = drop. Drop modes (see docs/soft-moe-layouts.md): `zero` — dropped experts
 * contribute nothing and the combine weights are not renormalised; `renorm` — dropped experts' router logits are −∞
 * before both softmaxes, so combine is renormalised over kept experts (dispatch of kept slots is unchanged).
 */
import type { DropMode } from '../analysis/schema';
import type { ModelInfo } from './model';

/** One MoE layer's FULL (unmasked) routing on some rows, as host arrays. */
export interface LayerTrace {
  /** Rows (inputs, or inputs × passes in `runSelecting`), tokens, experts, slots per expert, model width. */
  b: number;
  m: number;
  n: number;
  p: number;
  d: number;
  /** Router logits [b, m, n, p], after the layer's normalisation and scale. */
  logits: Float32Array;
  /** Combine weights [b, m, n, p]: softmax over all n·p slots, per token. */
  combine: Float32Array;
  /** Dispatch weights [b, m, n, p]: softmax over the m tokens, per slot. */
  dispatch: Float32Array;
  /** Expert outputs per slot [b, n, p, d]; present when asked for. */
  slotOutputs?: Float32Array;
  /**
   * Every expert's outputs summed over the rows and its slots [n, d]; an engine may give it instead of `slotOutputs`
   * when those were not asked for (the statistics' mean expert output needs one of the two).
   */
  outputSum?: Float32Array;
}

export interface TraceRequest {
  /** Include `LayerTrace.slotOutputs` (routing health, output-norm scores). Default false. */
  slotOutputs?: boolean;
  /**
   * Include `BatchTrace.contributions` (only engines with `linearReadout`): what each slot's expert output adds to
   * the logits through each token. Default false.
   */
  contributions?: boolean;
}

export interface BatchTrace {
  /** Full-model logits [b, C]. */
  logits: Float32Array;
  /** One per MoE layer, in forward order. */
  layers: LayerTrace[];
  /**
   * Linear-readout models: contributions [b, n, p, m, C] with logits = bias + Σ_{t,e,s} C_eff[t,(e,s)] ·
   * contributions[(e,s), t, :] — the readout applied to slot (e,s)'s output as if it sat at token t.
   */
  contributions?: Float32Array;
  /** With `contributions`: the readout's bias [C] (zeros when it has none). */
  readoutBias?: Float32Array;
}

/** P masked passes over the batch, all with one drop mode. */
export interface MaskedPasses {
  drop: DropMode;
  /** Number of passes P. */
  count: number;
  /** Per MoE layer: keep masks [P, b, n] (pass-major), or undefined to keep every expert of that layer. */
  masks: Array<Uint8Array | undefined>;
}

/** P passes in which each MoE layer selects its own experts. */
export interface SelectingPasses {
  drop: DropMode;
  count: number;
  /** Whether `select` needs `LayerTrace.slotOutputs`. */
  slotOutputs: boolean;
  /**
   * Called for every MoE layer in forward order, for each chunk of passes the engine computes together, with that
   * layer's full routing on the rows of the chunk: `routing.b` = (passes in the chunk) × b, pass-major, the chunk
   * starting at pass `firstPass`. Returns keep masks [routing.b, n]. Must be a pure function of its arguments.
   */
  select(layer: number, routing: LayerTrace, firstPass: number): Uint8Array;
}

export interface EngineBatch {
  /** Inputs in the batch (b). */
  readonly size: number;
  trace(request?: TraceRequest): Promise<BatchTrace>;
  /** Predicted classes [P, b] (first maximum on ties, like argmax in PyTorch and tfjs). */
  run(passes: MaskedPasses): Promise<Int32Array>;
  /** Predicted classes [P, b]. */
  runSelecting(passes: SelectingPasses): Promise<Int32Array>;
  /** Full-model predictions [b] (no masks, no trace): what evaluation needs. */
  predict(): Promise<Int32Array>;
  /** Free what the engine holds for this batch. */
  close(): Promise<void>;
}

/** Which engine ran, for every output and result ("every output says which ran"). */
export interface EngineDescription {
  /** 'tfjs' (built-in) or 'torch' (the user's own PyTorch model). */
  kind: 'tfjs' | 'torch';
  /** tfjs backend (node | wasm | cpu), or the torch device ('cpu', 'cuda:0'). */
  backend: string;
  /** One line for people, e.g. "tfjs wasm" or "torch 1.13.0 on cuda:0 (/usr/bin/python3)". */
  label: string;
}

export interface Engine {
  readonly info: ModelInfo;
  readonly description: EngineDescription;
  /** True when logits are a linear function of one MoE layer's output (the analysis fast path, `contributions`). */
  readonly linearReadout: boolean;
  /** Open a batch: images [b, H, W, C] as the dataset yields them (0–1), preprocessed by the engine. */
  begin(images: Float32Array, b: number, signal?: AbortSignal): Promise<EngineBatch>;
  dispose(): Promise<void>;
}
