/**
 * The PyTorch engine through the Engine interface (trace / run / runSelecting / predict), against PyTorch's own
 * outputs written by the fixture generators:
 *   - PatchNet (test/fixtures/torch): lucidrains-style layers in a conv network the built-in engine cannot run;
 *   - the Soft MoE ViTs (test/fixtures/vit/gen_vit.py): full logits, zero and renorm masks on several layers, and
 *     per-layer top-k selection inside the pass, with the masks PyTorch chose;
 *   - the paper's MNIST model (PaperMnistSoftMoE of test/fixtures/reference/softmoe_ref.py, which
 *     test/fixtures/engine/gen_parity.py trains), whose nn.Module is the whole model.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../../../src/core/data/openDataset';
import type { EngineBatch } from '../../../../src/core/engine/engine';
import type { TorchEngine } from '../../../../src/core/engine/torch/torchEngine';
import { VIT_FIXTURES, flat, readExpected, type VitExpected } from '../vit/vitFixtures';
import { DEMO_DATA, FIXTURES, PATCHNET, SKIP_TORCH, argmaxRows, isAlive, maxAbsDiff, openEngine, topKMask, waitGone } from './torchHelpers';

const TOL = 1e-4;

describe('PyTorch engine: PatchNet (lucidrains-style layers in a conv network)', { skip: SKIP_TORCH }, () => {
  let engine: TorchEngine;
  let batch: EngineBatch;
  let labels: Int32Array;
  const expected = JSON.parse(readFileSync(join(FIXTURES, 'torch', 'patchnet', 'expected.json'), 'utf8')) as { logits: number[][]; predictions: number[] };
  before(async () => {
    engine = await openEngine(PATCHNET);
    const ds = await openDataset(DEMO_DATA, { limit: 64 });
    for await (const b of ds.batches(64)) {
      batch = await engine.begin(b.x, b.size);
      labels = b.y;
    }
    await ds.close();
  });
  after(async () => {
    await batch?.close();
    await engine?.dispose();
  });

  it('describes the model from its own code and the core\'s detection', () => {
    const info = engine.info;
    assert.equal(info.architecture, 'custom');
    assert.deepEqual(info.moeLayers.map((l) => [l.name, l.layout, l.numExperts, l.slotsPerExpert, l.dim, l.expertHidden]), [
      ['moe1', 'lucidrains', 8, 2, 32, 64], ['moe2', 'lucidrains', 8, 2, 32, 64],
    ]);
    assert.equal(info.numClasses, 10);
    assert.deepEqual(info.inputShape, [28, 28, 1]);
    assert.deepEqual(info.tokenGrid, { rows: 7, cols: 7, hasClassToken: false });
    assert.equal(info.parameterCount, 77002);
    assert.equal(engine.linearReadout, false);
    assert.equal(engine.description.kind, 'torch');
    assert.equal(engine.description.backend, 'cpu');
    assert.match(engine.description.label, /^torch 1\.\d+.* on cpu \(\/.*python3.*, Python 3\.\d+\.\d+; patchnet:build_patchnet\)$/);
  });

  it('passed the self-check on the first batch, every layer within 1e-5', () => {
    assert.deepEqual(engine.checks?.map((c) => [c.module, c.ok]), [['moe1', true], ['moe2', true]]);
    for (const c of engine.checks ?? []) assert.ok((c.relative ?? 1) <= 1e-5 && (c.maxAbs ?? 0) > 0, JSON.stringify(c));
  });

  it('predicts what PyTorch predicts, and traces its logits', async () => {
    assert.deepEqual([...await batch.predict()], expected.predictions.slice(0, 64));
    const t = await batch.trace({ slotOutputs: true });
    assert.ok(maxAbsDiff(t.logits, flat(expected.logits)) <= TOL);
    assert.equal(t.layers.length, 2);
    assert.ok(labels.length === 64);
  });

  it('traces routing that is a distribution over slots (combine) and over tokens (dispatch)', async () => {
    const t = await batch.trace({ slotOutputs: true });
    for (const l of t.layers) {
      assert.deepEqual([l.b, l.m, l.n, l.p, l.d], [64, 49, 8, 2, 32]);
      assert.equal(l.slotOutputs?.length, 64 * 8 * 2 * 32);
      const S = l.n * l.p;
      for (const row of [0, 17, 64 * 49 - 1]) {
        let s = 0;
        for (let j = 0; j < S; j++) s += l.combine[row * S + j];
        assert.ok(Math.abs(s - 1) < 1e-5, `combine row ${row} sums to ${s}`);
      }
      for (const [b, slot] of [[0, 0], [63, S - 1]]) {
        let s = 0;
        for (let tok = 0; tok < l.m; tok++) s += l.dispatch[(b * l.m + tok) * S + slot];
        assert.ok(Math.abs(s - 1) < 1e-5, `dispatch of slot ${slot} sums to ${s}`);
      }
    }
  });

  it('runs stacked masked passes pass-major; keeping every expert is the full model', async () => {
    const b = 64;
    const n = 8;
    const full = await batch.predict();
    const P = 5;
    const keepAll = new Uint8Array(P * b * n).fill(1);
    const out = await batch.run({ drop: 'zero', count: P, masks: [keepAll, keepAll] });
    assert.equal(out.length, P * b);
    for (let p = 0; p < P; p++) assert.deepEqual([...out.subarray(p * b, (p + 1) * b)], [...full]);
    // Dropping all but one expert per layer changes predictions; pass 1 repeats pass 0's masks and must agree.
    const one = new Uint8Array(2 * b * n);
    for (let i = 0; i < 2 * b; i++) one[i * n + (i % n)] = 1;
    one.copyWithin(b * n, 0, b * n);
    for (const drop of ['zero', 'renorm'] as const) {
      const r = await batch.run({ drop, count: 2, masks: [one, undefined] });
      assert.deepEqual([...r.subarray(b)], [...r.subarray(0, b)]);
      assert.notDeepEqual([...r.subarray(0, b)], [...full], `${drop}: one expert per input should change some predictions`);
    }
  });

  it('selects inside the pass: one callback per layer per chunk, rows pass-major, the upstream already masked', async () => {
    const calls: Array<[number, number, number]> = [];
    const chosen: Uint8Array[] = [];
    const k = 2;
    const P = 3;
    const preds = await batch.runSelecting({
      drop: 'renorm', count: P, slotOutputs: true,
      select: (layer, r, firstPass) => {
        calls.push([layer, firstPass, r.b]);
        assert.ok(r.slotOutputs && r.slotOutputs.length === r.b * r.n * r.p * r.d);
        return (chosen[layer] = topKMask(r.combine, r.b, r.m, r.n, r.p, k));
      },
    });
    assert.deepEqual(calls, [[0, 0, P * 64], [1, 0, P * 64]]);
    assert.equal(preds.length, P * 64);
    assert.deepEqual([...preds.subarray(64, 128)], [...preds.subarray(0, 64)]);
    // Layer 0 sees the unmasked input, so it chose from the full trace's routing; layer 1 saw the masked upstream.
    const t = await batch.trace();
    const l0 = t.layers[0] as NonNullable<(typeof t.layers)[0]>;
    assert.deepEqual([...(chosen[0] as Uint8Array).subarray(0, 64 * 8)], [...topKMask(l0.combine, 64, l0.m, 8, 2, k)]);
    const l1 = t.layers[1] as NonNullable<(typeof t.layers)[0]>;
    assert.notDeepEqual([...(chosen[1] as Uint8Array).subarray(0, 64 * 8)], [...topKMask(l1.combine, 64, l1.m, 8, 2, k)]);
    // And the same masks given up front reproduce the selecting pass exactly.
    const again = await batch.run({ drop: 'renorm', count: 1, masks: [(chosen[0] as Uint8Array).subarray(0, 64 * 8), (chosen[1] as Uint8Array).subarray(0, 64 * 8)] });
    assert.deepEqual([...again], [...preds.subarray(0, 64)]);
  });

  it('leaves no process behind', async () => {
    const pid = engine.pid;
    assert.ok(isAlive(pid));
    await batch.close();
    await engine.dispose();
    assert.ok(await waitGone(pid), `runner ${pid} still running after dispose`);
  });
});

const VITS = [
  { dir: 'vit_rgb', checkpoint: 'vit_rgb/model.pt', what: '3 channels, token pool, config.json + softmoe.json factory' },
  { dir: 'vit_gray', checkpoint: 'vit_gray/model.pt', what: '1 channel, avg pool, blocks 1 and 3' },
];

for (const fx of VITS) {
  describe(`PyTorch engine: Soft MoE ViT (${fx.what}) against PyTorch`, { skip: SKIP_TORCH }, () => {
    let engine: TorchEngine;
    let batch: EngineBatch;
    let expected: VitExpected;
    let b: number;
    before(async () => {
      engine = await openEngine(join(VIT_FIXTURES, fx.checkpoint));
      expected = readExpected(fx.dir);
      const u8 = readFileSync(join(VIT_FIXTURES, fx.dir, 'inputs.u8'));
      b = expected.inputShape[0];
      batch = await engine.begin(Float32Array.from(u8, (v) => v / 255), b);
    });
    after(async () => {
      await batch?.close();
      await engine?.dispose();
    });

    it('sees the ViT the built-in engine sees', () => {
      assert.equal(engine.info.architecture, 'vit-softmoe');
      assert.deepEqual(engine.info.moeLayers.map((l) => l.name), expected.moeBlocks.map((i) => `blocks.${i}.mlp`));
      assert.deepEqual(engine.info.inputShape, expected.inputShape.slice(1));
      assert.equal(engine.info.tokenGrid.hasClassToken, true);
    });

    it('full logits and per-layer expert scores', async () => {
      const t = await batch.trace();
      assert.ok(maxAbsDiff(t.logits, flat(expected.fullLogits)) <= TOL, `max |Δlogit| ${maxAbsDiff(t.logits, flat(expected.fullLogits))}`);
      t.layers.forEach((l, li) => {
        const scores = new Float64Array(b * l.n);
        for (let r = 0; r < b; r++) for (let tok = 0; tok < l.m; tok++) for (let e = 0; e < l.n; e++) for (let s = 0; s < l.p; s++) scores[r * l.n + e] += l.combine[((r * l.m + tok) * l.n + e) * l.p + s];
        assert.ok(maxAbsDiff(scores, flat(expected.scores[li] as number[][])) <= TOL, `layer ${li} scores`);
      });
    });

    for (const drop of ['zero', 'renorm'] as const) {
      it(`${drop}: PyTorch's masked cases, all stacked into one run`, async () => {
        const cases = expected.cases.filter((c) => c.drop === drop);
        const L = engine.info.moeLayers.length;
        const n = engine.info.moeLayers[0]?.numExperts as number;
        const masks = Array.from({ length: L }, () => new Uint8Array(cases.length * b * n).fill(1));
        cases.forEach((c, ci) => c.masks.forEach((m, l) => {
          if (m) (masks[l] as Uint8Array).set(flat(m), ci * b * n);
        }));
        const preds = await batch.run({ drop, count: cases.length, masks });
        cases.forEach((c, ci) => assert.deepEqual([...preds.subarray(ci * b, (ci + 1) * b)], argmaxRows(flat(c.logits), c.logits[0].length), c.name));
      });

      it(`${drop}: per-layer top-k inside the pass chooses PyTorch's masks and predictions`, async () => {
        for (const c of expected.selected.filter((s) => s.drop === drop)) {
          const chosen: Uint8Array[] = [];
          const preds = await batch.runSelecting({
            drop, count: 1, slotOutputs: false,
            select: (layer, r) => (chosen[layer] = topKMask(r.combine, r.b, r.m, r.n, r.p, c.k)),
          });
          c.masks.forEach((m, l) => assert.deepEqual([...(chosen[l] as Uint8Array)], flat(m as number[][]), `${c.name}: layer ${l} masks`));
          assert.deepEqual([...preds], argmaxRows(flat(c.logits), c.logits[0].length), c.name);
        }
      });
    }
  });
}

describe('PyTorch engine: the paper\'s MNIST model (its nn.Module is the whole model)', { skip: SKIP_TORCH }, () => {
  it('wraps the layer in patchify and the decoder, and reproduces PyTorch\'s logits', async () => {
    const engine = await openEngine(join(FIXTURES, 'engine', 'mnist_n16', 'model.safetensors'));
    try {
      assert.equal(engine.info.architecture, 'mnist-softmoe');
      assert.deepEqual(engine.info.moeLayers.map((l) => [l.name, l.layout, l.numExperts]), [['', 'paper-mnist', 16]]);
      assert.deepEqual([engine.info.mean, engine.info.std], [[0.1307], [0.3081]]);
      const x = new Float32Array(readFileSync(join(FIXTURES, 'engine', 'inputs.f32')).buffer.slice(0));
      const cases = JSON.parse(readFileSync(join(FIXTURES, 'engine', 'mnist_n16', 'cases.json'), 'utf8')) as { cases: Array<{ name: string; logits: number[] }> };
      const full = cases.cases.find((c) => c.name === 'full');
      const batch = await engine.begin(x, 64);
      const t = await batch.trace();
      assert.ok(maxAbsDiff(t.logits, full?.logits ?? []) <= TOL, `max |Δlogit| ${maxAbsDiff(t.logits, full?.logits ?? [])}`);
      assert.deepEqual(engine.checks?.map((c) => c.ok), [true]);
      await batch.close();
    } finally {
      await engine.dispose();
    }
  });
});
