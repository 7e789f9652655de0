/**
 * Checkpoints as the public training code saves them (test/fixtures/layouts/gen_layouts.py): the paper's DeiT-style
 * vmap dict (meta tensors, optimizer and friends beside the weights, its `args` Namespace as the only config), a
 * model that needs a meta tensor, and what every run says about its preprocessing — in the core, through the built
 * CLI (eval and analyze) and in comparisons.
 */
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCheckpoint } from '../../../../src/core/analysis/analyzeCheckpoint';
import { finalizeResult } from '../../../../src/core/analysis/finalize';
import { defaultedPreprocessing, type AnalysisResult, type Preprocessing } from '../../../../src/core/analysis/schema';
import { loadModel } from '../../../../src/core/engine/loadModel';
import { SoftMoeError } from '../../../../src/core/errors';
import { inspectCheckpoint } from '../../../../src/core/model/inspectCheckpoint';
import { preprocessingDiffers, summaryRows } from '../../../../src/core/report/comparison';
import { ensureBuilt, runCliAsync } from '../../cli/cliHarness';
import { useBackend } from '../helpers';

const ROOT = join(__dirname, '..', '..', '..', 'fixtures', 'layouts');
const DEIT = join(ROOT, 'vit-deit-vmap', 'checkpoint.pth');
const RGB = join(ROOT, 'data', 'fashion128-rgb.npz');
const GREY = join(ROOT, 'data', 'fashion128.npz');

describe("the paper's vmap DeiT checkpoint", () => {
  it('inspect lists the base_expert.* meta tensors as such, outside the parameter count, and the rest of the dict', async () => {
    const r = await inspectCheckpoint(DEIT);
    assert.equal(r.stateDictKey, 'model');
    const meta = r.tensors.filter((t) => t.meta);
    assert.deepEqual(meta.map((t) => t.name).sort(), [1, 2].flatMap((b) => ['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight'].map((x) => `blocks.${b}.mlp.base_expert.${x}`)).sort());
    assert.equal(r.metaTensorCount, 8);
    assert.ok(meta.every((t) => t.byteLength === 0));
    assert.equal(r.parameterCount, r.tensors.filter((t) => !t.meta).reduce((s, t) => s + t.numel, 0));
    for (const k of ['optimizer', 'lr_scheduler', 'epoch', 'model_ema', 'scaler', 'args']) assert.ok(k in r.extras, k);
    assert.equal((r.extras.args as Record<string, unknown>).num_heads, 2);
    assert.equal(r.architecture, 'vit-softmoe');
    assert.ok(r.softMoeLayers.every((l) => l.layout === 'vit-stacked' && !l.tensors.some((t) => t.includes('base_expert'))));
  });

  it('runs with num_heads and the input size from its args, and records ImageNet mean/std as defaults', async () => {
    await useBackend('cpu');
    const model = await loadModel(DEIT);
    try {
      const p = model.info.preprocessing as Preprocessing;
      assert.deepEqual(p.sources.inputSize, { from: 'checkpoint', file: DEIT, key: 'args.input_size' });
      assert.deepEqual([p.sources.mean.from, p.sources.std.from], ['default', 'default']);
      assert.deepEqual(p.mean, [0.485, 0.456, 0.406]);
      assert.match(defaultedPreprocessing(p)[0], /mean \[0\.485, 0\.456, 0\.406\] and std \[0\.229, 0\.224, 0\.225\] are defaults \(ImageNet's/);
    } finally {
      model.dispose();
    }
  });
});

describe('a model that needs a meta tensor', () => {
  it('fails naming the tensor and saying it has no data', async () => {
    const path = join(ROOT, 'mnist-needs-meta', 'model.pt');
    const r = await inspectCheckpoint(path);
    assert.deepEqual(r.tensors.filter((t) => t.meta).map((t) => t.name), ['moe.slot_embeds']);
    await assert.rejects(loadModel(path), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_UNSUPPORTED'
      && e.userMessage.includes("tensor 'moe.slot_embeds' [4, 1, 49] is a meta tensor") && e.userMessage.includes('without data'));
  });
});

describe('preprocessing is never silent', () => {
  let dir: string;
  before(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'softmoe-pre-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('eval warns on stderr, says what it used on stdout and records it in --json', async () => {
    const json = join(dir, 'eval.json');
    const r = await runCliAsync('eval', DEIT, '--data', RGB, '--backend', 'cpu', '--json', json);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^softmoe: warning: mean \[0\.485, 0\.456, 0\.406\] and std \[0\.229, 0\.224, 0\.225\] are defaults \(ImageNet's, timm's default for 3-channel images\): no sidecar or checkpoint gives it$/m);
    assert.match(r.stderr, /^softmoe: warning: if the model was trained with other values, put them in softmoe\.json beside .*checkpoint\.pth \("mean", "std"\)$/m);
    assert.match(r.stdout, /inputs +mean \[0\.485, 0\.456, 0\.406\] \(default: ImageNet's.*input 28×28 \(from "args\.input_size" in .*checkpoint\.pth\)/);
    assert.match(r.stdout, /accuracy +78\.13% \(100\/128\)/);
    const out = JSON.parse(readFileSync(json, 'utf8')) as { preprocessing: Preprocessing };
    assert.equal(out.preprocessing.sources.mean.from, 'default');
    assert.equal(out.preprocessing.resized, false);
  });

  it('a sidecar that gives mean and std: no warning, and the file named as the source', async () => {
    const ckpt = join(ROOT, 'vit-lucidrains', 'model.pt');
    const r = await runCliAsync('eval', ckpt, '--data', GREY, '--backend', 'cpu');
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /warning/);
    assert.match(r.stdout, /mean \[0\.286\] \(from "mean" in .*vit-lucidrains\/softmoe\.json\)/);
  });

  it('analyze warns before it starts and the result carries the record; results that differ say so in comparisons', async () => {
    const json = join(dir, 'a.json');
    const ckpt = join(ROOT, 'mnist-fkodom', 'model.safetensors');
    const r = await runCliAsync('analyze', ckpt, '--data', GREY, '--backend', 'cpu', '--trials', '1', '--json', json);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^softmoe: warning: mean \[0\.1307\] and std \[0\.3081\] are defaults \(the paper's MNIST constants; its code hard-codes them\)/m);
    assert.match(r.stdout, /inputs +mean \[0\.1307\]/);
    const fk = JSON.parse(readFileSync(json, 'utf8')) as AnalysisResult;
    assert.equal(fk.preprocessing?.sources.mean.from, 'default');
    const other = finalizeResult(await analyzeCheckpoint(join(ROOT, 'mnist-lucidrains', 'model.safetensors'), GREY, { selectors: ['heuristic'], trials: 1, samples: 0 }));
    assert.deepEqual(other.preprocessing?.sources.mean, { from: 'sidecar', file: join(ROOT, 'mnist-lucidrains', 'args.json'), key: 'mean' });
    const runs = [{ label: 'fkodom', result: fk }, { label: 'lucidrains', result: other }];
    const row = summaryRows(runs, 'zero').find((x) => x.id === 'preprocessing');
    assert.ok(row?.differs);
    assert.deepEqual(row?.values, ['mean [0.1307], std [0.3081], 28×28', 'mean [0.286], std [0.353], 28×28']);
    assert.match(preprocessingDiffers(runs) ?? '', /preprocessed differently \(fkodom: mean \[0\.1307\].*lucidrains: mean \[0\.286\]/);
    assert.equal(preprocessingDiffers([runs[0], runs[0]]), null);
  });

  it('resizing values count only when the dataset was resized', () => {
    const p: Preprocessing = {
      mean: [0.5], std: [0.5], inputSize: [24, 24], resize: { cropPct: 0.875, interpolation: 'bilinear' },
      sources: { mean: { from: 'sidecar', file: 'x' }, std: { from: 'sidecar', file: 'x' }, inputSize: { from: 'shapes' }, cropPct: { from: 'default', note: "timm's 0.875" }, interpolation: { from: 'default' } },
    };
    assert.deepEqual(defaultedPreprocessing(p), []);
    assert.deepEqual(defaultedPreprocessing({ ...p, resized: true }), ["crop_pct 0.875 is a default (timm's 0.875)", "interpolation 'bilinear' is a default (timm's)"]);
  });
});
