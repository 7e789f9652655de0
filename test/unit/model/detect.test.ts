import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectSoftMoe, detectSoftMoeLayers } from '../../../src/core/model/detect';
import { SoftMoeError } from '../../../src/core/errors';
import { fkodom, lucidrains, lucidrainsDynamic, paperMnist, reshape, toMap, vit, vitExperts, vmoe, without, withPrefix, type Spec } from './synthetic';

function infos(spec: Spec) {
  return detectSoftMoeLayers(toMap(spec)).map(({ name, layout, numExperts, slotsPerExpert, dim, expertHidden }) =>
    ({ name, layout, numExperts, slotsPerExpert, dim, expertHidden }));
}

function shapeError(spec: Spec, ...mustMention: string[]): string {
  let caught: unknown;
  try {
    detectSoftMoeLayers(toMap(spec));
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SoftMoeError, `expected a SoftMoeError, got ${String(caught)}`);
  assert.equal(caught.code, 'E_SHAPE');
  assert.doesNotMatch(caught.userMessage, /\n/);
  for (const s of mustMention) assert.ok(caught.userMessage.includes(s), `message should mention ${s}: ${caught.userMessage}`);
  return caught.userMessage;
}

test('paper MNIST model: every n of the paper', () => {
  for (const n of [2, 4, 8, 16, 32, 64]) {
    const h = Math.floor((196 * 4) / n);
    assert.deepEqual(infos(paperMnist(n)), [{ name: '', layout: 'paper-mnist', numExperts: n, slotsPerExpert: 1, dim: 196, expertHidden: h }]);
  }
  const [layer] = detectSoftMoeLayers(toMap(paperMnist(4)));
  assert.equal(layer.router, 'phi');
  assert.equal(layer.routerAxes, 'dn');
  assert.equal(layer.scale, 'normalization_scale_param');
  assert.equal(layer.activation, 'relu');
  assert.deepEqual(layer.experts, {
    kind: 'per-expert',
    fc1: ['experts.0.1.weight', 'experts.1.1.weight', 'experts.2.1.weight', 'experts.3.1.weight'],
    fc2: ['experts.0.3.weight', 'experts.1.3.weight', 'experts.2.3.weight', 'experts.3.3.weight'],
  });
  assert.equal(layer.tensors.length, 2 + 4 * 2);
  assert.ok(!layer.tensors.includes('decoder.1.weight'));
});

test('Soft MoE ViT with per-expert MLPs: layers in block order, biases found', () => {
  const spec = vit({ depth: 12, moeBlocks: [6, 7, 8, 9, 10, 11], d: 32, n: 8, p: 2 });
  // safetensors headers sort names as text (blocks.10 before blocks.6): detection must still give forward order.
  const sorted = [...spec].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const layers = infos(sorted);
  assert.deepEqual(layers.map((l) => l.name), [6, 7, 8, 9, 10, 11].map((i) => `blocks.${i}.mlp`));
  for (const l of layers) assert.deepEqual(l, { ...l, layout: 'vit-experts', numExperts: 8, slotsPerExpert: 2, dim: 32, expertHidden: 64 });
  const [first] = detectSoftMoeLayers(toMap(spec));
  assert.equal(first.activation, 'gelu');
  assert.equal(first.experts.kind, 'per-expert');
  if (first.experts.kind === 'per-expert') {
    assert.equal(first.experts.fc1Bias?.[7], 'blocks.6.mlp.experts.7.fc1.bias');
    assert.equal(first.experts.fc2Bias?.length, 8);
  }
});

test('Soft MoE ViT with stacked experts: base_expert is ignored', () => {
  const spec = vit({ depth: 4, moeBlocks: [2, 3], d: 16, n: 4, p: 1, stacked: true });
  assert.deepEqual(infos(spec), [2, 3].map((i) => ({ name: `blocks.${i}.mlp`, layout: 'vit-stacked', numExperts: 4, slotsPerExpert: 1, dim: 16, expertHidden: 32 })));
  const [layer] = detectSoftMoeLayers(toMap(spec));
  assert.deepEqual(layer.experts, {
    kind: 'stacked', order: 'out-in',
    fc1: 'blocks.2.mlp.stacked_expert_fc1_weight', fc1Bias: 'blocks.2.mlp.stacked_expert_fc1_bias',
    fc2: 'blocks.2.mlp.stacked_expert_fc2_weight', fc2Bias: 'blocks.2.mlp.stacked_expert_fc2_bias',
  });
  assert.ok(!layer.tensors.some((t) => t.includes('base_expert')));
});

test('lucidrains layer: GELU and GEGLU experts, norms', () => {
  assert.deepEqual(infos(lucidrains('', 4, 2, 8)), [{ name: '', layout: 'lucidrains', numExperts: 4, slotsPerExpert: 2, dim: 8, expertHidden: 32 }]);
  const [glu] = detectSoftMoeLayers(toMap(lucidrains('moe.', 3, 1, 12, true)));
  assert.equal(glu.activation, 'geglu');
  assert.equal(glu.expertHidden, Math.floor((12 * 8) / 3));
  assert.equal(glu.routerAxes, 'npd');
  assert.deepEqual(glu.tokenNorm, { gamma: 'moe.norm.gamma' });
  assert.deepEqual(glu.slotNorm, { gamma: 'moe.slot_norm.gamma' });
  assert.equal(glu.scale, undefined);
});

test('each layer carries the variant of the math it computes (the one mapping reads nothing else)', () => {
  const variant = (spec: Spec) => detectSoftMoeLayers(toMap(spec)).map((l) => [l.layout, l.norm, l.expertsSeeNormalized, l.activation, l.slots, l.scale !== undefined]);
  assert.deepEqual(variant(paperMnist(4)), [['paper-mnist', 'paper', true, 'relu', 'static', true]]);
  assert.deepEqual(variant(vitExperts('blocks.6.mlp.', 4, 1, 16, 32)), [['vit-experts', 'l2', true, 'gelu', 'static', true]]);
  // bwconrad normalize=False: no scale tensor, no normalisation, experts see the raw tokens.
  assert.deepEqual(variant(without(vitExperts('blocks.6.mlp.', 4, 1, 16, 32), 'blocks.6.mlp.scale')), [['vit-experts', 'none', false, 'gelu', 'static', false]]);
  assert.deepEqual(variant(lucidrains('', 4, 2, 8)), [['lucidrains', 'rms', true, 'gelu', 'static', false]]);
  assert.deepEqual(variant(lucidrains('', 4, 2, 8, true, true)), [['lucidrains', 'layernorm', true, 'geglu', 'static', false]]);
  assert.deepEqual(variant(vmoe('', '/', 2, 1, 4, 6)), [['vmoe', 'rsqrt', false, 'gelu-tanh', 'static', true]]);
  assert.deepEqual(variant(fkodom('moe.', 4, 2, 8)), [['fkodom', 'none', false, 'none', 'static', false]]);
  assert.deepEqual(variant(lucidrainsDynamic('blocks.3.mlp.', 4, 8, true)), [['lucidrains-dynamic', 'rms', true, 'geglu', 'dynamic', false]]);
  const [ln] = detectSoftMoeLayers(toMap(lucidrains('moe.', 2, 1, 8, false, true)));
  assert.deepEqual([ln.tokenNorm, ln.slotNorm], [{ gamma: 'moe.norm.gamma', beta: 'moe.norm.beta' }, { gamma: 'moe.slot_norm.gamma', beta: 'moe.slot_norm.beta' }]);
  assert.ok(ln.tensors.includes('moe.norm.beta'));
});

test('lucidrains DynamicSlotsSoftMoE: n from the projection, p left to the number of tokens', () => {
  const [l] = detectSoftMoeLayers(toMap(lucidrainsDynamic('blocks.2.mlp.', 4, 8)));
  assert.deepEqual([l.name, l.numExperts, l.slotsPerExpert, l.dim, l.expertHidden, l.router, l.routerAxes],
    ['blocks.2.mlp', 4, 0, 8, 32, 'blocks.2.mlp.to_slot_embeds.0.weight', 'dynamic']);
  assert.deepEqual([l.tokenNorm, l.slotNorm], [{ gamma: 'blocks.2.mlp.norm.gamma' }, { gamma: 'blocks.2.mlp.to_slot_embeds.2.gamma' }]);
  assert.equal(l.experts.kind === 'per-expert' && l.experts.fc1[3], 'blocks.2.mlp.experts.3.0.weight');
});

test('fkodom: one linear map per expert, stacked input-major; another output width is recorded', () => {
  const [l] = detectSoftMoeLayers(toMap(fkodom('', 4, 2, 8)));
  assert.deepEqual([l.numExperts, l.slotsPerExpert, l.dim, l.expertHidden, l.outDim], [4, 2, 8, 8, undefined]);
  assert.deepEqual(l.experts, { kind: 'linear', weight: 'experts.weight', bias: 'experts.bias' });
  assert.deepEqual(l.tensors, ['phi', 'experts.weight', 'experts.bias']);
  const [wide] = detectSoftMoeLayers(toMap(fkodom('moe.', 4, 1, 8, 16, false)));
  assert.equal(wide.outDim, 16);
  assert.deepEqual(wide.experts, { kind: 'linear', weight: 'moe.experts.weight' });
});

test('vmoe names with / and with . separators', () => {
  for (const sep of ['/', '.']) {
    const p = `encoder${sep}encoderblock_3${sep}`;
    const layers = detectSoftMoeLayers(toMap(vmoe(p, sep, 8, 4, 16, 24)));
    assert.deepEqual(layers.map((l) => [l.name, l.layout, l.numExperts, l.slotsPerExpert, l.dim, l.expertHidden]),
      [[`${p}Moe`, 'vmoe', 8, 4, 16, 24]]);
    assert.equal(layers[0].activation, 'gelu-tanh');
    assert.deepEqual(layers[0].experts, {
      kind: 'stacked', order: 'in-out',
      fc1: `${p}Moe${sep}Mlp${sep}Dense_0${sep}kernel`, fc1Bias: `${p}Moe${sep}Mlp${sep}Dense_0${sep}bias`,
      fc2: `${p}Moe${sep}Mlp${sep}Dense_1${sep}kernel`, fc2Bias: `${p}Moe${sep}Mlp${sep}Dense_1${sep}bias`,
    });
  }
  const noScale = without(vmoe('', '/', 2, 1, 4, 6), 'Moe/Router/scale');
  assert.equal(detectSoftMoeLayers(toMap(noScale))[0].scale, undefined);
});

test('prefixes are tolerated in every layout', () => {
  for (const prefix of ['module.', 'model.', 'encoder.layers.3.', 'module.model.']) {
    const mnist = infos(withPrefix(prefix, paperMnist(8)));
    assert.deepEqual(mnist.map((l) => [l.name, l.layout, l.numExperts]), [[prefix.slice(0, -1), 'paper-mnist', 8]]);
    const v = infos(withPrefix(prefix, vit({ depth: 2, moeBlocks: [1], d: 8, n: 2, p: 1 })));
    assert.deepEqual(v.map((l) => [l.name, l.layout]), [[`${prefix}blocks.1.mlp`, 'vit-experts']]);
    const s = infos(withPrefix(prefix, vit({ depth: 2, moeBlocks: [0], d: 8, n: 2, p: 1, stacked: true })));
    assert.deepEqual(s.map((l) => [l.name, l.layout]), [[`${prefix}blocks.0.mlp`, 'vit-stacked']]);
    const l = infos(lucidrains(`${prefix}moe.`, 2, 2, 4));
    assert.deepEqual(l.map((x) => [x.name, x.layout]), [[`${prefix}moe`, 'lucidrains']]);
    const vm = infos(vmoe(prefix, '.', 2, 2, 4, 8));
    assert.deepEqual(vm.map((x) => [x.name, x.layout]), [[`${prefix}Moe`, 'vmoe']]);
  }
});

test('several layouts side by side in one list are all found', () => {
  const spec = [...withPrefix('a.', paperMnist(2, 8)), ...lucidrains('b.', 2, 1, 4), ...vmoe('c/', '/', 2, 1, 4, 4), ...fkodom('d.', 2, 1, 4), ...lucidrainsDynamic('e.', 2, 4)];
  assert.deepEqual(infos(spec).map((l) => l.layout), ['paper-mnist', 'lucidrains', 'vmoe', 'fkodom', 'lucidrains-dynamic']);
});

test('no Soft MoE: nothing found; a lone phi is a warning, not a layer', () => {
  const dense = vit({ depth: 2, moeBlocks: [], d: 8, n: 2, p: 1 });
  assert.deepEqual(detectSoftMoe(toMap(dense)), { layers: [], warnings: [] });
  const lone = detectSoftMoe(toMap([['encoder.phi', [4, 3]], ['encoder.weight', [4, 4]]]));
  assert.deepEqual(lone.layers, []);
  assert.equal(lone.warnings.length, 1);
  assert.match(lone.warnings[0], /encoder\.phi \[4,3\]/);
});

test('inconsistent shapes: E_SHAPE naming the tensors', () => {
  const v = vitExperts('blocks.6.mlp.', 4, 1, 16, 32);
  // expert 3 has another hidden size
  shapeError(reshape(v, 'blocks.6.mlp.experts.3.fc1.weight', [48, 16]), "'blocks.6.mlp'", 'expert 3', 'blocks.6.mlp.experts.3.fc1.weight [48,16]', 'blocks.6.mlp.experts.0.fc1.weight');
  // phi dim differs from the experts' input dim
  shapeError(reshape(v, 'blocks.6.mlp.phi', [24, 4, 1]), 'blocks.6.mlp.phi [24,4,1]', 'blocks.6.mlp.experts.0.fc1.weight');
  // fc2 does not map back to d
  shapeError(reshape(v, 'blocks.6.mlp.experts.1.fc2.weight', [16, 31]), 'blocks.6.mlp.experts.1.fc2.weight [16,31]', '[16,32]');
  // bias of the wrong length
  shapeError(reshape(v, 'blocks.6.mlp.experts.2.fc1.bias', [31]), 'blocks.6.mlp.experts.2.fc1.bias [31]');
  // phi says 5 experts, 4 stored; and 4 experts stored, phi says 3
  shapeError(reshape(v, 'blocks.6.mlp.phi', [16, 5, 1]), 'expert 4 is missing', 'blocks.6.mlp.phi [16,5,1]');
  shapeError(reshape(v, 'blocks.6.mlp.phi', [16, 3, 1]), 'blocks.6.mlp.experts.3', 'says 3 experts');
  // wrong rank of phi for the layout
  shapeError(reshape(v, 'blocks.6.mlp.phi', [16, 4]), 'blocks.6.mlp.phi [16,4]', '[d, n, p]');
  shapeError(reshape(paperMnist(4), 'phi', [196, 4, 1]), 'phi [196,4,1]', '[d, n]');
  // the paper's scale missing, or a scale that is not a scalar
  shapeError(without(paperMnist(4), 'normalization_scale_param'), 'normalization_scale_param is missing');
  shapeError(reshape(paperMnist(4), 'normalization_scale_param', [2]), 'normalization_scale_param [2]');
  shapeError(reshape(v, 'blocks.6.mlp.scale', [2]), 'blocks.6.mlp.scale [2]');
  // a bias on some experts only
  shapeError(without(v, 'blocks.6.mlp.experts.2.fc2.bias'), 'blocks.6.mlp.experts.2.fc2.bias is missing');
  // stacked: expert count and hidden sizes disagree
  const s = vit({ depth: 1, moeBlocks: [0], d: 8, n: 4, p: 1, stacked: true });
  shapeError(reshape(s, 'blocks.0.mlp.stacked_expert_fc1_weight', [3, 16, 8]), 'stacks 3 experts', 'blocks.0.mlp.phi [8,4,1]');
  shapeError(reshape(s, 'blocks.0.mlp.stacked_expert_fc2_weight', [4, 8, 15]), 'blocks.0.mlp.stacked_expert_fc2_weight [4,8,15]', '[4,8,16]');
  // lucidrains: norm of the wrong size; fc1 neither h nor 2h wide
  shapeError(reshape(lucidrains('', 2, 1, 8), 'norm.gamma', [7]), 'norm.gamma [7]');
  shapeError(reshape(lucidrains('', 2, 1, 8), 'experts.experts.0.0.weight', [40, 8]), 'experts.experts.0.0.weight [40,8]');
  // lucidrains: a beta on one norm only; dynamic slots whose projection is not n·d rows
  shapeError(without(lucidrains('', 2, 1, 8, false, true), 'slot_norm.beta'), 'norm.beta is present but slot_norm.beta is not');
  shapeError(reshape(lucidrainsDynamic('', 4, 8), 'to_slot_embeds.0.weight', [30, 8]), 'to_slot_embeds.0.weight [30,8]', 'multiple of d = 8');
  shapeError(reshape(lucidrainsDynamic('', 4, 8), 'to_slot_embeds.2.gamma', [7]), 'to_slot_embeds.2.gamma [7]');
  // fkodom: stacked linear experts that disagree with phi
  shapeError(reshape(fkodom('', 4, 2, 8), 'experts.weight', [3, 8, 8]), 'experts.weight [3,8,8]', 'stacks 3 experts');
  shapeError(reshape(fkodom('', 4, 2, 8), 'experts.bias', [4, 7]), 'experts.bias [4,7]');
  // vmoe: kernel in torch order instead of Flax order
  shapeError(reshape(vmoe('', '/', 2, 1, 4, 6), 'Moe/Mlp/Dense_0/kernel', [2, 6, 4]), 'Moe/Mlp/Dense_0/kernel [2,6,4]', 'Moe/Router/mu [4,2,1]');
  // zero-sized dims are refused, not reported as a layer with no experts
  shapeError(reshape(paperMnist(2, 8), 'phi', [8, 0]), 'phi [8,0]');
});

test('detection needs only names and shapes and scales to thousands of tensors', () => {
  const spec = vit({ depth: 48, moeBlocks: Array.from({ length: 24 }, (_, i) => 24 + i), d: 8, n: 64, p: 1 });
  assert.ok(spec.length > 6000);
  const layers = detectSoftMoeLayers(toMap(spec));
  assert.equal(layers.length, 24);
  assert.equal(layers[23].name, 'blocks.47.mlp');
});
