/**
 * resolveVitConfig: what shapes tell, what sidecars must tell, and the one-line E_CONFIG / E_SHAPE / E_UNSUPPORTED
 * messages that name the field and the file to put it in. Shapes only: no tensor data, no backend.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SoftMoeError, type ErrorCode } from '../../../../src/core/errors';
import { IMAGENET_MEAN, IMAGENET_STD, resolveVitConfig } from '../../../../src/core/engine/vit/buildVitModel';
import type { VitSidecarsInput } from '../../../../src/core/engine/vit/vitSidecars';

const CKPT = '/models/run1/model.pt';

interface Spec {
  D?: number;
  chans?: number;
  patch?: number;
  /** Patch tokens in pos_embed (plus one for the class token). */
  patches?: number;
  depth?: number;
  moe?: number[];
  stacked?: boolean;
  fcNorm?: boolean;
  prefix?: string;
}

/** Names and shapes of a small timm/bwconrad Soft MoE ViT. */
function vitShapes(s: Spec = {}): Map<string, { shape: number[] }> {
  const { D = 8, chans = 3, patch = 4, patches = 4, depth = 2, moe = [1], stacked = false, fcNorm = false, prefix = '' } = s;
  const n = 4;
  const p = 2;
  const h = 16;
  const m = new Map<string, { shape: number[] }>();
  const add = (name: string, ...shape: number[]) => m.set(prefix + name, { shape });
  add('cls_token', 1, 1, D);
  add('pos_embed', 1, patches + 1, D);
  add('patch_embed.proj.weight', D, chans, patch, patch);
  add('patch_embed.proj.bias', D);
  for (let i = 0; i < depth; i++) {
    const b = `blocks.${i}`;
    for (const nm of ['norm1', 'norm2']) {
      add(`${b}.${nm}.weight`, D);
      add(`${b}.${nm}.bias`, D);
    }
    add(`${b}.attn.qkv.weight`, 3 * D, D);
    add(`${b}.attn.qkv.bias`, 3 * D);
    add(`${b}.attn.proj.weight`, D, D);
    add(`${b}.attn.proj.bias`, D);
    if (!moe.includes(i)) {
      add(`${b}.mlp.fc1.weight`, 4 * D, D);
      add(`${b}.mlp.fc1.bias`, 4 * D);
      add(`${b}.mlp.fc2.weight`, D, 4 * D);
      add(`${b}.mlp.fc2.bias`, D);
      continue;
    }
    add(`${b}.mlp.phi`, D, n, p);
    add(`${b}.mlp.scale`, 1);
    if (stacked) {
      add(`${b}.mlp.stacked_expert_fc1_weight`, n, h, D);
      add(`${b}.mlp.stacked_expert_fc1_bias`, n, h);
      add(`${b}.mlp.stacked_expert_fc2_weight`, n, D, h);
      add(`${b}.mlp.stacked_expert_fc2_bias`, n, D);
      add(`${b}.mlp.base_expert.fc1.weight`, 2, 2);
    } else {
      for (let e = 0; e < n; e++) {
        add(`${b}.mlp.experts.${e}.fc1.weight`, h, D);
        add(`${b}.mlp.experts.${e}.fc1.bias`, h);
        add(`${b}.mlp.experts.${e}.fc2.weight`, D, h);
        add(`${b}.mlp.experts.${e}.fc2.bias`, D);
      }
    }
  }
  const norm = fcNorm ? 'fc_norm' : 'norm';
  add(`${norm}.weight`, D);
  add(`${norm}.bias`, D);
  add('head.weight', 10, D);
  add('head.bias', 10);
  return m;
}

const dir = '/models/run1';
const softmoe = (values: Record<string, unknown>): VitSidecarsInput => ({ softmoe: values, files: [`${dir}/softmoe.json`] });
const config = (values: Record<string, unknown>): VitSidecarsInput => ({ config: values, files: [`${dir}/config.json`] });
const none: VitSidecarsInput = { files: [] };

function throwsWith(fn: () => unknown, code: ErrorCode, ...parts: Array<string | RegExp>): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SoftMoeError, `not a SoftMoeError: ${String(e)}`);
    assert.equal(e.code, code, e.userMessage);
    assert.ok(!e.userMessage.includes('\n'), 'message is one line');
    for (const p of parts) {
      if (typeof p === 'string') assert.ok(e.userMessage.includes(p), `"${e.userMessage}" lacks "${p}"`);
      else assert.match(e.userMessage, p);
    }
    return true;
  });
}

describe('resolveVitConfig', () => {
  it('infers everything shapes tell, and takes the heads from the sidecar', () => {
    const c = resolveVitConfig(vitShapes({ depth: 3, moe: [1, 2] }), softmoe({ num_heads: 2 }), CKPT);
    assert.equal(c.embedDim, 8);
    assert.equal(c.depth, 3);
    assert.equal(c.numHeads, 2);
    assert.deepEqual(c.patchSize, [4, 4]);
    assert.equal(c.inChans, 3);
    assert.equal(c.numClasses, 10);
    assert.deepEqual(c.grid, [2, 2]);
    assert.deepEqual(c.imgSize, [8, 8]);
    assert.equal(c.globalPool, 'token');
    assert.deepEqual(c.blocks.map((b) => b.mlp.kind), ['dense', 'moe', 'moe']);
    // The MoE blocks are the detected layers themselves (one mapping for every architecture).
    const moe = c.blocks[1].mlp;
    assert.ok(moe.kind === 'moe');
    assert.deepEqual([moe.layer.name, moe.layer.layout, moe.layer.numExperts, moe.layer.slotsPerExpert, moe.layer.expertHidden, moe.layer.norm],
      ['blocks.1.mlp', 'vit-experts', 4, 2, 16, 'l2']);
    assert.equal(c.sources.numHeads, `${dir}/softmoe.json`);
    assert.equal(c.sources.imgSize, 'shapes');
  });

  it('recognises the stacked-expert layout and ignores base_expert.*', () => {
    const c = resolveVitConfig(vitShapes({ stacked: true }), softmoe({ num_heads: 2 }), CKPT);
    const moe = c.blocks[1].mlp;
    assert.ok(moe.kind === 'moe');
    assert.deepEqual([moe.layer.layout, moe.layer.numExperts, moe.layer.slotsPerExpert, moe.layer.expertHidden], ['vit-stacked', 4, 2, 16]);
    assert.ok(!moe.layer.tensors.some((t) => t.includes('base_expert')));
  });

  it('reads names under a prefix (module.)', () => {
    const c = resolveVitConfig(vitShapes({ prefix: 'module.' }), softmoe({ num_heads: 4 }), CKPT, 'module.');
    assert.equal(c.numHeads, 4);
    assert.equal(c.depth, 2);
  });

  it('says which field to add, and to which file, when the number of heads is missing', () => {
    throwsWith(() => resolveVitConfig(vitShapes(), none, CKPT), 'E_CONFIG',
      'blocks.0.attn', 'number of attention heads is unknown', '"num_heads": <int>', `softmoe.json beside ${CKPT}`);
    // A softmoe.json that exists but lacks the key is named by its path.
    throwsWith(() => resolveVitConfig(vitShapes(), softmoe({ mean: [0.5, 0.5, 0.5] }), CKPT), 'E_CONFIG',
      `"num_heads": <int> to ${dir}/softmoe.json`);
  });

  it('refuses a number of heads that does not divide the width, naming the file', () => {
    throwsWith(() => resolveVitConfig(vitShapes(), config({ num_heads: 3 }), CKPT), 'E_CONFIG', `${dir}/config.json`, '"num_heads"', 'dividing', '8');
    throwsWith(() => resolveVitConfig(vitShapes(), config({ num_heads: '4' }), CKPT), 'E_CONFIG', '"num_heads"');
  });

  it('asks for img_size when the patch grid is not square, and uses it when given', () => {
    const shapes = vitShapes({ patches: 6 });
    throwsWith(() => resolveVitConfig(shapes, softmoe({ num_heads: 2 }), CKPT), 'E_CONFIG',
      'pos_embed', 'image size is ambiguous', '"img_size": [<height>, <width>]', `softmoe.json`);
    const c = resolveVitConfig(shapes, softmoe({ num_heads: 2, img_size: [8, 12] }), CKPT);
    assert.deepEqual(c.grid, [2, 3]);
    assert.deepEqual(c.imgSize, [8, 12]);
    // timm's data config form [C, H, W].
    const d = resolveVitConfig(shapes, config({ num_heads: 2, input_size: [3, 12, 8] }), CKPT);
    assert.deepEqual(d.grid, [3, 2]);
  });

  it('refuses an img_size that does not fit pos_embed, naming the file and the key', () => {
    throwsWith(() => resolveVitConfig(vitShapes(), config({ num_heads: 2, img_size: 16 }), CKPT), 'E_CONFIG',
      `${dir}/config.json`, '"img_size"', '16 patches', 'pos_embed holds 4');
    throwsWith(() => resolveVitConfig(vitShapes(), config({ num_heads: 2, img_size: 'big' }), CKPT), 'E_CONFIG', '"img_size"');
  });

  it('finds keys nested the way training tools write them, softmoe.json first', () => {
    const nested: VitSidecarsInput = {
      config: { model: { init_args: { num_heads: 2 } }, pretrained_cfg: { mean: [0.1, 0.2, 0.3], std: [1, 2, 3] } },
      softmoe: { std: [0.5, 0.5, 0.5] },
      files: [`${dir}/config.json`, `${dir}/softmoe.json`],
    };
    const c = resolveVitConfig(vitShapes(), nested, CKPT);
    assert.equal(c.numHeads, 2);
    assert.deepEqual(c.mean, [0.1, 0.2, 0.3]);
    assert.deepEqual(c.std, [0.5, 0.5, 0.5]);
    assert.equal(c.sources.std, `${dir}/softmoe.json`);
    assert.equal(c.sources.mean, `${dir}/config.json`);
  });

  it('defaults mean/std to ImageNet for 3 channels and 0.5 otherwise, and says so', () => {
    const rgb = resolveVitConfig(vitShapes(), softmoe({ num_heads: 2 }), CKPT);
    assert.deepEqual([rgb.mean, rgb.std], [IMAGENET_MEAN, IMAGENET_STD]);
    assert.equal(rgb.sources.mean, 'default');
    const gray = resolveVitConfig(vitShapes({ chans: 1 }), softmoe({ num_heads: 2, mean: 0.25 }), CKPT);
    assert.deepEqual([gray.mean, gray.std], [[0.25], [0.5]]);
  });

  it('refuses mean/std of the wrong length or a non-positive std', () => {
    throwsWith(() => resolveVitConfig(vitShapes(), softmoe({ num_heads: 2, mean: [0.5] }), CKPT), 'E_CONFIG', '"mean"', '3 numbers');
    throwsWith(() => resolveVitConfig(vitShapes({ chans: 1 }), softmoe({ num_heads: 2, std: [0] }), CKPT), 'E_CONFIG', '"std"', 'positive');
  });

  it('pools as timm does: fc_norm means avg, global_pool overrides, unknown pools are refused', () => {
    assert.equal(resolveVitConfig(vitShapes({ fcNorm: true }), softmoe({ num_heads: 2 }), CKPT).globalPool, 'avg');
    assert.equal(resolveVitConfig(vitShapes(), softmoe({ num_heads: 2, global_pool: 'avg' }), CKPT).globalPool, 'avg');
    throwsWith(() => resolveVitConfig(vitShapes(), softmoe({ num_heads: 2, global_pool: 'map' }), CKPT), 'E_UNSUPPORTED', '"global_pool"', 'map');
    const noCls = vitShapes();
    noCls.delete('cls_token');
    noCls.set('pos_embed', { shape: [1, 4, 8] });
    throwsWith(() => resolveVitConfig(noCls, softmoe({ num_heads: 2, global_pool: 'token' }), CKPT), 'E_CONFIG', 'no cls_token', '"avg"');
    assert.equal(resolveVitConfig(noCls, softmoe({ num_heads: 2 }), CKPT).globalPool, 'avg');
  });

  it('names the tensor when shapes do not fit together', () => {
    const bad = vitShapes();
    bad.set('blocks.1.mlp.experts.2.fc1.weight', { shape: [16, 9] });
    // Layer detection names both tensors that disagree.
    throwsWith(() => resolveVitConfig(bad, softmoe({ num_heads: 2 }), CKPT), 'E_SHAPE', 'blocks.1.mlp.experts.2.fc1.weight [16,9]', 'blocks.1.mlp.phi [8,4,2]');
    const missing = vitShapes();
    missing.delete('blocks.0.attn.proj.bias');
    throwsWith(() => resolveVitConfig(missing, softmoe({ num_heads: 2 }), CKPT), 'E_SHAPE', 'blocks.0.attn.proj.bias', 'missing');
  });

  it('refuses ViT variants it does not run, saying what they are', () => {
    const reg = vitShapes();
    reg.set('reg_token', { shape: [1, 4, 8] });
    throwsWith(() => resolveVitConfig(reg, softmoe({ num_heads: 2 }), CKPT), 'E_UNSUPPORTED', 'reg_token', 'register tokens');
    throwsWith(() => resolveVitConfig(vitShapes({ moe: [] }), softmoe({ num_heads: 2 }), CKPT), 'E_SHAPE', 'dense ViT');
    // An MLP slot that is neither a timm MLP nor a recognised layer says what it holds.
    const odd = vitShapes();
    for (const k of [...odd.keys()]) if (k.startsWith('blocks.1.mlp.')) odd.delete(k);
    odd.set('blocks.1.mlp.router.weight', { shape: [4, 8] });
    throwsWith(() => resolveVitConfig(odd, softmoe({ num_heads: 2 }), CKPT), 'E_UNSUPPORTED', 'blocks.1.mlp', 'blocks.1.mlp.router.weight', 'recognised Soft MoE layer');
  });

  it('runs bwconrad normalize=False (no scale): the layer is found and says it does not normalise', () => {
    const noScale = vitShapes();
    noScale.delete('blocks.1.mlp.scale');
    const moe = resolveVitConfig(noScale, softmoe({ num_heads: 2 }), CKPT).blocks[1].mlp;
    assert.ok(moe.kind === 'moe');
    assert.deepEqual([moe.layer.layout, moe.layer.norm, moe.layer.expertsSeeNormalized, moe.layer.scale], ['vit-experts', 'none', false, undefined]);
  });

  it('records where each preprocessing value came from, the checkpoint\'s own args after every file', () => {
    const withArgs: VitSidecarsInput = {
      softmoe: { num_heads: 2 }, files: [`${dir}/softmoe.json`],
      checkpointArgs: { file: CKPT, key: 'args', values: { input_size: 8, mean: [0.1, 0.2, 0.3], num_heads: 4 } },
    };
    const c = resolveVitConfig(vitShapes(), withArgs, CKPT);
    assert.equal(c.numHeads, 2, 'a file beside the checkpoint overrides its args');
    assert.deepEqual(c.preprocessing.sources.mean, { from: 'checkpoint', file: CKPT, key: 'args.mean' });
    assert.deepEqual(c.preprocessing.sources.inputSize, { from: 'checkpoint', file: CKPT, key: 'args.input_size' });
    assert.equal(c.preprocessing.sources.std.from, 'default');
    assert.match(c.preprocessing.sources.std.note ?? '', /ImageNet/);
    assert.deepEqual(c.preprocessing.resize, { cropPct: 0.875, interpolation: 'bilinear' });
    assert.equal(c.preprocessing.sources.cropPct?.from, 'default');
    const fromArgs = resolveVitConfig(vitShapes(), { files: [], checkpointArgs: { file: CKPT, key: 'args', values: { num_heads: 4 } } }, CKPT);
    assert.equal(fromArgs.numHeads, 4);
    assert.equal(fromArgs.sources.numHeads, `${CKPT} (args)`);
    throwsWith(() => resolveVitConfig(vitShapes(), config({ num_heads: 2, crop_pct: 2 }), CKPT), 'E_CONFIG', '"crop_pct"', '(0, 1]');
  });
});
