/**
 * safetensors writer (the trainer saves with it). Writes to a temporary file beside the target, syncs it, then
 * renames it into place, so a reader never sees a half-written checkpoint.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SoftMoeError } from '../errors';
import { encode, isDType, shapeNumel, type EncodableArray } from './dtype';
import type { DType } from './types';

export interface TensorToWrite {
  name: string;
  dtype: DType;
  shape: number[];
  /** Row-major values; converted to `dtype` (integer dtypes need integral values in range). */
  data: EncodableArray;
}

/** Build the complete bytes of a safetensors file (header padded with spaces to a multiple of 8). */
export function encodeSafetensors(tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Uint8Array[] {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SoftMoeError('E_USAGE', `safetensors metadata '${k}' must be a string`);
    }
    header.__metadata__ = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const label = `tensor '${t.name}'`;
    if (!t.name || t.name === '__metadata__') throw new SoftMoeError('E_USAGE', `${label}: invalid tensor name`);
    if (Object.prototype.hasOwnProperty.call(header, t.name)) throw new SoftMoeError('E_USAGE', `${label}: name written twice`);
    if (!isDType(t.dtype)) throw new SoftMoeError('E_USAGE', `${label}: unknown dtype ${String(t.dtype)}`);
    const numel = shapeNumel(t.shape, label);
    if (numel !== t.data.length) throw new SoftMoeError('E_USAGE', `${label}: shape [${t.shape.join(', ')}] needs ${numel} values, got ${t.data.length}`);
    const bytes = encode(t.data, t.dtype, label);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
    chunks.push(bytes);
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  return [len, json, ...chunks];
}

/** Write `tensors` to `path` as safetensors, atomically (temp file + fsync + rename). */
export async function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Promise<void> {
  const chunks = encodeSafetensors(tensors, metadata);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(tmp, 'wx');
  } catch (err) {
    throw new SoftMoeError('E_NOT_FOUND', `${path}: cannot write (${(err as { code?: string }).code ?? String(err)})`, { cause: err });
  }
  try {
    for (const c of chunks) {
      for (let done = 0; done < c.byteLength; ) done += (await handle.write(c, done, c.byteLength - done)).bytesWritten;
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (err) {
    if (handle) await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    if (err instanceof SoftMoeError) throw err;
    throw new SoftMoeError('E_NOT_FOUND', `${path}: writing failed (${(err as { code?: string }).code ?? String(err)})`, { cause: err });
  }
}
