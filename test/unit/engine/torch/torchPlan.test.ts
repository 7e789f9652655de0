/**
 * What the PyTorch engine reads before any Python runs: softmoe.json's model factory, and the plan it sends the
 * runner (layers with their math, the input geometry and normalisation). No Python needed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SoftMoeError } from '../../../../src/core/errors';
import { openCheckpoint } from '../../../../src/core/io/openCheckpoint';
import { detectSoftMoeLayers } from '../../../../src/core/model/detect';
import { readSidecars, type Sidecars } from '../../../../src/core/model/sidecar';
import { readModelFactory, type ModelFactory } from '../../../../src/core/engine/torch/modelFactory';
import { inferTokenGrid, planTorchModel } from '../../../../src/core/engine/torch/torchPlan';
import { FIXTURES, PATCHNET } from './torchHelpers';

const DIR = '/work/runs/exp1';
const sidecars = (softmoe: Record<string, unknown>, extra: Partial<Sidecars> = {}): Sidecars => ({ softmoe, files: [`${DIR}/softmoe.json`], ...extra });
const factoryOf = (model: unknown): ModelFactory | undefined => readModelFactory(sidecars({ model }));

function configError(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof SoftMoeError && e.code === 'E_CONFIG' && pattern.test(e.userMessage));
}

describe('softmoe.json model factory', () => {
  it('is absent without a "model" key', () => {
    assert.equal(readModelFactory(sidecars({ num_heads: 4 })), undefined);
    assert.equal(readModelFactory({ files: [] }), undefined);
  });

  it('resolves pythonPath against the softmoe.json folder (default: that folder)', () => {
    const f = factoryOf({ factory: 'models.vit:build_model', kwargs: { num_experts: 32 }, pythonPath: ['src', '/opt/code'] });
    assert.deepEqual(f, {
      factory: 'models.vit:build_model', kwargs: { num_experts: 32 }, pythonPath: [`${DIR}/src`, '/opt/code'], strict: true, sidecar: `${DIR}/softmoe.json`,
    });
    assert.deepEqual(factoryOf({ factory: 'net:Net' })?.pythonPath, [DIR]);
    assert.deepEqual(factoryOf({ factory: 'net:Net', pythonPath: '../src', strict: false, transform: 'data:prep' }), {
      factory: 'net:Net', kwargs: {}, pythonPath: ['/work/runs/src'], strict: false, transform: 'data:prep', sidecar: `${DIR}/softmoe.json`,
    });
  });

  it('names the key and the file when something is malformed', () => {
    configError(() => factoryOf('models.vit:build'), /softmoe\.json: "model" must be an object/);
    configError(() => factoryOf({ factory: 'models/vit.py' }), /"model\.factory" must name a callable as "package\.module:function".*"models\/vit\.py"/);
    configError(() => factoryOf({ factory: 'a:b', kwargs: [1] }), /"model\.kwargs" must be an object/);
    configError(() => factoryOf({ factory: 'a:b', pythonPath: [1] }), /"model\.pythonPath" must be a folder or a list of folders/);
    configError(() => factoryOf({ factory: 'a:b', transform: 'x' }), /"model\.transform" must name a callable/);
    configError(() => factoryOf({ factory: 'a:b', strict: 'yes' }), /"model\.strict" must be true or false/);
    configError(() => factoryOf({ factory: 'a:b', kwarg: {} }), /"model" has "kwarg", which is not one of "factory", "kwargs"/);
  });
});

describe('the plan sent to the runner', () => {
  const f = factoryOf({ factory: 'net:build' }) as ModelFactory;
  const lucidrains = async () => {
    const ckpt = await openCheckpoint(PATCHNET);
    const layers = detectSoftMoeLayers(ckpt.tensors);
    return { tensors: ckpt.tensors, layers, close: () => ckpt.close() };
  };

  it('a model the built-in engine does not know: layers with their math, input from the sidecars', async () => {
    const c = await lucidrains();
    const plan = planTorchModel(PATCHNET, c.tensors, sidecars({ input_size: [1, 28, 28], mean: 0.5, std: [0.25] }), f, c.layers);
    assert.equal(plan.architecture, 'custom');
    assert.deepEqual(plan.input, { shape: [28, 28, 1], mean: [0.5], std: [0.25] });
    assert.equal(plan.tokenGrid, undefined);
    assert.deepEqual(plan.layers.map((l) => [l.module, l.layout, l.variant, l.routerAxes, l.experts.kind]), [
      ['moe1', 'lucidrains', { norm: 'rms', expertsSeeNormalized: true, activation: 'gelu' }, 'npd', 'per-expert'],
      ['moe2', 'lucidrains', { norm: 'rms', expertsSeeNormalized: true, activation: 'gelu' }, 'npd', 'per-expert'],
    ]);
    assert.deepEqual([plan.layers[0]?.tokenNorm, plan.layers[0]?.slotNorm], [{ gamma: 'moe1.norm.gamma' }, { gamma: 'moe1.slot_norm.gamma' }]);
    // The constructor's keyword names in model.kwargs count; no mean/std is said, not assumed silently.
    const fromKwargs = planTorchModel(PATCHNET, c.tensors, sidecars({ model: { kwargs: { img_size: 28, in_chans: 1 } }, token_grid: [7, 7] }), f, c.layers);
    assert.deepEqual(fromKwargs.input, { shape: [28, 28, 1] });
    assert.deepEqual(fromKwargs.tokenGrid, { rows: 7, cols: 7, hasClassToken: false });
    assert.deepEqual(fromKwargs.preprocessing.sources.mean, { from: 'default', note: 'no normalisation: the 0–1 images as ToTensor gives them (set "mean" and "std" in softmoe.json)' });
    assert.deepEqual(fromKwargs.preprocessing.sources.inputSize, { from: 'sidecar', file: `${DIR}/softmoe.json`, key: 'img_size' });
    assert.deepEqual(plan.preprocessing.sources.mean, { from: 'sidecar', file: `${DIR}/softmoe.json`, key: 'mean' });
    const withTransform = planTorchModel(PATCHNET, c.tensors, sidecars({ input_size: [1, 28, 28], mean: [0.5], std: [0.5] }), { ...f, transform: 'data:prep' }, c.layers);
    assert.deepEqual(withTransform.input, { shape: [28, 28, 1], transform: 'data:prep' });
    assert.deepEqual(withTransform.preprocessing.sources.mean, { from: 'sidecar', file: `${DIR}/softmoe.json`, key: 'model.transform' });
    await c.close();
  });

  it('says which field to add when the input size is unknown or half given', async () => {
    const c = await lucidrains();
    configError(() => planTorchModel(PATCHNET, c.tensors, sidecars({}), f, c.layers), /needs the size of the model's input images; add "input_size": \[<channels>, <height>, <width>\] to \/work\/runs\/exp1\/softmoe\.json/);
    configError(() => planTorchModel(PATCHNET, c.tensors, sidecars({ input_size: [28, 28] }), f, c.layers), /"input_size" is \[28,28\]; expected \[channels, height, width\]/);
    configError(() => planTorchModel(PATCHNET, c.tensors, sidecars({ input_size: [1, 28, 28], mean: [0.5] }), f, c.layers), /"mean" is given without "std"/);
    configError(() => planTorchModel(PATCHNET, c.tensors, sidecars({ input_size: [3, 28, 28], mean: [0.5], std: [1] }), f, c.layers), /"mean" is \[0\.5\]; expected 3 numbers/);
    await c.close();
  });

  it('the paper\'s MNIST model: the built-in geometry, and the layer wrapped in patchify and the decoder', async () => {
    const path = join(FIXTURES, 'engine', 'mnist_n4', 'model.safetensors');
    const ckpt = await openCheckpoint(path);
    const plan = planTorchModel(path, ckpt.tensors, await readSidecars(path), f, detectSoftMoeLayers(ckpt.tensors));
    await ckpt.close();
    assert.equal(plan.architecture, 'mnist-softmoe');
    assert.deepEqual(plan.input, { shape: [28, 28, 1], mean: [0.1307], std: [0.3081] });
    assert.deepEqual(plan.tokenGrid, { rows: 2, cols: 2, hasClassToken: false });
    assert.deepEqual(plan.layers[0]?.wrap, { kind: 'paper-mnist', patch: 14, channels: 1, decoder: 'decoder' });
    assert.deepEqual(plan.layers[0]?.variant, { norm: 'paper', expertsSeeNormalized: true, activation: 'relu' });
  });

  it('a Soft MoE ViT: the built-in engine\'s configuration', async () => {
    const path = join(FIXTURES, 'vit', 'vit_rgb', 'model.pt');
    const ckpt = await openCheckpoint(path);
    const plan = planTorchModel(path, ckpt.tensors, await readSidecars(path), f, detectSoftMoeLayers(ckpt.tensors));
    await ckpt.close();
    assert.equal(plan.architecture, 'vit-softmoe');
    assert.deepEqual(plan.input, { shape: [24, 24, 3], mean: [0.25, 0.2, 0.15], std: [0.3, 0.25, 0.2] });
    assert.deepEqual(plan.tokenGrid, { rows: 4, cols: 4, hasClassToken: true });
    assert.deepEqual(plan.layers.map((l) => l.module), ['blocks.2.mlp', 'blocks.3.mlp']);
  });

  it('nothing to analyse without a Soft MoE layer', () => {
    assert.throws(() => planTorchModel('/x/dense.pt', new Map(), sidecars({}), f, []), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_UNSUPPORTED' && /no Soft MoE layer recognised/.test(e.userMessage));
  });

  it('draws tokens as a square grid, a class token and a grid, or one row', () => {
    assert.deepEqual(inferTokenGrid(49), { rows: 7, cols: 7, hasClassToken: false });
    assert.deepEqual(inferTokenGrid(197), { rows: 14, cols: 14, hasClassToken: true });
    assert.deepEqual(inferTokenGrid(12), { rows: 1, cols: 12, hasClassToken: false });
    assert.deepEqual(inferTokenGrid(1), { rows: 1, cols: 1, hasClassToken: false });
  });
});
