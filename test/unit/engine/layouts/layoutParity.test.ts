/**
 * Every Soft MoE layout inside both built-in architectures, end to end against PyTorch
 * (test/fixtures/layouts/gen_layouts.py, whose reference forward is test/fixtures/reference/softmoe_ref.py): detection
 * reports the layout's variant, loadModel builds it through the one mapping, and on wasm and cpu
 *   - the full model's logits match (max |Δlogit| ≤ 1e-4), with the same predictions and accuracy;
 *   - masked passes (random and top-k masks on one or every layer, zero and renorm) match;
 *   - each layer's expert scores (combine weights summed over tokens and slots) match;
 *   - `analyzeCheckpoint` on the fixture's dataset gives PyTorch's heuristic curve exactly (correct count per k, both
 *     drop modes; each layer keeps its own top k on the already-masked upstream).
 * The figures are printed as test diagnostics (max |Δlogit|, curve points that agree).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCheckpoint } from '../../../../src/core/analysis/analyzeCheckpoint';
import { finalizeResult } from '../../../../src/core/analysis/finalize';
import { loadModel } from '../../../../src/core/engine/loadModel';
import { disposeTrace, type SoftMoeModel } from '../../../../src/core/engine/model';
import { openDatasetForModel } from '../../../../src/core/engine/openDatasetForModel';
import { openCheckpoint } from '../../../../src/core/io/openCheckpoint';
import { detectSoftMoeLayers } from '../../../../src/core/model/detect';
import { BACKENDS, TOL, argmaxRows, maxAbsDiff, useBackend } from '../helpers';
import { LAYOUT_FIXTURES } from './layoutFixtures';

const ROOT = join(__dirname, '..', '..', '..', 'fixtures', 'layouts');

interface Case { name: string; drop: 'zero' | 'renorm'; masks: Array<number[][] | null>; logits: number[] }
interface Expected {
  skeleton: 'vit' | 'mnist';
  checkpoint: string;
  dataset: string;
  numInputs: number;
  detected: { layout: string; norm: string; expertsSeeNormalized: boolean; activation: string; slots: string; numExperts: number; slotsPerExpert: number | null; expertHidden: number };
  moeLayers: string[] | null;
  fullLogits: number[];
  fullCorrect: number;
  curves: { zero: number[]; renorm: number[] };
  scores: number[][];
  cases: Case[];
}


function expected(folder: string): Expected {
  return JSON.parse(readFileSync(join(ROOT, folder, 'expected.json'), 'utf8')) as Expected;
}

/** The fixture's whole dataset as one batch of model inputs. */
async function inputs(model: SoftMoeModel, e: Expected): Promise<{ x: tf.Tensor; labels: Int32Array }> {
  const ds = await openDatasetForModel(join(ROOT, e.dataset), model.info);
  try {
    for await (const batch of ds.batches(e.numInputs)) {
      const images = tf.tensor4d(batch.x, [batch.size, ...ds.shape]);
      const x = model.preprocess(images);
      images.dispose();
      return { x, labels: batch.y };
    }
  } finally {
    await ds.close();
  }
  throw new Error('empty dataset');
}

for (const folder of LAYOUT_FIXTURES) {
  const e = expected(folder);
  const ckpt = join(ROOT, folder, e.checkpoint);

  it(`${folder}: detection reports the layout and its variant`, async () => {
    const c = await openCheckpoint(ckpt);
    try {
      const layers = detectSoftMoeLayers(c.tensors);
      assert.ok(layers.length >= 1);
      for (const l of layers) {
        const d = e.detected;
        assert.deepEqual([l.layout, l.norm, l.expertsSeeNormalized, l.activation, l.slots, l.numExperts, l.expertHidden],
          [d.layout, d.norm, d.expertsSeeNormalized, d.activation, d.slots, d.numExperts, d.expertHidden]);
        assert.equal(l.slotsPerExpert, d.slotsPerExpert ?? 0);
      }
      if (e.moeLayers) assert.deepEqual(layers.map((l) => l.name), e.moeLayers);
    } finally {
      await c.close();
    }
  });

  for (const backend of BACKENDS) {
    describe(`${folder} on ${backend}`, () => {
      let model: SoftMoeModel;
      let x: tf.Tensor;
      let labels: Int32Array;
      let worst = 0;
      before(async () => {
        await useBackend(backend);
        model = await loadModel(ckpt);
        ({ x, labels } = await inputs(model, e));
      });
      after(() => {
        x.dispose();
        model.dispose();
      });

      it(`runs in the ${e.skeleton === 'vit' ? 'ViT' : 'MNIST'} skeleton with PyTorch's logits, predictions and accuracy`, async (t) => {
        assert.equal(model.info.architecture, e.skeleton === 'vit' ? 'vit-softmoe' : 'mnist-softmoe');
        assert.ok(model.info.moeLayers.every((l) => l.layout === e.detected.layout));
        const out = model.forward(x);
        const got = (await out.logits.data()) as Float32Array;
        out.logits.dispose();
        const diff = maxAbsDiff(got, e.fullLogits);
        worst = Math.max(worst, diff);
        assert.ok(diff <= TOL, `max |Δlogit| ${diff} > ${TOL}`);
        const pred = argmaxRows(got, 10);
        assert.deepEqual(pred, argmaxRows(e.fullLogits, 10), 'predictions differ');
        assert.equal(pred.filter((p, i) => p === labels[i]).length, e.fullCorrect);
        t.diagnostic(`${folder} ${backend}: full model max |Δlogit| ${diff.toExponential(2)}, accuracy ${e.fullCorrect}/${e.numInputs}`);
      });

      it('drops experts as PyTorch does (zero and renorm, masks on one or every layer) and scores experts alike', async (t) => {
        assert.equal(e.cases.length, 6);
        const b = e.cases[0].logits.length / 10;
        const xs = tf.slice(x, 0, b);
        try {
          for (const c of e.cases) {
            const masks = c.masks.map((m) => (m === null ? undefined : tf.tensor2d(m)));
            const out = model.forward(xs, { masks, drop: c.drop });
            const got = (await out.logits.data()) as Float32Array;
            tf.dispose([out.logits, ...masks.filter((m): m is tf.Tensor2D => m !== undefined)]);
            const diff = maxAbsDiff(got, c.logits);
            worst = Math.max(worst, diff);
            assert.ok(diff <= TOL, `${c.name}: max |Δlogit| ${diff}`);
            assert.deepEqual(argmaxRows(got, 10), argmaxRows(c.logits, 10), `${c.name}: predictions differ`);
          }
          const traced = model.forward(xs, { trace: true });
          assert.equal(traced.traces.length, e.scores.length);
          for (let li = 0; li < traced.traces.length; li++) {
            const s = tf.tidy(() => tf.sum(traced.traces[li].combine, [1, 3]));
            const diff = maxAbsDiff(await s.data(), e.scores[li]);
            s.dispose();
            assert.ok(diff <= TOL, `layer ${li}: max |Δscore| ${diff}`);
          }
          traced.logits.dispose();
          traced.traces.forEach(disposeTrace);
        } finally {
          xs.dispose();
        }
        t.diagnostic(`${folder} ${backend}: max |Δlogit| over the full model and ${e.cases.length} masked passes ${worst.toExponential(2)}`);
      });

      it('analyses to PyTorch\'s heuristic curve: the same correct count for every k, both drop modes', async (t) => {
        const part = await analyzeCheckpoint(ckpt, join(ROOT, e.dataset), {
          selectors: ['heuristic'], drops: ['zero', 'renorm'], trials: 1, samples: 0, batchSize: e.numInputs, backend,
        });
        const r = finalizeResult(part);
        assert.equal(r.fullCorrect, e.fullCorrect);
        const n = e.detected.numExperts;
        let agree = 0;
        for (const drop of ['zero', 'renorm'] as const) {
          const pts = r.curves.find((c) => c.selector === 'heuristic' && c.drop === drop)?.points ?? [];
          const got = Array.from({ length: n }, (_, i) => pts.find((p) => p.k === i + 1)?.correct ?? -1);
          agree += got.filter((v, i) => v === e.curves[drop][i]).length;
          assert.deepEqual(got, e.curves[drop], `heuristic curve (${drop})`);
        }
        assert.ok(r.preprocessing, 'the result records its preprocessing');
        t.diagnostic(`${folder} ${backend}: heuristic curve ${agree}/${2 * n} points equal to PyTorch's (zero ${e.curves.zero.join(',')}; renorm ${e.curves.renorm.join(',')} of ${e.numInputs})`);
      });
    });
  }
}
