/**
 * Open any checkpoint we read, choosing the reader by the file's first bytes (the extension only breaks ties):
 * safetensors, a sharded safetensors index.json, a PyTorch zip, .npz, .npy. Only headers are read here.
 */
import { basename, dirname, extname, resolve } from 'node:path';
import { SoftMoeError } from '../errors';
import { FileByteSource } from './fileSource';
import { npyEntry, readNpyHeader } from './npy';
import { openNpzSource } from './npz';
import { findTorchPickle, openTorchZipSource } from './torchZip';
import { ZipArchive } from './zipArchive';
import { openSafetensorsSource } from './safetensors';
import { openShardedSafetensors, readShardIndex } from './shardedSafetensors';
import type { ByteSource, Checkpoint } from './types';

export type SniffedFormat = 'safetensors' | 'index-json' | 'zip' | 'npy' | 'pickle' | 'unknown';

/** Decide the format from the first bytes (up to 16) and the file name. */
export function sniffFormat(head: Uint8Array, path: string): SniffedFormat {
  const lower = path.toLowerCase();
  const ext = extname(lower);
  const starts = (...sig: number[]) => sig.every((b, i) => head[i] === b);
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06)) return 'zip';
  if (starts(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59)) return 'npy';
  if (head.length >= 9 && head[8] === 0x7b && head[6] === 0 && head[7] === 0) return 'safetensors';
  if (ext === '.safetensors') return 'safetensors';
  if (lower.endsWith('.json') || head[0] === 0x7b) return 'index-json';
  if (head[0] === 0x80 && head.length >= 2 && head[1]! >= 2 && head[1]! <= 5) return 'pickle';
  if (ext === '.npy') return 'npy';
  return 'unknown';
}

const NOT_A_CHECKPOINT = 'not a checkpoint we can read (expected safetensors, a PyTorch zip, .npy or .npz)';

export interface OpenCheckpointOptions {
  /** Wrap the file's ByteSource (e.g. a CountingByteSource for benchmarks). Not applied to the shards of an index. */
  wrapSource?: (source: ByteSource) => ByteSource;
}

/** Open a checkpoint file. Missing → E_NOT_FOUND; unknown format → E_FORMAT; broken → E_CORRUPT / E_UNSAFE. */
export async function openCheckpoint(path: string, options: OpenCheckpointOptions = {}): Promise<Checkpoint> {
  const file = await FileByteSource.open(path);
  const source = options.wrapSource ? options.wrapSource(file) : file;
  try {
    if (source.size === 0) throw new SoftMoeError('E_CORRUPT', `${path}: is empty (0 bytes)`);
    const head = await source.read(0, Math.min(16, source.size));
    return await openSniffed(sniffFormat(head, path), source, path);
  } catch (err) {
    await source.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Every file a checkpoint is read from: the file itself, and for a sharded safetensors index each shard it names
 * (in the index's folder). Reads only the first bytes (and an index's JSON); a run's identity stamps these files.
 */
export async function checkpointInputFiles(path: string): Promise<string[]> {
  const file = await FileByteSource.open(path);
  let kind: SniffedFormat;
  try {
    kind = file.size === 0 ? 'unknown' : sniffFormat(await file.read(0, Math.min(16, file.size)), path);
  } finally {
    await file.close();
  }
  if (kind !== 'index-json') return [resolve(path)];
  const { weightMap } = await readShardIndex(path);
  return [resolve(path), ...[...new Set(weightMap.values())].map((f) => resolve(dirname(path), f))];
}

async function openSniffed(kind: SniffedFormat, source: ByteSource, path: string): Promise<Checkpoint> {
  switch (kind) {
    case 'safetensors':
      return openSafetensorsSource(source, path);
    case 'index-json':
      await source.close();
      return openShardedSafetensors(path);
    case 'zip': {
      const zip = await ZipArchive.open(source, path);
      try {
        return findTorchPickle(zip) ? await openTorchZipSource(source, path, zip) : await openNpzSource(source, path, zip);
      } catch (err) {
        zip.close();
        throw err;
      }
    }
    case 'npy': {
      const name = basename(path).replace(/\.npy$/i, '');
      const entry = npyEntry(source, name, await readNpyHeader(source, path));
      return {
        path: resolve(path), format: 'npy', fileSize: source.size, tensors: new Map([[name, entry]]), stateDictKey: '',
        metadata: {}, extras: {}, close: () => source.close(),
      };
    }
    case 'pickle':
      throw new SoftMoeError('E_UNSUPPORTED', `${path}: is a legacy (non-zip) PyTorch pickle, which is not read; re-save it with PyTorch ≥ 1.6: torch.save(torch.load(path, weights_only=True), new_path) writes the default zip format`);
    default:
      throw new SoftMoeError('E_FORMAT', `${path}: ${NOT_A_CHECKPOINT}`);
  }
}
