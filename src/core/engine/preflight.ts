/**
 * Header-first checks: what a checkpoint's tensor names and shapes plus its sidecars say about the model (what it
 * takes, how many classes it predicts), checked against the dataset's header with the one dataset-fit rule
 * (data/checkDatasetFitsModel.ts) BEFORE any tensor data is read. A
 * dataset that cannot fit a 3 GB model is refused in milliseconds with a specific E_DATASET / E_SHAPE error, not
 * after loading the weights. And a byte-counting view of a checkpoint, so loading can show progress in bytes.
 */
import { basename } from 'node:path';
import { checkDatasetFitsModel } from '../data/checkDatasetFitsModel';
import type { Dataset } from '../data/types';
import { SoftMoeError } from '../errors';
import type { Checkpoint, TensorEntry } from '../io/types';
import { describeArchitecture } from '../model/architecture';
import { detectSoftMoeLayers } from '../model/detect';
import { withCheckpointArgs, type Sidecars } from '../model/sidecar';
import { mnistOptions } from './loadModel';
import { mnistGeometry } from './mnistModel';
import type { ModelInfo } from './model';
import { openDatasetForModel } from './openDatasetForModel';
import { resolveVitConfig } from './vit/buildVitModel';

/** What the header decides about the model, without its weights. */
export interface ModelPlan {
  architecture: ModelInfo['architecture'];
  numClasses: number;
  /** [height, width, channels] the model takes. */
  inputShape: [number, number, number];
  /** Bytes of every tensor in the state dict, as stored: what loading reads at most. */
  tensorBytes: number;
  /** ViT: how images are resized (crop fraction, filter), so the dataset opens as the model will take it. */
  preprocessing?: ModelInfo['preprocessing'];
}

/**
 * The model a checkpoint holds, from names, shapes and sidecars only. Null for checkpoints that are not a runnable
 * model (layer-only layouts, nothing recognised): building the model then reports why, as it always did.
 * Throws the same E_SHAPE / E_CONFIG errors building the model would (a missing num_heads, a decoder of odd shape).
 */
export function planModel(ckpt: Checkpoint, besideFiles: Sidecars): ModelPlan | null {
  // The same sidecars building the model reads: the files beside the checkpoint, then its own args.
  const sidecars = withCheckpointArgs(besideFiles, ckpt);
  const layers = detectSoftMoeLayers(ckpt.tensors);
  const arch = describeArchitecture(ckpt.tensors, layers);
  let tensorBytes = 0;
  for (const t of ckpt.tensors.values()) tensorBytes += t.byteLength;
  if (arch.kind === 'mnist-softmoe') {
    const decoder = ckpt.tensors.get(arch.decoder ?? `${arch.prefix}decoder.1.weight`);
    if (!decoder || decoder.shape.length !== 2) return null;
    const g = mnistGeometry(layers[0]?.dim ?? 0, decoder.shape, mnistOptions(sidecars));
    return { architecture: arch.kind, numClasses: g.numClasses, inputShape: [g.imageSize, g.imageSize, g.channels], tensorBytes };
  }
  if (arch.kind === 'vit-softmoe') {
    const c = resolveVitConfig(ckpt.tensors, sidecars, ckpt.path, arch.prefix, layers);
    return { architecture: arch.kind, numClasses: c.numClasses, inputShape: [c.imgSize[0], c.imgSize[1], c.inChans], tensorBytes, preprocessing: c.preprocessing };
  }
  return null;
}

/**
 * Open the dataset in the geometry the checkpoint's model takes and check that it fits, reading only headers.
 * Returns the plan (null: not a runnable model, see `planModel`) and the open dataset (the caller closes it).
 */
export async function preflight(
  ckpt: Checkpoint,
  sidecars: Sidecars,
  datasetPath: string,
  opts: { split?: 'train' | 'test'; limit?: number | null } = {},
): Promise<{ plan: ModelPlan | null; dataset: Dataset | null }> {
  const plan = planModel(ckpt, sidecars);
  if (!plan) return { plan, dataset: null };
  const dataset = await openDatasetForModel(datasetPath, plan, { split: opts.split ?? 'test', limit: opts.limit ?? null });
  try {
    checkDatasetFitsModel(dataset, plan);
  } catch (err) {
    await dataset.close();
    // The one dataset-fit rule's message, naming the checkpoint it was checked against.
    if (err instanceof SoftMoeError) throw new SoftMoeError(err.code, `${basename(ckpt.path)}: ${err.userMessage}`, { cause: err });
    throw err;
  }
  return { plan, dataset };
}

export interface LoadProgress {
  /** Tensor bytes read so far, and the most loading reads (every tensor of the state dict). */
  done: number;
  total: number;
}

/**
 * The same checkpoint, with every tensor read reported to `onProgress` (bytes as stored, cumulative). Loading reads
 * tensors one at a time, so this is the loading progress of any model builder without touching it.
 */
export function withLoadProgress(ckpt: Checkpoint, onProgress: ((p: LoadProgress) => void) | undefined): Checkpoint {
  if (!onProgress) return ckpt;
  let total = 0;
  for (const t of ckpt.tensors.values()) total += t.byteLength;
  let done = 0;
  const tensors = new Map<string, TensorEntry>();
  const counted = <T>(read: () => Promise<T>, bytes: number) => async (): Promise<T> => {
    const v = await read();
    done = Math.min(total, done + bytes);
    onProgress({ done, total });
    return v;
  };
  for (const [name, t] of ckpt.tensors) {
    const readBytes = t.readBytes?.bind(t);
    tensors.set(name, {
      ...t,
      readFloat32: counted(() => t.readFloat32(), t.byteLength),
      // The PyTorch engine streams the stored bytes.
      ...(readBytes ? { readBytes: counted(readBytes, t.byteLength) } : {}),
    });
  }
  onProgress({ done: 0, total });
  return { ...ckpt, tensors, close: () => ckpt.close() };
}
