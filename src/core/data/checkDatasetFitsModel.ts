import { SoftMoeError } from '../errors';
import { datasetError } from './datasetError';
import type { Dataset } from './types';

const fmt = (s: readonly number[]): string => s.join('×');

/**
 * Throw a specific error when a dataset cannot feed a model: images of another size or channel count (E_SHAPE),
 * or more classes than the model has outputs (E_DATASET). Fewer classes is fine (a subset).
 */
export function checkDatasetFitsModel(dataset: Dataset, inputShape: readonly [number, number, number], numClasses: number): void {
  const [h, w, c] = dataset.shape;
  const [mh, mw, mc] = inputShape;
  if (h !== mh || w !== mw || c !== mc) {
    const hint = h !== mh || w !== mw ? 'resize the images (image size option) or use a model for this data' : `convert the images to ${mc === 1 ? 'greyscale' : 'RGB'} (image channels option)`;
    throw new SoftMoeError('E_SHAPE', `dataset images are ${fmt(dataset.shape)} but the model expects ${fmt(inputShape)}: ${hint}`);
  }
  if (dataset.numClasses > numClasses) {
    throw datasetError(`dataset ${dataset.name} has ${dataset.numClasses} classes but the model outputs ${numClasses}`);
  }
}
