import { SoftMoeError } from '../errors';
import { datasetError } from './datasetError';
import type { Dataset } from './types';

const fmt = (s: readonly number[]): string => s.join('×');

/**
 * THE rule for whether a dataset can feed a model, used by evaluation and analysis alike: images of the model's
 * size and channel count (else E_SHAPE, with what to change), and exactly the model's classes (else E_DATASET) —
 * a label indexes the model's outputs, so a dataset with fewer or more classes would be scored against the wrong
 * outputs.
 */
export function checkDatasetFitsModel(dataset: Dataset, model: { inputShape: readonly [number, number, number]; numClasses: number }): void {
  const [h, w, c] = dataset.shape;
  const [mh, mw, mc] = model.inputShape;
  if (h !== mh || w !== mw || c !== mc) {
    const hint = h !== mh || w !== mw ? 'resize the images (image size option) or use a model for this data' : `convert the images to ${mc === 1 ? 'greyscale' : 'RGB'} (image channels option)`;
    throw new SoftMoeError('E_SHAPE', `dataset images are ${fmt(dataset.shape)} but the model expects ${fmt(model.inputShape)}: ${hint}`);
  }
  if (dataset.numClasses !== model.numClasses) {
    throw datasetError(`dataset ${dataset.name} has ${dataset.numClasses} classes but the model predicts ${model.numClasses}; its labels must index the model's ${model.numClasses} outputs`);
  }
}
