/**
 * The Engine contract (src/core/engine/engine.ts) as one spec that any engine can be run against: give it a way to
 * open the engine twice (once with its default chunking, once computing one pass at a time) and a batch of images.
 * What it checks holds for every engine: predictions are the argmax of the traced logits; a masked pass with every
 * expert kept is the full model; stacking passes never changes a prediction; `runSelecting` hands each layer the
 * rows of whole passes (pass-major, from `firstPass`) and its masks are the ones used; contributions (linear-readout
 * engines) reproduce the logits; a closed batch refuses further work.
 */
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Engine, LayerTrace } from '../../../src/core/engine/engine';
import { argmaxRows } from '../../../src/core/engine/argmax';
import { SoftMoeError } from '../../../src/core/errors';
import { createPrng } from '../../../src/core/train/prng';

export interface ContractSubject {
  /** The engine with its default settings, and one that computes one pass per chunk. */
  open(): Promise<{ engine: Engine; onePassAtATime: Engine }>;
  /** Images [b, H, W, C] for the engine's model. */
  images(engine: Engine): { x: Float32Array; b: number };
}

/** Top-k masks [P, b, n] from a per-row score (combine mass) with P passes of increasing k. */
function topKMasks(t: LayerTrace, ks: number[]): Uint8Array {
  const { b, m, n, p } = t;
  const out = new Uint8Array(ks.length * b * n);
  for (let i = 0; i < b; i++) {
    const score = new Float64Array(n);
    for (let tk = 0; tk < m; tk++) for (let e = 0; e < n; e++) for (let s = 0; s < p; s++) score[e] += t.combine[((i * m + tk) * n + e) * p + s] as number;
    const order = Array.from({ length: n }, (_, e) => e).sort((a, c) => (score[c] as number) - (score[a] as number) || a - c);
    ks.forEach((k, j) => order.slice(0, k).forEach((e) => (out[(j * b + i) * n + e] = 1)));
  }
  return out;
}

export function engineContract(name: string, subject: ContractSubject): void {
  describe(`Engine contract: ${name}`, () => {
    let engine: Engine;
    let single: Engine;
    before(async () => {
      ({ engine, onePassAtATime: single } = await subject.open());
    });
    after(async () => {
      await engine.dispose();
      await single.dispose();
    });

    it('predicts the argmax of its traced logits, and a keep-all masked pass is the full model', async () => {
      const { x, b } = subject.images(engine);
      const batch = await engine.begin(x, b);
      try {
        const tr = await batch.trace();
        assert.equal(tr.layers.length, engine.info.moeLayers.length);
        const C = engine.info.numClasses;
        assert.deepEqual(await batch.predict(), argmaxRows(tr.logits, b, C));
        const n = engine.info.moeLayers[0]?.numExperts as number;
        const all = new Uint8Array(2 * b * n).fill(1);
        const got = await batch.run({ drop: 'zero', count: 2, masks: engine.info.moeLayers.map(() => all) });
        assert.deepEqual(got, Int32Array.from([...argmaxRows(tr.logits, b, C), ...argmaxRows(tr.logits, b, C)]));
        for (const l of tr.layers) {
          assert.equal(l.logits.length, b * l.m * l.n * l.p);
          assert.equal(l.slotOutputs, undefined, 'slot outputs only when asked');
        }
      } finally {
        await batch.close();
      }
    });

    it('stacking masked passes never changes a prediction (both drop modes)', async () => {
      const { x, b } = subject.images(engine);
      const [a, s] = [await engine.begin(x, b), await single.begin(x, b)];
      try {
        const tr = await a.trace();
        const n = tr.layers[0]?.n as number;
        const ks = Array.from({ length: n - 1 }, (_, i) => i + 1);
        const full = argmaxRows(tr.logits, b, engine.info.numClasses);
        let changed = 0;
        for (const drop of ['zero', 'renorm'] as const) {
          const masks = tr.layers.map((l) => topKMasks(l, ks));
          const stacked = await a.run({ drop, count: ks.length, masks });
          assert.deepEqual(stacked, await s.run({ drop, count: ks.length, masks }), drop);
          changed += stacked.filter((v, r) => v !== full[r % b]).length;
        }
        // Dropping experts changes some prediction somewhere (else this would not test masks at all).
        assert.ok(changed > 0, 'no mask changed any prediction');
      } finally {
        await a.close();
        await s.close();
      }
    });

    it('runSelecting hands each layer whole passes from firstPass and uses the masks it returns', async () => {
      const { x, b } = subject.images(engine);
      const L = engine.info.moeLayers.length;
      const n = engine.info.moeLayers[0]?.numExperts as number;
      const ks = [1, Math.max(1, n >> 1), n];
      const seen: Array<Array<{ layer: number; first: number; rows: number }>> = [[], []];
      const results: Int32Array[] = [];
      for (const [which, eng] of [engine, single].entries()) {
        const batch = await eng.begin(x, b);
        try {
          results.push(await batch.runSelecting({
            drop: 'renorm', count: ks.length, slotOutputs: true,
            select: (layer, routing, firstPass) => {
              assert.ok(routing.slotOutputs, 'slot outputs were asked for');
              assert.equal(routing.b % b, 0, 'whole passes');
              seen[which]?.push({ layer, first: firstPass, rows: routing.b });
              const passes = routing.b / b;
              const masks: Uint8Array[] = [];
              for (let j = 0; j < passes; j++) {
                const k = ks[firstPass + j] as number;
                const rows = { ...routing, b, combine: routing.combine.subarray(j * b * routing.m * n * routing.p, (j + 1) * b * routing.m * n * routing.p) };
                masks.push(topKMasks(rows, [k]));
              }
              const out = new Uint8Array(routing.b * n);
              masks.forEach((m, j) => out.set(m, j * b * n));
              return out;
            },
          }));
        } finally {
          await batch.close();
        }
      }
      assert.deepEqual(results[0], results[1], 'chunking does not change predictions');
      const one = seen[1] as Array<{ layer: number; first: number; rows: number }>;
      assert.deepEqual(one, ks.flatMap((_, j) => Array.from({ length: L }, (__, layer) => ({ layer, first: j, rows: b }))), 'one pass at a time: every layer, in order');
      for (const layer of Array.from({ length: L }, (_, l) => l)) {
        const covered = (seen[0] as typeof one).filter((c) => c.layer === layer).reduce((s, c) => s + c.rows / b, 0);
        assert.equal(covered, ks.length, `layer ${layer} saw every pass once`);
      }
      // Keeping all n experts (the last pass) is the full model.
      const full = await engine.begin(x, b);
      try {
        assert.deepEqual((results[0] as Int32Array).subarray(2 * b, 3 * b), await full.predict());
      } finally {
        await full.close();
      }
    });

    it('contributions reproduce the logits (linear-readout engines)', async (t) => {
      if (!engine.linearReadout) {
        t.skip('no linear readout');
        return;
      }
      const { x, b } = subject.images(engine);
      const batch = await engine.begin(x, b);
      try {
        const tr = await batch.trace({ contributions: true, slotOutputs: true });
        const l = tr.layers[0] as LayerTrace;
        const { m, n, p } = l;
        const C = engine.info.numClasses;
        const contrib = tr.contributions as Float32Array;
        const bias = tr.readoutBias as Float32Array;
        let worst = 0;
        for (let i = 0; i < b; i++) {
          for (let c = 0; c < C; c++) {
            let v = bias[c] as number;
            for (let tk = 0; tk < m; tk++) {
              for (let s = 0; s < n * p; s++) v += (l.combine[(i * m + tk) * n * p + s] as number) * (contrib[((i * n * p + s) * m + tk) * C + c] as number);
            }
            worst = Math.max(worst, Math.abs(v - (tr.logits[i * C + c] as number)));
          }
        }
        assert.ok(worst < 1e-3, `max |Δlogit| ${worst}`);

        // Without slot outputs: the same contributions and logits, and the experts' summed outputs in their place,
        // equal to the slot outputs summed over rows and slots; the logits are the model's (the plain trace's).
        const lean = await batch.trace({ contributions: true });
        const ll = lean.layers[0] as LayerTrace;
        assert.equal(ll.slotOutputs, undefined, 'no slot outputs unless asked for');
        const plain = await batch.trace({});
        const d = l.d;
        const sum = new Float64Array(n * d);
        const y = l.slotOutputs as Float32Array;
        for (let i = 0; i < b; i++) for (let e = 0; e < n; e++) for (let s = 0; s < p; s++) for (let j = 0; j < d; j++) sum[e * d + j] = (sum[e * d + j] as number) + (y[((i * n + e) * p + s) * d + j] as number);
        const near = (a: ArrayLike<number>, ref: ArrayLike<number>, what: string) => {
          assert.equal(a.length, ref.length, what);
          let scale = 1;
          for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i] as number));
          for (let i = 0; i < ref.length; i++) assert.ok(Math.abs((a[i] as number) - (ref[i] as number)) <= 1e-4 * scale, `${what}[${i}]: ${a[i]} vs ${ref[i]}`);
        };
        near(ll.outputSum as Float32Array, sum, 'summed expert outputs');
        near(lean.contributions as Float32Array, contrib, 'contributions');
        near(lean.logits, plain.logits, 'logits against the plain trace');
        near(tr.logits, plain.logits, 'logits with slot outputs against the plain trace');
      } finally {
        await batch.close();
      }
    });

    it('a closed batch refuses further work, and wrong-sized images are refused', async () => {
      const { x, b } = subject.images(engine);
      const batch = await engine.begin(x, b);
      await batch.close();
      await assert.rejects(batch.predict(), (e: unknown) => e instanceof SoftMoeError);
      await assert.rejects(engine.begin(x.subarray(1), b), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_SHAPE');
    });
  });
}

/** Seeded images in 0–1 for a model's input shape. */
export function randomImages(engine: Engine, b: number, seed: number): { x: Float32Array; b: number } {
  const [h, w, c] = engine.info.inputShape;
  const rng = createPrng(seed);
  return { x: Float32Array.from({ length: b * h * w * c }, () => rng.next()), b };
}
