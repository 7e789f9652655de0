/**
 * How the PyTorch engine gets the user's model ready: the state_dict in any format the core reads (here a
 * safetensors file whose names carry DataParallel's `module.` prefix), `strict` loading, and a softmoe.json
 * `transform` instead of mean/std — each checked against the plain PatchNet's predictions.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SoftMoeError } from '../../../../src/core/errors';
import { openCheckpoint } from '../../../../src/core/io/openCheckpoint';
import { writeSafetensors } from '../../../../src/core/io/writeSafetensors';
import { fixtureImages } from '../helpers';
import { PATCHNET, SKIP_TORCH, TORCH_FIXTURES, openEngine, patchnetWith } from './torchHelpers';

const B = 32;
const x = fixtureImages().slice(0, B * 784);
const temps: string[] = [];

async function predictions(checkpoint: string, log?: string[]): Promise<number[]> {
  const engine = await openEngine(checkpoint, log ? { log: (l) => log.push(l) } : {});
  try {
    const batch = await engine.begin(x, B);
    const p = [...await batch.predict()];
    await batch.close();
    return p;
  } finally {
    await engine.dispose();
  }
}

describe('PyTorch engine: loading the user\'s model', { skip: SKIP_TORCH }, () => {
  let reference: number[];
  before(async () => {
    reference = await predictions(PATCHNET);
  });
  after(() => {
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  });

  it('a safetensors file whose names carry DataParallel\'s module. prefix: stored bytes, matched without the prefix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'softmoe-torch-st-'));
    temps.push(dir);
    const ckpt = await openCheckpoint(PATCHNET);
    const tensors = [];
    for (const e of ckpt.tensors.values()) tensors.push({ name: `module.${e.name}`, dtype: e.dtype, shape: e.shape, data: await e.readFloat32() });
    await ckpt.close();
    await writeSafetensors(join(dir, 'model.safetensors'), tensors);
    writeFileSync(join(dir, 'softmoe.json'), JSON.stringify({
      model: { factory: 'patchnet:build_patchnet', kwargs: { dim: 32, num_experts: 8, slots_per_expert: 2, mult: 2 }, pythonPath: [join(TORCH_FIXTURES, 'models')] },
      input_size: [1, 28, 28], mean: [0.286], std: [0.353],
    }));
    const log: string[] = [];
    assert.deepEqual(await predictions(join(dir, 'model.safetensors'), log), reference);
    assert.ok(log.some((l) => /checkpoint names start with 'module\.', the model's do not: matched without it/.test(l)), log.join('\n'));
  });

  it('strict loading names what is missing; "strict": false loads what matches and says what was left', async () => {
    const strict = patchnetWith({ factory: 'patchnet:build_with_extra' });
    temps.push(dirname(strict));
    await assert.rejects(openEngine(strict), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_SHAPE'
      && /the model has 1 tensor the checkpoint lacks \(temperature\).*set "strict": false/.test(e.userMessage));
    const loose = patchnetWith({ factory: 'patchnet:build_with_extra', strict: false });
    temps.push(dirname(loose));
    const log: string[] = [];
    assert.deepEqual(await predictions(loose, log), reference);
    assert.ok(log.some((l) => /1 model tensor not in the checkpoint kept their initial values \(temperature\)/.test(l)), log.join('\n'));
  });

  it('a transform named in softmoe.json prepares the batch instead of mean/std', async () => {
    const withTransform = patchnetWith({ factory: 'patchnet:build_patchnet', transform: 'patchnet:normalise' });
    temps.push(dirname(withTransform));
    assert.deepEqual(await predictions(withTransform), reference);
    const broken = patchnetWith({ factory: 'patchnet:build_patchnet', transform: 'patchnet:broken_transform' });
    temps.push(dirname(broken));
    await assert.rejects(openEngine(broken), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_ENGINE'
      && /transform 'patchnet:broken_transform' raised RuntimeError: this transform expects RGB images \(.*patchnet\.py:\d+ in broken_transform\)/.test(e.userMessage));
  });
});
