/**
 * The Soft MoE ViT against PyTorch (test/fixtures/vit/gen_vit.py): full logits, zero and renorm expert dropping with
 * several masks per MoE layer, the routing trace, and stem/fromFirstMoe, on wasm and cpu.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCheckpoint } from '../../../../src/core/io/openCheckpoint';
import { readSidecars } from '../../../../src/core/model/sidecar';
import { buildVitModel, resolveVitConfig, type VitModel } from '../../../../src/core/engine/vit/buildVitModel';
import { loadModel } from '../../../../src/core/engine/loadModel';
import { disposeTrace } from '../../../../src/core/engine/model';
import { SoftMoeError } from '../../../../src/core/errors';
import { BACKENDS, TOL, argmaxRows, maxAbsDiff, useBackend } from '../helpers';
import { VIT_FIXTURES, VIT_MODELS, flat, readExpected, readImages, type VitExpected } from './vitFixtures';

async function openModel(checkpoint: string): Promise<VitModel> {
  const ckpt = await openCheckpoint(join(VIT_FIXTURES, checkpoint));
  try {
    const config = resolveVitConfig(ckpt.tensors, await readSidecars(ckpt.path), ckpt.path);
    return await buildVitModel(ckpt, config);
  } finally {
    await ckpt.close();
  }
}

function assertLogits(got: Float32Array | number[], want: number[][], what: string): void {
  const cols = want[0].length;
  const diff = maxAbsDiff(got, flat(want));
  assert.ok(diff <= TOL, `${what}: max |Δlogit| ${diff} > ${TOL}`);
  assert.deepEqual(argmaxRows(got, cols), argmaxRows(flat(want), cols), `${what}: argmax differs`);
}

for (const backend of BACKENDS) {
  for (const fx of VIT_MODELS) {
    describe(`Soft MoE ViT on ${backend}: ${fx.label}`, () => {
      let model: VitModel;
      let expected: VitExpected;
      let x: tf.Tensor;
      before(async () => {
        await useBackend(backend);
        model = await openModel(fx.checkpoint);
        expected = readExpected(fx.data);
        const images = readImages(fx.data, expected.inputShape);
        x = model.preprocess(images);
        images.dispose();
      });
      after(() => {
        x.dispose();
        model.dispose();
      });

      it('describes the model as the checkpoint and its sidecar say', () => {
        const [, H, W, C] = expected.inputShape;
        assert.deepEqual(model.info.inputShape, [H, W, C]);
        assert.equal(model.info.numClasses, expected.fullLogits[0].length);
        assert.deepEqual(model.info.moeLayers.map((l) => l.name), expected.moeBlocks.map((i) => `blocks.${i}.mlp`));
        assert.ok(model.info.moeLayers.every((l) => l.layout === (fx.checkpoint.includes('stacked') ? 'vit-stacked' : 'vit-experts')));
        assert.equal(model.info.tokenGrid.hasClassToken, true);
      });

      it('gives PyTorch\'s logits and predictions', async () => {
        const before = tf.memory().numTensors;
        const out = model.forward(x);
        assertLogits(await out.logits.data() as Float32Array, expected.fullLogits, 'full model');
        out.logits.dispose();
        assert.equal(tf.memory().numTensors, before, 'forward leaks tensors');
      });

      it('drops experts as PyTorch does, zero and renorm, with masks on one or every layer', async () => {
        assert.ok(expected.cases.length >= 10);
        for (const c of expected.cases) {
          const masks = c.masks.map((m) => (m === null ? undefined : tf.tensor2d(m)));
          const out = model.forward(x, { masks, drop: c.drop });
          assertLogits(await out.logits.data() as Float32Array, c.logits, c.name);
          tf.dispose([out.logits, ...masks.filter((m): m is tf.Tensor2D => m !== undefined)]);
        }
      });

      it('recombines the first MoE layer from its cached routing under every mask, as PyTorch drops experts', async () => {
        const h = model.stem(x);
        const first = model.route(0, h, true);
        assert.ok(first.slotOutputs);
        const before = tf.memory().numTensors;
        for (const c of expected.cases) {
          const masks = c.masks.map((m) => (m === null ? undefined : tf.tensor2d(m)));
          const out = model.fromFirstMoe(h, { masks, drop: c.drop, first: { ...first, slotOutputs: first.slotOutputs } });
          assertLogits(await out.logits.data() as Float32Array, c.logits, `${c.name} (first layer recombined)`);
          tf.dispose([out.logits, ...masks.filter((m): m is tf.Tensor2D => m !== undefined)]);
        }
        assert.equal(tf.memory().numTensors, before, 'recombining leaks tensors');
        disposeTrace(first);
        h.dispose();
      });

      it('traces each MoE layer: the combine weights per expert match PyTorch\'s', async () => {
        const out = model.forward(x, { trace: true });
        assert.equal(out.traces.length, expected.moeBlocks.length);
        for (let li = 0; li < out.traces.length; li++) {
          const t = out.traces[li];
          const [b, , n] = t.combine.shape;
          const scores = tf.tidy(() => tf.sum(t.combine, [1, 3]));
          assert.deepEqual(scores.shape, [b, n]);
          const diff = maxAbsDiff(await scores.data(), flat(expected.scores[li]));
          assert.ok(diff <= TOL, `layer ${li}: max |Δscore| ${diff}`);
          scores.dispose();
        }
        tf.dispose([out.logits, ]); out.traces.forEach(disposeTrace);
      });

      it('lets each layer pick its own top-k from its own routing inside the pass (selectMask), as PyTorch does', async () => {
        assert.equal(expected.selected.length, 4);
        for (const c of expected.selected) {
          const chosen: number[][][] = [];
          const out = model.forward(x, {
            drop: c.drop,
            selectMask: (layer, routing) => {
              const scores = tf.sum(routing.combine, [1, 3]).arraySync() as number[][];
              const mask = scores.map((row) => {
                const top = row.map((v, e) => [v, e]).sort((a, b) => b[0] - a[0]).slice(0, c.k).map(([, e]) => e);
                return row.map((_, e) => (top.includes(e) ? 1 : 0));
              });
              chosen[layer] = mask;
              return tf.tensor2d(mask);
            },
          });
          assert.deepEqual(chosen, c.masks, `${c.name}: chosen experts`);
          assertLogits(await out.logits.data() as Float32Array, c.logits, c.name);
          out.logits.dispose();
        }
        // Returning undefined keeps the given masks (here none): the full model, traced once per layer.
        const before = tf.memory().numTensors;
        const keep = model.forward(x, { trace: true, selectMask: () => undefined });
        assertLogits(await keep.logits.data() as Float32Array, expected.fullLogits, 'selectMask keeping every expert');
        assert.equal(keep.traces.length, expected.moeBlocks.length);
        tf.dispose([keep.logits, ]); keep.traces.forEach(disposeTrace);
        assert.equal(tf.memory().numTensors, before, 'selectMask leaks tensors');
      });

      it('splits at the first MoE block: fromFirstMoe(stem(x)) is forward(x), for any mask', async () => {
        const h = model.stem(x);
        const [, m, d] = h.shape;
        assert.deepEqual([m, d], [model.info.tokenGrid.rows * model.info.tokenGrid.cols + 1, model.info.moeLayers[0].dim]);
        const c = expected.cases.find((k) => k.drop === 'renorm' && k.masks.every((mk) => mk !== null));
        assert.ok(c);
        const masks = c.masks.map((mk) => tf.tensor2d(mk as number[][]));
        const out = model.fromFirstMoe(h, { masks, drop: c.drop });
        assertLogits(await out.logits.data() as Float32Array, c.logits, `fromFirstMoe(stem(x)), ${c.name}`);
        const full = model.forward(x, { masks, drop: c.drop });
        assert.equal(maxAbsDiff(await out.logits.data(), await full.logits.data()), 0);
        // The tokens the first MoE layer sees are norm2(h), not h itself.
        const inp = model.moeInput(h);
        assert.deepEqual(inp.shape, h.shape);
        assert.ok(maxAbsDiff(await inp.data(), await h.data()) > 1e-2);
        tf.dispose([h, inp, out.logits, full.logits, ...masks]);
      });

      it('refuses images of the wrong size and masks of the wrong shape with one-line errors', () => {
        const [b, H, W, C] = expected.inputShape;
        const wrong = tf.zeros([2, H + 1, W, C]) as tf.Tensor4D;
        assert.throws(() => model.preprocess(wrong), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_SHAPE' && /takes \d+×\d+×\d+/.test(e.userMessage));
        const badMask = tf.ones([b, 3]) as tf.Tensor2D;
        assert.throws(() => model.forward(x, { masks: [badMask] }), (e: unknown) => e instanceof SoftMoeError && /blocks\.\d+\.mlp/.test(e.userMessage));
        tf.dispose([wrong, badMask]);
      });
    });
  }
}

describe('loadModel on a Soft MoE ViT checkpoint', () => {
  it('detects the ViT, reads its sidecar and gives PyTorch\'s logits', async () => {
    await useBackend('wasm');
    const model = await loadModel(join(VIT_FIXTURES, 'vit_gray', 'model.pt'));
    const expected = readExpected('vit_gray');
    const images = readImages('vit_gray', expected.inputShape);
    const x = model.preprocess(images);
    const out = model.forward(x);
    assert.equal(model.info.architecture, 'vit-softmoe');
    assertLogits(await out.logits.data() as Float32Array, expected.fullLogits, 'loadModel');
    tf.dispose([images, x, out.logits]);
    model.dispose();
  });

  it('without a sidecar, says to add num_heads to softmoe.json beside the checkpoint', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'vit-nosidecar-'));
    try {
      const path = join(tmp, 'model.pt');
      copyFileSync(join(VIT_FIXTURES, 'vit_gray', 'model.pt'), path);
      await assert.rejects(loadModel(path), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_CONFIG'
        && e.userMessage.includes(`add "num_heads": <int> to softmoe.json beside ${path}`));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
