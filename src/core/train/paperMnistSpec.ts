/**
 * The paper's fixed-parameter MNIST Soft MoE suite (Chung et al. 2025, beyond-param-count): shapes, key names and
 * initialisation. Keys and shapes are those of the paper's PyTorch `state_dict`, so a checkpoint we write loads
 * with `model.load_state_dict(...)` there, and `openCheckpoint` + the engine's MNIST model read it here.
 */
import { createPrng, mixSeed } from './prng';

export const PAPER_TOKENS = 4;
export const PAPER_DIM = 196;
export const PAPER_CLASSES = 10;
export const PAPER_SLOTS = 1;

/** Expert hidden size at a fixed total parameter count: h = int(196·4/n). */
export function paperExpertHidden(numExperts: number): number {
  return Math.floor((PAPER_DIM * 4) / numExperts);
}

export interface ParamSpec {
  name: string;
  shape: number[];
}

/** Every parameter of the model with n experts, in the paper's state_dict order. */
export function paperParamSpecs(numExperts: number, dim = PAPER_DIM, tokens = PAPER_TOKENS, outputs = PAPER_CLASSES,
  hidden = paperExpertHidden(numExperts)): ParamSpec[] {
  const specs: ParamSpec[] = [{ name: 'phi', shape: [dim, numExperts * PAPER_SLOTS] }];
  specs.push({ name: 'normalization_scale_param', shape: [1] });
  for (let i = 0; i < numExperts; i++) {
    specs.push({ name: `experts.${i}.1.weight`, shape: [hidden, dim] });
    specs.push({ name: `experts.${i}.3.weight`, shape: [dim, hidden] });
  }
  specs.push({ name: 'decoder.1.weight', shape: [outputs, tokens * dim] });
  return specs;
}

export interface HostParam extends ParamSpec {
  data: Float32Array;
}

/**
 * Initial weights as the paper's code draws them: Φ ~ U(−1, 1), scale = 1, every Linear with PyTorch's default
 * (kaiming-uniform with a = √5, i.e. U(−1/√fan_in, 1/√fan_in)). Each tensor has its own stream derived from the
 * seed and its name's position, so the numbers are reproducible from the seed alone.
 */
export function initParams(specs: ParamSpec[], seed: number): HostParam[] {
  return specs.map((spec, index) => {
    const numel = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(numel);
    const rng = createPrng(mixSeed(seed, index + 1));
    if (spec.name === 'normalization_scale_param') data.fill(1);
    else {
      const bound = spec.name === 'phi' ? 1 : 1 / Math.sqrt(spec.shape[1] ?? 1);
      for (let i = 0; i < numel; i++) data[i] = rng.uniform(-bound, bound);
    }
    return { ...spec, data };
  });
}

/** Total number of trainable scalars. */
export function countParams(specs: ParamSpec[]): number {
  return specs.reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);
}
