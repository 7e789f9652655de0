/**
 * Open a checkpoint and build the runnable model it holds: the paper's MNIST model or the Soft MoE ViT, with Soft MoE
 * layers of any detected layout built by the one mapping (layerFromCheckpoint.ts). Soft MoE layers inside a model
 * that is neither are refused with E_UNSUPPORTED naming what was recognised and where to go (the user's own model
 * code through the PyTorch engine).
 */
import * as tf from '@tensorflow/tfjs-core';
import { SoftMoeError } from '../errors';
import { openCheckpoint } from '../io/openCheckpoint';
import type { Checkpoint } from '../io/types';
import { OWN_MODEL_ADVICE, describeArchitecture } from '../model/architecture';
import { detectSoftMoeLayers } from '../model/detect';
import type { ValueSource } from '../analysis/schema';
import { readSidecars, withCheckpointArgs, type JsonObject, type Sidecars } from '../model/sidecar';
import { disposeLayerWeights, layerFromCheckpoint } from './layerFromCheckpoint';
import { MnistSoftMoeModel, type MnistModelOptions } from './mnistModel';
import type { SoftMoeModel } from './model';
import { buildVitModel, resolveVitConfig } from './vit/buildVitModel';

export interface LoadModelOptions {
  /** Sidecars already read (else read from the checkpoint's folder). */
  sidecars?: Sidecars;
}

/** Open `checkpointPath`, detect its architecture and build the model. The checkpoint file is closed on return. */
export async function loadModel(checkpointPath: string, opts: LoadModelOptions = {}): Promise<SoftMoeModel> {
  const ckpt = await openCheckpoint(checkpointPath);
  try {
    return await modelFromCheckpoint(ckpt, opts.sidecars ?? (await readSidecars(ckpt.path)));
  } finally {
    await ckpt.close();
  }
}

/** Build the model from an opened checkpoint (tensors are read here; the caller closes the checkpoint). */
export async function modelFromCheckpoint(ckpt: Checkpoint, besideFiles: Sidecars): Promise<SoftMoeModel> {
  const sidecars = withCheckpointArgs(besideFiles, ckpt);
  const layers = detectSoftMoeLayers(ckpt.tensors);
  const arch = describeArchitecture(ckpt.tensors, layers);
  switch (arch.kind) {
    case 'mnist-softmoe': {
      const layer = await layerFromCheckpoint(ckpt, layers[0], { tokens: arch.tokens });
      try {
        const name = arch.decoder ?? `${arch.prefix}decoder.1.weight`;
        const entry = ckpt.tensors.get(name);
        if (!entry || entry.shape.length !== 2) throw new SoftMoeError('E_SHAPE', `${ckpt.path}: tensor ${name} is missing or not 2-D.`);
        const decoder = tf.tensor2d(await entry.readFloat32(), [entry.shape[0], entry.shape[1]]);
        try {
          return new MnistSoftMoeModel(layer, decoder, mnistOptions(sidecars));
        } catch (err) {
          decoder.dispose();
          throw err;
        }
      } catch (err) {
        disposeLayerWeights(layer);
        throw err;
      }
    }
    case 'vit-softmoe': {
      const config = resolveVitConfig(ckpt.tensors, sidecars, ckpt.path, arch.prefix, layers);
      return buildVitModel(ckpt, config, { prefix: arch.prefix });
    }
    case 'layer-only':
      // One short line (softmoe inspect gives every near miss): what was found, and how to run it.
      throw new SoftMoeError('E_UNSUPPORTED', `${ckpt.path}: ${arch.found ?? 'Soft MoE layers'} outside the built-in models (softmoe inspect says why); ${OWN_MODEL_ADVICE}.`);
    default:
      throw new SoftMoeError('E_UNSUPPORTED', `${ckpt.path}: ${arch.reason}.`);
  }
}

const PAPER_CONSTANTS = "the paper's MNIST constants; its code hard-codes them";

/**
 * mean / std / patch_size / img_size for the MNIST model: softmoe.json first, then args.json, then the checkpoint's
 * own `args`; what none gives is the paper's default, recorded as such in `sources`.
 */
export function mnistOptions(sidecars: Sidecars): MnistModelOptions {
  const out: MnistModelOptions = {};
  const ca = sidecars.checkpointArgs;
  const sources: Array<[JsonObject | undefined, ValueSource]> = [
    [sidecars.softmoe, { from: 'sidecar', file: sidecarPath(sidecars, 'softmoe.json') }],
    [sidecars.args, { from: 'sidecar', file: sidecarPath(sidecars, 'args.json') }],
    [ca?.values, { from: 'checkpoint', file: ca?.file, key: ca?.key }],
  ];
  const pick = (key: string): [unknown, string, ValueSource] | undefined => {
    for (const [obj, src] of sources) {
      if (!obj || obj[key] === undefined || obj[key] === null) continue;
      const where: ValueSource = { ...src, key: src.from === 'checkpoint' ? `${src.key}.${key}` : key };
      return [obj[key], src.from === 'checkpoint' ? `${src.file} (${src.key})` : (src.file ?? ''), where];
    }
    return undefined;
  };
  const nums = (key: 'mean' | 'std'): number[] | undefined => {
    const v = pick(key);
    if (!v) return undefined;
    const arr = Array.isArray(v[0]) ? v[0] : [v[0]];
    if (arr.length === 0 || !arr.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new SoftMoeError('E_CONFIG', `${v[1]}: '${key}' must be a number or a list of numbers.`);
    }
    (out.sources ??= {})[key] = v[2];
    return arr as number[];
  };
  const mean = nums('mean');
  const std = nums('std');
  if (mean) out.mean = mean;
  if (std) out.std = std;
  const ps = pick('patch_size');
  if (ps) {
    if (typeof ps[0] !== 'number' || !Number.isInteger(ps[0]) || ps[0] < 1) throw new SoftMoeError('E_CONFIG', `${ps[1]}: 'patch_size' must be a positive integer.`);
    out.patchSize = ps[0];
  }
  const img = pick('img_size') ?? pick('image_size');
  if (img) {
    if (typeof img[0] !== 'number' || !Number.isInteger(img[0]) || img[0] < 1) throw new SoftMoeError('E_CONFIG', `${img[1]}: 'img_size' must be a positive integer.`);
    out.imageSize = img[0];
    (out.sources ??= {}).inputSize = img[2];
  }
  out.defaultNote = PAPER_CONSTANTS;
  return out;
}

function sidecarPath(sidecars: Sidecars, name: string): string {
  return sidecars.files.find((f) => f.endsWith(name)) ?? name;
}
