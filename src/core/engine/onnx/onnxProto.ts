/**
 * The few ONNX protobuf messages a graph needs (onnx.proto3: ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto), written by hand: no protobuf dependency, and only what graphBackend.ts records.
 * Field numbers are those of onnx/onnx.proto (IR version 9).
 */

/** ONNX TensorProto.DataType values used here. */
export const ONNX_DTYPE = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 } as const;
export type OnnxDtype = keyof typeof ONNX_DTYPE;

export type AttrValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'string'; value: string };

export interface OnnxNode {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Record<string, AttrValue>;
}

export interface OnnxTensor {
  name: string;
  dtype: OnnxDtype;
  dims: readonly number[];
  /** Little-endian raw bytes of the values. */
  raw: Uint8Array;
}

export interface OnnxValueInfo {
  name: string;
  dtype: OnnxDtype;
  /** A number, or a name for a dimension that varies between runs. */
  dims: ReadonlyArray<number | string>;
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

class Writer {
  private buf = new Uint8Array(1024);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  int(field: number, v: number): void {
    this.tag(field, 0);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
  }

  packedInts(field: number, vs: readonly number[]): void {
    const w = new Writer();
    for (const v of vs) w.varint(v);
    this.bytes(field, w.finish());
  }

  message(field: number, write: (w: Writer) => void): void {
    const w = new Writer();
    write(w);
    this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

const ATTR_TYPE = { float: 1, int: 2, string: 3, ints: 7 } as const;

function writeAttr(w: Writer, name: string, a: AttrValue): void {
  w.string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'ints':
      // AttributeProto.ints is a repeated int64 (field 8); packed encoding is accepted by proto3 parsers.
      w.packedInts(8, a.value);
      break;
  }
  w.int(20, ATTR_TYPE[a.kind]);
}

function writeTensor(w: Writer, t: OnnxTensor): void {
  if (t.dims.length) w.packedInts(1, t.dims);
  w.int(2, ONNX_DTYPE[t.dtype]);
  w.string(8, t.name);
  w.bytes(9, t.raw);
}

function writeValueInfo(w: Writer, v: OnnxValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) => type.message(1, (tensor) => {
    tensor.int(1, ONNX_DTYPE[v.dtype]);
    tensor.message(2, (shape) => {
      for (const d of v.dims) shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
    });
  }));
}

function writeGraph(w: Writer, g: OnnxGraph): void {
  g.nodes.forEach((n, i) => w.message(1, (nw) => {
    for (const x of n.inputs) nw.string(1, x);
    for (const y of n.outputs) nw.string(2, y);
    nw.string(3, `n${i}_${n.op}`);
    nw.string(4, n.op);
    for (const [k, a] of Object.entries(n.attrs ?? {})) nw.message(5, (aw) => writeAttr(aw, k, a));
  }));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, (tw) => writeTensor(tw, t));
  for (const v of g.inputs) w.message(11, (vw) => writeValueInfo(vw, v));
  for (const v of g.outputs) w.message(12, (vw) => writeValueInfo(vw, v));
}

/** A serialised ModelProto (IR 9, default domain at `opset`). */
export function encodeModel(graph: OnnxGraph, opset = 20): Uint8Array {
  const w = new Writer();
  w.int(1, 9); // ir_version (opset 20 needs IR 9)
  w.string(2, 'softmoe-inspector');
  w.message(7, (gw) => writeGraph(gw, graph));
  w.message(8, (ow) => {
    ow.string(1, '');
    ow.int(2, opset);
  });
  return w.finish();
}

/** Bytes of a typed array's values (a view, no copy; little-endian on every platform Node runs on). */
export function rawBytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
