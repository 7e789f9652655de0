/**
 * Shape checks for the ways checkpoints store experts: MLPs with one tensor per expert, MLPs with all experts
 * stacked, or one linear map per expert stacked (fkodom). Each returns the expert hidden size h and the tensor names,
 * or throws E_SHAPE naming the tensors that disagree.
 */
import type { ExpertActivation, ExpertTensors } from './detectedLayer';
import { fmtTensor, type LayerShapeChecker, type ShapeMap } from './tensorShapes';

export interface RouterDims {
  /** Router tensor name, for messages. */
  router: string;
  numExperts: number;
  dim: number;
}

export interface PerExpertNames {
  /** Name prefix of the expert container, ending with '.', e.g. `blocks.6.mlp.experts.`. */
  container: string;
  /** Rest of each tensor name after `<container><e>.`, e.g. 'fc1.weight'. */
  fc1: string;
  fc2: string;
  fc1Bias: string;
  fc2Bias: string;
}

export interface ExpertCheck {
  experts: ExpertTensors;
  expertHidden: number;
  /** 'geglu' when fc1 is twice as wide as fc2's input; otherwise the layout's own activation. */
  activation: ExpertActivation;
  /** Width of the experts' outputs when it is not d (fkodom out_features). */
  outDim?: number;
}

/**
 * Per-expert tensors in PyTorch Linear order. `indices` are the expert numbers seen under the container
 * (to report missing and extra experts). `allowGeglu` accepts fc1 [2h, d] with fc2 [d, h].
 */
export function checkPerExpert(
  tensors: ShapeMap, check: LayerShapeChecker, r: RouterDims, names: PerExpertNames,
  indices: ReadonlySet<number>, activation: ExpertActivation, allowGeglu: boolean,
): ExpertCheck {
  const n = r.numExperts;
  const at = (e: number, rest: string): string => `${names.container}${e}.${rest}`;
  for (let e = 0; e < n; e++) {
    if (!indices.has(e)) check.fail(`expert ${e} is missing (no ${at(e, names.fc1)}) but ${fmtTensor(tensors, r.router)} says ${n} experts`);
  }
  const extra = [...indices].filter((e) => e >= n).sort((a, b) => a - b);
  if (extra.length > 0) {
    check.fail(`found ${names.container}${extra[0]}.* but ${fmtTensor(tensors, r.router)} says ${n} experts (0–${n - 1})`);
  }
  const fc1 = Array.from({ length: n }, (_, e) => at(e, names.fc1));
  const fc2 = Array.from({ length: n }, (_, e) => at(e, names.fc2));
  const s1 = check.rank(fc1[0], 2, '[h, d]');
  const s2 = check.rank(fc2[0], 2, '[d, h]');
  const h = s2[1];
  check.positive(fc2[0], h, 'hidden size h');
  let act = activation;
  if (allowGeglu && s1[0] === 2 * h) act = 'geglu';
  else if (s1[0] !== h) check.fail(`${fmtTensor(tensors, fc1[0])} has hidden size ${s1[0]} but ${fmtTensor(tensors, fc2[0])} takes ${h}`);
  const width = s1[0];
  for (let e = 0; e < n; e++) {
    const s = check.rank(fc1[e], 2, '[h, d]');
    if (s[1] !== r.dim) check.fail(`${fmtTensor(tensors, fc1[e])} takes inputs of size ${s[1]} but ${fmtTensor(tensors, r.router)} says d = ${r.dim}`);
    if (s[0] !== width) check.fail(`expert ${e} has hidden size ${s[0]} (${fmtTensor(tensors, fc1[e])}) but expert 0 has ${width} (${fmtTensor(tensors, fc1[0])})`);
    check.exact(fc2[e], [r.dim, h], `d = ${r.dim} from ${r.router}, h = ${h} from expert 0`);
  }
  const experts: ExpertTensors = { kind: 'per-expert', fc1, fc2 };
  const fc1Bias = optionalPerExpert(tensors, check, n, (e) => at(e, names.fc1Bias));
  const fc2Bias = optionalPerExpert(tensors, check, n, (e) => at(e, names.fc2Bias));
  fc1Bias?.forEach((b) => check.exact(b, [width], `fc1 of every expert has ${width} outputs`));
  fc2Bias?.forEach((b) => check.exact(b, [r.dim], `d = ${r.dim} from ${r.router}`));
  if (fc1Bias) experts.fc1Bias = fc1Bias;
  if (fc2Bias) experts.fc2Bias = fc2Bias;
  return { experts, expertHidden: h, activation: act };
}

/** Biases are all there or all absent; a mix is an error naming the first expert that differs. */
function optionalPerExpert(tensors: ShapeMap, check: LayerShapeChecker, n: number, name: (e: number) => string): string[] | undefined {
  const first = tensors.has(name(0));
  for (let e = 1; e < n; e++) {
    if (tensors.has(name(e)) !== first) {
      check.fail(first ? `${name(e)} is missing but expert 0 has ${name(0)}` : `${name(e)} is present but expert 0 has no ${name(0)}`);
    }
  }
  return first ? Array.from({ length: n }, (_, e) => name(e)) : undefined;
}

export interface StackedNames {
  fc1: string;
  fc2: string;
  fc1Bias: string;
  fc2Bias: string;
  /** 'out-in': fc1 [n, h, d] (timm); 'in-out': fc1 [n, d, h] (Flax kernels). */
  order: 'out-in' | 'in-out';
}

export function checkStacked(
  tensors: ShapeMap, check: LayerShapeChecker, r: RouterDims, names: StackedNames, activation: ExpertActivation,
): ExpertCheck {
  const outIn = names.order === 'out-in';
  const s1 = check.rank(names.fc1, 3, outIn ? '[n, h, d]' : '[n, d, h]');
  const n = r.numExperts;
  if (s1[0] !== n) check.fail(`${fmtTensor(tensors, names.fc1)} stacks ${s1[0]} experts but ${fmtTensor(tensors, r.router)} says ${n}`);
  const h = outIn ? s1[1] : s1[2];
  const din = outIn ? s1[2] : s1[1];
  check.positive(names.fc1, h, 'hidden size h');
  if (din !== r.dim) check.fail(`${fmtTensor(tensors, names.fc1)} takes inputs of size ${din} but ${fmtTensor(tensors, r.router)} says d = ${r.dim}`);
  const why = `n = ${n}, d = ${r.dim} from ${r.router}, h = ${h} from ${names.fc1}`;
  check.exact(names.fc2, outIn ? [n, r.dim, h] : [n, h, r.dim], why);
  const experts: ExpertTensors = { kind: 'stacked', order: names.order, fc1: names.fc1, fc2: names.fc2 };
  if (check.has(names.fc1Bias)) {
    check.exact(names.fc1Bias, [n, h], why);
    experts.fc1Bias = names.fc1Bias;
  }
  if (check.has(names.fc2Bias)) {
    check.exact(names.fc2Bias, [n, r.dim], why);
    experts.fc2Bias = names.fc2Bias;
  }
  return { experts, expertHidden: h, activation };
}

/**
 * fkodom's MultiExpertLayer: `weight [n, d_in, d_out]` (input-major), optional `bias [n, d_out]`. The expert's
 * "hidden" is its input, so h = d_in.
 */
export function checkLinearExperts(tensors: ShapeMap, check: LayerShapeChecker, r: RouterDims, weight: string, bias: string): ExpertCheck {
  const [n, din, dout] = check.rank(weight, 3, '[n, d_in, d_out]');
  if (n !== r.numExperts) check.fail(`${fmtTensor(tensors, weight)} stacks ${n} experts but ${fmtTensor(tensors, r.router)} says ${r.numExperts}`);
  if (din !== r.dim) check.fail(`${fmtTensor(tensors, weight)} takes inputs of size ${din} but ${fmtTensor(tensors, r.router)} says d = ${r.dim}`);
  check.positive(weight, dout, 'output width');
  const experts: ExpertTensors = { kind: 'linear', weight };
  if (check.has(bias)) {
    check.exact(bias, [n, dout], `n = ${n} and ${dout} outputs from ${weight}`);
    experts.bias = bias;
  }
  return { experts, expertHidden: din, activation: 'none', ...(dout !== din ? { outDim: dout } : {}) };
}

/** Every tensor name an expert set uses, in a stable order. */
export function expertTensorNames(x: ExpertTensors): string[] {
  if (x.kind === 'linear') return [x.weight, ...(x.bias ? [x.bias] : [])];
  if (x.kind === 'stacked') return [x.fc1, x.fc1Bias, x.fc2, x.fc2Bias].filter((s): s is string => s !== undefined);
  const out: string[] = [];
  for (let e = 0; e < x.fc1.length; e++) {
    out.push(x.fc1[e]);
    if (x.fc1Bias) out.push(x.fc1Bias[e]);
    out.push(x.fc2[e]);
    if (x.fc2Bias) out.push(x.fc2Bias[e]);
  }
  return out;
}
