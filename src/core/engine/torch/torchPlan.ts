/**
 * What the PyTorch engine tells its runner about a checkpoint before any Python runs: the Soft MoE layers the core's
 * own detection found (with the math each computes) and what the model takes as input.
 *
 * Input geometry and normalisation: for an architecture the built-in engine knows (the paper's MNIST model, the Soft
 * MoE ViT) exactly what the built-in engine uses, so both engines read a dataset identically. For any other model,
 * from the sidecars in the model constructor's keyword names — `input_size` [C, H, W], or `img_size` and `in_chans`;
 * `mean`, `std` (absent: the 0–1 images go in unnormalised, and a note says so); `token_grid` [rows, cols] and
 * `class_token` for drawing — looked up in softmoe.json (top level and `model.kwargs`), config.json, args.json.
 */
import type { Preprocessing, ValueSource } from '../../analysis/schema';
import { SoftMoeError } from '../../errors';
import { describeArchitecture, type ArchitectureDescription } from '../../model/architecture';
import type { ShapeMap } from '../../model/tensorShapes';
import type { DetectedLayer } from '../../model/detectedLayer';
import type { Sidecars } from '../../model/sidecar';
import type { TorchInputSpec, TorchLayerSpec } from '../../protocol/torchProtocol';
import { mnistOptions } from '../loadModel';
import { mnistGeometry, mnistPreprocessing } from '../mnistModel';
import type { ModelInfo, TokenGrid } from '../model';
import { perChannel, resolveVitConfig } from '../vit/vitConfig';
import { findSidecarValue, sidecarAdvice, sidecarFiles, type SidecarValue } from '../vit/vitSidecars';
import type { ModelFactory } from './modelFactory';

export interface TorchPlan {
  architecture: ModelInfo['architecture'];
  input: TorchInputSpec;
  /** The input's values and where each came from (defaults are announced like the built-in engine's). */
  preprocessing: Preprocessing;
  /** In detection order; the runner reports the forward order. */
  layers: TorchLayerSpec[];
  /** When the architecture tells it; otherwise decided from the tokens the first layer sees. */
  tokenGrid?: TokenGrid;
  /** Assumptions and choices, one line each, for the log. */
  notes: string[];
}


export function planTorchModel(checkpointPath: string, tensors: ShapeMap, sidecars: Sidecars, factory: ModelFactory, detected: DetectedLayer[]): TorchPlan {
  if (detected.length === 0) {
    throw new SoftMoeError('E_UNSUPPORTED', `${checkpointPath}: no Soft MoE layer recognised (no phi, slot_embeds or Router/mu tensor with expert weights beside it), so there is nothing to analyse.`);
  }
  const notes: string[] = [];
  let arch: ArchitectureDescription | undefined;
  try {
    arch = describeArchitecture(tensors, detected);
  } catch {
    arch = undefined;
  }
  const transform = factory.transform ? { transform: factory.transform } : {};
  if (arch?.kind === 'mnist-softmoe') {
    const layer = detected[0] as DetectedLayer;
    const decoder = `${arch.prefix}decoder`;
    const opts = mnistOptions(sidecars);
    const g = mnistGeometry(layer.dim, tensors.get(`${decoder}.1.weight`)?.shape ?? [], opts);
    const pre = mnistPreprocessing(g.channels, g.imageSize, opts);
    // The paper's own code keeps the decoder in the layer's module (the whole model); a layer of another layout in
    // the paper's skeleton is a module of its own, called on the tokens.
    const wrap = arch.prefix === (layer.name === '' ? '' : `${layer.name}.`)
      ? { kind: 'paper-mnist' as const, patch: g.patch, channels: g.channels, decoder }
      : undefined;
    return {
      architecture: 'mnist-softmoe',
      input: { shape: [g.imageSize, g.imageSize, g.channels], ...(factory.transform ? transform : { mean: pre.mean, std: pre.std }) },
      preprocessing: factory.transform ? transformed(g.channels, [g.imageSize, g.imageSize], factory) : pre,
      layers: [torchLayerSpec(layer, wrap)],
      tokenGrid: { rows: g.grid, cols: g.grid, hasClassToken: false },
      notes,
    };
  }
  if (arch?.kind === 'vit-softmoe') {
    try {
      const c = resolveVitConfig(tensors, sidecars, checkpointPath, arch.prefix);
      return {
        architecture: 'vit-softmoe',
        input: { shape: [c.imgSize[0], c.imgSize[1], c.inChans], ...(factory.transform ? transform : { mean: c.mean, std: c.std }) },
        preprocessing: factory.transform ? transformed(c.inChans, c.imgSize, factory) : c.preprocessing,
        layers: detected.map((l) => torchLayerSpec(l)),
        tokenGrid: { rows: c.grid[0], cols: c.grid[1], hasClassToken: c.classToken },
        notes,
      };
    } catch (err) {
      if (!(err instanceof SoftMoeError)) throw err;
      notes.push(`the built-in engine's ViT configuration does not apply (${err.userMessage}); input size and normalisation come from the sidecars`);
    }
  }
  const g = genericInput(checkpointPath, sidecars, factory);
  notes.push(...g.notes);
  return {
    architecture: 'custom', input: g.input, preprocessing: g.preprocessing, layers: detected.map((l) => torchLayerSpec(l)),
    ...(g.tokenGrid ? { tokenGrid: g.tokenGrid } : {}), notes,
  };
}

/** The plain spec of one detected layer: where it is, its tensors, and the variant of the math it computes. */
export function torchLayerSpec(det: DetectedLayer, wrap?: TorchLayerSpec['wrap']): TorchLayerSpec {
  if (det.slots === 'dynamic') {
    throw new SoftMoeError('E_UNSUPPORTED', `Soft MoE layer '${det.name}' (${det.layout}) computes its slots from the input; the PyTorch engine does not run input-dependent slots yet (the built-in engine does, inside its two architectures).`);
  }
  return {
    module: det.name,
    layout: det.layout,
    numExperts: det.numExperts,
    slotsPerExpert: det.slotsPerExpert,
    dim: det.dim,
    expertHidden: det.expertHidden,
    ...(det.outDim !== undefined ? { outDim: det.outDim } : {}),
    variant: { norm: det.norm, expertsSeeNormalized: det.expertsSeeNormalized, activation: det.activation },
    router: det.router,
    routerAxes: det.routerAxes,
    ...(det.scale ? { scale: det.scale } : {}),
    ...(det.tokenNorm ? { tokenNorm: det.tokenNorm } : {}),
    ...(det.slotNorm ? { slotNorm: det.slotNorm } : {}),
    experts: det.experts,
    ...(wrap ? { wrap } : {}),
  };
}

/** The record of a softmoe.json transform: mean/std are not applied (the transform prepares the batch). */
function transformed(channels: number, size: [number, number], factory: ModelFactory): Preprocessing {
  const src: ValueSource = { from: 'sidecar', file: factory.sidecar, key: 'model.transform' };
  return { mean: new Array<number>(channels).fill(0), std: new Array<number>(channels).fill(1), inputSize: size, sources: { mean: src, std: src, inputSize: src } };
}

function genericInput(checkpointPath: string, sidecars: Sidecars, factory: ModelFactory): { input: TorchInputSpec; preprocessing: Preprocessing; tokenGrid?: TokenGrid; notes: string[] } {
  const files = sidecarFiles(sidecars);
  const look = (...keys: string[]) => {
    for (const k of keys) {
      const v = findSidecarValue(files, k);
      if (v) return v;
    }
    return undefined;
  };
  const int = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
  const notes: string[] = [];
  let size: [number, number] | undefined;
  let channels: number | undefined;
  let sizeFrom: SidecarValue | undefined;
  const inputSize = look('input_size');
  if (inputSize) {
    const v = inputSize.value;
    if (!Array.isArray(v) || v.length !== 3 || !v.every(int)) {
      throw new SoftMoeError('E_CONFIG', `${inputSize.file}: "input_size" is ${JSON.stringify(v)}; expected [channels, height, width].`);
    }
    channels = v[0] as number;
    size = [v[1] as number, v[2] as number];
    sizeFrom = inputSize;
  } else {
    const img = look('img_size', 'image_size');
    if (img) {
      const v = img.value;
      if (int(v)) size = [v, v];
      else if (Array.isArray(v) && v.length === 2 && v.every(int)) size = [v[0] as number, v[1] as number];
      else throw new SoftMoeError('E_CONFIG', `${img.file}: "${img.key}" is ${JSON.stringify(v)}; expected an integer or [height, width].`);
      sizeFrom = img;
    }
    const ch = look('in_chans', 'in_channels', 'num_channels', 'channels');
    if (ch) {
      if (!int(ch.value)) throw new SoftMoeError('E_CONFIG', `${ch.file}: "${ch.key}" is ${JSON.stringify(ch.value)}; expected a positive integer.`);
      channels = ch.value;
    }
  }
  if (!size || channels === undefined) {
    throw new SoftMoeError('E_CONFIG', `the PyTorch engine needs the size of the model's input images; ${sidecarAdvice('input_size', '[<channels>, <height>, <width>]', files, checkpointPath)} (or "img_size" and "in_chans", e.g. in model.kwargs)`);
  }
  const input: TorchInputSpec = { shape: [size[0], size[1], channels] };
  const from = (v: SidecarValue): ValueSource => ({ from: v.kind, file: v.path, key: v.key });
  let preprocessing: Preprocessing;
  if (factory.transform) {
    input.transform = factory.transform;
    preprocessing = transformed(channels, size, factory);
  } else {
    const mean = look('mean');
    const std = look('std');
    if ((mean === undefined) !== (std === undefined)) {
      throw new SoftMoeError('E_CONFIG', `${(mean ?? std)?.file}: "${mean ? 'mean' : 'std'}" is given without "${mean ? 'std' : 'mean'}"; give both (one number per input channel).`);
    }
    const none: ValueSource = { from: 'default', note: 'no normalisation: the 0–1 images as ToTensor gives them (set "mean" and "std" in softmoe.json)' };
    if (mean && std) {
      input.mean = perChannel(mean.value, channels, mean.file, 'mean', false);
      input.std = perChannel(std.value, channels, std.file, 'std', true);
    }
    preprocessing = {
      mean: input.mean ?? new Array<number>(channels).fill(0), std: input.std ?? new Array<number>(channels).fill(1), inputSize: size,
      sources: { mean: mean ? from(mean) : none, std: std ? from(std) : none, inputSize: from(sizeFrom as SidecarValue) },
    };
  }
  let tokenGrid: TokenGrid | undefined;
  const grid = look('token_grid');
  if (grid) {
    const v = grid.value;
    if (!Array.isArray(v) || v.length !== 2 || !v.every(int)) throw new SoftMoeError('E_CONFIG', `${grid.file}: "token_grid" is ${JSON.stringify(v)}; expected [rows, cols].`);
    const cls = look('class_token');
    tokenGrid = { rows: v[0] as number, cols: v[1] as number, hasClassToken: cls?.value === true };
  }
  return { input, preprocessing, ...(tokenGrid ? { tokenGrid } : {}), notes };
}

/** A token grid from the tokens one layer sees: a square grid, or a class token and a square grid, else one row. */
export function inferTokenGrid(tokens: number): TokenGrid {
  const r = Math.round(Math.sqrt(tokens));
  if (r * r === tokens) return { rows: r, cols: r, hasClassToken: false };
  const q = Math.round(Math.sqrt(tokens - 1));
  if (tokens > 1 && q * q === tokens - 1) return { rows: q, cols: q, hasClassToken: true };
  return { rows: 1, cols: tokens, hasClassToken: false };
}
