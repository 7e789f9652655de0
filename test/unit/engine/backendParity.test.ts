/**
 * The built-in engine on every backend it runs on — tfjs wasm eagerly and, when onnxruntime-node is installed, ONNX
 * Runtime through graphs recorded from the same model code — against PyTorch, on every parity fixture: the paper's
 * MNIST models (test/fixtures/engine), the Soft MoE ViTs (test/fixtures/vit) and every layout inside both
 * skeletons (test/fixtures/layouts). Through the executor the engine uses:
 *   - the model's full and masked forwards (zero and renorm, masks on one or every layer) give PyTorch's logits;
 *   - the engine's trace gives PyTorch's logits and expert scores; its masked passes (the first layer recombined
 *     from its cached routing, later layers' experts run on their kept rows only) and per-layer selection give
 *     PyTorch's predictions, in one stacked chunk and one pass at a time;
 *   - `analyzeCheckpoint` on that backend gives PyTorch's heuristic curve exactly (both drop modes).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCheckpoint } from '../../../src/core/analysis/analyzeCheckpoint';
import { finalizeResult } from '../../../src/core/analysis/finalize';
import type { DropMode } from '../../../src/core/analysis/schema';
import type { BackendName } from '../../../src/core/engine/backend';
import type { Engine } from '../../../src/core/engine/engine';
import { hostTensor, varyingRows, type Executor, type HostTensor } from '../../../src/core/engine/executor';
import { loadModel } from '../../../src/core/engine/loadModel';
import type { SoftMoeModel } from '../../../src/core/engine/model';
import { openDatasetForModel } from '../../../src/core/engine/openDatasetForModel';
import { executorFor } from '../../../src/core/engine/openEngine';
import { createTfjsEngine } from '../../../src/core/engine/tfjsEngine';
import { FIXTURES, ONNX_AVAILABLE, TOL, argmaxRows, fixtureImages, maxAbsDiff, readJson, useBackend } from './helpers';
import { LAYOUT_FIXTURES } from './layouts/layoutFixtures';
import { VIT_FIXTURES, VIT_MODELS, flat, readExpected } from './vit/vitFixtures';

/** wasm (the reference backend, so the suite itself is checked) and ONNX Runtime when installed. */
const PARITY_BACKENDS: BackendName[] = ['wasm', ...(ONNX_AVAILABLE ? (['onnx'] as const) : [])];

/** One PyTorch case: per MoE layer a [b, n] 0/1 mask (flat) or undefined, the drop mode, the logits [b, C]. */
interface Case {
  name: string;
  drop: DropMode;
  masks: Array<number[] | undefined>;
  logits: number[];
}

/** A fixture: its model, images as a dataset yields them, PyTorch's full logits, scores and cases. */
interface Fixture {
  label: string;
  open(): Promise<SoftMoeModel>;
  images(model: SoftMoeModel): Promise<{ x: Float32Array; b: number }>;
  fullLogits: number[];
  /** Per MoE layer: [b, n] combine weights summed over tokens and slots (absent: not in the fixture). */
  scores?: number[][];
  cases: Case[];
  /** Per-layer top-k selection inside the pass: each layer's chosen masks and the logits. */
  selected?: Array<Case & { k: number; chosen: number[][] }>;
  /** A checkpoint and dataset whose heuristic curve PyTorch computed. */
  curve?: { checkpoint: string; dataset: string; numInputs: number; numExperts: number; fullCorrect: number; zero: number[]; renorm: number[] };
}

const LAYOUTS = join(FIXTURES, '..', 'layouts');

function mnistFixture(n: number): Fixture {
  const fx = readJson<{ numInputs: number; numClasses: number; cases: Array<{ name: string; drop?: DropMode; mask?: number[]; logits: number[] }> }>(`mnist_n${n}/cases.json`);
  const full = fx.cases.find((c) => !c.mask);
  return {
    label: `paper MNIST n=${n}`,
    open: () => loadModel(join(FIXTURES, `mnist_n${n}`, 'model.safetensors')),
    images: async () => ({ x: fixtureImages().slice(0, fx.numInputs * 784), b: fx.numInputs }),
    fullLogits: (full as { logits: number[] }).logits,
    cases: fx.cases.filter((c) => c.mask).map((c) => ({ name: c.name, drop: c.drop ?? 'zero', masks: [c.mask], logits: c.logits })),
  };
}

function vitFixture(fx: (typeof VIT_MODELS)[number]): Fixture {
  const e = readExpected(fx.data);
  const toCase = (c: { name: string; drop: DropMode; masks: Array<number[][] | null>; logits: number[][] }): Case => ({
    name: c.name, drop: c.drop, masks: c.masks.map((m) => (m ? flat(m) : undefined)), logits: flat(c.logits),
  });
  return {
    label: `Soft MoE ViT (${fx.label})`,
    open: () => loadModel(join(VIT_FIXTURES, fx.checkpoint)),
    images: async () => ({ x: Float32Array.from(readFileSync(join(VIT_FIXTURES, fx.data, 'inputs.u8')), (v) => v / 255), b: e.inputShape[0] }),
    fullLogits: flat(e.fullLogits),
    scores: e.scores.map(flat),
    cases: e.cases.map(toCase),
    selected: e.selected.map((c) => ({ ...toCase(c), k: c.k, chosen: c.masks.map((m) => flat(m as number[][])) })),
  };
}

function layoutFixture(folder: string): Fixture {
  const e = JSON.parse(readFileSync(join(LAYOUTS, folder, 'expected.json'), 'utf8')) as {
    checkpoint: string; dataset: string; numInputs: number; fullLogits: number[]; fullCorrect: number; scores: number[][];
    detected: { numExperts: number }; curves: { zero: number[]; renorm: number[] };
    cases: Array<{ name: string; drop: DropMode; masks: Array<number[][] | null>; logits: number[] }>;
  };
  const checkpoint = join(LAYOUTS, folder, e.checkpoint);
  const dataset = join(LAYOUTS, e.dataset);
  return {
    label: `layout ${folder}`,
    open: () => loadModel(checkpoint),
    images: async (model) => {
      const ds = await openDatasetForModel(dataset, model.info);
      try {
        for await (const batch of ds.batches(e.numInputs)) return { x: Float32Array.from(batch.x), b: batch.size };
      } finally {
        await ds.close();
      }
      throw new Error('empty dataset');
    },
    fullLogits: e.fullLogits,
    scores: e.scores,
    cases: e.cases.map((c) => ({ name: c.name, drop: c.drop, masks: c.masks.map((m) => (m ? m.flat() : undefined)), logits: c.logits })),
    curve: { checkpoint, dataset, numInputs: e.numInputs, numExperts: e.detected.numExperts, fullCorrect: e.fullCorrect, ...e.curves },
  };
}

const FIXTURE_LIST: Fixture[] = [
  mnistFixture(4), mnistFixture(16),
  ...VIT_MODELS.map(vitFixture),
  ...LAYOUT_FIXTURES.map(layoutFixture),
];

function near(got: ArrayLike<number>, want: ArrayLike<number>, what: string): number {
  const diff = maxAbsDiff(got, want);
  assert.ok(diff <= TOL, `${what}: max |Δ| ${diff} > ${TOL}`);
  return diff;
}

/** The model's forward from images under a case's masks, through the executor (masks are graph inputs). */
async function forwardLogits(exec: Executor, model: SoftMoeModel, x: Float32Array, rows: number, c: Pick<Case, 'masks' | 'drop'>): Promise<Float32Array> {
  const present = model.info.moeLayers.map((_, l) => c.masks[l] !== undefined);
  const inputs: HostTensor[] = [varyingRows(hostTensor(x.slice(0, rows * model.info.inputShape.reduce((a, v) => a * v, 1)), [rows, ...model.info.inputShape]))];
  model.info.moeLayers.forEach((l, i) => {
    const m = c.masks[i];
    if (m) inputs.push(varyingRows(hostTensor(Float32Array.from(m.slice(0, rows * l.numExperts)), [rows, l.numExperts])));
  });
  const [logits] = await exec.call(`forward ${present.map(Number).join('')} ${c.drop}`, (xt, ...mk) => {
    let k = 0;
    const masks = present.map((p) => (p ? (mk[k++] as tf.Tensor2D) : undefined));
    return [model.forward(model.preprocess(xt as tf.Tensor4D), { masks, drop: c.drop }).logits];
  }, inputs);
  return (logits as HostTensor).data as Float32Array;
}

/** Per input, the k experts of most combine mass (ties: the lower index), as the fixtures' PyTorch selects. */
function topK(k: number) {
  return (_l: number, r: { b: number; m: number; n: number; p: number; combine: Float32Array }): Uint8Array => {
    const keep = new Uint8Array(r.b * r.n);
    for (let i = 0; i < r.b; i++) {
      const score = new Float64Array(r.n);
      for (let t = 0; t < r.m; t++) for (let e = 0; e < r.n; e++) for (let s = 0; s < r.p; s++) score[e] += r.combine[((i * r.m + t) * r.n + e) * r.p + s] as number;
      Array.from({ length: r.n }, (_, e) => e).sort((a, z) => (score[z] as number) - (score[a] as number) || a - z).slice(0, k).forEach((e) => (keep[i * r.n + e] = 1));
    }
    return keep;
  };
}

for (const backend of PARITY_BACKENDS) {
  for (const fx of FIXTURE_LIST) {
    describe(`${fx.label} through the engine on ${backend}`, () => {
      let model: SoftMoeModel;
      let exec: Executor;
      let engine: Engine;
      let single: Engine;
      let x: Float32Array;
      let b: number;
      before(async () => {
        await useBackend(backend);
        model = await fx.open();
        exec = executorFor(backend);
        engine = createTfjsEngine(model, { ownsModel: false, executor: exec });
        single = createTfjsEngine(model, { ownsModel: false, executor: executorFor(backend), maxStackedValues: 1 });
        ({ x, b } = await fx.images(model));
      });
      after(async () => {
        await engine.dispose();
        await single.dispose();
        model.dispose();
      });

      it('forwards as PyTorch: full and every masked case (zero and renorm), for two numbers of rows through one graph', async (t) => {
        const C = model.info.numClasses;
        let worst = near(await forwardLogits(exec, model, x, b, { masks: [], drop: 'zero' }), fx.fullLogits, 'full');
        for (const c of fx.cases) {
          const rows = c.logits.length / C;
          for (const r of [...new Set([Math.min(rows, 5), rows])]) {
            worst = Math.max(worst, near(await forwardLogits(exec, model, x, r, c), c.logits.slice(0, r * C), `${c.name}, ${r} rows`));
          }
        }
        t.diagnostic(`${fx.label} ${backend}: max |Δlogit| ${worst.toExponential(2)} over the full forward and ${fx.cases.length} masked cases`);
      });

      it('traces as PyTorch, and its masked passes (first layer recombined, later layers on kept rows) and per-layer selection predict as PyTorch', async () => {
        const C = model.info.numClasses;
        const size = model.info.inputShape.reduce((a, v) => a * v, 1);
        const batches = new Map<number, Awaited<ReturnType<Engine['begin']>>[]>();
        /** A batch of the first r inputs on the engine and on the one-pass-at-a-time engine. */
        const open = async (r: number) => {
          let got = batches.get(r);
          if (!got) {
            got = [await engine.begin(x.slice(0, r * size), r), await single.begin(x.slice(0, r * size), r)];
            batches.set(r, got);
          }
          return got as [Awaited<ReturnType<Engine['begin']>>, Awaited<ReturnType<Engine['begin']>>];
        };
        try {
          const [full] = await open(b);
          const tr = await full.trace({ slotOutputs: true, ...(engine.linearReadout ? { contributions: true } : {}) });
          near(tr.logits, fx.fullLogits, 'trace logits');
          for (const [l, r] of tr.layers.entries()) {
            // The summed expert outputs (the fast path's trace gives them) are the slot outputs summed.
            if (!r.outputSum || !r.slotOutputs) continue;
            const sum = new Float64Array(r.n * r.d);
            for (let i = 0; i < r.b; i++) for (let e = 0; e < r.n; e++) for (let s = 0; s < r.p; s++) for (let j = 0; j < r.d; j++) sum[e * r.d + j] += r.slotOutputs[((i * r.n + e) * r.p + s) * r.d + j] as number;
            const scale = Math.max(1, ...sum.map(Math.abs));
            assert.ok(maxAbsDiff(r.outputSum, sum) <= TOL * scale, `layer ${l}: summed outputs`);
          }
          for (const [l, want] of (fx.scores ?? []).entries()) {
            const n = model.info.moeLayers[l]?.numExperts as number;
            const [sb] = await open(want.length / n);
            const r = (await sb.trace()).layers[l] as (typeof tr.layers)[number];
            const got = new Float64Array(r.b * r.n);
            for (let i = 0; i < r.b; i++) for (let t = 0; t < r.m; t++) for (let e = 0; e < r.n; e++) for (let s = 0; s < r.p; s++) got[i * r.n + e] += r.combine[((i * r.m + t) * r.n + e) * r.p + s] as number;
            near(got, want, `layer ${l} expert scores`);
          }
          // The fixture's cases of one drop mode, mask pattern and size stacked as passes of one call, and one at a time.
          const groups = new Map<string, Case[]>();
          for (const c of fx.cases) {
            const key = `${c.drop} ${c.masks.map((m) => (m ? 1 : 0)).join('')} ${c.logits.length / C}`;
            groups.set(key, [...(groups.get(key) ?? []), c]);
          }
          for (const [key, cases] of groups) {
            const [drop, pat, rows] = key.split(' ') as [DropMode, string, string];
            const [stacked, one] = await open(Number(rows));
            const masks = model.info.moeLayers.map((_, l) => (pat[l] === '1' ? Uint8Array.from(cases.flatMap((c) => c.masks[l] as number[])) : undefined));
            const want = cases.flatMap((c) => argmaxRows(c.logits, C));
            assert.deepEqual([...(await stacked.run({ drop, count: cases.length, masks }))], want, `${drop}, masks on layers ${pat}: stacked passes`);
            assert.deepEqual([...(await one.run({ drop, count: cases.length, masks }))], want, `${drop}, masks on layers ${pat}: one pass at a time`);
          }
          for (const c of fx.selected ?? []) {
            const [sel] = await open(c.logits.length / C);
            const chosen: Uint8Array[] = [];
            const select = topK(c.k);
            const got = await sel.runSelecting({ drop: c.drop, count: 1, slotOutputs: false, select: (l, r) => { const k = select(l, r); chosen.push(k); return k; } });
            chosen.forEach((mk, l) => assert.deepEqual([...mk], c.chosen[l], `${c.name}: layer ${l} selects as PyTorch`));
            assert.deepEqual([...got], argmaxRows(c.logits, C), `runSelecting: ${c.name}`);
          }
        } finally {
          for (const pair of batches.values()) for (const bt of pair) await bt.close();
        }
      });

      if (fx.curve) {
        const cv = fx.curve;
        it("analyses to PyTorch's heuristic curve on this backend: the same correct count for every k, both drop modes", async (t) => {
          const r = finalizeResult(await analyzeCheckpoint(cv.checkpoint, cv.dataset, {
            selectors: ['heuristic'], drops: ['zero', 'renorm'], trials: 1, samples: 0, batchSize: cv.numInputs, backend,
          }));
          assert.equal(r.tool.backend, backend, 'the result records the backend that ran');
          assert.equal(r.fullCorrect, cv.fullCorrect);
          for (const drop of ['zero', 'renorm'] as const) {
            const pts = r.curves.find((c) => c.selector === 'heuristic' && c.drop === drop)?.points ?? [];
            assert.deepEqual(Array.from({ length: cv.numExperts }, (_, i) => pts.find((p) => p.k === i + 1)?.correct ?? -1), cv[drop], `heuristic curve (${drop})`);
          }
          t.diagnostic(`${fx.label} ${backend}: heuristic curves equal to PyTorch's at all ${2 * cv.numExperts} points`);
        });
      }
    });
  }
}
