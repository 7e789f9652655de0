/**
 * One batch through the general path (several MoE layers, or a non-linear head, e.g. a ViT): the engine holds the
 * activations entering the first MoE layer for the batch, and every selector, drop mode, k and trial is a masked
 * pass from there. All the passes of one selector and drop mode (every k), and all random trials × k, go to the
 * engine in ONE request, so it can stack them into large products. With one MoE layer the subsets come from the
 * full trace (`run`); with several, each layer picks its own subset per input from its own routing inside the pass
 * (`runSelecting`).
 */
import { argmaxRows } from '../engine/argmax';
import type { EngineBatch, LayerTrace } from '../engine/engine';
import { SoftMoeError, yieldTurn } from '../errors';
import type { BatchOutcome, DropOutcome, Selection } from './outcome';
import type { RunContext } from './context';
import { sliceRows } from './scores';
import { heuristicScores, selectorOrders } from './selectors';
import { randomOrders, writeMask } from './subsets';
import { selectorSpec, type CountedSelector } from './selectorRegistry';
import { globalOrders } from './globalSelection';

/** Selectors whose score reads the experts' outputs (the registry says which). */
function needsOutputs(sel: CountedSelector): boolean {
  return selectorSpec(sel).needs.slotOutputs === true;
}

export async function generalBatch(ctx: RunContext, batch: EngineBatch, start: number): Promise<BatchOutcome> {
  const { opts, numExperts: n, numClasses: c, numLayers: L, signal } = ctx;
  const ks = opts.ks;
  const K = ks.length;
  const b = batch.size;
  const full = await batch.trace({ slotOutputs: true });
  const fullPred = argmaxRows(full.logits, b, c);
  const layers = full.layers;
  if (layers.length !== L) throw new SoftMoeError('E_INTERNAL', `Internal error: the engine returned ${layers.length} traces for ${L} MoE layers.`);
  const scores = layers.map(heuristicScores);
  /** The k values that need a masked pass (k = n is the full model), with their index in `ks`. */
  const passes = ks.flatMap((k, ki) => (k < n ? [{ k, ki }] : []));
  const fullKs = ks.flatMap((k, ki) => (k === n ? [ki] : []));
  const P = passes.length;
  // The heuristic's choices: with one layer, prefixes of its order on the full trace (row 0, every k); with several,
  // each pass ranks every layer on its own masked upstream (row j = pass j). k = n keeps every expert, any row.
  const heuristicOrder = selectorOrders('heuristic', layers[0] as LayerTrace);
  const selected: Selection[] = layers.map(() => {
    if (L === 1) return { orders: heuristicOrder, rows: new Int32Array(K) };
    const orders = new Int32Array(Math.max(1, P) * b * n);
    if (P === 0) orders.set(heuristicOrder);
    const rows = new Int32Array(K);
    passes.forEach(({ ki }, j) => (rows[ki] = j));
    return { orders, rows };
  });

  const drops: BatchOutcome['drops'] = {};
  for (const [di, drop] of opts.drops.entries()) {
    const o: DropOutcome = { counted: {} };
    for (const sel of opts.counted) {
      const preds = new Int32Array(K * b);
      const record = sel === 'heuristic' && di === 0 && L > 1;
      for (const ki of fullKs) preds.set(fullPred, ki * b);
      if (P > 0) {
        const got = sel === 'global'
          // One fixed subset per layer for every input (chosen on the calibration split).
          ? await batch.run({ drop, count: P, masks: Array.from({ length: L }, (_, l) => subsetMasks(globalOrders(ctx, drop, l, b), passes, b, n)) })
          : L === 1
            ? await batch.run({ drop, count: P, masks: [subsetMasks(sel === 'heuristic' ? heuristicOrder : selectorOrders(sel, layers[0] as LayerTrace), passes, b, n)] })
            : await selectingRun(batch, sel, drop, passes, b, n, L, record ? selected : undefined);
        passes.forEach(({ ki }, j) => preds.set(got.subarray(j * b, (j + 1) * b), ki * b));
      }
      o.counted[sel] = preds;
      await yieldTurn(signal);
    }
    drops[drop] = o;
  }

  const T = opts.trials;
  if (T > 0) {
    const perms = new Int32Array(b * T * L * n);
    for (let i = 0; i < b; i++) randomOrders(opts.seed, start + i, T, L, n, perms.subarray(i * T * L * n, (i + 1) * T * L * n));
    // Pass (t, j): trial t at passes[j].k; each layer keeps the first k experts of its own permutation.
    const masks = P > 0 ? Array.from({ length: L }, (_, l) => {
      const mask = new Uint8Array(T * P * b * n);
      for (let t = 0; t < T; t++) {
        passes.forEach(({ k }, j) => writeMask(mask, (t * P + j) * b, perms, b, n, k, T * L * n, (t * L + l) * n));
      }
      return mask;
    }) : [];
    for (const drop of opts.drops) {
      const rnd = new Int32Array(T * K * b);
      for (let t = 0; t < T; t++) for (const ki of fullKs) rnd.set(fullPred, (t * K + ki) * b);
      if (P > 0) {
        const got = await batch.run({ drop, count: T * P, masks });
        for (let t = 0; t < T; t++) {
          passes.forEach(({ ki }, j) => rnd.set(got.subarray((t * P + j) * b, (t * P + j + 1) * b), (t * K + ki) * b));
        }
      }
      (drops[drop] as DropOutcome).random = rnd;
      await yieldTurn(signal);
    }
  }
  return { b, fullPred, drops, selected, layers, scores };
}

/** Keep masks [passes, b, n]: pass j keeps the first passes[j].k experts of each input's order. */
function subsetMasks(orders: Int32Array, passes: Array<{ k: number; ki: number }>, b: number, n: number): Uint8Array {
  const mask = new Uint8Array(passes.length * b * n);
  passes.forEach(({ k }, j) => writeMask(mask, j * b, orders, b, n, k));
  return mask;
}

/** One pass per k in which every MoE layer ranks its experts from its own routing on the masked upstream. */
async function selectingRun(
  batch: EngineBatch, sel: CountedSelector, drop: 'zero' | 'renorm', passes: Array<{ k: number; ki: number }>,
  b: number, n: number, L: number, selected?: Selection[],
): Promise<Int32Array> {
  const seen = new Set<number>();
  const got = await batch.runSelecting({
    drop,
    count: passes.length,
    slotOutputs: needsOutputs(sel),
    select: (layer, routing, firstPass) => {
      seen.add(layer);
      const q = routing.b / b;
      const mask = new Uint8Array(routing.b * n);
      for (let j = 0; j < q; j++) {
        const pass = passes[firstPass + j];
        if (!pass) throw new SoftMoeError('E_INTERNAL', `Internal error: the engine asked for pass ${firstPass + j} of ${passes.length}.`);
        // Rank per pass: Algorithm 2 (`batch`) sums over the inputs of one pass, never across passes.
        const ord = selectorOrders(sel, sliceRows(routing, j * b, b));
        writeMask(mask, j * b, ord, b, n, pass.k);
        // The heuristic's choice at this layer in this pass: row firstPass + j of its Selection.
        selected?.[layer]?.orders.set(ord, (firstPass + j) * b * n);
      }
      return mask;
    },
  });
  if (seen.size !== L) {
    throw new SoftMoeError('E_UNSUPPORTED', `This model's engine does not support per-layer expert selection (runSelecting), which analysing its ${L} MoE layers needs.`);
  }
  return got;
}
