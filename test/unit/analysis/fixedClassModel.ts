/**
 * The reviewers' example as a checkpoint in the paper's MNIST layout: n = 10 experts, expert e always pushes class e
 * whatever its input. Expert e is ReLU(x̃·u), ReLU(−x̃·u) → both hidden units write β·(unit vector e), so it adds
 * β·|u·x̃|·e_e to every token; the decoder reads coordinate j of every token into class j. Keeping expert e alone
 * therefore predicts class e for every input: an oracle that searches subsets finds ANY label, true or not.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '../../../src/core/io/writeSafetensors';
import { createPrng } from '../../../src/core/train/prng';

export async function writeFixedClassCheckpoint(dir = mkdtempSync(join(tmpdir(), 'softmoe-fixed-'))): Promise<string> {
  const d = 196;
  const n = 10;
  const h = 2;
  const classes = 10;
  const m = 4;
  const rng = createPrng(5);
  const phi = Float32Array.from({ length: d * n }, () => rng.uniform(-1, 1));
  const u = Float32Array.from({ length: d }, () => rng.uniform(-1, 1));
  const tensors = [
    { name: 'phi', dtype: 'F32' as const, shape: [d, n], data: phi },
    { name: 'normalization_scale_param', dtype: 'F32' as const, shape: [1], data: Float32Array.of(1) },
  ];
  for (let e = 0; e < n; e++) {
    const w1 = new Float32Array(h * d);
    for (let j = 0; j < d; j++) {
      w1[j] = u[j]!;
      w1[d + j] = -u[j]!;
    }
    const w2 = new Float32Array(d * h);
    w2[e * h] = 5;
    w2[e * h + 1] = 5;
    tensors.push({ name: `experts.${e}.1.weight`, dtype: 'F32', shape: [h, d], data: w1 });
    tensors.push({ name: `experts.${e}.3.weight`, dtype: 'F32', shape: [d, h], data: w2 });
  }
  const dec = new Float32Array(classes * m * d);
  for (let j = 0; j < classes; j++) for (let t = 0; t < m; t++) dec[j * m * d + t * d + j] = 1;
  tensors.push({ name: 'decoder.1.weight', dtype: 'F32', shape: [classes, m * d], data: dec });
  const path = join(dir, 'fixed_class.safetensors');
  await writeSafetensors(path, tensors);
  writeFileSync(join(dir, 'args.json'), JSON.stringify({ num_experts: n, patch_size: 14 }));
  return path;
}
