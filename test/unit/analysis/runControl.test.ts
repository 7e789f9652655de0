import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../../src/core/analysis/analyze';
import { isSupportedSchema, SCHEMA_VERSION } from '../../../src/core/analysis/schema';
import { SoftMoeError } from '../../../src/core/errors';
import { fake, labelledData, useCpu } from './setup';
import { withoutReadout } from './fakeModel';
import { engineOf } from './fakeModel';

before(useCpu);

describe('progress, cancellation, validation', () => {
  const model = fake({ seed: 5 });
  const { dataset } = labelledData(model, 90, 2);

  it('reports progress per batch up to the total', async () => {
    const seen: number[] = [];
    await analyze(engineOf(model), dataset, { batchSize: 20 }, { onProgress: (p) => { seen.push(p.done); assert.equal(p.total, 90); } });
    assert.deepEqual(seen, [20, 40, 60, 80, 90]);
  });

  it('stops with E_CANCELLED when the signal fires, in either path', async () => {
    for (const m of [model, withoutReadout(model)]) {
      const ac = new AbortController();
      let batches = 0;
      const run = analyze(engineOf(m), dataset, { batchSize: 10 }, { signal: ac.signal, onProgress: () => { if (++batches === 2) ac.abort(); } });
      await assert.rejects(run, (e: unknown) => e instanceof SoftMoeError && e.code === 'E_CANCELLED');
      assert.equal(batches, 2);
    }
  });

  it('stops within a general-path batch when aborted from a timer', async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(analyze(engineOf(withoutReadout(model)), dataset, { batchSize: 90, trials: 50 }, { signal: ac.signal }), /Cancelled/);
    assert.ok(performance.now() - t0 < 60_000);
  });

  it('refuses bad options and mismatched data with one-line messages', async () => {
    await assert.rejects(analyze(engineOf(model), dataset, { ks: [0] }), /k \(experts kept\) must be an integer from 1 to 6/);
    await assert.rejects(analyze(engineOf(model), dataset, { selectors: ['best' as never] }), /Unknown selector 'best'/);
    await assert.rejects(analyze(engineOf(withoutReadout(model)), dataset, { selectors: ['oracle'] }), /oracle selector needs/);
    const other = fake({ classes: 3 });
    await assert.rejects(analyze(engineOf(other), dataset), /has 4 classes but the model predicts 3/);
  });

  it('writes a result that follows the schema', async () => {
    const r = await analyze(engineOf(model), dataset, { selectors: ['heuristic', 'random', 'batch'], drops: ['renorm', 'zero'], ks: [4, 2, 6], samples: 5, target: 0.9 });
    assert.ok(isSupportedSchema(JSON.parse(JSON.stringify(r))));
    assert.equal(r.schemaVersion, SCHEMA_VERSION);
    assert.deepEqual(r.options.ks, [2, 4, 6]);
    assert.deepEqual(r.curves.map((c) => `${c.selector}/${c.drop}`), ['heuristic/renorm', 'random/renorm', 'batch/renorm', 'heuristic/zero', 'random/zero', 'batch/zero']);
    assert.ok(Math.abs(r.fullCorrect - r.perClass.fullAccuracy.reduce((a, acc, y) => a + acc * r.perClass.support[y]!, 0)) < 1e-9);
    assert.equal(r.perClass.support.reduce((a, b) => a + b, 0), 90);
    for (const c of r.curves) for (const p of c.points) {
      assert.ok(Number.isInteger(c.selector === 'random' ? p.correct * c.trials! : p.correct));
      assert.ok(Math.abs(p.relative - p.accuracy / r.fullAccuracy) < 1e-12);
      if (c.selector === 'random') assert.ok(p.std !== undefined && p.std >= 0);
    }
    const rec = r.recommended;
    assert.equal(rec.drop, 'renorm');
    if (rec.k !== null) {
      const h = r.curves[0]!.points.find((p) => p.k === rec.k)!;
      assert.ok(h.accuracy >= 0.9 * r.fullAccuracy);
      assert.equal(rec.expertFlopsSaved, 1 - rec.k / 6);
    }
    const spec = r.perClass.specialisation[0]!;
    for (const [y, row] of spec.classExpertMass.entries()) {
      if (r.perClass.support[y]! > 0) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    }
    const selRow = spec.classExpertSelected[0]!;
    if (r.perClass.support[0]! > 0) assert.ok(Math.abs(selRow.reduce((a, b) => a + b, 0) - spec.selectedAtK) < 1e-9);
    const rt = r.routing[0]!;
    assert.ok(Math.abs(rt.load.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.ok(Math.abs(rt.dispatchLoad.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.ok(rt.combineEntropy > 0 && rt.combineEntropy <= rt.maxEntropy);
    rt.outputCosine.forEach((row, a) => assert.ok(Math.abs(row[a]! - 1) < 1e-9));
    assert.equal(r.samples.length, 5);
    const s = r.samples[0]!;
    assert.equal(Buffer.from(s.image!.data, 'base64').length, 4 * 6);
    assert.equal(s.layers[0]!.combine.length, 4);
    assert.equal(s.layers[0]!.dispatch.length, 6);
    assert.deepEqual(Object.keys(s.predictionAtK), ['2', '4', '6']);
    assert.equal(s.predictionAtK['6'], s.prediction);
  });

  it('is deterministic for a seed and changes with it', async () => {
    const a = await analyze(engineOf(model), dataset, { trials: 4, seed: 1 });
    const b = await analyze(engineOf(model), dataset, { trials: 4, seed: 1 });
    const c = await analyze(engineOf(model), dataset, { trials: 4, seed: 2 });
    const rnd = (r: typeof a) => JSON.stringify(r.curves.find((cv) => cv.selector === 'random'));
    assert.equal(rnd(a), rnd(b));
    assert.notEqual(rnd(a), rnd(c));
  });
});
