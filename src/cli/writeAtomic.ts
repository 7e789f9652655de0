import { rename, unlink, writeFile } from 'node:fs/promises';
import { SoftMoeError } from '../core/errors';

/** Write a file through a temporary sibling and a rename, so a reader never sees half a file. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new SoftMoeError('E_NOT_FOUND', `Cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}
