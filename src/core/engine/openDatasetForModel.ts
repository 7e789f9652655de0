/**
 * Open a dataset in the geometry a model takes. The paper's MNIST model reads images as stored (a mismatch is
 * reported, not hidden by resampling); a ViT — and a model of the user's own run by the PyTorch engine, whose
 * softmoe.json says its input size — gets the timm-style resize and centre crop to its input size, with the crop
 * fraction and filter of its preprocessing record (sidecar values or timm's defaults).
 */
import type { Preprocessing } from '../analysis/schema';
import { openDataset } from '../data/openDataset';
import type { Dataset } from '../data/types';
import type { ModelInfo } from './model';

/** `info`: a model's, or what engine/preflight.ts reads from the checkpoint's header before the model exists. */
export function openDatasetForModel(path: string, info: Pick<ModelInfo, 'architecture' | 'inputShape' | 'preprocessing'>, opts: { split?: 'train' | 'test'; limit?: number | null } = {}): Promise<Dataset> {
  const [h, w, c] = info.inputShape;
  const resize = info.preprocessing?.resize;
  const fit = info.architecture === 'vit-softmoe' || (info.architecture === 'custom' && (c === 1 || c === 3));
  return openDataset(path, {
    split: opts.split ?? 'test',
    ...(opts.limit !== undefined && opts.limit !== null ? { limit: opts.limit } : {}),
    ...(fit
      ? { image: { size: [h, w] as [number, number], channels: c, ...(resize ? { cropPct: resize.cropPct, interpolation: resize.interpolation } : {}) } }
      : {}),
  });
}

/** The model's preprocessing record as it applied to `dataset` (whether its images were resized). */
export function datasetPreprocessing(info: ModelInfo, dataset: Pick<Dataset, 'resized'>): Preprocessing | undefined {
  const p = info.preprocessing;
  return p ? { ...p, resized: dataset.resized === true } : undefined;
}
