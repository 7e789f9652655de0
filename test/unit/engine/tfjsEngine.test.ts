import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createTfjsEngine } from '../../../src/core/engine/tfjsEngine';
import { loadModel } from '../../../src/core/engine/loadModel';
import type { SoftMoeModel } from '../../../src/core/engine/model';
import { FakeModel } from '../analysis/fakeModel';
import { SMALL } from '../analysis/setup';
import { engineContract, randomImages } from './engineContract';
import { BACKENDS, FIXTURES, fixtureImages, useBackend } from './helpers';

/** Real images for the trained fixtures (random noise would leave their predictions unchanged by masks). */
function fixtureBatch(name: string): { x: Float32Array; b: number } {
  const b = 12;
  if (name.includes('ViT')) {
    const bytes = readFileSync(join(FIXTURES, '..', 'vit', 'vit_gray', 'inputs.u8'));
    return { x: Float32Array.from(bytes.subarray(0, b * 28 * 28), (v) => v / 255), b };
  }
  return { x: fixtureImages().slice(0, b * 28 * 28), b };
}

const VIT = join(FIXTURES, '..', 'vit', 'vit_gray', 'model.pt');

for (const backend of BACKENDS) {
  // One backend per process state: each block switches it before its engines are created.
  const subjects: Array<[string, () => Promise<SoftMoeModel>]> = [
    ['fake model, one layer, linear readout', async () => new FakeModel(SMALL)],
    ['fake model, two MoE layers', async () => new FakeModel({ ...SMALL, kind: 'two-layer' })],
    ['paper MNIST fixture n=4', () => loadModel(join(FIXTURES, 'mnist_n4', 'model.safetensors'))],
    ['Soft MoE ViT fixture (grey)', () => loadModel(VIT)],
  ];
  for (const [name, make] of subjects) {
    engineContract(`tfjs ${backend}, ${name}`, {
      async open() {
        await useBackend(backend);
        return { engine: createTfjsEngine(await make()), onePassAtATime: createTfjsEngine(await make(), { maxStackedValues: 1 }) };
      },
      images: (engine) => (name.includes('fixture') ? fixtureBatch(name) : randomImages(engine, 12, 3)),
    });
  }
}
