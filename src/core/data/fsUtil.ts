import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export async function pathKind(path: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}

/** Class names from a `classes.txt` (one per line) in `dir`, if there is one. */
export async function readClassList(dir: string, file = 'classes.txt'): Promise<string[] | undefined> {
  try {
    const text = await readFile(join(dir, file), 'utf8');
    const names = text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s.length > 0);
    return names.length ? names : undefined;
  } catch {
    return undefined;
  }
}
