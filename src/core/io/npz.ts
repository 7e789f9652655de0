/**
 * numpy `.npz` archives: a zip of `.npy` members (STORED by `np.savez`, DEFLATED by `np.savez_compressed`).
 * Each member is an entry named without its `.npy` suffix; its header is checked on open, its data read lazily.
 * The one .npz reader: checkpoints open through `openNpzSource`, datasets (data/npyArray.ts) through `npzArrays`
 * and `ZipEntrySource` with the one .npy header parser (`readNpyHeader`), both over the one ZipArchive.
 */
import { resolve } from 'node:path';
import { SoftMoeError } from '../errors';
import { npyEntry, readNpyHeader } from './npy';
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

/**
 * The arrays of an .npz by name (its `.npy` members without the suffix), for checkpoints and datasets alike: every
 * member must be an `.npy` (that is what `np.savez` writes), else the zip is not an .npz.
 */
export function npzArrays(zip: ZipArchive, label: string): Map<string, string> {
  const names = [...zip.entries.keys()];
  const npys = names.filter((n) => n.endsWith('.npy'));
  if (npys.length === 0 || npys.length !== names.length) {
    throw new SoftMoeError('E_FORMAT', `${label}: is a zip that is neither a PyTorch checkpoint nor an .npz of .npy arrays`);
  }
  return new Map(npys.map((m) => [m.slice(0, -'.npy'.length), m]));
}

/** Open an .npz over a source (the checkpoint's close() closes the source). */
export async function openNpzSource(source: ByteSource, path: string, zipIn?: ZipArchive): Promise<Checkpoint> {
  const zip = zipIn ?? (await ZipArchive.open(source, path));
  const tensors = new Map<string, TensorEntry>();
  for (const [name, member] of npzArrays(zip, path)) {
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
