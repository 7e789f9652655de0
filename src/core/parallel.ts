/**
 * Splitting an analysis or an evaluation over several engines at once (both cores of a laptop, more on a workstation), with a result
 * that does not depend on the split.
 *
 * The examples [start, end) are cut into contiguous runs, one per part; the caller computes the first part in its
 * own engine while a `PartRunner` (worker threads, src/pool) computes the others, each in an engine of its own.
 * Parts combine exactly: counts add and sums are exact (the statistics shards use, stats.ts), so the result equals
 * the result of one engine over the whole range. The core never touches threads: the runner arrives through this
 * interface. Only the built-in engine is split this way (single-threaded wasm is what leaves cores idle; the
 * PyTorch engine has its own threads).
 */
import type { AnalysisPartial } from './analysis/partial';
import { SoftMoeError, throwIfAborted } from './errors';
import type { AnalyzeOptions } from './analysis/options';
import type { BackendName } from './engine/backendName';

/** The examples a part covers. */
export interface ExampleRange {
  start: number;
  end: number;
}

/** What any part needs to open its own engine and dataset: paths and JSON-safe values only. */
export interface PartSource {
  checkpoint: string;
  dataset: string;
  split: 'train' | 'test';
  limit: number | null;
  /** The tfjs backend the caller's engine uses (every part runs the same one, so results agree). */
  backend: BackendName;
  range: ExampleRange;
}

/** One part of a split analysis. */
export interface AnalyzePartJob extends PartSource {
  options: Omit<AnalyzeOptions, 'shard' | 'limit' | 'range'>;
}

/** What a part of an evaluation counts, per class; parts combine by adding. */
export interface EvalCounts {
  examples: number;
  support: number[];
  hits: number[];
}

/** One part of a split evaluation: its examples, counted in an engine of its own. */
export interface EvaluatePartJob extends PartSource {
  batchSize: number;
}

export interface PartHooks {
  /** Examples of this part done so far. */
  onProgress?: (done: number) => void;
  signal?: AbortSignal;
}

export interface PartRunner {
  /** Parts that can run at once besides the caller's own. */
  readonly extra: number;
  analyze(job: AnalyzePartJob, hooks?: PartHooks): Promise<AnalysisPartial>;
  evaluate(job: EvaluatePartJob, hooks?: PartHooks): Promise<EvalCounts>;
}

/**
 * Contiguous runs of [start, end), at most `parts` of them, as equal as whole `unit`s allow (the batch size when a
 * result depends on how inputs are batched — Algorithm 2 — else 1 example). Runs start at `start` plus whole units,
 * so every part sees the batches one run would.
 */
export function splitRange(range: ExampleRange, unit: number, parts: number): ExampleRange[] {
  const units = Math.ceil((range.end - range.start) / unit);
  const count = Math.max(1, Math.min(parts, units));
  const out: ExampleRange[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const take = Math.floor(units / count) + (i < units % count ? 1 : 0);
    const start = range.start + at * unit;
    at += take;
    out.push({ start, end: Math.min(range.end, range.start + at * unit) });
  }
  return out.filter((r) => r.end > r.start);
}

/** Work below which one engine is used: examples × parameters × passes per example (about a second of compute). */
export const PARALLEL_MIN_WORK = 5e9;
/** Models whose checkpoint exceeds this run in ONE engine (each engine holds its own copy of the weights). */
export const PARALLEL_MAX_MODEL_BYTES = 256 * 2 ** 20;

/**
 * How many engines to run at once: `requested` when given (≥ 1); else one per core (at most 8) when the job is big
 * enough for starting engines to pay off and the model small enough to hold once per engine; else one.
 */
export function chooseEngines(o: { requested?: number; cores: number; work: number; modelBytes: number }): number {
  if (o.requested !== undefined && o.requested >= 1) return Math.floor(o.requested);
  if (o.modelBytes > PARALLEL_MAX_MODEL_BYTES || o.work < PARALLEL_MIN_WORK) return 1;
  return Math.max(1, Math.min(o.cores, 8));
}

/**
 * Runs the parts at once, each with a signal that fires when `outer` does or any part fails, and settles only when
 * every part has (so nothing is left running when it returns or throws). Each part reports the examples it has done;
 * `onProgress` gets their sum. Throws the first failure that is not a cancellation (in part order), else the
 * cancellation.
 */
export async function runParts<T>(
  runs: Array<(signal: AbortSignal, onProgress: (done: number) => void) => Promise<T>>,
  outer?: AbortSignal,
  onProgress?: (done: number) => void,
): Promise<T[]> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  if (outer?.aborted) ac.abort();
  else outer?.addEventListener('abort', stop, { once: true });
  const done = runs.map(() => 0);
  const report = (i: number, n: number) => {
    done[i] = n;
    onProgress?.(done.reduce((a, b) => a + b, 0));
  };
  try {
    const settled = await Promise.allSettled(runs.map((run, i) => run(ac.signal, (n) => report(i, n)).catch((err: unknown) => {
      ac.abort();
      throw err;
    })));
    throwIfAborted(outer);
    const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    const cancelled = (e: unknown) => e instanceof SoftMoeError && e.code === 'E_CANCELLED';
    if (failures.length > 0) throw failures.find((e) => !cancelled(e)) ?? failures[0];
    return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
  } finally {
    outer?.removeEventListener('abort', stop);
  }
}
