import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeArchitecture } from '../../../src/core/model/architecture';
import { detectSoftMoeLayers } from '../../../src/core/model/detect';
import { SoftMoeError } from '../../../src/core/errors';
import { fkodom, lucidrains, lucidrainsDynamic, paperMnist, reshape, toMap, vit, vmoe, without, withPrefix, type Spec } from './synthetic';

function describe(spec: Spec) {
  const tensors = toMap(spec);
  return describeArchitecture(tensors, detectSoftMoeLayers(tensors));
}

test('the paper MNIST model, at the top level and under a prefix', () => {
  const a = describe(paperMnist(8));
  assert.equal(a.kind, 'mnist-softmoe');
  assert.equal(a.prefix, '');
  assert.equal(a.numClasses, 10);
  assert.equal(a.tokens, 4);
  assert.match(a.reason, /phi \[196,8\].*decoder\.1\.weight \[10,784\]/);
  const m = describe(withPrefix('module.', paperMnist(4)));
  assert.deepEqual([m.kind, m.prefix], ['mnist-softmoe', 'module.']);
});

test('MNIST layer without its decoder is layer-only; a decoder that does not fit d is E_SHAPE', () => {
  const a = describe(without(paperMnist(2), 'decoder.1.weight'));
  assert.equal(a.kind, 'layer-only');
  assert.match(a.reason, /decoder\.1\.weight/);
  assert.throws(() => describe(reshape(paperMnist(2), 'decoder.1.weight', [10, 700])),
    (e: unknown) => e instanceof SoftMoeError && e.code === 'E_SHAPE' && e.userMessage.includes('decoder.1.weight [10,700]'));
});

test('Soft MoE ViT: depth, MoE blocks, classes, patch geometry', () => {
  const a = describe(vit({ depth: 6, moeBlocks: [3, 4, 5], d: 16, n: 4, p: 1, classes: 7 }));
  assert.equal(a.kind, 'vit-softmoe');
  assert.deepEqual([a.depth, a.moeBlocks, a.numClasses, a.embedDim, a.patchSize, a.inChans], [6, [3, 4, 5], 7, 16, 4, 3]);
  assert.match(a.reason, /6 blocks, Soft MoE \(vit-experts\) in blocks 3–5/);
  const s = describe(withPrefix('model.', vit({ depth: 4, moeBlocks: [1, 3], d: 8, n: 2, p: 2, stacked: true })));
  assert.deepEqual([s.kind, s.prefix, s.moeBlocks], ['vit-softmoe', 'model.', [1, 3]]);
  assert.match(s.reason, /blocks 1, 3/);
});

test('ViT pieces that do not fit: layer-only when missing, E_SHAPE when the widths disagree', () => {
  const spec = vit({ depth: 2, moeBlocks: [1], d: 8, n: 2, p: 1 });
  assert.equal(describe(without(spec, 'head.weight')).kind, 'layer-only');
  assert.throws(() => describe(reshape(spec, 'head.weight', [10, 9])),
    (e: unknown) => e instanceof SoftMoeError && e.code === 'E_SHAPE' && e.userMessage.includes('head.weight [10,9]'));
  assert.throws(() => describe(reshape(spec, 'patch_embed.proj.weight', [9, 3, 4, 4])),
    (e: unknown) => e instanceof SoftMoeError && e.code === 'E_SHAPE' && e.userMessage.includes('patch_embed.proj.weight [9,3,4,4]'));
});

test('any layout in the MNIST skeleton: the decoder beside the layer or beside the module that holds it', () => {
  const decoder: Spec = [['decoder.1.weight', [10, 4 * 8]]];
  const top = describe([...lucidrains('', 2, 1, 8), ...decoder]);
  assert.deepEqual([top.kind, top.decoder, top.tokens], ['mnist-softmoe', 'decoder.1.weight', 4]);
  assert.match(top.reason, /MNIST model with a lucidrains Soft MoE layer/);
  const nested = describe([...fkodom('moe.', 2, 1, 8), ...decoder]);
  assert.deepEqual([nested.kind, nested.decoder], ['mnist-softmoe', 'decoder.1.weight']);
  assert.equal(describe([...lucidrainsDynamic('net.moe.', 4, 8), ['net.decoder.1.weight', [10, 32]]]).kind, 'mnist-softmoe');
});

test('any layout in the ViT skeleton\'s MLP slots', () => {
  const base = vit({ depth: 3, moeBlocks: [], d: 8, n: 2, p: 1 }).filter(([n]) => !/^blocks\.[12]\.mlp\./.test(n));
  const spec = [...base, ...lucidrains('blocks.1.mlp.', 4, 2, 8, true), ...fkodom('blocks.2.mlp.', 4, 1, 8)];
  const a = describe(spec);
  assert.deepEqual([a.kind, a.moeBlocks], ['vit-softmoe', [1, 2]]);
  assert.match(a.reason, /Soft MoE \(lucidrains\/fkodom\) in blocks 1–2/);
  const v = describe([...base.filter(([n]) => !n.startsWith('blocks.1.')), ...vmoe('blocks.1.mlp.', '.', 2, 1, 8, 16).map(([n, sh]) => [n.replace('Moe.', ''), sh] as [string, number[]])]);
  assert.equal(v.kind, 'vit-softmoe');
});

test('layers inside an unknown model are layer-only, saying what was recognised and where to go', () => {
  const l = describe(lucidrains('', 2, 1, 4));
  assert.equal(l.kind, 'layer-only');
  assert.match(l.reason, /recognised 1 lucidrains Soft MoE layer \(at the top level; n = 2, p = 1, d = 4\)/, "a top-level layer is not named ''");
  assert.match(l.reason, /no decoder\.1\.weight/);
  assert.match(l.reason, /run it through your own code: --engine torch and softmoe\.json \(README, 'Your own model'\)/);
  assert.equal(l.found, '1 lucidrains Soft MoE layer (at the top level; n = 2, p = 1, d = 4)');
  const v = describe(vmoe('encoder/', '/', 2, 1, 4, 4));
  assert.equal(v.kind, 'layer-only');
  assert.match(v.reason, /vmoe/);
  assert.match(v.reason, /blocks\.<i>\.mlp, not 'encoder\/Moe'/);
  const two = describe([...lucidrains('a.', 2, 1, 4), ...lucidrains('b.', 2, 1, 4)]);
  assert.match(two.reason, /2 lucidrains Soft MoE layers \('a', 'b'/);
  assert.match(two.reason, /has one Soft MoE layer, not 2/);
  const none = describe([['fc.weight', [3, 4]]]);
  assert.equal(none.kind, 'none');
  assert.match(none.reason, /no Soft MoE layer/);
});
