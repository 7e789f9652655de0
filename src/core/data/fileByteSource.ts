/**
 * The io layer's `FileByteSource`, with its errors reported as dataset errors (E_DATASET) naming the file.
 */
import { FileByteSource } from '../io/fileSource';
import type { ByteSource } from '../io/types';
import { SoftMoeError } from '../errors';
import { datasetError } from './datasetError';

export async function openFileByteSource(path: string): Promise<ByteSource> {
  const src = await FileByteSource.open(path).catch((err: unknown) => {
    throw asDatasetError(err);
  });
  return {
    size: src.size,
    read: (offset, length) => src.read(offset, length).catch((err: unknown) => {
      throw asDatasetError(err);
    }),
    close: () => src.close(),
  };
}

/** A SoftMoeError of the io layer (E_CORRUPT, E_FORMAT, …) as the dataset error it is here; anything else as it is. */
export function asDatasetError(err: unknown): unknown {
  return err instanceof SoftMoeError && err.code !== 'E_DATASET' ? datasetError(err.userMessage, err) : err;
}
