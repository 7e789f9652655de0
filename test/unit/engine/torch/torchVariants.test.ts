/**
 * The runner's reference forward for the other public layouts (test/fixtures/torch/models/variants.py: lucidrains
 * with LayerNorm and GEGLU experts, fkodom's one-linear experts (also as an FFN's second map, with another output
 * width), bwconrad without normalisation, vmoe's names and
 * Flax kernels), each inside a small conv network: the core detects the layout, the self-check on the first batch
 * finds the reference equal to the module's own forward, and the engine predicts what PyTorch predicts.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCheckpoint } from '../../../../src/core/analysis/analyzeCheckpoint';
import { finalizeResult } from '../../../../src/core/analysis/finalize';
import { fixtureImages } from '../helpers';
import { DEMO_DATA, PYTHON, SKIP_TORCH, TORCH_FIXTURES, openEngine, requireTorch } from './torchHelpers';

const KINDS: Array<[string, string]> = [
  ['lucidrains-ln-geglu', 'lucidrains'],
  ['fkodom', 'fkodom'],
  ['fkodom-ffn', 'fkodom'],
  ['bwconrad-nonorm', 'vit-experts'],
  ['vmoe', 'vmoe'],
];
const B = 32;
const temps: string[] = [];
after(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** Save a seeded model's state_dict and return PyTorch's own predictions for the images (0–1, [B, 1, 28, 28]). */
function saveModel(dir: string, kind: string, images: Float32Array): number[] {
  const inputs = join(dir, 'inputs.f32');
  writeFileSync(inputs, images);
  const script = [
    'import json, sys, torch', `sys.path.insert(0, ${JSON.stringify(join(TORCH_FIXTURES, 'models'))})`, 'from variants import build',
    `m = build(${JSON.stringify(kind)}, seed=3).eval()`, `torch.save(m.state_dict(), ${JSON.stringify(join(dir, 'model.pt'))})`,
    `x = torch.frombuffer(bytearray(open(${JSON.stringify(inputs)}, 'rb').read()), dtype=torch.float32).reshape(${B}, 1, 28, 28)`,
    'print(json.dumps(m(x).argmax(1).tolist()))',
  ].join('\n');
  const r = spawnSync(PYTHON.path, ['-B', '-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  writeFileSync(join(dir, 'softmoe.json'), JSON.stringify({
    model: { factory: 'variants:build', kwargs: { kind }, pythonPath: [join(TORCH_FIXTURES, 'models')] }, input_size: [1, 28, 28], token_grid: [7, 7],
  }));
  return JSON.parse(r.stdout.trim()) as number[];
}

describe('PyTorch engine: the reference forward of every further layout', { skip: SKIP_TORCH }, () => {
  for (const [kind, layout] of KINDS) {
    it(`${kind}: detected as ${layout}, self-check passed, PyTorch's predictions`, { timeout: 120_000 }, async () => {
      requireTorch();
      const dir = mkdtempSync(join(tmpdir(), `softmoe-variant-${kind}-`));
      temps.push(dir);
      const x = fixtureImages().slice(0, B * 784);
      const own = saveModel(dir, kind, x);
      const engine = await openEngine(join(dir, 'model.pt'));
      try {
        assert.deepEqual(engine.info.moeLayers.map((l) => [l.name, l.layout]), [['moe', layout]]);
        const batch = await engine.begin(x, B);
        const check = engine.checks?.[0];
        assert.ok(check?.ok && (check.relative ?? 1) <= 1e-5 && (check.maxAbs ?? 0) > 0, JSON.stringify(check));
        const p = await batch.predict();
        assert.deepEqual([...p], own);
        const t = (await batch.trace({ slotOutputs: true })).layers[0];
        assert.equal(t?.d, kind === 'fkodom-ffn' ? 16 : engine.info.moeLayers[0]?.dim, 'slot outputs have the experts\' output width');
        assert.equal(t?.slotOutputs?.length, B * t.n * t.p * t.d);
        const n = engine.info.moeLayers[0]?.numExperts as number;
        const one = new Uint8Array(B * n);
        for (let i = 0; i < B; i++) one[i * n + (i % n)] = 1;
        for (const drop of ['zero', 'renorm'] as const) {
          const all = await batch.run({ drop, count: 2, masks: [new Uint8Array(2 * B * n).fill(1)] });
          assert.deepEqual([...all], [...p, ...p], `${drop}: keeping every expert is the full model`);
          assert.equal((await batch.run({ drop, count: 1, masks: [one] })).length, B);
        }
        await batch.close();
      } finally {
        await engine.dispose();
      }
    });
  }

  it('fkodom as an FFN\'s second map: the analysis keeps the experts\' output width apart from the token width', { timeout: 120_000 }, async () => {
    requireTorch();
    const dir = mkdtempSync(join(tmpdir(), 'softmoe-variant-ffn-'));
    temps.push(dir);
    saveModel(dir, 'fkodom-ffn', fixtureImages().slice(0, B * 784));
    const r = finalizeResult(await analyzeCheckpoint(join(dir, 'model.pt'), DEMO_DATA, {
      engine: 'torch', torch: { python: PYTHON, threads: 1 }, limit: 32, selectors: ['heuristic', 'output-norm'], trials: 0, samples: 0, batchSize: 32,
    }));
    assert.deepEqual(r.layers.map((l) => [l.dim, l.outDim]), [[32, 16]]);
    const cos = r.routing[0]?.outputCosine ?? [];
    cos.forEach((row, e) => assert.ok(Math.abs((row[e] as number) - 1) < 1e-9, `expert ${e}'s output cosine with itself is ${row[e]}`));
  });
});
