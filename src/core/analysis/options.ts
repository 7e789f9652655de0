/**
 * Options of an analysis run, their defaults and validation.
 */
import type { AnalysisResult, DropMode, GlobalRanking } from './schema';
import type { CalibrationData } from './calibrate';
import { GLOBAL_RANKINGS } from './globalSelection';
import { SoftMoeError } from '../errors';
import { SELECTOR_NAMES, isCounted, type CountedSelector, type SelectorName } from './selectorRegistry';

export interface AnalyzeOptions {
  /** Default heuristic + random. The heuristic is always computed (recommendation, per-class, samples need it). */
  selectors?: SelectorName[];
  /** Default ['zero']. The first one drives the recommendation, per-class accuracy and samples. */
  drops?: DropMode[];
  /** Random trials, default 10. */
  trials?: number;
  /** Seed of the random subsets, default 0. */
  seed?: number;
  /** Numbers of kept experts, default every k from 1 to n. */
  ks?: number[];
  /** Share of full accuracy the recommended k must keep, default 0.99. */
  target?: number;
  /** Inputs recorded in `samples`, evenly spaced over the dataset, default 64. */
  samples?: number;
  /** Inputs per forward pass, default 256. Algorithm 2 (`batch`) picks one subset per batch of this size. */
  batchSize?: number;
  /** Analyse shard `index` (0-based) of `count`: a contiguous run of whole batches. */
  shard?: { index: number; count: number } | null;
  /**
   * Analyse exactly the examples [start, end) (a part of a parallel run, src/core/parallel.ts), batched from `start`.
   * Overrides `shard`'s range (the shard is still recorded).
   */
  range?: { start: number; end: number };
  /** The --limit the dataset was opened with (recorded only). */
  limit?: number | null;
  /** Exhaustive oracle search for a k when C(n, k) ≤ this, else greedy. Default 65,536 (every k up to n = 16). */
  oracleBudget?: number;
  /**
   * `global` selector: the calibration examples its subsets are chosen on — never the evaluation examples — and how
   * it ranks experts there (default 'eliminate').
   */
  calibration?: CalibrationData;
  globalRanking?: GlobalRanking;
  /** Per MoE layer: parameters of one expert with its router slots (from the checkpoint), for what pruning saves. */
  expertParameters?: number[];
  /** Describes the checkpoint in the result (the caller knows the file). */
  checkpoint?: Partial<AnalysisResult['checkpoint']>;
  toolVersion?: string;
  /** The run's identity (runIdentity.ts), recorded in the result: the caller knows the files. */
  run?: AnalysisResult['run'];
}

export interface ResolvedOptions {
  selectors: SelectorName[];
  counted: CountedSelector[];
  drops: DropMode[];
  trials: number;
  seed: number;
  ks: number[];
  target: number;
  samples: number;
  batchSize: number;
  shard: { index: number; count: number } | null;
  limit: number | null;
  oracleBudget: number;
  globalRanking: GlobalRanking;
}

function usage(msg: string): never {
  throw new SoftMoeError('E_USAGE', msg);
}

function int(v: number, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || v < min || v > max) usage(`${name} must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}, got ${v}.`);
  return v;
}

export function resolveOptions(o: AnalyzeOptions, numExperts: number): ResolvedOptions {
  const requested: SelectorName[] = o.selectors && o.selectors.length > 0 ? o.selectors : ['heuristic', 'random'];
  for (const s of requested) if (!SELECTOR_NAMES.includes(s)) usage(`Unknown selector '${s}': use ${SELECTOR_NAMES.join(', ')}.`);
  const selectors = SELECTOR_NAMES.filter((s) => s === 'heuristic' || requested.includes(s));
  const counted = selectors.filter((s): s is CountedSelector => isCounted(s));
  const drops = o.drops && o.drops.length > 0 ? [...new Set(o.drops)] : (['zero'] as DropMode[]);
  for (const d of drops) if (d !== 'zero' && d !== 'renorm') usage(`Unknown drop mode '${String(d)}': use zero, renorm or both.`);
  const ks = o.ks && o.ks.length > 0 ? [...new Set(o.ks)].sort((a, b) => a - b) : Array.from({ length: numExperts }, (_, i) => i + 1);
  for (const k of ks) int(k, `k (experts kept)`, 1, numExperts);
  const target = o.target ?? 0.99;
  if (!(target > 0 && target <= 1)) usage(`--target must be in (0, 1], got ${target}.`);
  const shard = o.shard ?? null;
  if (shard) {
    int(shard.count, 'Shard count', 1);
    int(shard.index, 'Shard index', 0, shard.count - 1);
  }
  return {
    selectors,
    counted,
    drops,
    trials: selectors.includes('random') ? int(o.trials ?? 10, '--trials', 1, 10000) : 0,
    seed: int(o.seed ?? 0, '--seed', 0, 2 ** 32 - 1),
    ks,
    target,
    samples: int(o.samples ?? 64, '--samples', 0, 100000),
    batchSize: int(o.batchSize ?? 256, '--batch', 1, 65536),
    shard,
    limit: o.limit ?? null,
    oracleBudget: int(o.oracleBudget ?? 65536, 'oracleBudget', 1),
    globalRanking: globalRanking(o.globalRanking),
  };
}

function globalRanking(r: GlobalRanking | undefined): GlobalRanking {
  const v = r ?? 'eliminate';
  if (!GLOBAL_RANKINGS.includes(v)) usage(`Unknown global ranking '${String(v)}': use ${GLOBAL_RANKINGS.join(', ')}.`);
  return v;
}

/** The examples [start, end) of a shard: whole batches, so Algorithm 2's batches are those of one run. */
export function shardRange(numExamples: number, batchSize: number, shard: { index: number; count: number } | null): { start: number; end: number } {
  if (!shard) return { start: 0, end: numExamples };
  const batches = Math.ceil(numExamples / batchSize);
  const per = Math.ceil(batches / shard.count);
  return { start: Math.min(numExamples, shard.index * per * batchSize), end: Math.min(numExamples, (shard.index + 1) * per * batchSize) };
}

/** Dataset indices recorded as samples: evenly spaced, independent of sharding. */
export function sampleIndices(numExamples: number, samples: number): Set<number> {
  const s = new Set<number>();
  const count = Math.min(samples, numExamples);
  for (let j = 0; j < count; j++) s.add(Math.floor((j * numExamples) / count));
  return s;
}
