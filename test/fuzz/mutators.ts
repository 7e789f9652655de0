/**
 * Structure-aware mutators, one family per format the tool reads. Each takes a file's bytes and the case's RNG and
 * returns the mutant and a short note of what it did (kept in failure reports), or null when it does not apply.
 * Byte-level havoc (flips, splices, truncation) is the fallback for every format.
 */
import { deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import {
  findEnd, getField, le32, long1, op, readNpy, readPng, readSafetensors, readZip, serializePickle, setField,
  tokenizePickle, unicode, withZip64, writeNpy, writePng, writeSafetensors, writeZip, zipFields, type PickleOp,
} from './formats';
import type { Rng } from './rng';

export type FileFormat = 'safetensors' | 'torch-zip' | 'npz' | 'npy' | 'idx' | 'idx-gz' | 'cifar' | 'png' | 'jpeg' | 'json' | 'text' | 'index-json';

export interface Mutant {
  bytes: Uint8Array;
  note: string;
}

type Mutator = (b: Uint8Array, rng: Rng) => Mutant | null;

/** Numbers that break readers: boundaries of every integer width, huge sizes, zero, negative. */
const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 16, 255, 256, 4095, 65535, 65536, 1e6, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40, 3848290695440, 2 ** 53 - 1, 2 ** 53 + 2, 1e300, -1, -(2 ** 31)];

function interesting(rng: Rng): number {
  return rng.pick(INTERESTING);
}

function near(rng: Rng, v: number): number {
  return rng.weighted<number>([[v + rng.range(-3, 3), 3], [v * rng.range(2, 1000), 1], [Math.floor(v / rng.range(2, 64)), 1], [interesting(rng), 3]]);
}

// ---------------------------------------------------------------------------------------------------------------
// generic bytes

const havoc: Mutator = (b, rng) => {
  const out = new Uint8Array(b);
  const kind = rng.pick(['flip', 'byte', 'int32', 'truncate', 'extend', 'splice', 'zero']);
  const at = rng.int(Math.max(1, out.length));
  switch (kind) {
    case 'flip': {
      const n = rng.range(1, 8);
      for (let i = 0; i < n && out.length; i++) out[rng.int(out.length)]! ^= 1 << rng.int(8);
      return { bytes: out, note: `havoc: ${n} bit flips` };
    }
    case 'byte':
      if (out.length) out[at] = rng.pick([0, 0xff, 0x7f, 0x80, rng.int(256)]);
      return { bytes: out, note: `havoc: byte ${at} set` };
    case 'int32': {
      const v = interesting(rng) >>> 0;
      for (let i = 0; i < 4 && at + i < out.length; i++) out[at + i] = (v >>> (8 * i)) & 0xff;
      return { bytes: out, note: `havoc: u32 ${v} at ${at}` };
    }
    case 'truncate': {
      const n = rng.chance(0.3) ? rng.int(Math.min(64, b.length + 1)) : rng.int(b.length + 1);
      return { bytes: b.slice(0, n), note: `havoc: truncated to ${n} bytes` };
    }
    case 'extend':
      return { bytes: new Uint8Array(Buffer.concat([Buffer.from(b), Buffer.from(rng.bytes(rng.range(1, 4096)))])), note: 'havoc: random bytes appended' };
    case 'splice': {
      const from = rng.int(b.length + 1);
      const len = rng.int(Math.min(4096, b.length - from) + 1);
      const to = rng.int(b.length + 1);
      const chunk = b.subarray(from, from + len);
      return { bytes: new Uint8Array(Buffer.concat([Buffer.from(b.subarray(0, to)), Buffer.from(chunk), Buffer.from(b.subarray(to))])), note: `havoc: ${len} bytes duplicated at ${to}` };
    }
    default: {
      const len = rng.int(Math.min(256, out.length - at) + 1);
      out.fill(0, at, at + len);
      return { bytes: out, note: `havoc: ${len} bytes zeroed at ${at}` };
    }
  }
};

// ---------------------------------------------------------------------------------------------------------------
// safetensors

/** Shapes that lie: huge, empty with huge extents, thousands of dimensions, wrong types. */
function badShape(rng: Rng, shape: unknown): unknown {
  const s = Array.isArray(shape) ? [...(shape as unknown[])] : [1];
  return rng.weighted<() => unknown>([
    [() => s.map((d) => (rng.chance(0.5) ? near(rng, Number(d)) : d)), 4],
    [() => [...s, interesting(rng)], 2],
    [() => [0, 1e12], 1],
    [() => [0, ...s.map(() => 2 ** 30)], 1],
    [() => new Array(rng.pick([65, 3000, 100000])).fill(1), 1],
    [() => s.slice(1), 1],
    [() => [], 1],
    [() => rng.pick(['12', null, { a: 1 }, [[1, 2]], [1.5], [-3], [2 ** 60], true]), 2],
  ])();
}

const safetensors: Mutator = (b, rng) => {
  const st = readSafetensors(b);
  if (!st) return null;
  const h = st.header;
  const names = Object.keys(h).filter((k) => k !== '__metadata__');
  const name = names.length ? rng.pick(names) : '__none__';
  const entry = (h[name] ?? {}) as Record<string, unknown>;
  let note: string;
  let lengthOverride: bigint | undefined;
  let data = st.data;
  switch (rng.pick(['shape', 'shape', 'dtype', 'offsets', 'offsets', 'keys', 'metadata', 'length', 'name', 'many', 'nest', 'data'])) {
    case 'shape':
      entry.shape = badShape(rng, entry.shape);
      note = `safetensors: ${name}.shape = ${JSON.stringify(entry.shape).slice(0, 60)}`;
      break;
    case 'dtype':
      entry.dtype = rng.pick(['F32', 'F16', 'BF16', 'I64', 'U8', 'BOOL', 'F8_E4M3', 'C64', 'Q7', 'a'.repeat(rng.pick([10, 5000])), 7, null, '']);
      note = `safetensors: ${name}.dtype = ${String(entry.dtype).slice(0, 20)}`;
      break;
    case 'offsets': {
      const o = Array.isArray(entry.data_offsets) ? [...(entry.data_offsets as number[])] : [0, 0];
      const i = rng.int(2);
      o[i] = near(rng, o[i] ?? 0);
      if (rng.chance(0.2)) o.reverse();
      entry.data_offsets = rng.chance(0.1) ? [o[0]] : o;
      note = `safetensors: ${name}.data_offsets = ${JSON.stringify(entry.data_offsets)}`;
      break;
    }
    case 'keys':
      if (rng.chance(0.5)) entry.extra = 1;
      else delete entry[rng.pick(['dtype', 'shape', 'data_offsets'])];
      note = `safetensors: ${name} keys changed`;
      break;
    case 'metadata':
      h.__metadata__ = rng.pick<unknown>([{ a: 1 }, 'x', [1], { format: 'pt', big: 'b'.repeat(200000) }, { nested: { a: 'b' } }, null]);
      note = 'safetensors: __metadata__ replaced';
      break;
    case 'length':
      lengthOverride = BigInt(rng.pick([0, 1, 2, 7, b.length, b.length - 8, 100_000_001, 2 ** 32, 2 ** 53, 2 ** 63]));
      if (rng.chance(0.3)) lengthOverride = 18446744073709551615n;
      note = `safetensors: header length = ${lengthOverride}`;
      break;
    case 'name': {
      const long = rng.pick(['\u001b[2J\u001b[31mred', 'x'.repeat(10000), '../../etc/passwd', '', 'a\nb', '\ud800']);
      h[long] = entry;
      delete h[name];
      note = 'safetensors: tensor renamed';
      break;
    }
    case 'many': {
      const n = rng.pick([1000, 50000]);
      for (let i = 0; i < n; i++) h[`t${i}`] = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
      note = `safetensors: ${n} empty tensors added`;
      break;
    }
    case 'nest': {
      const depth = rng.pick([100, 10000, 100000]);
      const text = JSON.stringify(h).replace(/}$/, `,"deep":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      return { bytes: writeSafetensors(text, data), note: `safetensors: array nested ${depth} deep in the header` };
    }
    default:
      data = havoc(data, rng)?.bytes ?? data;
      note = 'safetensors: data havoc';
  }
  return { bytes: writeSafetensors(JSON.stringify(h), data, lengthOverride), note };
};

// ---------------------------------------------------------------------------------------------------------------
// zip fields (torch zip, npz)

const zipField: Mutator = (b, rng) => {
  const fields = zipFields(b);
  if (!fields.length) return null;
  const out = new Uint8Array(b);
  const f = rng.pick(fields);
  const old = getField(out, f);
  const v = rng.chance(0.3) ? (f.width === 2 ? 0xffff : 0xffffffff) : near(rng, old);
  setField(out, f, v);
  return { bytes: out, note: `zip: ${f.record}[${f.entry}].${f.name} ${old} → ${v >>> 0}` };
};

const zipStructure: Mutator = (b, rng) => {
  const end = findEnd(b);
  if (end < 0) return null;
  switch (rng.pick(['zip64', 'zip64', 'entries', 'dup', 'method', 'truncate-cd'])) {
    case 'zip64': {
      const field = rng.pick(['entries', 'centralSize', 'centralOffset', 'endOffset'] as const);
      const v = rng.pick([0n, 1n, 200001n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n]);
      return { bytes: withZip64(b, { [field]: v }), note: `zip: zip64 ${field} = ${v}` };
    }
    case 'entries': {
      const out = new Uint8Array(b);
      const v = rng.pick([0, 200001 & 0xffff, 65535, 2]);
      out[end + 8] = v & 0xff;
      out[end + 9] = v >> 8;
      out[end + 10] = v & 0xff;
      out[end + 11] = v >> 8;
      return rng.chance(0.5) ? { bytes: withZip64(out, { entries: 200001n }), note: 'zip: 200,001 entries claimed (zip64)' } : { bytes: out, note: `zip: ${v} entries claimed` };
    }
    case 'dup':
    case 'method': {
      let members;
      try {
        members = readZip(b);
      } catch {
        return null;
      }
      if (!members.length) return null;
      const i = rng.int(members.length);
      const m = members[i]!;
      if (rng.chance(0.5)) members.splice(i, 0, { ...m, data: rng.bytes(16) });
      else members[i] = { ...m, deflate: !m.deflate };
      return { bytes: writeZip(members), note: `zip: member ${m.name} duplicated or recompressed` };
    }
    default:
      return { bytes: b.slice(0, end + rng.int(22)), note: 'zip: end record cut' };
  }
};

/** Rewrite a zip with one member's content mutated by `inner`. */
function zipMember(filter: (name: string) => boolean, inner: Mutator, what: string): Mutator {
  return (b, rng) => {
    let members;
    try {
      members = readZip(b);
    } catch {
      return null;
    }
    const hits = members.filter((m) => filter(m.name));
    if (!hits.length) return null;
    const m = rng.pick(hits);
    const r = inner(m.data, rng);
    if (!r) return null;
    m.data = r.bytes;
    if (rng.chance(0.2)) m.deflate = !m.deflate;
    return { bytes: writeZip(members), note: `${what} ${m.name}: ${r.note}` };
  };
}

/** A deflated member whose real content is a huge run of zeros behind a small header (a zip bomb of honest sizes). */
const zipBomb: Mutator = (b, rng) => {
  let members;
  try {
    members = readZip(b);
  } catch {
    return null;
  }
  const npys = members.filter((m) => m.name.endsWith('.npy'));
  if (!npys.length) return null;
  const m = rng.pick(npys);
  const size = rng.pick([64 << 20, 512 << 20]);
  m.data = writeNpy(`{'descr': '|u1', 'fortran_order': False, 'shape': (${size},), }`, new Uint8Array(size));
  m.deflate = true;
  return { bytes: writeZip(members), note: `zip: ${m.name} is a ${size >> 20} MiB deflate bomb` };
};

// ---------------------------------------------------------------------------------------------------------------
// pickle (data.pkl inside a torch zip)

const PICKLE_OPS = [0x28, 0x29, 0x2e, 0x30, 0x31, 0x32, 0x4e, 0x5d, 0x61, 0x62, 0x65, 0x6c, 0x73, 0x74, 0x75, 0x7d, 0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x52, 0x51, 0x97, 0x98, 0x82, 0xff, 0x00];

function pickleAt(ops: PickleOp[], rng: Rng): number {
  return rng.int(Math.max(1, ops.length - 1)) + (ops[0]?.op === 0x80 ? 1 : 0);
}

const pickle: Mutator = (b, rng) => {
  let ops = tokenizePickle(b);
  if (!ops) return havoc(b, rng);
  // splice(…, ...items) would pass a million arguments; build the array instead.
  const insert = (at: number, items: PickleOp[]): void => {
    ops = (ops as PickleOp[]).slice(0, at).concat(items, (ops as PickleOp[]).slice(at));
  };
  const kind = rng.pick(['int', 'int', 'long', 'nest', 'nest', 'insert', 'delete', 'dup', 'global', 'string', 'proto', 'memo']);
  let note = `pickle: ${kind}`;
  const at = Math.min(pickleAt(ops, rng), ops.length - 1);
  switch (kind) {
    case 'int': {
      const ints = ops.map((o, i) => [o, i] as const).filter(([o]) => o.op === 0x4b || o.op === 0x4d || o.op === 0x4a || o.op === 0x8a);
      if (!ints.length) break;
      const [, i] = rng.pick(ints);
      const v = rng.pick([0n, 1n, 255n, 65536n, 2n ** 31n - 1n, 2n ** 53n + 1n, 2n ** 64n, 2n ** 200n, -1n, -(2n ** 63n)]);
      ops[i] = v >= 0n && v < 256n ? op(0x4b, [Number(v)]) : long1(v);
      note = `pickle: integer op ${i} = ${v}`;
      break;
    }
    case 'long': {
      const n = rng.pick([9, 64, 1024, 1025, 100000]);
      ops.splice(at, 0, op(0x8b, [...le32(n), ...new Array(n).fill(0x7f)]), op(0x30));
      note = `pickle: ${n}-byte LONG4 inserted`;
      break;
    }
    case 'nest': {
      const depth = rng.pick([1000, 100000, 1000000]);
      const shape = rng.pick(['list', 'tuple', 'mark', 'dict']);
      const ins: PickleOp[] = [];
      if (shape === 'list') {
        for (let i = 0; i < depth; i++) ins.push(op(0x5d));
        for (let i = 0; i < depth - 1; i++) ins.push(op(0x61));
      } else if (shape === 'tuple') {
        ins.push(op(0x29));
        for (let i = 0; i < depth; i++) ins.push(op(0x85));
      } else if (shape === 'mark') {
        for (let i = 0; i < depth; i++) ins.push(op(0x28));
        for (let i = 0; i < depth; i++) ins.push(op(0x6c));
      } else {
        for (let i = 0; i < depth; i++) ins.push(op(0x7d), unicode('k'));
        for (let i = 0; i < depth - 1; i++) ins.push(op(0x73));
        ins.push(op(0x4e), op(0x73));
      }
      // As a value under a new key of the top-level dict: just before its last SETITEMS/STOP.
      insert(ops.length - 1, [unicode('deep'), ...ins, op(0x73)]);
      note = `pickle: ${shape} nested ${depth} deep`;
      break;
    }
    case 'insert':
      ops.splice(at, 0, op(rng.pick(PICKLE_OPS)));
      break;
    case 'delete':
      ops.splice(at, rng.range(1, 3));
      break;
    case 'dup': {
      const n = rng.pick([2, 1000, 200000]);
      const o = ops[at]!;
      insert(at, new Array<PickleOp>(n).fill(o));
      note = `pickle: op ${o.op.toString(16)} repeated ${n} times`;
      break;
    }
    case 'global': {
      const g = ops.findIndex((o) => o.op === 0x63);
      const text = rng.pick(['os\nsystem\n', 'builtins\neval\n', 'torch._utils\n_rebuild_tensor_v2\n', 'collections\nOrderedDict\n', 'torch\nFloatStorage\n', 'numpy\ndtype\n', 'argparse\nNamespace\n', '\n\n', 'torch\n' + 'x'.repeat(5000) + '\n']);
      const ins = op(0x63, Buffer.from(text, 'latin1'));
      if (g >= 0 && rng.chance(0.6)) ops[g] = ins;
      else ops.splice(at, 0, ins);
      note = `pickle: GLOBAL ${JSON.stringify(text.slice(0, 40))}`;
      break;
    }
    case 'string': {
      const ss = ops.map((o, i) => [o, i] as const).filter(([o]) => o.op === 0x58 || o.op === 0x8c);
      if (!ss.length) break;
      const [o, i] = rng.pick(ss);
      if (rng.chance(0.5)) o.arg[0] = rng.int(256);
      else ops[i] = unicode(rng.pick(['\u001b]0;pwned\u0007', 'x'.repeat(70000), '', 'data/../../x', '\u202e']));
      note = `pickle: string op ${i} changed`;
      break;
    }
    case 'proto':
      if (ops[0]?.op === 0x80) ops[0] = op(0x80, [rng.pick([0, 1, 6, 255])]);
      break;
    default: {
      const v = rng.pick([0, 1, 255, 0xffffffff]);
      ops.splice(at, 0, op(0x6a, le32(v)));
      note = `pickle: LONG_BINGET ${v}`;
    }
  }
  return { bytes: serializePickle(ops), note };
};

// ---------------------------------------------------------------------------------------------------------------
// .npy headers

const npyHeader: Mutator = (b, rng) => {
  const n = readNpy(b);
  if (!n) return null;
  let h = n.header;
  let data = n.data;
  let major = n.major;
  const kind = rng.pick(['shape', 'shape', 'shape', 'descr', 'fortran', 'text', 'major', 'length', 'data']);
  switch (kind) {
    case 'shape': {
      const m = /'shape':\s*\(([^)]*)\)/.exec(h);
      const dims = m ? m[1]!.split(',').map((s) => s.trim()).filter(Boolean).map(Number) : [1];
      const i = rng.int(dims.length);
      const next = rng.weighted<() => number[]>([
        [() => dims.map((d, j) => (j === i ? near(rng, d) : d)), 4],
        [() => [...dims, interesting(rng)], 1],
        [() => [0, 2 ** 40], 1],
        [() => new Array(rng.pick([65, 3000])).fill(1), 1],
        [() => [], 1],
        [() => dims.slice(0, 1), 1],
      ])();
      h = h.replace(/'shape':\s*\([^)]*\)/, `'shape': (${next.map((d) => (Number.isInteger(d) ? String(d) : d.toExponential())).join(', ')}${next.length === 1 ? ',' : ''})`);
      break;
    }
    case 'descr':
      h = h.replace(/'descr':\s*'[^']*'/, `'descr': '${rng.pick(['|O', '<U10', '<c8', '>f4', '<i8', '|b1', '<f2', 'V8', '<M8', 'a'.repeat(3000), '', '<u4'])}'`);
      break;
    case 'fortran':
      h = h.replace(/'fortran_order':\s*\w+/, `'fortran_order': ${rng.pick(['True', '1', 'None', "'x'"])}`);
      break;
    case 'text':
      h = rng.pick([h.replace('{', '['), h + '}', `{'descr': ${'('.repeat(100)}`, "{'shape': (1,), 'shape': (1000000000,), 'descr': '<f4', 'fortran_order': False}", h.replace(/\)/, ', 5)')]);
      break;
    case 'major':
      major = rng.pick([0, 2, 3, 4, 255]);
      break;
    case 'length':
      return { bytes: (() => {
        const out = writeNpy(h, data, major, false);
        const v = rng.pick([0, 1, 5, 65535, 0xffffffff]);
        out[8] = v & 0xff;
        out[9] = (v >> 8) & 0xff;
        if (major > 1) {
          out[10] = (v >> 16) & 0xff;
          out[11] = (v >>> 24) & 0xff;
        }
        return out;
      })(), note: 'npy: header length field changed' };
    default:
      data = havoc(data, rng)?.bytes ?? data;
  }
  return { bytes: writeNpy(h, data, major), note: `npy: ${kind} → ${h.slice(0, 80)}` };
};

// ---------------------------------------------------------------------------------------------------------------
// IDX, CIFAR

const idx: Mutator = (b, rng) => {
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0) return null;
  const out = new Uint8Array(b);
  const nd = out[3]!;
  const kind = rng.pick(['dim', 'dim', 'dim', 'type', 'nd', 'labels', 'truncate']);
  const dv = new DataView(out.buffer);
  switch (kind) {
    case 'dim': {
      const i = rng.int(Math.max(1, nd));
      if (4 + 4 * i + 4 > out.length) return null;
      const v = near(rng, dv.getUint32(4 + 4 * i, false)) >>> 0;
      dv.setUint32(4 + 4 * i, v, false);
      return { bytes: out, note: `idx: dim ${i} = ${v}` };
    }
    case 'type':
      out[2] = rng.pick([0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0xff]);
      return { bytes: out, note: `idx: type 0x${out[2]!.toString(16)}` };
    case 'nd':
      out[3] = rng.pick([0, 1, 2, 4, 5, 255]);
      return { bytes: out, note: `idx: ${out[3]} dimensions` };
    case 'labels': {
      const header = 4 + 4 * nd;
      const n = rng.range(1, 16);
      for (let k = 0; k < n && out.length > header; k++) out[header + rng.int(out.length - header)] = rng.pick([10, 11, 127, 255]);
      return { bytes: out, note: `idx: ${n} data bytes set high` };
    }
    default:
      return { bytes: b.slice(0, rng.int(b.length)), note: 'idx: truncated' };
  }
};

const idxGz: Mutator = (b, rng) => {
  let raw: Uint8Array;
  try {
    raw = new Uint8Array(gunzipSync(b));
  } catch {
    return null;
  }
  const kind = rng.pick(['inner', 'inner', 'inner', 'trailer', 'gzip-bytes', 'members', 'promise']);
  if (kind === 'trailer') {
    const out = new Uint8Array(b);
    const v = rng.pick([0, 1, raw.length + 1, 0xffffffff]);
    new DataView(out.buffer).setUint32(out.length - 4, v, true);
    return { bytes: out, note: `idx.gz: trailer ISIZE = ${v}` };
  }
  if (kind === 'gzip-bytes') return havoc(b, rng);
  if (kind === 'members') {
    const half = rng.int(raw.length);
    return { bytes: new Uint8Array(Buffer.concat([gzipSync(raw.subarray(0, half)), gzipSync(raw.subarray(half))])), note: 'idx.gz: two gzip members' };
  }
  if (kind === 'promise') {
    // A header promising many more records than the data holds, with a trailer that agrees modulo 2^32.
    const out = new Uint8Array(raw);
    const dv = new DataView(out.buffer);
    const count = rng.pick([2 ** 32 - 1, 60000, 2 ** 31]);
    dv.setUint32(4, count, false);
    const gz = new Uint8Array(gzipSync(out));
    const nd = out[3]!;
    let need = 4 + 4 * nd;
    let rec = 1;
    for (let i = 1; i < nd; i++) rec *= dv.getUint32(4 + 4 * i, false);
    need += count * rec;
    new DataView(gz.buffer).setUint32(gz.length - 4, need % 2 ** 32, true);
    return { bytes: gz, note: `idx.gz: header promises ${count} records, trailer agrees mod 2^32` };
  }
  const r = idx(raw, rng);
  if (!r) return null;
  return { bytes: new Uint8Array(gzipSync(r.bytes)), note: `${r.note} (gzipped)` };
};

const cifar: Mutator = (b, rng) => {
  const out = new Uint8Array(b);
  switch (rng.pick(['label', 'label', 'truncate', 'extend'])) {
    case 'label': {
      const rec = 3073;
      const i = rng.int(Math.max(1, Math.floor(out.length / rec)));
      out[i * rec] = rng.pick([10, 99, 100, 255]);
      return { bytes: out, note: `cifar: label of record ${i} = ${out[i * rec]}` };
    }
    case 'truncate':
      return { bytes: b.slice(0, b.length - rng.range(1, 3072)), note: 'cifar: truncated' };
    default:
      return { bytes: new Uint8Array(Buffer.concat([Buffer.from(b), Buffer.from(rng.bytes(rng.range(1, 5000)))])), note: 'cifar: extended' };
  }
};

// ---------------------------------------------------------------------------------------------------------------
// images

const png: Mutator = (b, rng) => {
  const chunks = readPng(b);
  if (!chunks) return null;
  const ihdr = chunks.find((c) => c.type === 'IHDR');
  const kind = rng.pick(['size', 'size', 'size', 'format', 'idat', 'chunks']);
  if (kind === 'size' && ihdr) {
    const dv = new DataView(ihdr.data.buffer, ihdr.data.byteOffset);
    const [w, h] = rng.pick([[1, 16_000_000], [16_000_000, 1], [0, 4], [4, 0], [65536, 65536], [20000, 20000], [1, 60_000], [8000, 8000], [3, 2 ** 31], [40000, 1]]);
    dv.setUint32(0, w! >>> 0, false);
    dv.setUint32(4, h! >>> 0, false);
    let idatSize = 0;
    if (rng.chance(0.5) && w! * h! < 20_000_000) {
      // Give it real pixel data of that size (all zero rows), so the decoder actually makes the big image.
      const rowBytes = 1 + w! * 4;
      ihdr.data[8] = 8;
      ihdr.data[9] = 6;
      const body = Buffer.alloc(rowBytes * h!);
      const idat = deflateSync(body);
      idatSize = idat.length;
      for (let i = chunks.length - 1; i >= 0; i--) if (chunks[i]!.type === 'IDAT') chunks.splice(i, 1);
      chunks.splice(chunks.indexOf(ihdr) + 1, 0, { type: 'IDAT', data: new Uint8Array(idat) });
    }
    return { bytes: writePng(chunks), note: `png: IHDR ${w}×${h}${idatSize ? ` with ${idatSize} bytes of real pixel data` : ''}` };
  }
  if (kind === 'format' && ihdr) {
    ihdr.data[8] = rng.pick([1, 2, 4, 8, 16, 3, 0]);
    ihdr.data[9] = rng.pick([0, 2, 3, 4, 6, 1, 7]);
    ihdr.data[12] = rng.pick([0, 1, 2]);
    return { bytes: writePng(chunks), note: `png: bit depth ${ihdr.data[8]} colour type ${ihdr.data[9]}` };
  }
  if (kind === 'idat') {
    const idat = chunks.find((c) => c.type === 'IDAT');
    if (!idat) return null;
    idat.data = havoc(idat.data, rng)?.bytes ?? idat.data;
    return { bytes: writePng(chunks), note: 'png: IDAT havoc (CRC fixed)' };
  }
  const i = rng.int(chunks.length);
  if (rng.chance(0.5)) chunks.splice(i, 1);
  else chunks.splice(i, 0, chunks[rng.int(chunks.length)]!);
  return { bytes: writePng(chunks), note: 'png: chunk removed or duplicated' };
};

const jpeg: Mutator = (b, rng) => {
  const out = new Uint8Array(b);
  for (let o = 2; o + 9 < out.length;) {
    if (out[o] !== 0xff) break;
    const marker = out[o + 1]!;
    const len = (out[o + 2]! << 8) | out[o + 3]!;
    if (marker >= 0xc0 && marker <= 0xc2 && rng.chance(0.7)) {
      const [h, w] = rng.pick([[0, 8], [8, 0], [65535, 65535], [1, 65535], [65535, 1], [8000, 8000]]);
      out[o + 5] = h! >> 8;
      out[o + 6] = h! & 0xff;
      out[o + 7] = w! >> 8;
      out[o + 8] = w! & 0xff;
      if (rng.chance(0.3)) out[o + 9] = rng.pick([0, 2, 4, 255]);
      return { bytes: out, note: `jpeg: SOF ${w}×${h}` };
    }
    o += 2 + len;
  }
  return havoc(b, rng);
};

// ---------------------------------------------------------------------------------------------------------------
// JSON sidecars and index files, class lists

const json: Mutator = (b, rng) => {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(b));
  } catch {
    return havoc(b, rng);
  }
  const kind = rng.pick(['value', 'value', 'value', 'type', 'deep', 'long', 'syntax', 'top', 'huge', 'bom']);
  const text = (): string => JSON.stringify(v);
  if (kind === 'deep') {
    const d = rng.pick([40, 1000, 100000]);
    return { bytes: Buffer.from(text().replace(/^\{/, `{"deep":${'['.repeat(d)}${']'.repeat(d)},`)), note: `json: nested ${d} deep` };
  }
  if (kind === 'syntax') return { bytes: Buffer.from(text().slice(0, rng.int(text().length)) + rng.pick(['', ',', '}}', '\u0000', 'NaN'])), note: 'json: broken syntax' };
  if (kind === 'top') return { bytes: Buffer.from(rng.pick(['[]', '1', 'null', '"x"', ''])), note: 'json: not an object' };
  if (kind === 'huge') return { bytes: Buffer.from(`{"x":"${'a'.repeat(rng.pick([1 << 20, (1 << 20) + 10]))}"}`), note: 'json: about 1 MiB' };
  if (kind === 'bom') return { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text())]), note: 'json: BOM' };
  if (typeof v !== 'object' || v === null) return havoc(b, rng);
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  const key = keys.length ? rng.pick(keys) : 'x';
  const bad = rng.pick<unknown>([0, -1, 1e308, 2 ** 53 + 1, 1.5, '12', '', null, true, [], {}, [0, 0], [1e9, 1e9], 'x'.repeat(100000), [NaN], -0.0001]);
  if (kind === 'type' || kind === 'value') o[key] = bad;
  else o[key] = 'y'.repeat(rng.pick([300, 200000]));
  if (key === 'weight_map' && rng.chance(0.5)) o[key] = { a: '../x.safetensors', b: '/etc/passwd', c: 'x'.repeat(500) };
  return { bytes: Buffer.from(text()), note: `json: ${key} = ${JSON.stringify(o[key])?.slice(0, 40)}` };
};

const classList: Mutator = (_b, rng) => {
  switch (rng.pick(['many', 'long', 'binary', 'empty'])) {
    case 'many':
      return { bytes: Buffer.from(Array.from({ length: rng.pick([1000, 200000]) }, (_, i) => `c${i}`).join('\n')), note: 'classes: many names' };
    case 'long':
      return { bytes: Buffer.from(`${'n'.repeat(100000)}\n\u001b[31mred\n`), note: 'classes: a long name and an escape' };
    case 'binary':
      return { bytes: rng.bytes(rng.range(1, 4096)), note: 'classes: random bytes' };
    default:
      return { bytes: new Uint8Array(0), note: 'classes: empty' };
  }
};

// ---------------------------------------------------------------------------------------------------------------

const FAMILIES: Record<FileFormat, Array<readonly [Mutator, number]>> = {
  'safetensors': [[safetensors, 8], [havoc, 2]],
  'torch-zip': [[zipMember((n) => n.endsWith('data.pkl'), pickle, 'zip member'), 7], [zipField, 3], [zipStructure, 2], [zipMember((n) => /\/data\/\d+$/.test(n), havoc, 'zip member'), 1], [havoc, 1]],
  'npz': [[zipMember((n) => n.endsWith('.npy'), npyHeader, 'zip member'), 6], [zipField, 3], [zipStructure, 2], [zipBomb, 1], [havoc, 1]],
  'npy': [[npyHeader, 8], [havoc, 2]],
  'idx': [[idx, 8], [havoc, 2]],
  'idx-gz': [[idxGz, 8], [havoc, 1]],
  'cifar': [[cifar, 8], [havoc, 1]],
  'png': [[png, 8], [havoc, 2]],
  'jpeg': [[jpeg, 8], [havoc, 2]],
  'json': [[json, 9], [havoc, 1]],
  'index-json': [[json, 9], [havoc, 1]],
  'text': [[classList, 8], [havoc, 2]],
};

/** Apply one mutator of the format's family (falling back to havoc when one does not apply). */
export function mutate(format: FileFormat, bytes: Uint8Array, rng: Rng): Mutant {
  for (let attempt = 0; attempt < 4; attempt++) {
    const m = rng.weighted(FAMILIES[format])(bytes, rng);
    if (m) return m;
  }
  return havoc(bytes, rng) as Mutant;
}

/** The format of a file by its name and first bytes. */
export function formatOf(name: string, bytes: Uint8Array): FileFormat {
  const lower = name.toLowerCase();
  if (lower.endsWith('.index.json')) return 'index-json';
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.txt')) return 'text';
  if (lower.endsWith('.safetensors')) return 'safetensors';
  if (lower.endsWith('.npz')) return 'npz';
  if (lower.endsWith('.npy')) return 'npy';
  if (lower.endsWith('.png')) return 'png';
  if (/\.jpe?g$/.test(lower)) return 'jpeg';
  if (lower.endsWith('.bin') && !(bytes[0] === 0x50 && bytes[1] === 0x4b)) return 'cifar';
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return 'idx-gz';
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) return 'torch-zip';
  return 'idx';
}
