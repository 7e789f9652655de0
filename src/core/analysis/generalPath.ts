/**
 * One batch through the general path (several MoE layers, or a non-linear head, e.g. a ViT): the activations
 * entering the first MoE layer are computed ONCE per batch (`stem`) and each selector, drop mode, k and trial only
 * reruns `fromFirstMoe`. With one MoE layer the subset comes from the full trace; with several, each layer picks its
 * own subset per input from its own combine weights inside the pass, through RunOptions.selectMask.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { MoeTrace, RunOptions } from '../engine/model';
import { SoftMoeError, throwIfAborted } from '../errors';
import type { BatchOutcome, DropOutcome } from './outcome';
import { argmaxRows, type RunContext } from './context';
import type { LayerArrays } from './scores';
import { heuristicScores, markSelected, selectorOrders } from './selectors';
import { maskFromOrders, randomOrders } from './subsets';
import type { CountedSelector } from './stats';

/** Let timers (and AbortSignal) run, then stop if cancelled. */
export async function yieldTurn(signal?: AbortSignal): Promise<void> {
  await new Promise<void>((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));
  throwIfAborted(signal);
}

export function hostArrays(t: MoeTrace, withOutputs: boolean): LayerArrays {
  const [b, m, n, p] = t.combine.shape;
  return {
    b, m, n, p,
    d: t.slotOutputs.shape[3],
    combine: t.combine.dataSync() as Float32Array,
    dispatch: t.dispatch.dataSync() as Float32Array,
    ...(withOutputs ? { slotOutputs: t.slotOutputs.dataSync() as Float32Array } : {}),
  };
}

function disposeTrace(t: MoeTrace): void {
  t.combine.dispose();
  t.dispatch.dispose();
  t.slotOutputs.dispose();
}

export async function generalBatch(ctx: RunContext, pre: tf.Tensor, start: number): Promise<BatchOutcome> {
  const { model, opts, numExperts: n, numClasses: c, numLayers: L, signal } = ctx;
  const ks = opts.ks;
  const K = ks.length;
  const tokens = model.stem(pre);
  try {
    const full = model.fromFirstMoe(tokens, { trace: true });
    const b = full.logits.shape[0];
    const fullPred = argmaxRows(full.logits.dataSync(), b, c);
    const layers = full.traces.map((t) => hostArrays(t, true));
    full.logits.dispose();
    full.traces.forEach(disposeTrace);
    if (layers.length !== L) throw new SoftMoeError('E_INTERNAL', `Internal error: the model returned ${layers.length} traces for ${L} MoE layers.`);
    const scores = layers.map(heuristicScores);
    const run = (o: RunOptions): Int32Array => {
      const out = model.fromFirstMoe(tokens, o);
      const pred = argmaxRows(out.logits.dataSync(), b, c);
      out.logits.dispose();
      out.traces.forEach(disposeTrace);
      return pred;
    };
    const selected = layers.map(() => new Uint8Array(K * b * n));
    const firstOrders: Partial<Record<CountedSelector, Int32Array>> = {};
    if (L === 1) for (const sel of opts.counted) firstOrders[sel] = selectorOrders(sel, layers[0] as LayerArrays);
    const drops: BatchOutcome['drops'] = {};
    for (const [di, drop] of opts.drops.entries()) {
      const o: DropOutcome = { counted: {} };
      for (const sel of opts.counted) {
        const preds = new Int32Array(K * b);
        for (const [ki, k] of ks.entries()) {
          const record = sel === 'heuristic' && di === 0;
          if (k === n) {
            preds.set(fullPred, ki * b);
            if (record) for (const s of selected) s.fill(1, ki * b * n, (ki + 1) * b * n);
            continue;
          }
          if (L === 1) {
            const ord = firstOrders[sel] as Int32Array;
            if (record) markSelected(selected[0] as Uint8Array, ord, b, n, k, ki);
            const mask = maskFromOrders(ord, b, n, k);
            preds.set(run({ masks: [mask], drop }), ki * b);
            mask.dispose();
          } else {
            let calls = 0;
            const selectMask = (layer: number, routing: MoeTrace): tf.Tensor2D => {
              calls++;
              const ord = selectorOrders(sel, hostArrays(routing, sel === 'output-norm'));
              if (record) markSelected(selected[layer] as Uint8Array, ord, b, n, k, ki);
              return maskFromOrders(ord, b, n, k);
            };
            preds.set(run({ drop, selectMask }), ki * b);
            if (calls !== L) {
              throw new SoftMoeError('E_UNSUPPORTED', `This model's engine does not support per-layer expert selection (RunOptions.selectMask), which analysing its ${L} MoE layers needs.`);
            }
          }
          await yieldTurn(signal);
        }
        o.counted[sel] = preds;
      }
      drops[drop] = o;
    }
    const T = opts.trials;
    if (T > 0) {
      const perms = new Int32Array(b * T * L * n);
      for (let i = 0; i < b; i++) randomOrders(opts.seed, start + i, T, L, n, perms.subarray(i * T * L * n, (i + 1) * T * L * n));
      for (const drop of opts.drops) {
        const rnd = new Int32Array(T * K * b);
        for (let t = 0; t < T; t++) {
          for (const [ki, k] of ks.entries()) {
            const base = (t * K + ki) * b;
            if (k === n) {
              rnd.set(fullPred, base);
              continue;
            }
            const masks = Array.from({ length: L }, (_, l) => maskFromOrders(perms, b, n, k, T * L * n, (t * L + l) * n));
            rnd.set(run({ masks, drop }), base);
            masks.forEach((mk) => mk.dispose());
            await yieldTurn(signal);
          }
        }
        (drops[drop] as DropOutcome).random = rnd;
      }
    }
    return { b, fullPred, drops, selected, layers, scores };
  } finally {
    tokens.dispose();
  }
}
