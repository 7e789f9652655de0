import { SoftMoeError } from '../errors';

/** A one-line E_DATASET error naming the file and what is wrong with it. */
export function datasetError(message: string, cause?: unknown): SoftMoeError {
  return new SoftMoeError('E_DATASET', message, cause === undefined ? undefined : { cause });
}
