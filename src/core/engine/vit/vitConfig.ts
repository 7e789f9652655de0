/**
 * The Soft MoE ViT's hyper-parameters, and where each one came from.
 *
 * `resolveVitConfig` reads what the tensor shapes tell (embedding width, depth, patch size, input channels, classes,
 * token grid, which blocks are dense) and takes the rest (number of heads, an image size the grid cannot tell,
 * normalisation constants, timm's data config) from the sidecar files beside the checkpoint: `softmoe.json`, then
 * `config.json`, then `args.json`, then the `args` record saved inside the checkpoint (keys of timm's / bwconrad's
 * constructor, see docs/soft-moe-layouts.md). A missing value that has no safe default is an E_CONFIG error that
 * names the field and the file to add it to; a value that has one is recorded as a default in `preprocessing`.
 *
 * The Soft MoE blocks are NOT resolved here: a block is Soft MoE when layer detection (model/detect.ts) found a
 * layer at `blocks.<i>.mlp`, of any layout, and the engine builds it with the one mapping (layerFromCheckpoint.ts).
 */
import type { Preprocessing, ValueSource } from '../../analysis/schema';
import { SoftMoeError } from '../../errors';
import { quoteValue } from '../../quote';
import { detectSoftMoeLayers } from '../../model/detect';
import type { DetectedLayer } from '../../model/detectedLayer';
import { findSidecarValue, sidecarAdvice, sidecarFiles, type SidecarValue, type VitSidecarsInput } from './vitSidecars';

/** Names and shapes are all config resolution needs (a Checkpoint's `tensors` fits). */
export type VitShapeMap = ReadonlyMap<string, { shape: readonly number[] }>;

export type VitMlp =
  | { kind: 'dense'; hidden: number }
  /** The detected Soft MoE layer in this block's MLP slot (any layout). */
  | { kind: 'moe'; layer: DetectedLayer };

export interface VitBlockConfig {
  index: number;
  /** `blocks.{index}` */
  prefix: string;
  qkvBias: boolean;
  /** timm LayerScale (`ls1.gamma`, `ls2.gamma`) present. */
  layerScale: boolean;
  mlp: VitMlp;
}

export interface VitConfig {
  embedDim: number;
  depth: number;
  numHeads: number;
  /** [height, width] of a patch. */
  patchSize: [number, number];
  inChans: number;
  numClasses: number;
  /** [height, width] the model takes. */
  imgSize: [number, number];
  /** [rows, cols] of patch tokens. */
  grid: [number, number];
  classToken: boolean;
  /** timm `no_embed_class`: the position embedding covers only the patch tokens, the class token is added after. */
  noEmbedClass: boolean;
  globalPool: 'token' | 'avg';
  /** timm `norm_pre` (LayerNorm before the blocks) present. */
  normPre: boolean;
  /** `norm` (before pooling) present. */
  norm: boolean;
  /** `fc_norm` (after pooling, timm's default for 'avg') present. */
  fcNorm: boolean;
  layerNormEps: number;
  /** Per channel, applied to ToTensor-style (0–1) inputs by `preprocess`. */
  mean: number[];
  std: number[];
  blocks: VitBlockConfig[];
  /** timm data config, for datasets that must be resized / cropped to the model (image folders). */
  data: { cropPct?: number; interpolation?: 'bilinear' | 'bicubic' | 'nearest' };
  /** Where each value that shapes cannot tell came from: a sidecar path, 'shapes' or 'default'. */
  sources: Record<'numHeads' | 'imgSize' | 'mean' | 'std' | 'globalPool', string>;
  /** mean, std, input size and the resize for datasets, each with its source (the result schema's record). */
  preprocessing: Preprocessing;
}

/** timm's eval crop fraction (resize the short side to size / 0.875, centre-crop). */
export const TIMM_CROP_PCT = 0.875;

/** ImageNet constants, timm's default for 3-channel models (and bwconrad's training recipe). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];

/**
 * @param tensors  the checkpoint's tensors (names and shapes)
 * @param input    the sidecars that exist beside the checkpoint (as src/core/model/sidecar.ts reads them)
 * @param checkpointPath  for messages
 * @param prefix   in front of every model tensor name ('' or e.g. 'module.'), as architecture detection found it
 */
export function resolveVitConfig(
  allTensors: VitShapeMap,
  input: VitSidecarsInput,
  checkpointPath: string,
  prefix = '',
  /** The checkpoint's detected Soft MoE layers (detected here when not given). */
  detected: readonly DetectedLayer[] = detectSoftMoeLayers(allTensors),
): VitConfig {
  const tensors = stripPrefix(allTensors, prefix);
  const moeAt = new Map(detected.map((l) => [l.name, l]));
  const sidecars = sidecarFiles(input);
  const shape = (name: string): readonly number[] | undefined => tensors.get(name)?.shape;
  const need = (name: string, rank: number): readonly number[] => {
    const s = shape(name);
    if (!s) throw new SoftMoeError('E_SHAPE', `${checkpointPath}: tensor ${prefix}${name} is missing; this is not a complete timm/bwconrad ViT.`);
    if (s.length !== rank) {
      throw new SoftMoeError('E_SHAPE', `${checkpointPath}: tensor ${prefix}${name} has shape [${s.join(', ')}], expected ${rank} dimensions.`);
    }
    return s;
  };
  const expectShape = (name: string, want: number[], optional = false): boolean => {
    const s = shape(name);
    if (!s) {
      if (optional) return false;
      throw new SoftMoeError('E_SHAPE', `${checkpointPath}: tensor ${prefix}${name} is missing (expected shape [${want.join(', ')}]).`);
    }
    if (s.length !== want.length || s.some((v, i) => v !== want[i])) {
      throw new SoftMoeError('E_SHAPE', `${checkpointPath}: tensor ${prefix}${name} has shape [${s.join(', ')}], expected [${want.join(', ')}].`);
    }
    return true;
  };
  const advice = (field: string, example: string): string => sidecarAdvice(field, example, sidecars, checkpointPath);
  const lookup = (key: string) => findSidecarValue(sidecars, key);

  for (const name of tensors.keys()) {
    if (name === 'reg_token' || /^blocks\.\d+\.attn\.(q_norm|k_norm)\./.test(name) || name.startsWith('attn_pool.')) {
      throw new SoftMoeError('E_UNSUPPORTED', `${checkpointPath}: tensor ${prefix}${name} belongs to a ViT variant this version does not run (register tokens, q/k norm or attention pooling).`);
    }
  }

  const [embedDim, inChans, ph, pw] = need('patch_embed.proj.weight', 4);
  expectShape('patch_embed.proj.bias', [embedDim]);
  const classToken = tensors.has('cls_token');
  if (classToken) expectShape('cls_token', [1, 1, embedDim]);
  const pos = need('pos_embed', 3);
  if (pos[0] !== 1 || pos[2] !== embedDim) {
    throw new SoftMoeError('E_SHAPE', `${checkpointPath}: tensor pos_embed has shape [${pos.join(', ')}], expected [1, tokens, ${embedDim}].`);
  }

  // Depth: blocks.0 … blocks.{depth-1}, contiguous.
  let depth = 0;
  while (tensors.has(`blocks.${depth}.norm1.weight`)) depth++;
  if (depth === 0) throw new SoftMoeError('E_SHAPE', `${checkpointPath}: no blocks.0.norm1.weight; this is not a timm/bwconrad ViT.`);
  for (const name of tensors.keys()) {
    const m = /^blocks\.(\d+)\./.exec(name);
    if (m && Number(m[1]) >= depth) {
      throw new SoftMoeError('E_SHAPE', `${checkpointPath}: tensor ${prefix}${name} exists but blocks.${depth}.norm1.weight does not; blocks must be numbered 0…depth-1.`);
    }
  }

  const headShape = shape('head.weight');
  if (!headShape) throw new SoftMoeError('E_UNSUPPORTED', `${checkpointPath}: no head.weight; a ViT without a classification head cannot be evaluated.`);
  const numClasses = need('head.weight', 2)[0];
  expectShape('head.weight', [numClasses, embedDim]);
  expectShape('head.bias', [numClasses]);

  const normPre = expectShape('norm_pre.weight', [embedDim], true);
  const norm = expectShape('norm.weight', [embedDim], true);
  const fcNorm = expectShape('fc_norm.weight', [embedDim], true);

  // Heads.
  const heads = lookup('num_heads');
  if (!heads) throw new SoftMoeError('E_CONFIG', `blocks.0.attn: number of attention heads is unknown; ${advice('num_heads', '<int>')}`);
  const numHeads = heads.value;
  if (!Number.isInteger(numHeads) || (numHeads as number) < 1 || embedDim % (numHeads as number) !== 0) {
    throw new SoftMoeError('E_CONFIG', `${heads.file}: "num_heads" is ${quoteValue(numHeads)}; it must be a positive integer dividing the embedding width ${embedDim}.`);
  }

  // Token grid and image size.
  const noEmbedCfg = lookup('no_embed_class');
  const imgCfg = lookup('img_size') ?? lookup('input_size');
  let imgSize: [number, number] | undefined;
  let imgSource = 'shapes';
  if (imgCfg) {
    imgSize = parseImgSize(imgCfg.value, imgCfg.key.endsWith('input_size') ? 'input_size' : 'img_size');
    if (!imgSize) throw new SoftMoeError('E_CONFIG', `${imgCfg.file}: "${imgCfg.key}" is ${quoteValue(imgCfg.value)}; expected an integer, [height, width] or (input_size) [channels, height, width].`);
    imgSource = imgCfg.file;
  }
  let noEmbedClass = false;
  let numPatches: number;
  if (noEmbedCfg && noEmbedCfg.value === true) {
    noEmbedClass = true;
    numPatches = pos[1];
  } else if (classToken && imgSize && pos[1] === (Math.floor(imgSize[0] / ph) * Math.floor(imgSize[1] / pw))) {
    noEmbedClass = true; // the position embedding has no row for the class token
    numPatches = pos[1];
  } else {
    numPatches = pos[1] - (classToken ? 1 : 0);
  }
  let grid: [number, number];
  if (imgSize) {
    grid = [Math.floor(imgSize[0] / ph), Math.floor(imgSize[1] / pw)];
    if (grid[0] * grid[1] !== numPatches) {
      throw new SoftMoeError('E_CONFIG', `${imgCfg!.file}: "${imgCfg!.key}" ${imgSize.join('×')} with ${ph}×${pw} patches gives ${grid[0] * grid[1]} patches, but pos_embed holds ${numPatches}; fix "${imgCfg!.key}".`);
    }
  } else {
    const g = Math.round(Math.sqrt(numPatches));
    if (g * g !== numPatches || numPatches === 0) {
      throw new SoftMoeError('E_CONFIG', `pos_embed: image size is ambiguous (${numPatches} patch tokens is not a square grid); ${advice('img_size', '[<height>, <width>]')}`);
    }
    grid = [g, g];
    imgSize = [g * ph, g * pw];
  }

  // Pooling.
  const poolCfg = lookup('global_pool');
  let globalPool: 'token' | 'avg';
  let poolSource = 'shapes';
  if (poolCfg) {
    if (poolCfg.value !== 'token' && poolCfg.value !== 'avg') {
      throw new SoftMoeError('E_UNSUPPORTED', `${poolCfg.file}: "global_pool" is ${quoteValue(poolCfg.value)}; this version runs 'token' and 'avg' only.`);
    }
    globalPool = poolCfg.value;
    poolSource = poolCfg.file;
  } else {
    globalPool = !classToken || (fcNorm && !norm) ? 'avg' : 'token';
  }
  if (globalPool === 'token' && !classToken) {
    throw new SoftMoeError('E_CONFIG', `${poolCfg?.file ?? checkpointPath}: "global_pool" is 'token' but the checkpoint has no cls_token; use "global_pool": "avg".`);
  }

  // Normalisation constants.
  const defMean = inChans === 3 ? IMAGENET_MEAN : new Array<number>(inChans).fill(0.5);
  const defStd = inChans === 3 ? IMAGENET_STD : new Array<number>(inChans).fill(0.5);
  const meanCfg = lookup('mean');
  const stdCfg = lookup('std');
  const mean = meanCfg ? perChannel(meanCfg.value, inChans, meanCfg.file, 'mean', false) : defMean;
  const std = stdCfg ? perChannel(stdCfg.value, inChans, stdCfg.file, 'std', true) : defStd;

  // Data config for resizing datasets.
  const data: VitConfig['data'] = {};
  const crop = lookup('crop_pct');
  if (crop && typeof crop.value === 'number' && crop.value > 0 && crop.value <= 1) data.cropPct = crop.value;
  else if (crop) throw new SoftMoeError('E_CONFIG', `${crop.file}: "${crop.key}" is ${quoteValue(crop.value)}; expected a number in (0, 1].`);
  const interp = lookup('interpolation');
  if (interp && (interp.value === 'bilinear' || interp.value === 'bicubic' || interp.value === 'nearest')) data.interpolation = interp.value;
  else if (interp) throw new SoftMoeError('E_CONFIG', `${interp.file}: "${interp.key}" is ${quoteValue(interp.value)}; expected 'bilinear', 'bicubic' or 'nearest'.`);
  const from = (v: SidecarValue | undefined, dflt: ValueSource): ValueSource =>
    (v ? { from: v.kind, file: v.path, key: v.key } : dflt);
  const meanNote = inChans === 3 ? "ImageNet's, timm's default for 3-channel images" : `0.5 per channel, the default for ${inChans}-channel images`;
  const preprocessing: Preprocessing = {
    mean, std, inputSize: imgSize,
    resize: { cropPct: data.cropPct ?? TIMM_CROP_PCT, interpolation: data.interpolation ?? 'bilinear' },
    sources: {
      mean: from(meanCfg, { from: 'default', note: meanNote }),
      std: from(stdCfg, { from: 'default', note: meanNote }),
      inputSize: from(imgCfg, { from: 'shapes' }),
      cropPct: from(crop, { from: 'default', note: `timm's ${TIMM_CROP_PCT}` }),
      interpolation: from(interp, { from: 'default', note: "bilinear, timm's default" }),
    },
  };

  // Blocks.
  const blocks: VitBlockConfig[] = [];
  for (let i = 0; i < depth; i++) {
    const p = `blocks.${i}`;
    const D = embedDim;
    for (const n of ['norm1', 'norm2']) {
      expectShape(`${p}.${n}.weight`, [D]);
      expectShape(`${p}.${n}.bias`, [D]);
    }
    expectShape(`${p}.attn.qkv.weight`, [3 * D, D]);
    const qkvBias = expectShape(`${p}.attn.qkv.bias`, [3 * D], true);
    expectShape(`${p}.attn.proj.weight`, [D, D]);
    expectShape(`${p}.attn.proj.bias`, [D]);
    const layerScale = expectShape(`${p}.ls1.gamma`, [D], true);
    if (layerScale) expectShape(`${p}.ls2.gamma`, [D]);
    blocks.push({ index: i, prefix: p, qkvBias, layerScale, mlp: resolveMlp(p, D) });
  }
  if (!blocks.some((b) => b.mlp.kind === 'moe')) {
    throw new SoftMoeError('E_SHAPE', `${checkpointPath}: no block's MLP (blocks.<i>.mlp) is a recognised Soft MoE layer; this is a dense ViT.`);
  }

  function resolveMlp(p: string, D: number): VitMlp {
    const layer = moeAt.get(`${prefix}${p}.mlp`);
    if (layer) {
      if (layer.dim !== D) {
        throw new SoftMoeError('E_SHAPE', `${checkpointPath}: the Soft MoE layer at ${prefix}${p}.mlp (${layer.layout}) takes tokens of width ${layer.dim}, but the ViT's embedding width is ${D}.`);
      }
      return { kind: 'moe', layer };
    }
    if (!tensors.has(`${p}.mlp.fc1.weight`)) {
      const inside = [...tensors.keys()].filter((k) => k.startsWith(`${p}.mlp.`));
      if (inside.length > 0) {
        throw new SoftMoeError('E_UNSUPPORTED', `${checkpointPath}: ${prefix}${p}.mlp holds neither a timm MLP (fc1/fc2) nor a recognised Soft MoE layer (it has ${inside.slice(0, 3).map((k) => prefix + k).join(', ')}${inside.length > 3 ? ', …' : ''}); softmoe inspect lists what was recognised.`);
      }
    }
    const [h] = need(`${p}.mlp.fc1.weight`, 2);
    expectShape(`${p}.mlp.fc1.weight`, [h, D]);
    expectShape(`${p}.mlp.fc1.bias`, [h]);
    expectShape(`${p}.mlp.fc2.weight`, [D, h]);
    expectShape(`${p}.mlp.fc2.bias`, [D]);
    return { kind: 'dense', hidden: h };
  }

  return {
    embedDim, depth, numHeads: numHeads as number, patchSize: [ph, pw], inChans, numClasses, imgSize, grid,
    classToken, noEmbedClass, globalPool, normPre, norm, fcNorm, layerNormEps: 1e-6, mean, std, blocks, data, preprocessing,
    sources: {
      numHeads: heads.file,
      imgSize: imgSource,
      mean: meanCfg?.file ?? 'default',
      std: stdCfg?.file ?? 'default',
      globalPool: poolSource,
    },
  };
}

/** The tensors under `prefix`, with the prefix removed (and `base_expert.*` dropped: the stacked layout's template). */
export function stripPrefix<T>(tensors: ReadonlyMap<string, T>, prefix: string): Map<string, T> {
  const out = new Map<string, T>();
  for (const [name, t] of tensors) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    if (/^blocks\.\d+\.mlp\.base_expert\./.test(rest)) continue;
    out.set(rest, t);
  }
  return out;
}

function parseImgSize(v: unknown, key: string): [number, number] | undefined {
  const ok = (x: unknown): x is number => Number.isInteger(x) && (x as number) > 0;
  if (ok(v)) return [v, v];
  if (Array.isArray(v)) {
    if (key === 'input_size' && v.length === 3 && ok(v[1]) && ok(v[2])) return [v[1], v[2]];
    if (v.length === 2 && ok(v[0]) && ok(v[1])) return [v[0], v[1]];
  }
  return undefined;
}

/** A per-channel sidecar value (a number for every channel, or one number for all); E_CONFIG naming the key otherwise. */
export function perChannel(v: unknown, chans: number, file: string, key: string, positive: boolean): number[] {
  const arr = typeof v === 'number' ? new Array<number>(chans).fill(v) : v;
  const good = Array.isArray(arr) && arr.length === chans
    && arr.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));
  if (!good) {
    throw new SoftMoeError('E_CONFIG', `${file}: "${key}" is ${quoteValue(v)}; expected ${chans} ${positive ? 'positive ' : ''}number${chans > 1 ? 's' : ''} (one per input channel).`);
  }
  return arr as number[];
}
