/**
 * One batch through the fast path (one MoE layer, linear readout): ONE traced pass of the engine (routing and each
 * slot's contribution to the logits), then every selector, drop mode, k and random trial is a recombination of
 * per-expert logit contributions on the host (readout.ts) — no further passes.
 */
import { argmaxRows } from '../engine/argmax';
import type { EngineBatch } from '../engine/engine';
import { SoftMoeError } from '../errors';
import type { BatchOutcome, DropOutcome } from './outcome';
import type { DropMode } from './schema';
import type { RunContext } from './context';
import { ReadoutEvaluator, readoutBatch } from './readout';
import { oracleBatch } from './oracle';
import { globalOrders } from './globalSelection';
import { heuristicScores, selectorOrders } from './selectors';
import { randomOrders } from './subsets';
import { selectorSpec, type CountedSelector } from './selectorRegistry';

export async function fastBatch(ctx: RunContext, batch: EngineBatch, labels: Int32Array, start: number): Promise<BatchOutcome> {
  const { opts, numExperts: n, numClasses: c } = ctx;
  // Per-slot outputs only for a selector whose score reads them; the statistics' mean output comes with the trace.
  const withOutputs = opts.counted.some((sel) => selectorSpec(sel).needs.slotOutputs === true);
  const tr = await batch.trace({ slotOutputs: withOutputs, contributions: true });
  const arrays = tr.layers[0];
  if (!arrays || tr.layers.length !== 1 || !tr.contributions || !tr.readoutBias) {
    throw new SoftMoeError('E_INTERNAL', 'Internal error: the engine returned no trace or readout contributions for the MoE layer.');
  }
  const b = arrays.b;
  const logits = tr.logits;
  const fullPred = argmaxRows(logits, b, c);
  // Per-token contributions only where they are read: renorm drop, and the oracle's bounds.
  const perToken = opts.drops.includes('renorm') || opts.selectors.includes('oracle');
  const rb = readoutBatch(arrays.combine, tr.contributions, tr.readoutBias, arrays, perToken);
  const ks = opts.ks;
  const K = ks.length;
  const ev = new ReadoutEvaluator(rb, ks);
  const all = Int32Array.from({ length: n }, (_, e) => e);
  if (!ctx.readoutChecked) checkReadout(ev, logits, b, c, all);
  ctx.readoutChecked = true;

  const orders: Partial<Record<CountedSelector, Int32Array>> = {};
  for (const sel of opts.counted) if (sel !== 'global') orders[sel] = selectorOrders(sel, arrays);
  const scores = heuristicScores(arrays);

  const drops: BatchOutcome['drops'] = {};
  for (const drop of opts.drops) {
    const o: DropOutcome = { counted: {} };
    for (const sel of opts.counted) {
      const preds = new Int32Array(K * b);
      const ord = sel === 'global' ? globalOrders(ctx, drop, 0, b) : (orders[sel] as Int32Array);
      for (let i = 0; i < b; i++) ev.predictOrder(i, ord, i * n, drop, preds, i, b);
      o.counted[sel] = preds;
    }
    drops[drop] = o;
  }
  const T = opts.trials;
  if (T > 0) {
    const rnd = opts.drops.map(() => new Int32Array(T * K * b));
    const perm = new Int32Array(T * n);
    for (let i = 0; i < b; i++) {
      randomOrders(opts.seed, start + i, T, 1, n, perm);
      for (let t = 0; t < T; t++) {
        for (let di = 0; di < opts.drops.length; di++) ev.predictOrder(i, perm, t * n, opts.drops[di] as DropMode, rnd[di] as Int32Array, t * K * b + i, b);
      }
    }
    opts.drops.forEach((drop, di) => ((drops[drop] as DropOutcome).random = rnd[di]));
  }
  if (opts.selectors.includes('oracle')) {
    for (const drop of opts.drops) {
      const d = drops[drop] as DropOutcome;
      const counted = opts.counted.map((sel) => d.counted[sel] as Int32Array);
      d.oracle = oracleBatch(rb, ev, ks, labels, start, opts.seed, opts.oracleBudget, drop, counted);
    }
  }
  // The heuristic's k-subsets are the prefixes of its one order.
  const selected = { orders: orders.heuristic as Int32Array, rows: new Int32Array(K) };
  return { b, fullPred, drops, selected: [selected], layers: [arrays], scores: [scores] };
}

/** The readout must reproduce the model's own logits, else the model breaks the linearReadout contract. */
function checkReadout(ev: ReadoutEvaluator, logits: ArrayLike<number>, b: number, c: number, all: Int32Array): void {
  const lg = new Float64Array(c);
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < b; i++) {
    ev.logitsOf(i, all, all.length, 'zero', lg);
    for (let j = 0; j < c; j++) {
      const ref = logits[i * c + j] as number;
      worst = Math.max(worst, Math.abs((lg[j] as number) - ref));
      scale = Math.max(scale, Math.abs(ref));
    }
  }
  if (!(worst <= 1e-3 * scale)) {
    throw new SoftMoeError('E_INTERNAL', `Internal error: the model's linear readout does not reproduce its logits (max difference ${worst.toExponential(2)}).`);
  }
}
