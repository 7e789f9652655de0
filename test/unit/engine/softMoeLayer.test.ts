import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { SoftMoeLayer, type ExpertActivation } from '../../../src/core/engine/softMoeLayer';
import { disposeTrace } from '../../../src/core/engine/model';
import type { TokenNorm } from '../../../src/core/engine/tokenNorm';
import { BACKENDS, TOL, maxAbsDiff, readJson, useBackend, values } from './helpers';

interface LayerCase {
  name: string; norm: TokenNorm; activation: ExpertActivation; expertsSeeNormalized: boolean; bias: boolean;
  dim: number; tokens: number; numExperts: number; slotsPerExpert: number; expertHidden: number; batch: number;
  phi: number[]; scale: number | null; tokenGamma: number[] | null; slotGamma: number[] | null;
  w1: number[]; w2: number[]; b1: number[] | null; b2: number[] | null;
  x: number[]; mask: number[]; y: number[]; yZero: number[]; yRenorm: number[];
  dispatch: number[]; combine: number[]; slotOutputs: number[];
}

const CASES = readJson<LayerCase[]>('layers.json');

function buildLayer(c: LayerCase): SoftMoeLayer {
  const { dim: d, numExperts: n, slotsPerExpert: p, expertHidden: h } = c;
  const experts = Array.from({ length: n }, (_, e) => ({
    w1: tf.tensor2d(c.w1.slice(e * d * h, (e + 1) * d * h), [d, h]),
    w2: tf.tensor2d(c.w2.slice(e * h * d, (e + 1) * h * d), [h, d]),
    b1: c.b1 ? tf.tensor1d(c.b1.slice(e * h, (e + 1) * h)) : undefined,
    b2: c.b2 ? tf.tensor1d(c.b2.slice(e * d, (e + 1) * d)) : undefined,
  }));
  return new SoftMoeLayer(
    { name: c.name, layout: c.name, dim: d, numExperts: n, slotsPerExpert: p, expertHidden: h, norm: c.norm, expertsSeeNormalized: c.expertsSeeNormalized, activation: c.activation },
    {
      phi: tf.tensor2d(c.phi, [d, n * p]),
      scale: c.scale === null ? undefined : tf.scalar(c.scale),
      tokenGamma: c.tokenGamma ? tf.tensor1d(c.tokenGamma) : undefined,
      slotGamma: c.slotGamma ? tf.tensor1d(c.slotGamma) : undefined,
      experts,
    },
  );
}

for (const backend of BACKENDS) {
  describe(`SoftMoeLayer parity with PyTorch on every variant (${backend})`, () => {
    before(() => useBackend(backend));
    for (const c of CASES) {
      it(`${c.name}: full, zero drop, renorm drop and trace match within ${TOL}`, async () => {
        const startTensors = tf.memory().numTensors;
        const layer = buildLayer(c);
        const x = tf.tensor3d(c.x, [c.batch, c.tokens, c.dim]);
        const mask = tf.tensor2d(c.mask, [c.batch, c.numExperts]);
        const full = layer.apply(x);
        const trace = layer.routing(x, true);
        assert.ok(trace.slotOutputs);
        assert.ok(maxAbsDiff(await values(full.y), c.y) <= TOL, 'full output');
        assert.ok(maxAbsDiff(await values(trace.dispatch), c.dispatch) <= TOL, 'dispatch');
        assert.ok(maxAbsDiff(await values(trace.combine), c.combine) <= TOL, 'combine');
        assert.ok(maxAbsDiff(await values(trace.slotOutputs), c.slotOutputs) <= TOL, 'slot outputs');
        const zero = layer.apply(x, { mask, drop: 'zero' });
        const renorm = layer.apply(x, { mask, drop: 'renorm' });
        assert.ok(maxAbsDiff(await values(zero.y), c.yZero) <= TOL, 'zero drop');
        assert.ok(maxAbsDiff(await values(renorm.y), c.yRenorm) <= TOL, 'renorm drop');
        // The two modes really differ on this fixture (otherwise the test could not tell them apart).
        assert.ok(maxAbsDiff(c.yZero, c.yRenorm) > 1e-2);
        tf.dispose([x, mask, full.y, zero.y, renorm.y]);
        disposeTrace(trace);
        const w = layer.weights;
        tf.dispose([w.phi, ...(w.scale ? [w.scale] : []), ...(w.tokenGamma ? [w.tokenGamma] : []), ...(w.slotGamma ? [w.slotGamma] : [])]);
        for (const e of w.experts) tf.dispose([e.w1, e.w2, ...(e.b1 ? [e.b1] : []), ...(e.b2 ? [e.b2] : [])]);
        assert.equal(tf.memory().numTensors, startTensors, 'no tensor leaks');
      });
    }
  });
}

describe('SoftMoeLayer computes less under a mask', () => {
  before(() => useBackend('cpu'));
  const c = CASES.find((k) => k.numExperts >= 3) as LayerCase;

  it(`an expert no input keeps is not run: with its weights NaN the masked output is unchanged (${c.name})`, async () => {
    const layer = buildLayer(c);
    const { batch: b, numExperts: n } = c;
    const keep = Array.from({ length: b * n }, (_, i) => (i % n === 1 ? 0 : (c.mask[i] ?? 1)));
    const x = tf.tensor3d(c.x, [b, c.tokens, c.dim]);
    const mask = tf.tensor2d(keep, [b, n]);
    const want = await Promise.all((['zero', 'renorm'] as const).map((drop) => values(layer.apply(x, { mask, drop }).y)));
    const e1 = layer.weights.experts[1];
    const poisoned = { ...e1, w2: tf.fill(e1.w2.shape, NaN) as tf.Tensor2D };
    layer.weights.experts[1] = poisoned;
    for (const [i, drop] of (['zero', 'renorm'] as const).entries()) {
      const got = await values(layer.apply(x, { mask, drop }).y);
      assert.ok(got.every(Number.isFinite), `${drop}: a dropped expert ran`);
      assert.equal(maxAbsDiff(got, want[i] as Float32Array), 0, `${drop}: same output`);
    }
    // Kept by every input, the poisoned expert would show: the test can fail.
    const all = layer.apply(x, {}).y;
    assert.ok(!(await values(all)).every(Number.isFinite));
  });

  it('recombine(routing) under a mask is apply with that mask (both drop modes)', async () => {
    const layer = buildLayer(c);
    const x = tf.tensor3d(c.x, [c.batch, c.tokens, c.dim]);
    const mask = tf.tensor2d(c.mask, [c.batch, c.numExperts]);
    const routing = layer.routing(x, true);
    assert.ok(routing.slotOutputs);
    for (const drop of ['zero', 'renorm'] as const) {
      const got = await values(layer.recombine({ ...routing, slotOutputs: routing.slotOutputs }, { mask, drop }));
      assert.ok(maxAbsDiff(got, drop === 'zero' ? c.yZero : c.yRenorm) <= TOL, `${drop} against PyTorch`);
    }
  });
});
