/**
 * Recognise Soft MoE layers from tensor names and shapes alone (no tensor data is read), for every layout in
 * docs/soft-moe-layouts.md. Each layer is found from its router tensor (Φ `phi`, lucidrains' `slot_embeds` or
 * `to_slot_embeds.0.weight`, vmoe's `Router/mu`) under any name prefix (`module.`, `model.`, `encoder.layers.3.` …);
 * the tensors beside it decide the layout AND the variant of the math (normalisation, what the experts see, the
 * expert function, static or dynamic slots), so that building the layer never looks at names again. A layer whose
 * tensors disagree is an E_SHAPE error naming them.
 */
import type { DetectedLayer, RouterAxes, SoftMoeLayout, SoftMoeVariant } from './detectedLayer';
import { checkLinearExperts, checkPerExpert, checkStacked, expertTensorNames, type ExpertCheck, type RouterDims } from './expertShapes';
import { LayerShapeChecker, fmtTensor, type ShapeMap } from './tensorShapes';
import { compareNatural } from './naturalSort';

export interface Detection {
  layers: DetectedLayer[];
  /** Things that look like part of a Soft MoE layer but are not one (one line each). */
  warnings: string[];
}

/** The layers of a checkpoint, in forward order (natural order of names). Throws E_SHAPE on inconsistent layers. */
export function detectSoftMoeLayers(tensors: ShapeMap): DetectedLayer[] {
  return detectSoftMoe(tensors).layers;
}

export function detectSoftMoe(tensors: ShapeMap): Detection {
  const experts = indexExperts(tensors.keys());
  const layers: DetectedLayer[] = [];
  const warnings: string[] = [];
  for (const name of tensors.keys()) {
    const layer = detectAt(tensors, experts, name, warnings);
    if (layer) layers.push(layer);
  }
  layers.sort((a, b) => compareNatural(a.name, b.name));
  return { layers, warnings };
}

/** container prefix ('…experts.') → expert index → the rest of each name after '<index>.'. */
type ExpertIndex = Map<string, Map<number, Set<string>>>;

const EXPERT_NAME = /^((?:.*\.)?experts\.)(\d{1,6})\.(.+)$/;

function indexExperts(names: Iterable<string>): ExpertIndex {
  const index: ExpertIndex = new Map();
  for (const name of names) {
    const m = EXPERT_NAME.exec(name);
    if (!m) continue;
    let byExpert = index.get(m[1]);
    if (!byExpert) index.set(m[1], (byExpert = new Map()));
    const e = Number(m[2]);
    let rests = byExpert.get(e);
    if (!rests) byExpert.set(e, (rests = new Set()));
    rests.add(m[3]);
  }
  return index;
}

/** Expert numbers under `container` that have any of `rests`. */
function expertsWith(index: ExpertIndex, container: string, rests: string[]): Set<number> {
  const out = new Set<number>();
  for (const [e, have] of index.get(container) ?? []) if (rests.some((r) => have.has(r))) out.add(e);
  return out;
}

const VMOE_MU = /^(|.*[./])Router([./])mu$/;

const DYNAMIC_SLOTS = 'to_slot_embeds.0.weight';

function detectAt(tensors: ShapeMap, experts: ExpertIndex, name: string, warnings: string[]): DetectedLayer | null {
  if (name === 'phi' || name.endsWith('.phi')) return detectPhi(tensors, experts, name, name.slice(0, -'phi'.length), warnings);
  if (name === 'slot_embeds' || name.endsWith('.slot_embeds')) {
    return detectLucidrains(tensors, experts, name, name.slice(0, -'slot_embeds'.length), warnings);
  }
  if (name === DYNAMIC_SLOTS || name.endsWith(`.${DYNAMIC_SLOTS}`)) {
    return detectDynamicSlots(tensors, experts, name, name.slice(0, -DYNAMIC_SLOTS.length), warnings);
  }
  const m = VMOE_MU.exec(name);
  if (m) return detectVmoe(tensors, name, m[1], m[2], warnings);
  return null;
}

function layerName(prefix: string): string {
  return prefix.replace(/[./]$/, '');
}

/** bwconrad normalises tokens and Φ (F.normalize) and times Φ by `scale`; with normalize=False there is no `scale`. */
function bwconradVariant(hasScale: boolean): SoftMoeVariant {
  return hasScale
    ? { norm: 'l2', expertsSeeNormalized: true, activation: 'gelu', slots: 'static' }
    : { norm: 'none', expertsSeeNormalized: false, activation: 'gelu', slots: 'static' };
}

function optionalScalar(c: LayerShapeChecker, name: string): string | undefined {
  if (!c.has(name)) return undefined;
  c.scalar(name);
  return name;
}

function detectPhi(tensors: ShapeMap, experts: ExpertIndex, phi: string, p: string, warnings: string[]): DetectedLayer | null {
  const container = `${p}experts.`;
  if (tensors.has(`${p}stacked_expert_fc1_weight`)) {
    const c = new LayerShapeChecker(tensors, layerName(p), 'vit-stacked');
    const r = routerDims(c, phi, 'dnp');
    const x = checkStacked(tensors, c, r, {
      fc1: `${p}stacked_expert_fc1_weight`, fc2: `${p}stacked_expert_fc2_weight`,
      fc1Bias: `${p}stacked_expert_fc1_bias`, fc2Bias: `${p}stacked_expert_fc2_bias`, order: 'out-in',
    }, 'gelu');
    const scale = optionalScalar(c, `${p}scale`);
    return build('vit-stacked', p, phi, 'dnp', r, x, bwconradVariant(scale !== undefined), scale ? { scale } : {});
  }
  if (tensors.has(`${p}experts.weight`)) {
    const c = new LayerShapeChecker(tensors, layerName(p), 'fkodom');
    const r = routerDims(c, phi, 'dnp');
    const x = checkLinearExperts(tensors, c, r, `${p}experts.weight`, `${p}experts.bias`);
    return build('fkodom', p, phi, 'dnp', r, x, { norm: 'none', expertsSeeNormalized: false, activation: 'none', slots: 'static' }, {});
  }
  const vit = expertsWith(experts, container, ['fc1.weight', 'fc2.weight']);
  if (vit.size > 0) {
    const c = new LayerShapeChecker(tensors, layerName(p), 'vit-experts');
    const r = routerDims(c, phi, 'dnp');
    const x = checkPerExpert(tensors, c, r, {
      container, fc1: 'fc1.weight', fc2: 'fc2.weight', fc1Bias: 'fc1.bias', fc2Bias: 'fc2.bias',
    }, vit, 'gelu', false);
    const scale = optionalScalar(c, `${p}scale`);
    return build('vit-experts', p, phi, 'dnp', r, x, bwconradVariant(scale !== undefined), scale ? { scale } : {});
  }
  const mnist = expertsWith(experts, container, ['1.weight', '3.weight']);
  if (mnist.size > 0) {
    const c = new LayerShapeChecker(tensors, layerName(p), 'paper-mnist');
    const r = routerDims(c, phi, 'dn');
    const x = checkPerExpert(tensors, c, r, {
      container, fc1: '1.weight', fc2: '3.weight', fc1Bias: '1.bias', fc2Bias: '3.bias',
    }, mnist, 'relu', false);
    return build('paper-mnist', p, phi, 'dn', r, x, { norm: 'paper', expertsSeeNormalized: true, activation: 'relu', slots: 'static' },
      { scale: requireScalar(c, `${p}normalization_scale_param`) });
  }
  warnings.push(`${fmtTensor(tensors, phi)} looks like a Soft MoE router but no expert weights are beside it (${container}<e>.fc1.weight, ${container}<e>.1.weight, ${container}weight or ${p}stacked_expert_fc1_weight)`);
  return null;
}

/** lucidrains' token and slot norms: RMSNorm (gamma) or, with `use_layernorm`, LayerNorm (gamma + beta buffer). */
function lucidrainsNorm(c: LayerShapeChecker, d: number, why: string, token: string, slot: string): { norm: 'rms' | 'layernorm'; tokenNorm: { gamma: string; beta?: string }; slotNorm: { gamma: string; beta?: string } } {
  const one = (base: string): { gamma: string; beta?: string } => {
    c.exact(`${base}.gamma`, [d], why);
    if (!c.has(`${base}.beta`)) return { gamma: `${base}.gamma` };
    c.exact(`${base}.beta`, [d], why);
    return { gamma: `${base}.gamma`, beta: `${base}.beta` };
  };
  const tokenNorm = one(token);
  const slotNorm = one(slot);
  if ((tokenNorm.beta === undefined) !== (slotNorm.beta === undefined)) {
    c.fail(`${tokenNorm.beta ? `${token}.beta` : `${slot}.beta`} is present but ${tokenNorm.beta ? `${slot}.beta` : `${token}.beta`} is not; lucidrains uses LayerNorm (gamma and beta) or RMSNorm (gamma) for both`);
  }
  return { norm: tokenNorm.beta ? 'layernorm' : 'rms', tokenNorm, slotNorm };
}

function detectLucidrains(tensors: ShapeMap, experts: ExpertIndex, slots: string, p: string, warnings: string[]): DetectedLayer | null {
  const container = `${p}experts.experts.`;
  const found = expertsWith(experts, container, ['0.weight', '3.weight']);
  if (found.size === 0) {
    warnings.push(`${fmtTensor(tensors, slots)} looks like lucidrains' slot embeddings but no ${container}<e>.0.weight is beside it`);
    return null;
  }
  const c = new LayerShapeChecker(tensors, layerName(p), 'lucidrains');
  const r = routerDims(c, slots, 'npd');
  const x = checkPerExpert(tensors, c, r, {
    container, fc1: '0.weight', fc2: '3.weight', fc1Bias: '0.bias', fc2Bias: '3.bias',
  }, found, 'gelu', true);
  const norms = lucidrainsNorm(c, r.dim, `d = ${r.dim} from ${slots}`, `${p}norm`, `${p}slot_norm`);
  return build('lucidrains', p, slots, 'npd', r, x, { norm: norms.norm, expertsSeeNormalized: true, activation: x.activation, slots: 'static' },
    { tokenNorm: norms.tokenNorm, slotNorm: norms.slotNorm });
}

/**
 * lucidrains DynamicSlotsSoftMoE: the slot embeddings are a Linear(d → n·d, no bias) of the means of consecutive
 * runs of n tokens, RMS-normed (`to_slot_embeds.2.gamma`); tokens are RMS-normed (`norm.gamma`); experts in a plain
 * ModuleList (`experts.{e}.0/3`). p = ⌈m/n⌉ is known only with the input, so it is 0 here.
 */
function detectDynamicSlots(tensors: ShapeMap, experts: ExpertIndex, proj: string, p: string, warnings: string[]): DetectedLayer | null {
  const container = `${p}experts.`;
  const found = expertsWith(experts, container, ['0.weight', '3.weight']);
  if (found.size === 0) {
    warnings.push(`${fmtTensor(tensors, proj)} looks like lucidrains' dynamic slot projection but no ${container}<e>.0.weight is beside it`);
    return null;
  }
  const c = new LayerShapeChecker(tensors, layerName(p), 'lucidrains-dynamic');
  const [rows, d] = c.rank(proj, 2, '[n·d, d]');
  c.positive(proj, d, 'd (model dim)');
  const n = rows / d;
  if (!Number.isInteger(n) || n < 1) c.fail(`${fmtTensor(tensors, proj)} should be [n·d, d]: ${rows} rows is not a multiple of d = ${d}`);
  const r = { router: proj, numExperts: n, slotsPerExpert: 0, dim: d };
  const x = checkPerExpert(tensors, c, r, {
    container, fc1: '0.weight', fc2: '3.weight', fc1Bias: '0.bias', fc2Bias: '3.bias',
  }, found, 'gelu', true);
  const why = `d = ${d} from ${proj}`;
  c.exact(`${p}norm.gamma`, [d], why);
  c.exact(`${p}to_slot_embeds.2.gamma`, [d], why);
  return build('lucidrains-dynamic', p, proj, 'dynamic', r, x, { norm: 'rms', expertsSeeNormalized: true, activation: x.activation, slots: 'dynamic' },
    { tokenNorm: { gamma: `${p}norm.gamma` }, slotNorm: { gamma: `${p}to_slot_embeds.2.gamma` } });
}

function detectVmoe(tensors: ShapeMap, mu: string, p: string, sep: string, warnings: string[]): DetectedLayer | null {
  const j = (...parts: string[]): string => p + parts.join(sep);
  const fc1 = j('Mlp', 'Dense_0', 'kernel');
  if (!tensors.has(fc1)) {
    warnings.push(`${fmtTensor(tensors, mu)} looks like a vmoe router but ${fc1} is not beside it`);
    return null;
  }
  const c = new LayerShapeChecker(tensors, layerName(p), 'vmoe');
  const r = routerDims(c, mu, 'dnp');
  const x = checkStacked(tensors, c, r, {
    fc1, fc2: j('Mlp', 'Dense_1', 'kernel'), fc1Bias: j('Mlp', 'Dense_0', 'bias'), fc2Bias: j('Mlp', 'Dense_1', 'bias'), order: 'in-out',
  }, 'gelu-tanh');
  const scale = optionalScalar(c, j('Router', 'scale'));
  return build('vmoe', p, mu, 'dnp', r, x, { norm: 'rsqrt', expertsSeeNormalized: false, activation: 'gelu-tanh', slots: 'static' }, scale ? { scale } : {});
}

function requireScalar(c: LayerShapeChecker, name: string): string {
  c.scalar(name);
  return name;
}

/** Read n, p, d from the router tensor in its axis order. */
function routerDims(c: LayerShapeChecker, router: string, axes: RouterAxes): RouterDims & { slotsPerExpert: number } {
  let n: number, p: number, d: number;
  if (axes === 'dn') [d, n, p] = [...c.rank(router, 2, '[d, n]'), 1];
  else if (axes === 'dnp') [d, n, p] = c.rank(router, 3, '[d, n, p]');
  else if (axes === 'npd') [n, p, d] = c.rank(router, 3, '[n, p, d]');
  else throw new Error('dynamic slots have no router dims');
  c.positive(router, n, 'n (experts)');
  c.positive(router, p, 'p (slots per expert)');
  c.positive(router, d, 'd (model dim)');
  return { router, numExperts: n, slotsPerExpert: p, dim: d };
}

function build(
  layout: SoftMoeLayout, prefix: string, router: string, routerAxes: RouterAxes,
  r: RouterDims & { slotsPerExpert: number }, x: ExpertCheck, variant: SoftMoeVariant,
  extra: Pick<DetectedLayer, 'scale' | 'tokenNorm' | 'slotNorm'>,
): DetectedLayer {
  const names = [router];
  if (extra.scale) names.push(extra.scale);
  for (const nrm of [extra.tokenNorm, extra.slotNorm]) if (nrm) names.push(nrm.gamma, ...(nrm.beta ? [nrm.beta] : []));
  names.push(...expertTensorNames(x.experts));
  return {
    name: layerName(prefix),
    layout,
    numExperts: r.numExperts,
    slotsPerExpert: r.slotsPerExpert,
    dim: r.dim,
    expertHidden: x.expertHidden,
    ...(x.outDim !== undefined && x.outDim !== r.dim ? { outDim: x.outDim } : {}),
    ...variant,
    router,
    routerAxes,
    ...extra,
    experts: x.experts,
    tensors: names,
  };
}
