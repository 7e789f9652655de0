/**
 * Open a dataset in the geometry a model takes. The paper's MNIST model reads images as stored (a mismatch is
 * reported, not hidden by resampling); a ViT gets the timm-style resize and centre crop to its input size.
 */
import { openDataset } from '../data/openDataset';
import type { Dataset } from '../data/types';
import type { ModelInfo } from './model';

export function openDatasetForModel(path: string, info: ModelInfo, opts: { split?: 'train' | 'test'; limit?: number | null } = {}): Promise<Dataset> {
  const [h, w, c] = info.inputShape;
  return openDataset(path, {
    split: opts.split ?? 'test',
    ...(opts.limit !== undefined && opts.limit !== null ? { limit: opts.limit } : {}),
    ...(info.architecture === 'vit-softmoe' ? { image: { size: [h, w] as [number, number], channels: c } } : {}),
  });
}
