/**
 * tfjs kernels → ONNX nodes (opset 20), with tfjs's own shape rules, for the graph backend (graphBackend.ts).
 * Covers the kernels the built-in models use (linear layers, softmax, normalisations, GELU, reshapes, slices,
 * tiling, concatenation…); any other kernel reaching a graph value is refused by name, so a model that needs one
 * runs on tfjs instead of running wrong.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SoftMoeError } from '../../errors';
import type { AttrValue } from './onnxProto';
import { DynamicShapeError } from './dynamicShape';

export interface EmitContext {
  /** The ONNX value name of a kernel input (a constant is added to the graph on first use). */
  value(t: tf.TensorInfo): string;
  /** Append a node; returns its output names. */
  node(op: string, inputs: string[], attrs?: Record<string, AttrValue>, outputs?: number): string[];
  /** An int64 / float32 initializer. */
  ints(values: readonly number[], dims?: number[]): string;
  floats(values: readonly number[], dims?: number[]): string;
  /** A symbolic tensor standing for value `name`. */
  out(name: string, shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** Whether a size derives from a dimension named by the recording (it varies between runs). */
  dynamic(v: number): boolean;
}

/** An attribute would fix a dimension that varies between runs (see graphBackend.ts `DynamicShapeError`). */
function fixed(c: EmitContext, what: string, values: readonly number[]): void {
  if (values.some((v) => c.dynamic(v))) throw new DynamicShapeError(`${what} [${values.join(', ')}] depends on a named dimension`);
}

type Inputs = Record<string, tf.TensorInfo | undefined> | tf.TensorInfo[];
type Attrs = Record<string, unknown>;
type Emitter = (c: EmitContext, inputs: Inputs, attrs: Attrs) => tf.TensorInfo | tf.TensorInfo[];

const int = (v: number): AttrValue => ({ kind: 'int', value: v });
const ints = (v: readonly number[]): AttrValue => ({ kind: 'ints', value: v });
const float = (v: number): AttrValue => ({ kind: 'float', value: v });

const ONNX_TO: Record<string, number> = { float32: 1, int32: 6, bool: 9 };

function get(inputs: Inputs, key: string): tf.TensorInfo {
  const t = (inputs as Record<string, tf.TensorInfo | undefined>)[key];
  if (!t) throw new SoftMoeError('E_INTERNAL', `Internal error: kernel input '${key}' is missing.`);
  return t;
}

function one(c: EmitContext, op: string, ins: string[], shape: number[], dtype: tf.DataType, attrs?: Record<string, AttrValue>): tf.TensorInfo {
  return c.out((c.node(op, ins, attrs) as [string])[0], shape, dtype);
}

function unary(op: string): Emitter {
  return (c, inputs) => {
    const x = get(inputs, 'x');
    return one(c, op, [c.value(x)], [...x.shape], x.dtype);
  };
}

function binary(op: string, boolOut = false): Emitter {
  return (c, inputs) => {
    const a = get(inputs, 'a');
    const b = get(inputs, 'b');
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const dtype = boolOut ? 'bool' : a.dtype;
    // With one side a single value, ONNX Runtime is up to 10× slower on shapes ending in 1 ([b, H, W, 1] − mean):
    // apply it to the other side flattened, then restore the shape.
    const size = (t: tf.TensorInfo) => t.shape.reduce((p, q) => p * q, 1);
    const lone = size(b) === 1 ? 'b' : size(a) === 1 ? 'a' : undefined;
    const big = lone === 'b' ? a : b;
    if (lone && big.shape.length > 1 && size(big) > 1) {
      const flat = c.node('Reshape', [c.value(big), c.ints([-1])])[0] as string;
      const one1 = c.node('Reshape', [c.value(lone === 'b' ? b : a), c.ints([])])[0] as string;
      const r = c.node(op, lone === 'b' ? [flat, one1] : [one1, flat])[0] as string;
      return one(c, 'Reshape', [r, targetShape(c, shape)], shape, dtype);
    }
    return one(c, op, [c.value(a), c.value(b)], shape, dtype);
  };
}

/** Reshape; a target size that varies between runs is written −1 (inferred), so one graph serves every size. */
function reshapeTo(c: EmitContext, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return one(c, 'Reshape', [c.value(x), targetShape(c, shape)], shape, x.dtype);
}

/** A Reshape target as an initializer, its one varying size (if any) written −1. */
function targetShape(c: EmitContext, shape: number[]): string {
  const dyn = shape.map((v) => c.dynamic(v));
  if (dyn.filter(Boolean).length > 1) throw new DynamicShapeError(`a reshape to [${shape.join(', ')}] has two varying sizes`);
  return c.ints(shape.map((v, i) => (dyn[i] ? -1 : v)));
}

function reduce(op: string, axisKey: string, axesAsInput: boolean): Emitter {
  return (c, inputs, attrs) => {
    const x = get(inputs, 'x');
    const axes = tf.util.parseAxisParam((attrs[axisKey] ?? null) as number | number[], x.shape);
    const keep = attrs.keepDims === true;
    const [outShape] = tf.backend_util.computeOutAndReduceShapes(x.shape, axes);
    const shape = keep ? tf.backend_util.expandShapeToKeepDim(outShape, axes) : outShape;
    const node = axesAsInput
      ? c.node(op, [c.value(x), c.ints(axes)], { keepdims: int(keep ? 1 : 0) })
      : c.node(op, [c.value(x)], { axes: ints(axes), keepdims: int(keep ? 1 : 0) });
    return c.out(node[0] as string, shape, x.dtype);
  };
}

/** [..., r, q] with the last two axes swapped, for a transposed matMul operand. */
function swapLast(c: EmitContext, name: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 1] = rank - 2;
  perm[rank - 2] = rank - 1;
  return c.node('Transpose', [name], { perm: ints(perm) })[0] as string;
}

function matMul(c: EmitContext, inputs: Inputs, attrs: Attrs): { name: string; shape: number[] } {
  const a = get(inputs, 'a');
  const b = get(inputs, 'b');
  const ta = attrs.transposeA === true;
  const tb = attrs.transposeB === true;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = a.shape[ta ? ra - 1 : ra - 2] as number;
  const n = b.shape[tb ? rb - 2 : rb - 1] as number;
  const batch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const an = ta ? swapLast(c, c.value(a), ra) : c.value(a);
  const bn = tb ? swapLast(c, c.value(b), rb) : c.value(b);
  return { name: c.node('MatMul', [an, bn])[0] as string, shape: [...batch, m, n] };
}

function activation(c: EmitContext, name: string, act: string, attrs: Attrs, prelu?: tf.TensorInfo): string {
  switch (act) {
    case 'linear':
      return name;
    case 'relu':
      return c.node('Relu', [name])[0] as string;
    case 'relu6':
      return c.node('Clip', [name, c.floats([0], []), c.floats([6], [])])[0] as string;
    case 'elu':
      return c.node('Elu', [name], { alpha: float(1) })[0] as string;
    case 'sigmoid':
      return c.node('Sigmoid', [name])[0] as string;
    case 'leakyrelu':
      return c.node('LeakyRelu', [name], { alpha: float(Number(attrs.leakyreluAlpha ?? 0.2)) })[0] as string;
    case 'prelu':
      if (!prelu) throw new SoftMoeError('E_INTERNAL', 'Internal error: prelu without weights.');
      return c.node('PRelu', [name, c.value(prelu)])[0] as string;
    default:
      throw new SoftMoeError('E_UNSUPPORTED', `The ONNX backend has no fused activation '${act}'.`);
  }
}

const EMITTERS: Record<string, Emitter> = {
  Add: binary('Add'),
  Sub: binary('Sub'),
  Multiply: binary('Mul'),
  RealDiv: binary('Div'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  Pow: binary('Pow'),
  Less: binary('Less', true),
  LessEqual: binary('LessOrEqual', true),
  Greater: binary('Greater', true),
  GreaterEqual: binary('GreaterOrEqual', true),
  Equal: binary('Equal', true),
  SquaredDifference: (c, inputs) => {
    const a = get(inputs, 'a');
    const b = get(inputs, 'b');
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const d = c.node('Sub', [c.value(a), c.value(b)])[0] as string;
    return one(c, 'Mul', [d, d], shape, a.dtype);
  },
  Square: (c, inputs) => {
    const x = get(inputs, 'x');
    const v = c.value(x);
    return one(c, 'Mul', [v, v], [...x.shape], x.dtype);
  },
  Rsqrt: (c, inputs) => {
    const x = get(inputs, 'x');
    const s = c.node('Sqrt', [c.value(x)])[0] as string;
    return one(c, 'Reciprocal', [s], [...x.shape], x.dtype);
  },
  Sqrt: unary('Sqrt'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Erf: unary('Erf'),
  Tanh: unary('Tanh'),
  Relu: unary('Relu'),
  Neg: unary('Neg'),
  Abs: unary('Abs'),
  Sigmoid: unary('Sigmoid'),
  Reciprocal: unary('Reciprocal'),
  Floor: unary('Floor'),
  Ceil: unary('Ceil'),
  Sign: unary('Sign'),
  Identity: unary('Identity'),
  LogicalNot: unary('Not'),
  Cast: (c, inputs, attrs) => {
    const x = get(inputs, 'x');
    const to = String(attrs.dtype);
    const code = ONNX_TO[to];
    if (code === undefined) throw new SoftMoeError('E_UNSUPPORTED', `The ONNX backend cannot cast to ${to}.`);
    return one(c, 'Cast', [c.value(x)], [...x.shape], to as tf.DataType, { to: int(code) });
  },
  Reshape: (c, inputs, attrs) => {
    const x = get(inputs, 'x');
    const size = x.shape.reduce((p, q) => p * q, 1);
    return reshapeTo(c, x, tf.util.inferFromImplicitShape([...(attrs.shape as number[])], size));
  },
  ExpandDims: (c, inputs, attrs) => {
    const x = get(inputs, 'input');
    const shape = [...x.shape];
    let dim = Number(attrs.dim);
    if (dim < 0) dim += shape.length + 1;
    shape.splice(dim, 0, 1);
    return reshapeTo(c, x, shape);
  },
  Transpose: (c, inputs, attrs) => {
    const x = get(inputs, 'x');
    const perm = attrs.perm as number[];
    return one(c, 'Transpose', [c.value(x)], perm.map((p) => x.shape[p] as number), x.dtype, { perm: ints(perm) });
  },
  BatchMatMul: (c, inputs, attrs) => {
    const r = matMul(c, inputs, attrs);
    return c.out(r.name, r.shape, get(inputs, 'a').dtype);
  },
  _FusedMatMul: (c, inputs, attrs) => {
    const r = matMul(c, inputs, attrs);
    const bias = (inputs as Record<string, tf.TensorInfo | undefined>).bias;
    let name = r.name;
    let shape = r.shape;
    if (bias) {
      shape = tf.backend_util.assertAndGetBroadcastShape(shape, bias.shape);
      name = c.node('Add', [name, c.value(bias)])[0] as string;
    }
    const act = String(attrs.activation ?? 'linear');
    name = activation(c, name, act, attrs, (inputs as Record<string, tf.TensorInfo | undefined>).preluActivationWeights);
    if (name === r.name && !bias) name = c.node('Identity', [name])[0] as string;
    return c.out(name, shape, get(inputs, 'a').dtype);
  },
  Softmax: (c, inputs, attrs) => {
    const x = get(inputs, 'logits');
    let dim = Number(attrs.dim ?? -1);
    if (dim < 0) dim += x.shape.length;
    return one(c, 'Softmax', [c.value(x)], [...x.shape], x.dtype, { axis: int(dim) });
  },
  Sum: reduce('ReduceSum', 'axis', true),
  Mean: reduce('ReduceMean', 'axis', true),
  Max: reduce('ReduceMax', 'reductionIndices', true),
  Min: reduce('ReduceMin', 'axis', true),
  Prod: reduce('ReduceProd', 'axis', true),
  ArgMax: (c, inputs, attrs) => {
    const x = get(inputs, 'x');
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0] as number;
    const am = c.node('ArgMax', [c.value(x)], { axis: int(axis), keepdims: int(0) })[0] as string;
    return one(c, 'Cast', [am], x.shape.filter((_, i) => i !== axis), 'int32', { to: int(6) });
  },
  Tile: (c, inputs, attrs) => {
    const x = get(inputs, 'x');
    const reps = attrs.reps as number[];
    fixed(c, 'tile repetitions', reps);
    return one(c, 'Tile', [c.value(x), c.ints(reps)], x.shape.map((s, i) => s * (reps[i] as number)), x.dtype);
  },
  Slice: (c, inputs, attrs) => {
    const x = get(inputs, 'x');
    const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin as number[], attrs.size as number[]) as [number[], number[]];
    // Only the axes actually cut: a whole axis (e.g. every row of a batch) stays free to vary.
    const axes = begin.map((_, i) => i).filter((i) => !(begin[i] === 0 && size[i] === x.shape[i]));
    fixed(c, 'slice bounds', axes.flatMap((i) => [begin[i] as number, size[i] as number, x.shape[i] as number]));
    if (axes.length === 0) return one(c, 'Identity', [c.value(x)], [...size], x.dtype);
    const starts = axes.map((i) => begin[i] as number);
    const ends = axes.map((i) => (begin[i] as number) + (size[i] as number));
    return one(c, 'Slice', [c.value(x), c.ints(starts), c.ints(ends), c.ints(axes)], [...size], x.dtype);
  },
  Concat: (c, inputs, attrs) => {
    const all = (Array.isArray(inputs) ? inputs : Object.values(inputs)).filter((t): t is tf.TensorInfo => t != null);
    const first = all[0] as tf.TensorInfo;
    const axis = tf.util.parseAxisParam(attrs.axis as number, first.shape)[0] as number;
    const kept = all.filter((t) => t.shape.reduce((p, q) => p * q, 1) > 0);
    const shape = tf.backend_util.computeOutShape(all.map((t) => t.shape), axis);
    if (kept.length === 1) return one(c, 'Identity', [c.value(kept[0] as tf.TensorInfo)], shape, first.dtype);
    return one(c, 'Concat', kept.map((t) => c.value(t)), shape, first.dtype, { axis: int(axis) });
  },
  Pack: (c, inputs, attrs) => {
    const all = (Array.isArray(inputs) ? inputs : Object.values(inputs)).filter((t): t is tf.TensorInfo => t != null);
    const first = all[0] as tf.TensorInfo;
    let axis = Number(attrs.axis ?? 0);
    if (axis < 0) axis += first.shape.length + 1;
    const unsq = all.map((t) => {
      const s = [...t.shape];
      s.splice(axis, 0, 1);
      return c.node('Reshape', [c.value(t), targetShape(c, s)])[0] as string;
    });
    const shape = [...first.shape];
    shape.splice(axis, 0, all.length);
    return one(c, 'Concat', unsq, shape, first.dtype, { axis: int(axis) });
  },
  SplitV: (c, inputs, attrs) => {
    const x = get(inputs, 'x');
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0] as number;
    const sizes = tf.backend_util.prepareSplitSize(x, attrs.numOrSizeSplits as number | number[], axis);
    fixed(c, 'split sizes', sizes);
    const outs = c.node('Split', [c.value(x), c.ints(sizes)], { axis: int(axis) }, sizes.length);
    return outs.map((o, i) => {
      const s = [...x.shape];
      s[axis] = sizes[i] as number;
      return c.out(o, s, x.dtype);
    });
  },
  GatherV2: (c, inputs, attrs) => {
    const x = get(inputs, 'x');
    const idx = get(inputs, 'indices');
    if (Number(attrs.batchDims ?? 0) !== 0) throw new SoftMoeError('E_UNSUPPORTED', 'The ONNX backend does not gather with batch dimensions.');
    const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0] as number;
    const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
    return one(c, 'Gather', [c.value(x), c.value(idx)], shape, x.dtype, { axis: int(axis) });
  },
  Select: (c, inputs) => {
    const cond = get(inputs, 'condition');
    const t = get(inputs, 't');
    const e = get(inputs, 'e');
    const shape = tf.backend_util.assertAndGetBroadcastShape(tf.backend_util.assertAndGetBroadcastShape(cond.shape, t.shape), e.shape);
    return one(c, 'Where', [c.value(cond), c.value(t), c.value(e)], shape, t.dtype);
  },
  PadV2: (c, inputs, attrs) => {
    const x = get(inputs, 'x');
    const pads = attrs.paddings as Array<[number, number]>;
    const flat = [...pads.map((p) => p[0]), ...pads.map((p) => p[1])];
    fixed(c, 'paddings', flat);
    const shape = x.shape.map((s, i) => s + (pads[i]?.[0] ?? 0) + (pads[i]?.[1] ?? 0));
    return one(c, 'Pad', [c.value(x), c.ints(flat), c.floats([Number(attrs.constantValue ?? 0)], [])], shape, x.dtype);
  },
  ZerosLike: (c, inputs) => {
    const x = get(inputs, 'x');
    const shape = c.node('Shape', [c.value(x)])[0] as string;
    return one(c, 'Expand', [c.floats([0], []), shape], [...x.shape], x.dtype);
  },
  OnesLike: (c, inputs) => {
    const x = get(inputs, 'x');
    const shape = c.node('Shape', [c.value(x)])[0] as string;
    return one(c, 'Expand', [c.floats([1], []), shape], [...x.shape], x.dtype);
  },
};

/** The fused operations of fusedOps.ts, one ONNX node each. */
const FUSED: Record<string, Emitter> = {
  SoftMoeGelu: (c, inputs, attrs) => {
    const x = get(inputs, 'x');
    return one(c, 'Gelu', [c.value(x)], [...x.shape], x.dtype, { approximate: { kind: 'string', value: String(attrs.approximate ?? 'none') } });
  },
  SoftMoeLayerNorm: (c, inputs, attrs) => {
    const x = get(inputs, 'x');
    const g = get(inputs, 'gain');
    const b = get(inputs, 'bias');
    return one(c, 'LayerNormalization', [c.value(x), c.value(g), c.value(b)], [...x.shape], x.dtype, { axis: int(-1), epsilon: float(Number(attrs.epsilon)) });
  },
};
Object.assign(EMITTERS, FUSED);

export const FUSED_KERNELS: readonly string[] = Object.keys(FUSED);

/** Record kernel `name` on symbolic inputs. */
export function emitKernel(c: EmitContext, name: string, inputs: Inputs, attrs: Attrs): tf.TensorInfo | tf.TensorInfo[] {
  const emit = EMITTERS[name];
  if (!emit) throw new SoftMoeError('E_UNSUPPORTED', `the ONNX backend has no mapping for the tfjs kernel '${name}'`);
  return emit(c, inputs, attrs);
}

/** Kernels the graph backend can record (for tests and messages). */
export const RECORDABLE_KERNELS: readonly string[] = Object.keys(EMITTERS);
