import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SoftMoeError } from '../errors';
import { readFileCapped } from '../io/fileSource';
import { datasetError } from './datasetError';
import { MAX_CLASS_LIST_BYTES } from './limits';

export async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** What a path is, after following links: a file, a folder, something else (a FIFO, a device), or nothing. */
export async function pathKind(path: string): Promise<'file' | 'dir' | 'other' | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  } catch {
    return undefined;
  }
}

/**
 * Class names from a `classes.txt` (one per line) in `dir`, if there is one. A class list that is not a regular
 * file (a FIFO, a link to a device) or is larger than MAX_CLASS_LIST_BYTES is refused, never read without end.
 */
export async function readClassList(dir: string, file = 'classes.txt'): Promise<string[] | undefined> {
  const path = join(dir, file);
  let bytes: Uint8Array;
  try {
    bytes = await readFileCapped(path, MAX_CLASS_LIST_BYTES, 'class list');
  } catch (err) {
    if (err instanceof SoftMoeError && err.code === 'E_NOT_FOUND') return undefined;
    throw err instanceof SoftMoeError ? datasetError(err.userMessage, err) : err;
  }
  const names = new TextDecoder().decode(bytes).split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
  return names.length ? names : undefined;
}
