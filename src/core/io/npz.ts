/**
 * numpy `.npz` archives: a zip of `.npy` members (STORED by `np.savez`, DEFLATED by `np.savez_compressed`).
 * Each member is an entry named without its `.npy` suffix; its header is checked on open, its data read lazily.
 */
import { resolve } from 'node:path';
import { SoftMoeError } from '../errors';
import { npyEntry, readNpyArray, readNpyHeader, type NpyArray } from './npy';
import { ZipArchive } from './zipArchive';
import type { ByteSource, Checkpoint, TensorEntry } from './types';

/** A ByteSource over one zip member's uncompressed bytes. */
export class ZipEntrySource implements ByteSource {
  readonly size: number;
  constructor(private readonly zip: ZipArchive, private readonly name: string) {
    this.size = zip.entries.get(name)?.uncompressedSize ?? 0;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    return this.zip.readRange(this.name, offset, length);
  }
  async close(): Promise<void> {}
}

function members(zip: ZipArchive, path: string): string[] {
  const names = [...zip.entries.keys()];
  const npys = names.filter((n) => n.endsWith('.npy'));
  if (npys.length === 0 || npys.length !== names.length) {
    throw new SoftMoeError('E_FORMAT', `${path}: is a zip that is neither a PyTorch checkpoint nor an .npz of .npy arrays`);
  }
  return npys;
}

/** Open an .npz over a source (the checkpoint's close() closes the source). */
export async function openNpzSource(source: ByteSource, path: string, zipIn?: ZipArchive): Promise<Checkpoint> {
  const zip = zipIn ?? (await ZipArchive.open(source, path));
  const tensors = new Map<string, TensorEntry>();
  for (const member of members(zip, path)) {
    const name = member.slice(0, -'.npy'.length);
    const src = new ZipEntrySource(zip, member);
    tensors.set(name, npyEntry(src, name, await readNpyHeader(src, `${path}: ${member}`)));
  }
  return {
    path: resolve(path), format: 'npz', fileSize: source.size, tensors, stateDictKey: '', metadata: {}, extras: {},
    close: async () => {
      zip.close();
      await source.close();
    },
  };
}

/** Read every array of an .npz whole (for datasets). */
export async function readNpzArrays(source: ByteSource, path: string): Promise<Map<string, NpyArray>> {
  const zip = await ZipArchive.open(source, path);
  try {
    const out = new Map<string, NpyArray>();
    for (const member of members(zip, path)) out.set(member.slice(0, -4), await readNpyArray(new ZipEntrySource(zip, member), `${path}: ${member}`));
    return out;
  } finally {
    zip.close();
  }
}
