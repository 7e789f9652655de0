/**
 * The Engine contract (engineContract.ts, the spec every engine passes) run against the PyTorch engine: PatchNet
 * (lucidrains-style layers the built-in engine cannot run), the paper's MNIST model and the grey Soft MoE ViT.
 * "One pass at a time" is the same engine with a stacking budget of one value.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'node:test';
import { engineContract } from '../engineContract';
import { fixtureImages } from '../helpers';
import { FIXTURES, PATCHNET, SKIP_TORCH, openEngine } from './torchHelpers';

const SUBJECTS: Array<[string, string, () => { x: Float32Array; b: number }]> = [
  ['PatchNet (lucidrains-style layers in a conv net)', PATCHNET, () => ({ x: fixtureImages().slice(0, 12 * 784), b: 12 })],
  ['paper MNIST fixture n=4', join(FIXTURES, 'engine', 'mnist_n4', 'model.safetensors'), () => ({ x: fixtureImages().slice(0, 12 * 784), b: 12 })],
  ['Soft MoE ViT fixture (grey)', join(FIXTURES, 'vit', 'vit_gray', 'model.pt'), () => ({ x: Float32Array.from(readFileSync(join(FIXTURES, 'vit', 'vit_gray', 'inputs.u8')).subarray(0, 12 * 784), (v) => v / 255), b: 12 })],
];

describe('PyTorch engine contract', { skip: SKIP_TORCH }, () => {
  for (const [name, checkpoint, images] of SUBJECTS) {
    engineContract(`torch cpu, ${name}`, {
      async open() {
        const [engine, onePassAtATime] = await Promise.all([openEngine(checkpoint), openEngine(checkpoint, { maxStackedValues: 1 })]);
        return { engine, onePassAtATime };
      },
      images,
    });
  }
});
