/**
 * A bounded TypeScript unpickler (protocols 0–5) that builds only inert values. Globals go through the allowlist in
 * pickleGlobals.ts (anything else is refused when it is named, before it could ever be used); REDUCE / NEWOBJ / INST /
 * OBJ call only allowlisted TypeScript functions; BUILD is accepted only on tensors and dicts; unknown opcodes, the
 * extension registry and out-of-band buffers are refused. The stack, memo and integer sizes are capped.
 */
import { SoftMoeError } from '../errors';
import { callGlobal, resolveGlobal } from './pickleGlobals';
import { NumpyDType, PyGlobal, PyNamespace, PyTuple, TensorRef, type PyValue } from './pickleValues';

export interface UnpickleOptions {
  /** Names the file in error messages. */
  label: string;
  /** Resolve a persistent id (torch storages). Absent → persistent ids are refused. */
  persistentLoad?: (pid: PyValue) => PyValue;
  maxStack?: number;
  maxMemo?: number;
}

const MAX_LONG_BYTES = 1024;

export function unpickle(data: Uint8Array, opts: UnpickleOptions): PyValue {
  const { label } = opts;
  const maxStack = opts.maxStack ?? 5_000_000;
  const maxMemo = opts.maxMemo ?? 5_000_000;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const latin = new TextDecoder('latin1');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  let stack: PyValue[] = [];
  const marks: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  let depthItems = 0;

  const fail = (what: string) => new SoftMoeError('E_CORRUPT', `${label}: pickle ${what} at byte ${pos}`);
  const need = (n: number) => {
    if (!Number.isSafeInteger(n) || n < 0 || pos + n > data.byteLength) throw fail(`is truncated (needs ${n} more bytes)`);
  };
  const bytes = (n: number) => {
    need(n);
    const b = data.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const u8 = () => (need(1), data[pos++]!);
  const u16 = () => (need(2), (pos += 2), dv.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), dv.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), dv.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    const v = dv.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail('has an absurd length');
    return Number(v);
  };
  const line = () => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw fail('is truncated (missing end of line)');
    const s = latin.decode(data.subarray(pos, end));
    pos = end + 1;
    return s.endsWith('\r') ? s.slice(0, -1) : s;
  };
  const text = (b: Uint8Array) => {
    try {
      return utf8.decode(b);
    } catch {
      throw fail('has a string that is not valid UTF-8');
    }
  };
  const push = (v: PyValue) => {
    if (stack.length + depthItems >= maxStack) throw fail(`stack exceeds ${maxStack} items`);
    stack.push(v);
  };
  const pop = () => {
    if (stack.length === 0) throw fail('pops an empty stack');
    return stack.pop();
  };
  const top = () => {
    if (stack.length === 0) throw fail('reads an empty stack');
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = marks.pop();
    if (!prev) throw fail('has no MARK to pop to');
    stack = prev;
    depthItems -= prev.length;
    return items;
  };
  const mark = () => {
    if (marks.length >= 100_000) throw fail('nests too deeply');
    marks.push(stack);
    depthItems += stack.length;
    stack = [];
  };
  const memoPut = (i: number, v: PyValue) => {
    if (!memo.has(i) && memo.size >= maxMemo) throw fail(`memo exceeds ${maxMemo} entries`);
    memo.set(i, v);
  };
  const memoGet = (i: number) => {
    if (!memo.has(i)) throw fail(`refers to memo entry ${i} that was never stored`);
    return memo.get(i);
  };
  const longFromBytes = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };
  const setItems = (target: PyValue, items: PyValue[]) => {
    if (!(target instanceof Map)) throw fail('sets items on something that is not a dict');
    if (items.length % 2) throw fail('has an odd number of dict items');
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  const appendItems = (target: PyValue, items: PyValue[]) => {
    if (!Array.isArray(target)) throw fail('appends to something that is not a list');
    for (const it of items) target.push(it);
  };
  const global = (module: string, name: string) => resolveGlobal(module, name, label);
  const call = (fn: PyValue, args: PyValue) => {
    if (!Array.isArray(args)) throw fail('calls a function without an argument tuple');
    return callGlobal(fn, args, label);
  };

  for (;;) {
    const opPos = pos;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const proto = u8();
        if (proto > 5) throw fail(`uses protocol ${proto} (0–5 are supported)`);
        break;
      }
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) throw fail('ends with a malformed stack');
        return stack[0];
      case 0x28: mark(); break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x4a: push(i32()); break; // BININT
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x8a: push(longFromBytes(bytes(u8()))); break; // LONG1
      case 0x8b: { // LONG4
        const n = u32();
        if (n > MAX_LONG_BYTES) throw fail(`has a ${n}-byte integer`);
        push(longFromBytes(bytes(n)));
        break;
      }
      case 0x49: { // INT
        const s = line();
        if (s === '00') push(false);
        else if (s === '01') push(true);
        else push(parseIntText(s, fail));
        break;
      }
      case 0x4c: push(parseIntText(line().replace(/L$/, ''), fail)); break; // LONG
      case 0x46: { // FLOAT
        const v = Number(line());
        if (Number.isNaN(v)) throw fail('has a malformed float');
        push(v);
        break;
      }
      case 0x47: need(8); push(dv.getFloat64(pos, false)); pos += 8; break; // BINFLOAT (big-endian)
      case 0x53: push(unquote(line(), fail)); break; // STRING
      case 0x54: push(latin.decode(bytes(u32()))); break; // BINSTRING
      case 0x55: push(latin.decode(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x56: push(rawUnicodeEscape(line(), fail)); break; // UNICODE
      case 0x58: push(text(bytes(u32()))); break; // BINUNICODE
      case 0x8c: push(text(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: push(text(bytes(u64()))); break; // BINUNICODE8
      case 0x42: push(bytes(u32()).slice()); break; // BINBYTES
      case 0x43: push(bytes(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: push(bytes(u64()).slice()); break; // BINBYTES8
      case 0x96: push(bytes(u64()).slice()); break; // BYTEARRAY8
      case 0x97: // NEXT_BUFFER
      case 0x98: // READONLY_BUFFER
        throw new SoftMoeError('E_UNSUPPORTED', `${label}: pickle uses out-of-band buffers (protocol 5), which are not read`);
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x29: push(new PyTuple()); break; // EMPTY_TUPLE
      case 0x7d: push(new Map()); break; // EMPTY_DICT
      case 0x8f: push(new Set()); break; // EMPTY_SET
      case 0x6c: push(popMark()); break; // LIST
      case 0x74: push(PyTuple.from(popMark())); break; // TUPLE
      case 0x85: push(PyTuple.of(pop())); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); push(PyTuple.of(a, b)); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); push(PyTuple.of(a, b, c)); break; } // TUPLE3
      case 0x64: { const m = new Map(); setItems(m, popMark()); push(m); break; } // DICT
      case 0x91: push(new Set(popMark())); break; // FROZENSET
      case 0x61: { const v = pop(); appendItems(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); appendItems(top(), items); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x90: { // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw fail('adds items to something that is not a set');
        for (const it of items) s.add(it);
        break;
      }
      case 0x67: push(memoGet(parseIntText(line(), fail) as number)); break; // GET
      case 0x68: push(memoGet(u8())); break; // BINGET
      case 0x6a: push(memoGet(u32())); break; // LONG_BINGET
      case 0x70: memoPut(parseIntText(line(), fail) as number, top()); break; // PUT
      case 0x71: memoPut(u8(), top()); break; // BINPUT
      case 0x72: memoPut(u32(), top()); break; // LONG_BINPUT
      case 0x94: memoPut(memo.size, top()); break; // MEMOIZE
      case 0x63: { const module = line(); push(global(module, line())); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw fail('has a STACK_GLOBAL without string names');
        push(global(module, name));
        break;
      }
      case 0x69: { // INST
        const module = line();
        const cls = global(module, line());
        push(call(cls, popMark()));
        break;
      }
      case 0x6f: { // OBJ
        const items = popMark();
        if (items.length === 0) throw fail('has an OBJ without a class');
        push(call(items[0], items.slice(1)));
        break;
      }
      case 0x52: { const args = pop(); const fn = pop(); push(call(fn, args)); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); push(call(cls, args)); break; } // NEWOBJ
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(kwargs instanceof Map) || kwargs.size) throw fail('passes keyword arguments to a constructor');
        push(call(cls, args));
        break;
      }
      case 0x62: { // BUILD
        const state = pop();
        const obj = top();
        if (obj instanceof PyNamespace) {
          if (!(state instanceof Map)) throw fail('sets a Namespace state that is not a dict');
          for (const [k, v] of state) obj.set(k, v);
        } else if (obj instanceof NumpyDType) {
          if (Array.isArray(state) && typeof state[1] === 'string') obj.byteOrder = state[1];
        } else if (!(obj instanceof TensorRef || obj instanceof Map)) {
          throw new SoftMoeError('E_UNSAFE', `${label}: pickle sets state on a ${describe(obj)} (only tensors, dicts and Namespaces accept state)`);
        }
        // A tensor's python attributes and an OrderedDict's _metadata are not needed.
        break;
      }
      case 0x50: // PERSID
      case 0x51: { // BINPERSID
        const pid = op === 0x50 ? line() : pop();
        if (!opts.persistentLoad) throw new SoftMoeError('E_UNSAFE', `${label}: pickle refers to external objects (persistent ids), which are only read inside a PyTorch zip`);
        push(opts.persistentLoad(pid));
        break;
      }
      case 0x82: case 0x83: case 0x84: // EXT1, EXT2, EXT4
        throw new SoftMoeError('E_UNSAFE', `${label}: pickle uses the copyreg extension registry, which is never read`);
      default:
        pos = opPos;
        throw fail(`has unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}

function parseIntText(s: string, fail: (w: string) => SoftMoeError): number | bigint {
  if (!/^[-+]?\d{1,400}$/.test(s.trim())) throw fail('has a malformed integer');
  const v = BigInt(s.trim());
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function unquote(s: string, fail: (w: string) => SoftMoeError): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s[s.length - 1] !== q || s.length < 2) throw fail('has a malformed STRING');
  return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' } as Record<string, string>)[e] ?? `\\${e}`;
  });
}

/** Python's raw-unicode-escape: latin-1 text with \\uXXXX and \\UXXXXXXXX escapes. */
function rawUnicodeEscape(s: string, fail: (w: string) => SoftMoeError): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, u: string | undefined, U: string | undefined) => {
    const cp = parseInt(u ?? U ?? '', 16);
    if (!(cp <= 0x10ffff)) throw fail('has an invalid unicode escape');
    return String.fromCodePoint(cp);
  });
}

function describe(v: PyValue): string {
  if (v instanceof PyGlobal) return `'${v.qualname}'`;
  if (Array.isArray(v)) return 'list';
  return v === null ? 'None' : typeof v;
}
