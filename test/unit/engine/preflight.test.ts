/**
 * Header-first checks: a dataset the checkpoint's header rules out is refused before any tensor data is read, even
 * for a multi-gigabyte checkpoint (written sparse here: no disk, no memory); loading reports its progress in bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCheckpoint } from '../../../src/core/analysis/analyzeCheckpoint';
import { planModel, withLoadProgress } from '../../../src/core/engine/preflight';
import { CountingByteSource } from '../../../src/core/io/fileSource';
import { openCheckpoint } from '../../../src/core/io/openCheckpoint';
import { readSidecars } from '../../../src/core/model/sidecar';
import { SoftMoeError } from '../../../src/core/errors';
import { writeSparsePaperMnist } from '../../helpers/paperMnistCheckpoint';
import { openEngine } from '../../../src/core/engine/openEngine';
import { checkFitsWasm, float32Bytes } from '../../../src/core/engine/wasmMemory';

const ROOT = join(__dirname, '..', '..', '..');
const DEMO_DATA = join(ROOT, 'media', 'demo', 'data');
const DEMO_N16 = join(ROOT, 'media', 'demo', 'models', 'n16', 'ep4_moe.safetensors');

test('a 2 GB checkpoint predicting 1000 classes is refused for a 10-class dataset before any tensor is read', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'softmoe-preflight-'));
  try {
    const path = join(dir, 'wide.safetensors');
    const size = await writeSparsePaperMnist(path, { d: 196, n: 16, h: 80_000, classes: 1000, tokens: 4 });
    assert.ok(size > 2e9, `the checkpoint is ${size} bytes`);
    const loaded: number[] = [];
    await assert.rejects(
      analyzeCheckpoint(path, DEMO_DATA, { limit: 8 }, { onLoadProgress: (p) => loaded.push(p.done) }),
      (err: unknown) => {
        assert.ok(err instanceof SoftMoeError);
        assert.equal(err.code, 'E_DATASET');
        assert.match(err.userMessage, /^wide\.safetensors: dataset data \(test\) has 10 classes but the model predicts 1000/);
        return true;
      },
    );
    assert.deepEqual(loaded, [], 'no tensor was loaded');

    // What the check reads: the header and nothing of the 2 GB of tensor data.
    let counted: CountingByteSource | undefined;
    const ckpt = await openCheckpoint(path, { wrapSource: (s) => (counted = new CountingByteSource(s)) });
    try {
      const before = counted?.bytesRead ?? 0;
      const plan = planModel(ckpt, await readSidecars(ckpt.path));
      assert.deepEqual(plan && { a: plan.architecture, c: plan.numClasses, s: plan.inputShape }, { a: 'mnist-softmoe', c: 1000, s: [28, 28, 1] });
      assert.equal(plan?.tensorBytes, 4 * (2 * 196 * 80_000 * 16 + 196 * 16 + 1 + 1000 * 784));
      assert.equal((counted?.bytesRead ?? 0) - before, 0, 'planning read no byte');
    } finally {
      await ckpt.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('images of another geometry are refused from the header with E_SHAPE (3-channel tokens, grey dataset)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'softmoe-preflight-'));
  try {
    const path = join(dir, 'rgb.safetensors');
    // d = 3 · 14 · 14: 14×14 patches of a 28×28 RGB image.
    await writeSparsePaperMnist(path, { d: 588, n: 4, h: 8, classes: 10, tokens: 4 });
    await writeFile(join(dir, 'args.json'), JSON.stringify({ patch_size: 14, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }));
    await assert.rejects(analyzeCheckpoint(path, DEMO_DATA, { limit: 8 }), (err: unknown) => {
      assert.ok(err instanceof SoftMoeError);
      assert.equal(err.code, 'E_SHAPE');
      assert.match(err.userMessage, /^rgb\.safetensors: dataset images are 28×28×1 but the model expects 28×28×3/);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('loading reports every tensor byte once, ending at the total', async () => {
  const ckpt = await openCheckpoint(DEMO_N16);
  try {
    const events: Array<{ done: number; total: number }> = [];
    const wrapped = withLoadProgress(ckpt, (p) => events.push(p));
    let total = 0;
    for (const t of ckpt.tensors.values()) total += t.byteLength;
    for (const t of wrapped.tensors.values()) await t.readFloat32();
    assert.deepEqual(events[0], { done: 0, total });
    assert.equal(events.length, ckpt.tensors.size + 1);
    assert.deepEqual(events[events.length - 1], { done: total, total });
    assert.ok(events.every((e, i) => i === 0 || e.done > (events[i - 1] as { done: number }).done));
  } finally {
    await ckpt.close();
  }
});

test('a model too big for the wasm heap with its packed copies is refused before any weight is read; one that fits is not', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'softmoe-wasmfit-'));
  try {
    // 16 experts of h = 80,000: 2.0 GB of float32 weights, about 4.6 GB with XNNPACK's packed copies.
    const big = join(dir, 'big.safetensors');
    await writeSparsePaperMnist(big, { d: 196, n: 16, h: 80_000, classes: 10, tokens: 4 });
    const loaded: number[] = [];
    await assert.rejects(openEngine(big, { backend: 'wasm', onLoadProgress: (p) => loaded.push(p.done) }), (err: unknown) => {
      assert.ok(err instanceof SoftMoeError);
      assert.equal(err.code, 'E_ENGINE');
      assert.match(err.userMessage, /^big\.safetensors: its 2\.0 GB of float32 weights need about 4\.6 GB in the wasm backend, which holds at most 4\.3 GB; use --backend cpu/);
      return true;
    });
    assert.ok(loaded.every((d) => d === 0), `no tensor was loaded: ${loaded.join(', ')}`);
    // Less than half of that fits.
    const half = join(dir, 'half.safetensors');
    await writeSparsePaperMnist(half, { d: 196, n: 16, h: 35_000, classes: 10, tokens: 4 });
    const ckpt = await openCheckpoint(half);
    try {
      assert.doesNotThrow(() => checkFitsWasm(ckpt));
      assert.equal(float32Bytes(ckpt), 4 * (196 * 16 + 1 + 16 * 2 * 35_000 * 196 + 10 * 4 * 196));
    } finally {
      await ckpt.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
