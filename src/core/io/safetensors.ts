/**
 * safetensors reader: the header is read and validated first (every rule of checkpoint-safety.md); tensor bytes are
 * read lazily by offset through the ByteSource when `readFloat32()` is called.
 */
import { resolve } from 'node:path';
import { SoftMoeError } from '../errors';
import { MAX_DIMS, isDType, shapeNumel, toFloat32 } from './dtype';
import { FileByteSource } from './fileSource';
import { bytesText, clip, quoteValue, shapeText } from '../quote';
import { DTYPE_SIZE, type ByteSource, type Checkpoint, type DType, type TensorEntry } from './types';

/** Largest header we accept (the safetensors reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** safetensors dtypes that exist but that we do not read (refused as E_UNSUPPORTED, not as corrupt). */
const KNOWN_UNREAD_DTYPES = ['U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64', 'C128'];

export interface SafetensorsHeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  numel: number;
  /** Byte range relative to the start of the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Length N of the JSON header; data starts at 8 + N. */
  headerLength: number;
  dataStart: number;
  metadata: Record<string, string>;
  /** Entries in header (file) order. */
  entries: SafetensorsHeaderEntry[];
}

function corrupt(label: string, what: string): SoftMoeError {
  return new SoftMoeError('E_CORRUPT', `${label}: ${what}`);
}

/** Read and validate the header of a safetensors source. `label` names the file in error messages. */
export async function readSafetensorsHeader(source: ByteSource, label: string): Promise<SafetensorsHeader> {
  if (source.size === 0) throw corrupt(label, 'is empty (0 bytes), not a safetensors file');
  if (source.size < 8) throw corrupt(label, `is ${source.size} bytes, too short for a safetensors header`);
  const lenBytes = await source.read(0, 8);
  const n = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw corrupt(label, `safetensors header length ${n} is larger than the 100,000,000-byte limit`);
  const headerLength = Number(n);
  if (8 + headerLength > source.size) throw corrupt(label, `safetensors header length ${headerLength} runs past the end of the file (${bytesText(source.size)})`);
  if (headerLength < 2) throw corrupt(label, `safetensors header length ${headerLength} is too short for a JSON object`);
  const raw = await source.read(8, headerLength);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw corrupt(label, 'safetensors header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw corrupt(label, `safetensors header is not valid JSON (${clip((err as Error).message, 80)})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw corrupt(label, 'safetensors header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataSize = source.size - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsHeaderEntry[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(label, '__metadata__ is not an object of strings');
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw corrupt(label, `__metadata__ value '${clip(k)}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(label, name, value));
  }
  // Sorted by offset: contiguous from 0, no overlap, no hole, ending exactly at the end of the file.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin < pos) throw corrupt(label, `tensor '${clip(e.name)}' (bytes ${e.begin}–${e.end}) overlaps the previous tensor (which ends at ${pos})`);
    if (e.begin > pos) throw corrupt(label, `hole of ${bytesText(e.begin - pos)} before tensor '${clip(e.name)}' (bytes ${pos}–${e.begin} belong to no tensor)`);
    pos = e.end;
  }
  if (pos !== dataSize) {
    throw pos > dataSize
      ? corrupt(label, `tensor data ends at byte ${dataStart + pos}, past the end of the file (${bytesText(source.size)})`)
      : corrupt(label, `${bytesText(dataSize - pos)} after the last tensor belong to no tensor (file is ${bytesText(source.size)}, data ends at ${dataStart + pos})`);
  }
  return { headerLength, dataStart, metadata, entries };
}

function parseEntry(label: string, name: string, value: unknown): SafetensorsHeaderEntry {
  const where = `tensor '${clip(name)}'`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(label, `${where} is not an object in the header`);
  const keys = Object.keys(value).sort().join(',');
  if (keys !== 'data_offsets,dtype,shape') throw corrupt(label, `${where} must have exactly dtype, shape and data_offsets (has ${clip(keys, 60) || 'nothing'})`);
  const { dtype, shape, data_offsets: offsets } = value as { dtype: unknown; shape: unknown; data_offsets: unknown };
  if (!isDType(dtype)) {
    if (typeof dtype === 'string' && KNOWN_UNREAD_DTYPES.includes(dtype)) {
      throw new SoftMoeError('E_UNSUPPORTED', `${label}: ${where} has dtype ${dtype}, which is not supported (F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL are)`);
    }
    throw corrupt(label, `${where} has an unknown dtype ${quoteValue(dtype, 24)}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw corrupt(label, `${where} has an invalid shape ${Array.isArray(shape) ? shapeText(shape) : quoteValue(shape, 40)}`);
  }
  if (shape.length > MAX_DIMS) throw corrupt(label, `${where} has ${shape.length} dimensions (at most ${MAX_DIMS} are read)`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw corrupt(label, `${where} has invalid data_offsets ${quoteValue(offsets, 60)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw corrupt(label, `${where} has data_offsets [${begin}, ${end}] that end before they begin`);
  const numel = shapeNumel(shape as number[], `${label}: ${where}`);
  const expected = BigInt(numel) * BigInt(DTYPE_SIZE[dtype]);
  if (BigInt(end - begin) !== expected) {
    throw corrupt(label, `${where} has ${bytesText(end - begin)} but shape ${shapeText(shape)} of ${dtype} needs ${bytesText(expected)}`);
  }
  return { name, dtype, shape: shape as number[], numel, begin, end };
}

/** Lazy entries over an already validated header. */
export function safetensorsEntries(source: ByteSource, label: string, header: SafetensorsHeader): Map<string, TensorEntry> {
  const tensors = new Map<string, TensorEntry>();
  for (const e of header.entries) {
    const readBytes = async (): Promise<Uint8Array> => {
      try {
        return await source.read(header.dataStart + e.begin, e.end - e.begin);
      } catch (err) {
        if (err instanceof SoftMoeError && err.code === 'E_CORRUPT') throw corrupt(label, `tensor '${e.name}': ${err.userMessage}`);
        throw err;
      }
    };
    tensors.set(e.name, {
      name: e.name,
      dtype: e.dtype,
      shape: e.shape,
      numel: e.numel,
      byteLength: e.end - e.begin,
      readBytes,
      readFloat32: async () => toFloat32(await readBytes(), e.dtype),
    });
  }
  return tensors;
}

/** Open a safetensors checkpoint over a source (the checkpoint's close() closes the source). */
export async function openSafetensorsSource(source: ByteSource, path: string): Promise<Checkpoint> {
  const header = await readSafetensorsHeader(source, path);
  return {
    path: resolve(path),
    format: 'safetensors',
    fileSize: source.size,
    tensors: safetensorsEntries(source, path, header),
    stateDictKey: '',
    metadata: header.metadata,
    extras: {},
    close: () => source.close(),
  };
}

/** Open a `.safetensors` file: reads only its header now. */
export async function openSafetensors(path: string): Promise<Checkpoint> {
  const source = await FileByteSource.open(path);
  try {
    return await openSafetensorsSource(source, path);
  } catch (err) {
    await source.close();
    throw err;
  }
}
