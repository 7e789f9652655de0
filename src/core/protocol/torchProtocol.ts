/**
 * The protocol between the PyTorch engine (src/core/engine/torch/) and its Python runner
 * (src/core/engine/torch/runner/softmoe_runner.py, shipped as dist/softmoe_runner.py), which runs the user's own
 * model in a child process. The runner keeps its own copy of TORCH_PROTOCOL_VERSION; a test checks they agree, and the
 * handshake refuses a runner of another version.
 *
 * Transport: the runner's stdin (client → runner) and stdout (runner → client). The runner moves the user's prints
 * to stderr before it imports anything, so only frames travel on stdout. Every message is one frame:
 *
 *   u32 headerBytes | u32 bufferCount | u64 bufferBytes × bufferCount | header (UTF-8 JSON) | buffer 0 | buffer 1 …
 *
 * all integers little-endian. The header is one of the messages below (a `type` tag); arrays never travel as JSON
 * numbers but as the buffers, raw little-endian, C order, in the dtype each message names.
 *
 *   runner → client  hello                                       first frame, before torch is even imported
 *   client → runner  build → built                               import the factory, call it, check it is an nn.Module
 *   client → runner  weights, tensor × count → loaded            the state_dict (read by the core's safe reader), the
 *                                                                layers' reference forwards, a probe pass
 *   client → runner  begin → begun                               one batch of images; the FIRST batch also runs the
 *                                                                self-check of every Soft MoE layer
 *   client → runner  trace → traced | run → predictions | predict → predictions
 *   client → runner  runSelecting → (select ⇄ masks)* → predictions   one round trip per MoE layer per chunk
 *   client → runner  close → done | shutdown → done
 *   client → runner  cancel                                      stops request `id` at the next layer or chunk
 *   runner → client  error (answers any request) | log
 *
 * Requests carry an `id`; answers carry `re` (the id they answer). One request is in flight at a time.
 */
import type { DropMode } from '../analysis/schema';
import type { DType } from '../io/types';
import type { DetectedLayer } from '../model/detectedLayer';

export const TORCH_PROTOCOL_VERSION = 1;

/** Frames larger than this in their JSON header are refused (the header carries no arrays). */
export const MAX_HEADER_BYTES = 16 << 20;
/** Most buffers one frame may carry. */
export const MAX_FRAME_BUFFERS = 4096;

// ------------------------------------------------------------------------------------------ shared data shapes

/** The math of one Soft MoE layer, the same plain variant the built-in engine's layer is configured from. */
export interface TorchLayerVariant {
  /** 'paper' | 'l2' | 'rsqrt' | 'rms' | 'layernorm' | 'none' (tokenNorm.ts / detectedLayer.ts). */
  norm: string;
  expertsSeeNormalized: boolean;
  /** 'relu' | 'gelu' | 'gelu-tanh' | 'geglu' | 'none'. */
  activation: string;
}

/**
 * One Soft MoE layer the core detected, for the runner: where its module is, its sizes and tensor names (as the
 * core's detection found them, state_dict names as in the checkpoint) and the variant of its math.
 */
export interface TorchLayerSpec extends Pick<DetectedLayer,
  'layout' | 'numExperts' | 'slotsPerExpert' | 'dim' | 'expertHidden' | 'outDim' | 'router' | 'routerAxes' | 'scale' | 'tokenNorm' | 'slotNorm' | 'experts'> {
  /** The detected layer's name, = the module path inside the model ('' = the model itself). */
  module: string;
  variant: TorchLayerVariant;
  /**
   * The paper's MNIST code keeps Φ, the experts and the decoder in ONE nn.Module (the whole model), so that module's
   * forward is patchify → Soft MoE → decoder: the reference forward does the same around the layer.
   */
  wrap?: { kind: 'paper-mnist'; patch: number; channels: number; decoder: string };
}

/** What the model takes and how dataset images become its input. */
export interface TorchInputSpec {
  /** [height, width, channels] of the dataset images (0–1, as ToTensor gives). */
  shape: [number, number, number];
  /** Per channel, applied as (x − mean) / std before the NCHW tensor goes to the model; absent: not normalised. */
  mean?: number[];
  std?: number[];
  /** 'module:callable' from softmoe.json: called on the 0–1 NCHW batch instead of mean/std. */
  transform?: string;
}

export interface TorchDevice {
  /** 'cpu', 'cuda:0', 'mps'. */
  name: string;
  /** GPU model, when known. */
  label?: string;
  /** Device memory in bytes, when known. */
  memory?: number;
}

/** The runner's self-check of one layer: its reference forward against the module's own, on the first batch. */
export interface LayerCheck {
  module: string;
  /** max |reference − own| over the layer's output on the batch (null: NaN or inf appeared). */
  maxAbsDiff: number | null;
  /** max |own output| (the scale the difference is judged against). */
  maxAbs: number | null;
  /** maxAbsDiff / maxAbs; the layer passes when ≤ `tolerance`. */
  relative: number | null;
  tolerance: number;
  ok: boolean;
}

export type RunnerErrorCode =
  /** Python is fine but `import torch` failed. */
  | 'no-torch'
  /** A module named in softmoe.json cannot be imported. */
  | 'import'
  /** The factory (or transform) is missing, not callable, raised, or returned something other than an nn.Module. */
  | 'factory'
  /** The checkpoint's tensors do not fit the model's state_dict. */
  | 'state-dict'
  /** A detected layer has no module or tensor in the model, or its module is not called once per forward. */
  | 'layer'
  /** A layer's reference forward differs from the module's own forward: the layer is refused. */
  | 'self-check'
  /** The model's own code raised during a forward pass, or returned no logits. */
  | 'forward'
  /** The device asked for does not exist here. */
  | 'device'
  /** Out of memory even for one pass at a time. */
  | 'oom'
  | 'cancelled'
  | 'protocol'
  | 'internal';

// ------------------------------------------------------------------------------------------ runner → client

export interface HelloMessage {
  type: 'hello';
  protocol: number;
  pid: number;
  python: { version: string; executable: string; platform: string };
  /** null when `import torch` failed (then `torchError` says why and the runner exits). */
  torch: { version: string; cuda: string | null; devices: TorchDevice[]; threads: number } | null;
  torchError?: string;
}

export interface BuiltMessage {
  type: 'built';
  re: number;
  /** The model class, e.g. 'models.patchnet.PatchNet'. */
  modelClass: string;
  parameterCount: number;
  /** Resolved device, e.g. 'cpu' or 'cuda:0'. */
  device: string;
  /** torch.get_num_threads() after the request's `threads`. */
  threads: number;
}

export interface LoadedMessage {
  type: 'loaded';
  re: number;
  /** Classes the model predicts (its logits' width on the probe pass). */
  numClasses: number;
  /** The layers in FORWARD order (the order the probe pass called them), with the tokens each one sees. */
  layers: Array<{ module: string; tokens: number }>;
  /** What loading changed or assumed (a stripped 'module.' prefix, keys left at their initial values). */
  notes: string[];
}

export interface BegunMessage {
  type: 'begun';
  re: number;
  batch: number;
  /** Present for the batch that ran the self-check. */
  checks?: LayerCheck[];
}

/** Buffers: logits f32 [b, C]; then per layer: logits, combine, dispatch f32 [b, m, n, p] (+ slot outputs f32 [b, n, p, d]). */
export interface TracedMessage {
  type: 'traced';
  re: number;
  b: number;
  numClasses: number;
  layers: Array<{ m: number; n: number; p: number; d: number }>;
  slotOutputs: boolean;
}

/** Mid-pass of `runSelecting`: layer `layer`'s routing on rows [firstPass·b, …). Buffers as one layer of `traced`. */
export interface SelectMessage {
  type: 'select';
  re: number;
  layer: number;
  firstPass: number;
  rows: number;
  m: number;
  n: number;
  p: number;
  d: number;
  slotOutputs: boolean;
}

/** Buffers: predicted classes i32 [count, b]. */
export interface PredictionsMessage {
  type: 'predictions';
  re: number;
  count: number;
  b: number;
}

export interface DoneMessage {
  type: 'done';
  re: number;
}

export interface RunnerErrorMessage {
  type: 'error';
  /** The request it answers (null: none, e.g. a broken frame). */
  re: number | null;
  code: RunnerErrorCode;
  message: string;
  /** Python traceback, for logs. */
  detail?: string;
}

export interface RunnerLogMessage {
  type: 'log';
  level: 'info' | 'warn';
  message: string;
}

export type RunnerToClient =
  | HelloMessage | BuiltMessage | LoadedMessage | BegunMessage | TracedMessage | SelectMessage | PredictionsMessage
  | DoneMessage | RunnerErrorMessage | RunnerLogMessage;

// ------------------------------------------------------------------------------------------ client → runner

export interface FactorySpec {
  /** 'package.module:callable' (dots after the colon reach attributes). */
  factory: string;
  kwargs: Record<string, unknown>;
  /** Absolute folders put in front of sys.path. */
  pythonPath: string[];
  /** Load the state_dict strictly (every key of the model present, none left over). */
  strict: boolean;
}

export interface BuildRequest {
  type: 'build';
  id: number;
  factory: FactorySpec;
  /** 'auto' (cuda when available, else cpu), 'cpu', 'cuda', 'cuda:N' or 'mps'. */
  device: string;
  /** torch.set_num_threads, when set. */
  threads: number | null;
}

/** Followed by `count` tensor frames. */
export interface WeightsRequest {
  type: 'weights';
  id: number;
  count: number;
  layers: TorchLayerSpec[];
  input: TorchInputSpec;
  /** Upper bound on rows × (largest per-row activation) of one stacked forward, in values (the runner may use less). */
  maxStackedValues: number;
}

/** One state_dict entry; buffer: its bytes in `dtype`, little-endian, C order. */
export interface TensorFrame {
  type: 'tensor';
  name: string;
  dtype: DType;
  shape: number[];
}

/** Buffer: images f32 [b, H, W, C] (0–1). */
export interface BeginRequest {
  type: 'begin';
  id: number;
  batch: number;
  b: number;
}

export interface TraceRequestMessage {
  type: 'trace';
  id: number;
  batch: number;
  slotOutputs: boolean;
}

/** Buffers: for each layer with `masked[l]`, its keep masks u8 [count, b, n] (pass-major). */
export interface RunRequest {
  type: 'run';
  id: number;
  batch: number;
  drop: DropMode;
  count: number;
  masked: boolean[];
}

export interface RunSelectingRequest {
  type: 'runSelecting';
  id: number;
  batch: number;
  drop: DropMode;
  count: number;
  slotOutputs: boolean;
}

/** Answer to a `select`: buffer u8 [rows, n]. `id` is the runSelecting request's id. */
export interface MasksMessage {
  type: 'masks';
  id: number;
  layer: number;
  firstPass: number;
}

export interface PredictRequest {
  type: 'predict';
  id: number;
  batch: number;
}

export interface CloseRequest {
  type: 'close';
  id: number;
  batch: number;
}

export interface CancelMessage {
  type: 'cancel';
  /** The request to stop. */
  id: number;
}

export interface ShutdownRequest {
  type: 'shutdown';
  id: number;
}

export type ClientToRunner =
  | BuildRequest | WeightsRequest | TensorFrame | BeginRequest | TraceRequestMessage | RunRequest | RunSelectingRequest
  | MasksMessage | PredictRequest | CloseRequest | CancelMessage | ShutdownRequest;

const RUNNER_TYPES: ReadonlySet<string> = new Set(['hello', 'built', 'loaded', 'begun', 'traced', 'select', 'predictions', 'done', 'error', 'log']);

/** The header as a runner message, or null when it is not one (a broken or foreign frame). */
export function parseRunnerMessage(v: unknown): RunnerToClient | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const t = (v as { type?: unknown }).type;
  return typeof t === 'string' && RUNNER_TYPES.has(t) ? (v as RunnerToClient) : null;
}
