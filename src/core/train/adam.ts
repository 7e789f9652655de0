/**
 * Adam with PyTorch's exact update order (torch.optim.Adam, single-tensor path, no weight decay, no amsgrad):
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)
 * tfjs's own AdamOptimizer computes the same quantity in a different order; writing it out keeps our weights
 * within float32 rounding of PyTorch's and lets us save and restore the moments under readable names.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SoftMoeError } from '../errors';

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export const PYTORCH_ADAM: AdamConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** The optimizer's state as plain arrays, keyed `<param>.exp_avg` / `<param>.exp_avg_sq` (PyTorch's names). */
export interface AdamState {
  step: number;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

export class Adam {
  readonly config: AdamConfig;
  private stepCount = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(private readonly params: Map<string, tf.Variable>, config: Partial<AdamConfig> = {}) {
    this.config = { ...PYTORCH_ADAM, ...config };
    for (const [name, p] of params) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false, `adam/${name}/m`));
      this.v.set(name, tf.variable(tf.zerosLike(p), false, `adam/${name}/v`));
    }
  }

  get step(): number {
    return this.stepCount;
  }

  /** One update from gradients keyed by parameter name (names absent from `grads` are left alone). */
  apply(grads: Record<string, tf.Tensor>): void {
    this.stepCount += 1;
    const { lr, beta1, beta2, eps } = this.config;
    const t = this.stepCount;
    const stepSize = lr / (1 - beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads[name];
        if (!g) continue;
        const m = this.m.get(name) as tf.Variable;
        const v = this.v.get(name) as tf.Variable;
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const denom = tf.add(tf.div(tf.sqrt(v1), bc2Sqrt), eps);
        m.assign(m1);
        v.assign(v1);
        p.assign(tf.sub(p, tf.mul(tf.div(m1, denom), stepSize)));
      }
    });
  }

  /** Copy the state out (for the optimizer sidecar file). */
  async getState(): Promise<AdamState> {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name] of this.params) {
      const m = this.m.get(name) as tf.Variable;
      const v = this.v.get(name) as tf.Variable;
      tensors.set(`${name}.exp_avg`, { shape: m.shape, data: (await m.data()) as Float32Array });
      tensors.set(`${name}.exp_avg_sq`, { shape: v.shape, data: (await v.data()) as Float32Array });
    }
    return { step: this.stepCount, tensors };
  }

  /** Restore a state saved by `getState` (shapes must match the parameters). */
  setState(state: AdamState, source = 'optimizer state'): void {
    for (const [name, p] of this.params) {
      for (const [suffix, store] of [['exp_avg', this.m], ['exp_avg_sq', this.v]] as const) {
        const key = `${name}.${suffix}`;
        const saved = state.tensors.get(key);
        if (!saved) throw new SoftMoeError('E_CORRUPT', `${source}: tensor '${key}' is missing.`);
        if (saved.data.length !== p.size) {
          throw new SoftMoeError('E_SHAPE', `${source}: tensor '${key}' has ${saved.data.length} values, expected ${p.size} (shape [${p.shape.join(', ')}]).`);
        }
        (store.get(name) as tf.Variable).assign(tf.tensor(saved.data, p.shape, 'float32'));
      }
    }
    this.stepCount = state.step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
