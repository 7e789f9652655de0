/**
 * Just enough of each file format to mutate it by its structure: zip records (local headers, central directory,
 * end record) with their field offsets, pickle opcodes with their arguments, PNG chunks (CRCs recomputed), .npy
 * headers, IDX headers, safetensors headers. Written for the fuzzer only; the product's readers never use them.
 */
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';

// ---------------------------------------------------------------------------------------------------------------
// zip

export interface ZipMember {
  name: string;
  data: Uint8Array;
  deflate: boolean;
}

/** A field of a zip record: where it is and how wide (2, 4 or 8 bytes, little-endian). */
export interface ZipField {
  record: 'local' | 'central' | 'end';
  entry: number;
  name: string;
  offset: number;
  width: 2 | 4;
}

const LOCAL_FIELDS: Array<[string, number, 2 | 4]> = [
  ['version', 4, 2], ['flags', 6, 2], ['method', 8, 2], ['crc', 14, 4], ['compressedSize', 18, 4],
  ['uncompressedSize', 22, 4], ['nameLength', 26, 2], ['extraLength', 28, 2],
];
const CENTRAL_FIELDS: Array<[string, number, 2 | 4]> = [
  ['versionMadeBy', 4, 2], ['versionNeeded', 6, 2], ['flags', 8, 2], ['method', 10, 2], ['crc', 16, 4],
  ['compressedSize', 20, 4], ['uncompressedSize', 24, 4], ['nameLength', 28, 2], ['extraLength', 30, 2],
  ['commentLength', 32, 2], ['disk', 34, 2], ['externalAttributes', 38, 4], ['localHeaderOffset', 42, 4],
];
const END_FIELDS: Array<[string, number, 2 | 4]> = [
  ['disk', 4, 2], ['centralDisk', 6, 2], ['entriesOnDisk', 8, 2], ['entries', 10, 2], ['centralSize', 12, 4],
  ['centralOffset', 16, 4], ['commentLength', 20, 2],
];

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** Offset of the end-of-central-directory record, or -1. */
export function findEnd(b: Uint8Array): number {
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 65535); i--) {
    if (b[i] === 0x50 && b[i + 1] === 0x4b && b[i + 2] === 0x05 && b[i + 3] === 0x06) return i;
  }
  return -1;
}

/** Every mutable field of the zip's records (empty if it does not parse as a zip). */
export function zipFields(b: Uint8Array): ZipField[] {
  const end = findEnd(b);
  if (end < 0) return [];
  const out: ZipField[] = END_FIELDS.map(([name, off, width]) => ({ record: 'end' as const, entry: 0, name, offset: end + off, width }));
  const count = u16(b, end + 10);
  let p = u32(b, end + 16);
  for (let i = 0; i < count && p + 46 <= b.length; i++) {
    if (u32(b, p) !== 0x02014b50) break;
    for (const [name, off, width] of CENTRAL_FIELDS) out.push({ record: 'central', entry: i, name, offset: p + off, width });
    const local = u32(b, p + 42);
    if (local + 30 <= b.length && u32(b, local) === 0x04034b50) {
      for (const [name, off, width] of LOCAL_FIELDS) out.push({ record: 'local', entry: i, name, offset: local + off, width });
    }
    p += 46 + u16(b, p + 28) + u16(b, p + 30) + u16(b, p + 32);
  }
  return out;
}

export function setField(b: Uint8Array, f: ZipField, v: number): void {
  const x = f.width === 2 ? v & 0xffff : v >>> 0;
  for (let i = 0; i < f.width; i++) b[f.offset + i] = (x >>> (8 * i)) & 0xff;
}

export function getField(b: Uint8Array, f: ZipField): number {
  return f.width === 2 ? u16(b, f.offset) : u32(b, f.offset);
}

/** The members of a (well-formed) zip, inflated. */
export function readZip(b: Uint8Array): ZipMember[] {
  const end = findEnd(b);
  if (end < 0) throw new Error('not a zip');
  const count = u16(b, end + 10);
  let p = u32(b, end + 16);
  const out: ZipMember[] = [];
  for (let i = 0; i < count; i++) {
    const method = u16(b, p + 10);
    const csize = u32(b, p + 20);
    const nameLen = u16(b, p + 28);
    const name = new TextDecoder().decode(b.subarray(p + 46, p + 46 + nameLen));
    const local = u32(b, p + 42);
    const start = local + 30 + u16(b, local + 26) + u16(b, local + 28);
    const raw = b.subarray(start, start + csize);
    out.push({ name, data: method === 8 ? new Uint8Array(inflateRawSync(raw)) : raw.slice(), deflate: method === 8 });
    p += 46 + nameLen + u16(b, p + 30) + u16(b, p + 32);
  }
  return out;
}

/** A record of `size` bytes: its signature, then [offset, width, value] little-endian fields. */
function record(size: number, signature: number, fields: Array<[number, 2 | 4, number]>): Buffer {
  const b = Buffer.alloc(size);
  b.writeUInt32LE(signature, 0);
  for (const [o, w, v] of fields) {
    if (w === 2) b.writeUInt16LE(v, o);
    else b.writeUInt32LE(v, o);
  }
  return b;
}

/** A zip of `members` (no data descriptors, no zip64), sizes and CRCs right. */
export function writeZip(members: ZipMember[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name);
    const body = m.deflate ? deflateRawSync(m.data) : Buffer.from(m.data);
    const crc = crc32(m.data);
    const method = m.deflate ? 8 : 0;
    const lh = record(30, 0x04034b50, [[4, 2, 20], [8, 2, method], [14, 4, crc], [18, 4, body.length], [22, 4, m.data.length], [26, 2, name.length]]);
    const ch = record(46, 0x02014b50, [[4, 2, 20], [6, 2, 20], [10, 2, method], [16, 4, crc], [20, 4, body.length], [24, 4, m.data.length], [28, 2, name.length], [42, 4, offset]]);
    locals.push(lh, name, body);
    centrals.push(ch, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  // More than 65,535 members (a mutant of a big zip) do not fit the 16-bit counts: 0xffff, as zip64 archives say it.
  end.writeUInt16LE(Math.min(members.length, 0xffff), 8);
  end.writeUInt16LE(Math.min(members.length, 0xffff), 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, end]));
}

/**
 * A zip64 end record and locator in front of the end record, so readers take their sizes and offsets from it;
 * `values` overrides its fields (entries, centralSize, centralOffset, endOffset as 64-bit values).
 */
export function withZip64(b: Uint8Array, values: { entries?: bigint; centralSize?: bigint; centralOffset?: bigint; endOffset?: bigint }): Uint8Array {
  const end = findEnd(b);
  if (end < 0) return b;
  const rec = Buffer.alloc(56);
  rec.writeUInt32LE(0x06064b50, 0);
  rec.writeBigUInt64LE(44n, 4);
  rec.writeUInt16LE(45, 12);
  rec.writeUInt16LE(45, 14);
  const entries = values.entries ?? BigInt(u16(b, end + 10));
  rec.writeBigUInt64LE(entries, 24);
  rec.writeBigUInt64LE(entries, 32);
  rec.writeBigUInt64LE(values.centralSize ?? BigInt(u32(b, end + 12)), 40);
  rec.writeBigUInt64LE(values.centralOffset ?? BigInt(u32(b, end + 16)), 48);
  const loc = Buffer.alloc(20);
  loc.writeUInt32LE(0x07064b50, 0);
  loc.writeBigUInt64LE(values.endOffset ?? BigInt(end), 8);
  loc.writeUInt32LE(1, 16);
  const e = Buffer.from(b.subarray(end));
  e.writeUInt16LE(0xffff, 8);
  e.writeUInt16LE(0xffff, 10);
  e.writeUInt32LE(0xffffffff, 12);
  e.writeUInt32LE(0xffffffff, 16);
  return new Uint8Array(Buffer.concat([Buffer.from(b.subarray(0, end)), rec, loc, e]));
}

// ---------------------------------------------------------------------------------------------------------------
// pickle

export interface PickleOp {
  /** The opcode byte. */
  op: number;
  /** Its argument bytes as stored (length prefixes and lines included). */
  arg: Uint8Array;
}

/** Argument layout per opcode: fixed width, a length prefix of n bytes, or n newline-terminated lines. */
const ARGS: Record<number, { fixed?: number; prefix?: 1 | 4 | 8; lines?: number }> = {
  0x80: { fixed: 1 }, 0x95: { fixed: 8 }, 0x4a: { fixed: 4 }, 0x4b: { fixed: 1 }, 0x4d: { fixed: 2 },
  0x8a: { prefix: 1 }, 0x8b: { prefix: 4 }, 0x47: { fixed: 8 }, 0x54: { prefix: 4 }, 0x55: { prefix: 1 },
  0x58: { prefix: 4 }, 0x8c: { prefix: 1 }, 0x8d: { prefix: 8 }, 0x42: { prefix: 4 }, 0x43: { prefix: 1 },
  0x8e: { prefix: 8 }, 0x96: { prefix: 8 }, 0x68: { fixed: 1 }, 0x6a: { fixed: 4 }, 0x71: { fixed: 1 },
  0x72: { fixed: 4 }, 0x82: { fixed: 1 }, 0x83: { fixed: 2 }, 0x84: { fixed: 4 },
  0x49: { lines: 1 }, 0x4c: { lines: 1 }, 0x46: { lines: 1 }, 0x53: { lines: 1 }, 0x56: { lines: 1 },
  0x67: { lines: 1 }, 0x70: { lines: 1 }, 0x50: { lines: 1 }, 0x63: { lines: 2 }, 0x69: { lines: 2 },
};

/** The opcodes of a pickle up to and including STOP (null if it does not tokenize). */
export function tokenizePickle(b: Uint8Array): PickleOp[] | null {
  const ops: PickleOp[] = [];
  let p = 0;
  while (p < b.length) {
    const op = b[p++]!;
    const spec = ARGS[op] ?? {};
    let len = 0;
    if (spec.fixed) len = spec.fixed;
    else if (spec.prefix) {
      if (p + spec.prefix > b.length) return null;
      let n = 0;
      for (let i = spec.prefix - 1; i >= 0; i--) n = n * 256 + b[p + i]!;
      len = spec.prefix + n;
    } else if (spec.lines) {
      let q = p;
      for (let l = 0; l < spec.lines; l++) {
        const nl = b.indexOf(0x0a, q);
        if (nl < 0) return null;
        q = nl + 1;
      }
      len = q - p;
    }
    if (p + len > b.length) return null;
    ops.push({ op, arg: b.slice(p, p + len) });
    p += len;
    if (op === 0x2e) return ops;
  }
  return null;
}

export function serializePickle(ops: PickleOp[]): Uint8Array {
  const total = ops.reduce((s, o) => s + 1 + o.arg.length, 0);
  const out = new Uint8Array(total);
  let p = 0;
  for (const o of ops) {
    out[p++] = o.op;
    out.set(o.arg, p);
    p += o.arg.length;
  }
  return out;
}

export function op(code: number, arg: ArrayLike<number> = []): PickleOp {
  return { op: code, arg: Uint8Array.from(arg) };
}

/** LONG1 of a little-endian two's complement integer. */
export function long1(v: bigint): PickleOp {
  const bytes: number[] = [];
  let x = v;
  do {
    bytes.push(Number(x & 0xffn));
    x >>= 8n;
  } while (!(x === 0n && (bytes[bytes.length - 1]! & 0x80) === 0) && !(x === -1n && (bytes[bytes.length - 1]! & 0x80) !== 0));
  return op(0x8a, [bytes.length, ...bytes]);
}

export function unicode(s: string): PickleOp {
  const b = Buffer.from(s);
  return b.length < 256 ? op(0x8c, [b.length, ...b]) : op(0x58, [...le32(b.length), ...b]);
}

export function le32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

// ---------------------------------------------------------------------------------------------------------------
// PNG

export interface PngChunk {
  type: string;
  data: Uint8Array;
}

export function readPng(b: Uint8Array): PngChunk[] | null {
  if (b.length < 8 || b[0] !== 0x89 || b[1] !== 0x50) return null;
  const out: PngChunk[] = [];
  let p = 8;
  while (p + 12 <= b.length) {
    const len = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
    const type = String.fromCharCode(...b.subarray(p + 4, p + 8));
    if (p + 12 + len > b.length) return null;
    out.push({ type, data: b.slice(p + 8, p + 8 + len) });
    p += 12 + len;
  }
  return out;
}

export function writePng(chunks: PngChunk[]): Uint8Array {
  const parts: Buffer[] = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
  for (const c of chunks) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(c.data.length, 0);
    head.write(c.type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), Buffer.from(c.data)])), 0);
    parts.push(head, Buffer.from(c.data), crc);
  }
  return new Uint8Array(Buffer.concat(parts));
}

// ---------------------------------------------------------------------------------------------------------------
// .npy

export interface NpyParts {
  major: number;
  header: string;
  data: Uint8Array;
}

export function readNpy(b: Uint8Array): NpyParts | null {
  if (b.length < 10 || b[0] !== 0x93 || b[1] !== 0x4e) return null;
  const major = b[6]!;
  const start = major === 1 ? 10 : 12;
  const len = major === 1 ? u16(b, 8) : u32(b, 8);
  if (start + len > b.length) return null;
  return { major, header: new TextDecoder('latin1').decode(b.subarray(start, start + len)), data: b.slice(start + len) };
}

/** An .npy file from a header dict text (padded to 64 bytes, as numpy does, unless `exact`). */
export function writeNpy(header: string, data: Uint8Array, major = 1, exact = false): Uint8Array {
  const start = major === 1 ? 10 : 12;
  let h = header;
  if (!exact) {
    const total = start + h.length + 1;
    h = h + ' '.repeat((64 - (total % 64)) % 64) + '\n';
  }
  const hb = Buffer.from(h, 'latin1');
  const pre = Buffer.alloc(start);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]).copy(pre);
  pre[6] = major;
  pre[7] = 0;
  if (major === 1) pre.writeUInt16LE(hb.length & 0xffff, 8);
  else pre.writeUInt32LE(hb.length, 8);
  return new Uint8Array(Buffer.concat([pre, hb, Buffer.from(data)]));
}

// ---------------------------------------------------------------------------------------------------------------
// safetensors

export function readSafetensors(b: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } | null {
  if (b.length < 8) return null;
  const n = Number(Buffer.from(b.subarray(0, 8)).readBigUInt64LE(0));
  if (8 + n > b.length) return null;
  try {
    return { header: JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))) as Record<string, unknown>, data: b.slice(8 + n) };
  } catch {
    return null;
  }
}

export function writeSafetensors(headerText: string, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  const hb = Buffer.from(headerText);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(hb.length), 0);
  return new Uint8Array(Buffer.concat([len, hb, Buffer.from(data)]));
}
