/**
 * Dataset-level pruning end to end: choose the global subset of k experts per layer (calibrating on a split that is
 * never the evaluation examples, or taking the subsets of a saved analysis), write the pruned checkpoint, and — when
 * evaluation data is given — measure it beside the global curve's renorm point it must equal. The CLI's
 * `softmoe prune` is this function; the extension's "Prune Experts…" writes subsets it already has with
 * `pruneCheckpoint` directly.
 */
import { analyzeCheckpoint } from '../analysis/analyzeCheckpoint';
import { finalizeResult } from '../analysis/finalize';
import type { GlobalRanking, GlobalSelection } from '../analysis/schema';
import { evaluate } from '../engine/evaluate';
import { openEngine, type OpenEngineOptions } from '../engine/openEngine';
import { openDatasetForModel } from '../engine/openDatasetForModel';
import { SoftMoeError, throwIfAborted } from '../errors';
import { openCheckpoint } from '../io/openCheckpoint';
import { detectSoftMoeLayers } from '../model/detect';
import { plannedSidecars, pruneCheckpoint, type PruneReport } from './pruneCheckpoint';

export interface PruneGlobalRequest extends Pick<OpenEngineOptions, 'engine' | 'backend' | 'torch' | 'log'> {
  checkpoint: string;
  output: string;
  overwrite?: boolean;
  /** Experts to keep per layer: `keep`, or `fraction` of n (rounded, at least 1). */
  keep?: number;
  fraction?: number;
  /** Per layer, the global order of a saved analysis (its `globalSelection.orders.renorm`); else calibrate. */
  orders?: number[][];
  /** The dataset to calibrate on (its `calibration` split) and to evaluate on (`split`, `limit`). */
  data?: string;
  split?: 'train' | 'test';
  limit?: number | null;
  calibration?: string;
  calibrationData?: string;
  ranking?: GlobalRanking;
  batchSize?: number;
  signal?: AbortSignal;
  onPhase?: (phase: string) => void;
}

export interface Measured {
  correct: number;
  examples: number;
  accuracy: number;
}

export interface PruneGlobalOutcome {
  report: PruneReport;
  k: number;
  numExperts: number;
  /** How the subsets were chosen (absent when they came from a saved analysis). */
  selection?: Omit<GlobalSelection, 'recommended'>;
  /** On the evaluation data: the full model, the global curve's renorm point for these subsets, and the pruned file. */
  full?: Measured;
  expected?: Measured;
  pruned?: Measured;
  /** The engine that evaluated the pruned file, e.g. "tfjs wasm". */
  engine?: string;
}

/** The engine choice of a request, as analyzeCheckpoint and openEngine take it. */
function engineOptions(req: PruneGlobalRequest): Pick<OpenEngineOptions, 'engine' | 'backend' | 'torch'> {
  return { ...(req.engine ? { engine: req.engine } : {}), ...(req.backend ? { backend: req.backend } : {}), ...(req.torch ? { torch: req.torch } : {}) };
}

/** k for `keep` or `fraction` of n experts. */
export function keptCount(n: number, keep: number | undefined, fraction: number | undefined): number {
  if ((keep === undefined) === (fraction === undefined)) throw new SoftMoeError('E_USAGE', 'Give either --keep K or --fraction F.');
  const k = keep ?? Math.max(1, Math.round((fraction as number) * n));
  if (fraction !== undefined && !(fraction > 0 && fraction <= 1)) throw new SoftMoeError('E_USAGE', `--fraction must be in (0, 1], got ${fraction}.`);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new SoftMoeError('E_USAGE', `--keep must be an integer from 1 to ${n} (the model's experts per layer), got ${k}.`);
  return k;
}

export async function pruneGlobal(req: PruneGlobalRequest): Promise<PruneGlobalOutcome> {
  // Refuse an output that would replace something before spending time on calibration.
  await plannedSidecars(req.checkpoint, req.output, undefined, undefined, req.overwrite === true);
  const ckpt = await openCheckpoint(req.checkpoint);
  let n: number;
  let L: number;
  try {
    const layers = detectSoftMoeLayers(ckpt.tensors);
    if (layers.length === 0) throw new SoftMoeError('E_UNSUPPORTED', `${req.checkpoint}: no Soft MoE layer to prune.`);
    n = layers[0]?.numExperts as number;
    L = layers.length;
    if (layers.some((l) => l.numExperts !== n)) throw new SoftMoeError('E_UNSUPPORTED', `${req.checkpoint}: its MoE layers have different numbers of experts; prune keeps one k per layer.`);
  } finally {
    await ckpt.close();
  }
  const k = keptCount(n, req.keep, req.fraction);
  let orders = req.orders;
  let selection: PruneGlobalOutcome['selection'];
  let full: Measured | undefined;
  let expected: Measured | undefined;
  if (!orders) {
    if (!req.data) throw new SoftMoeError('E_USAGE', 'Choosing the experts needs data to calibrate on: give --data (and --calibration), or --from a saved analysis with the global selector.');
    req.onPhase?.('calibrating');
    const result = finalizeResult(await analyzeCheckpoint(req.checkpoint, req.data, {
      selectors: ['global'], drops: ['renorm'], ks: [k], samples: 0, split: req.split ?? 'test', limit: req.limit ?? null,
      ...(req.calibration !== undefined ? { calibration: req.calibration } : {}),
      ...(req.calibrationData !== undefined ? { calibrationData: req.calibrationData } : {}),
      ...(req.ranking ? { globalRanking: req.ranking } : {}),
      ...(req.batchSize ? { batchSize: req.batchSize } : {}),
      ...engineOptions(req),
    }, { ...(req.signal ? { signal: req.signal } : {}), ...(req.log ? { log: req.log } : {}) }));
    const g = result.globalSelection as NonNullable<typeof result.globalSelection>;
    const { recommended: _r, ...chosen } = g;
    selection = chosen;
    orders = g.orders.renorm as number[][];
    const pt = result.curves.find((c) => c.selector === 'global' && c.drop === 'renorm')?.points.find((p) => p.k === k);
    full = { correct: result.fullCorrect, examples: result.numExamples, accuracy: result.fullAccuracy };
    if (pt) expected = { correct: pt.correct, examples: result.numExamples, accuracy: pt.accuracy };
  }
  if (orders.length !== L || orders.some((o) => o.length !== n)) {
    throw new SoftMoeError('E_USAGE', `The saved global subsets are for ${orders.length} layer(s) of ${orders[0]?.length ?? 0} experts; ${req.checkpoint} has ${L} of ${n}. Was the analysis made on another checkpoint?`);
  }
  throwIfAborted(req.signal);
  req.onPhase?.('writing');
  const keep = orders.map((o) => o.slice(0, k));
  const report = await pruneCheckpoint(req.checkpoint, req.output, keep, {
    overwrite: req.overwrite === true,
    note: selection ? `softmoe prune: global subset (${selection.ranking}, calibrated on ${selection.calibration.name} [${selection.calibration.start}:${selection.calibration.end}])` : 'softmoe prune: global subset of a saved analysis',
  });
  let pruned: Measured | undefined;
  let engineLabel: string | undefined;
  if (req.data) {
    req.onPhase?.('evaluating');
    // The engine the subsets were chosen with runs the written file (the PyTorch engine: from its moved softmoe.json).
    const { engine } = await openEngine(report.output, { ...engineOptions(req), ...(req.log ? { log: req.log } : {}) });
    try {
      const data = await openDatasetForModel(req.data, engine.info, { split: req.split ?? 'test', limit: req.limit ?? null });
      try {
        const ev = await evaluate(engine, data, { ...(req.batchSize ? { batchSize: req.batchSize } : {}), ...(req.signal ? { signal: req.signal } : {}) });
        pruned = { correct: ev.correct, examples: ev.numExamples, accuracy: ev.accuracy };
        engineLabel = engine.description.label;
      } finally {
        await data.close();
      }
    } finally {
      await engine.dispose();
    }
  }
  return { report, k, numExperts: n, ...(engineLabel ? { engine: engineLabel } : {}), ...(selection ? { selection } : {}), ...(full ? { full } : {}), ...(expected ? { expected } : {}), ...(pruned ? { pruned } : {}) };
}
