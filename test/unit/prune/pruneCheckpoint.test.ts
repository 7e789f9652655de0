/**
 * `pruneCheckpoint`: the pruned file keeps the source's key layout (renumbered experts, router slots removed), the
 * tool opens and runs it, and it computes exactly the renorm drop of the full model with the kept experts.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel } from '../../../src/core/engine/loadModel';
import { openCheckpoint } from '../../../src/core/io/openCheckpoint';
import { detectSoftMoeLayers } from '../../../src/core/model/detect';
import { parametersPerExpert, pruneCheckpoint, sliceAxis } from '../../../src/core/prune/pruneCheckpoint';
import { createPrng } from '../../../src/core/train/prng';
import { useCpu } from '../analysis/setup';

before(useCpu);

const FIX = join(__dirname, '..', '..', 'fixtures');

/** A copy of a fixture folder (checkpoint + sidecars) in a temp dir, so the test can check nothing changes it. */
function copyFixture(rel: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'softmoe-prune-src-'));
  const src = join(FIX, rel);
  for (const f of readdirSync(dirname(src))) if (f === basename(src) || f.endsWith('.json')) copyFileSync(join(dirname(src), f), join(dir, f));
  return join(dir, basename(src));
}

function digest(dir: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

const EXPERT = /^((?:.*\.)?experts\.)(\d+)\.(.+)$/;

/** What a name becomes when expert e is renumbered through `map` (null: dropped). */
function renamed(name: string, map: Map<number, number>): string | null {
  const m = EXPERT.exec(name);
  if (!m) return name;
  const j = map.get(Number(m[2]));
  return j === undefined ? null : `${m[1]}${j}.${m[3]}`;
}

const CASES = [
  { label: 'the paper\'s MNIST layout (safetensors)', rel: 'io/mnist/ep3_moe.safetensors', runs: true },
  { label: 'the paper\'s MNIST layout (torch zip)', rel: 'io/mnist/ep3_moe.pt', runs: true },
  { label: 'the paper\'s MNIST layout written by softmoe train (F16, metadata)', rel: '../../media/demo/models/n4/ep4_moe.safetensors', runs: true },
  { label: 'ViT, per-expert timm names', rel: 'vit/vit_rgb/model.pt', runs: true },
  { label: 'ViT, stacked experts under model', rel: 'vit/vit_rgb_stacked/best_checkpoint.pth', runs: true },
  { label: 'lucidrains slot embeddings (the layer alone)', rel: 'io/lucidrains/soft_moe.safetensors', runs: false },
  { label: 'vmoe (Flax names, the layer alone)', rel: 'io/vmoe/vmoe.safetensors', runs: false },
  // Every public layout inside both built-in models (test/fixtures/layouts/gen_layouts.py).
  { label: 'lucidrains SoftMoE in the MNIST model', rel: 'layouts/mnist-lucidrains/model.safetensors', runs: true },
  { label: 'fkodom stacked linear experts in the MNIST model', rel: 'layouts/mnist-fkodom/model.safetensors', runs: true },
  { label: 'bwconrad normalize=False in the MNIST model', rel: 'layouts/mnist-bwconrad-nonorm/model.safetensors', runs: true },
  { label: 'lucidrains SoftMoE in a ViT', rel: 'layouts/vit-lucidrains/model.pt', runs: true },
  { label: 'lucidrains LayerNorm + GEGLU in a ViT', rel: 'layouts/vit-lucidrains-ln-geglu/model.pt', runs: true },
  { label: 'bwconrad normalize=False in a ViT', rel: 'layouts/vit-bwconrad-nonorm/model.pt', runs: true },
  { label: 'fkodom in a ViT', rel: 'layouts/vit-fkodom/model.pt', runs: true },
  { label: 'vmoe names in a ViT', rel: 'layouts/vit-vmoe/model.pt', runs: true },
  { label: 'the paper\'s vmap DeiT checkpoint (meta tensors, args inside)', rel: 'layouts/vit-deit-vmap/checkpoint.pth', runs: true },
];

describe('pruneCheckpoint', () => {
  for (const c of CASES) {
    it(`keeps the key layout: ${c.label}`, async () => {
      const src = copyFixture(c.rel);
      const before = digest(dirname(src));
      const srcCkpt = await openCheckpoint(src);
      const layers = detectSoftMoeLayers(srcCkpt.tensors);
      const n = layers[0]!.numExperts;
      const keep = layers.map((_, l) => Array.from({ length: n }, (_, e) => e).filter((e) => (e + l) % 2 === 1));
      const out = join(mkdtempSync(join(tmpdir(), 'softmoe-prune-out-')), 'sub', 'pruned.safetensors');
      const report = await pruneCheckpoint(src, out, keep);
      const pruned = await openCheckpoint(out);
      try {
        const got = detectSoftMoeLayers(pruned.tensors);
        assert.equal(got.length, layers.length);
        got.forEach((g, l) => {
          assert.equal(g.name, layers[l]!.name);
          assert.equal(g.layout, layers[l]!.layout);
          assert.equal(g.numExperts, keep[l]!.length);
          assert.equal(g.slotsPerExpert, layers[l]!.slotsPerExpert);
          assert.equal(g.expertHidden, layers[l]!.expertHidden);
        });
        // Same names (kept experts renumbered in order), same dtypes; the router and stacked tensors are the
        // source's sliced along the expert axis, everything else is copied value for value.
        const maps = layers.map((_, l) => new Map(keep[l]!.map((e, j) => [e, j])));
        const expected = new Map<string, string>();
        for (const [name, entry] of srcCkpt.tensors) {
          if (entry.meta) continue; // shape-only entries (the vmap base_expert.*) are not written
          const layer = layers.findIndex((d) => d.tensors.includes(name) && EXPERT.test(name));
          const r = layer >= 0 ? renamed(name, maps[layer]!) : name;
          if (r !== null) expected.set(r, name);
        }
        assert.deepEqual([...pruned.tensors.keys()].sort(), [...expected.keys()].sort());
        for (const [name, from] of expected) {
          const a = srcCkpt.tensors.get(from)!;
          const b = pruned.tensors.get(name)!;
          assert.equal(b.dtype, a.dtype, name);
          const stackedNames = (d: (typeof layers)[number]): Array<string | undefined> => (d.experts.kind === 'stacked'
            ? [d.experts.fc1, d.experts.fc2, d.experts.fc1Bias, d.experts.fc2Bias]
            : d.experts.kind === 'linear' ? [d.experts.weight, d.experts.bias] : []);
          const layer = layers.findIndex((d) => d.router === name || stackedNames(d).includes(name));
          const data = await a.readFloat32();
          if (layer >= 0) {
            const axis = layers[layer]!.router === name ? (layers[layer]!.routerAxes === 'npd' ? 0 : 1) : 0;
            const want = sliceAxis(data, a.shape, axis, keep[layer]!);
            assert.deepEqual(b.shape, want.shape, name);
            assert.deepEqual(await b.readFloat32(), want.data, name);
          } else {
            assert.deepEqual(b.shape, a.shape, name);
            assert.deepEqual(await b.readFloat32(), data, name);
          }
        }
        assert.deepEqual(JSON.parse(pruned.metadata['softmoe.kept_experts']!), keep);
        if (srcCkpt.metadata.num_experts !== undefined) assert.equal(pruned.metadata.num_experts, String(keep[0]!.length));
      } finally {
        await pruned.close();
        await srcCkpt.close();
      }
      // Sidecars beside the output say k experts; the source folder is byte for byte what it was.
      for (const f of report.sidecars) {
        const j = JSON.parse(readFileSync(f, 'utf8'));
        if ('num_experts' in j) assert.equal(j.num_experts, keep[0]!.length, f);
      }
      assert.equal(digest(dirname(src)), before);
      const reopened = await openCheckpoint(src);
      const perExpert = parametersPerExpert(reopened, layers);
      await reopened.close();
      const removed = layers.reduce((s, d, l) => s + (d.numExperts - keep[l]!.length) * perExpert[l]!, 0);
      assert.equal(report.parametersBefore - report.parametersAfter, removed);
    });
  }

  for (const c of CASES.filter((x) => x.runs)) {
    it(`runs, and computes the renorm drop of the full model with the kept experts: ${c.label}`, async () => {
      const src = copyFixture(c.rel);
      const full = await loadModel(src);
      const n = full.info.moeLayers[0]!.numExperts;
      const L = full.info.moeLayers.length;
      const k = Math.max(1, n - 2);
      const keep = Array.from({ length: L }, (_, l) => Array.from({ length: n }, (_, e) => e).filter((e) => (e + l) % n < k));
      const out = join(mkdtempSync(join(tmpdir(), 'softmoe-prune-out-')), 'pruned.safetensors');
      await pruneCheckpoint(src, out, keep);
      const pruned = await loadModel(out);
      try {
        const [H, W, C] = full.info.inputShape;
        const b = 12;
        const rng = createPrng(9);
        const images = tf.tensor4d(Float32Array.from({ length: b * H * W * C }, () => rng.next()), [b, H, W, C]);
        const masks = keep.map((kl) => {
          const m = new Float32Array(b * n);
          for (let i = 0; i < b; i++) for (const e of kl) m[i * n + e] = 1;
          return tf.tensor2d(m, [b, n]);
        });
        const want = tf.tidy(() => full.forward(full.preprocess(images), { masks, drop: 'renorm' }).logits.arraySync());
        const got = tf.tidy(() => pruned.forward(pruned.preprocess(images)).logits.arraySync());
        let worst = 0;
        for (let i = 0; i < b; i++) for (let j = 0; j < want[0]!.length; j++) worst = Math.max(worst, Math.abs(want[i]![j]! - got[i]![j]!));
        assert.ok(worst < 1e-4, `max |Δlogit| ${worst}`);
        assert.deepEqual(pruned.info.moeLayers.map((l) => l.numExperts), keep.map((kl) => kl.length));
        tf.dispose([images, ...masks]);
      } finally {
        full.dispose();
        pruned.dispose();
      }
    });
  }

  it('refuses a layer whose slots are computed from runs of n tokens (lucidrains DynamicSlotsSoftMoE)', async () => {
    const src = copyFixture('layouts/mnist-lucidrains-dynamic/model.safetensors');
    const out = join(mkdtempSync(join(tmpdir(), 'softmoe-prune-out-')), 'p.safetensors');
    await assert.rejects(pruneCheckpoint(src, out, [[0, 1]]), /runs of n tokens.*cannot be pruned/);
    assert.ok(!existsSync(out));
  });

  it('never replaces a file without being told to, and never writes over its source or its source\'s sidecars', async () => {
    const src = copyFixture('io/mnist/ep3_moe.safetensors');
    const keep = [[0, 1]];
    await assert.rejects(pruneCheckpoint(src, src, keep), /cannot replace its source/);
    await assert.rejects(pruneCheckpoint(src, join(dirname(src), 'small.safetensors'), keep), /args\.json.*another folder/);
    const dir = mkdtempSync(join(tmpdir(), 'softmoe-prune-out-'));
    const out = join(dir, 'pruned.safetensors');
    await pruneCheckpoint(src, out, keep);
    const first = readFileSync(out);
    await assert.rejects(pruneCheckpoint(src, out, [[2, 3]]), /already exist.*--force/);
    assert.deepEqual(readFileSync(out), first, 'the refused call changed nothing');
    await pruneCheckpoint(src, out, [[2, 3]], { overwrite: true });
    assert.notDeepEqual(readFileSync(out), first);
    assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')), 'no temporary file is left behind');
    // A sidecar already in the output folder is not replaced silently either.
    const other = mkdtempSync(join(tmpdir(), 'softmoe-prune-out-'));
    mkdirSync(join(other, 'x'));
    copyFileSync(join(dirname(src), 'args.json'), join(other, 'x', 'args.json'));
    await assert.rejects(pruneCheckpoint(src, join(other, 'x', 'p.safetensors'), keep), /args\.json already exist/);
    assert.ok(!existsSync(join(other, 'x', 'p.safetensors')));
  });

  it('refuses subsets that are not a subset of the experts, naming the layer', async () => {
    const src = copyFixture('io/mnist/ep3_moe.safetensors');
    const out = join(mkdtempSync(join(tmpdir(), 'softmoe-prune-out-')), 'p.safetensors');
    await assert.rejects(pruneCheckpoint(src, out, [[]]), /at least one expert/);
    await assert.rejects(pruneCheckpoint(src, out, [[0, 0]]), /listed twice/);
    await assert.rejects(pruneCheckpoint(src, out, [[99]]), /Expert 99 does not exist/);
    await assert.rejects(pruneCheckpoint(src, out, [[0], [1]]), /1 Soft MoE layer/);
    await assert.rejects(pruneCheckpoint(src, out.replace(/safetensors$/, 'pt'), [[0]]), /safetensors name/);
  });
});
