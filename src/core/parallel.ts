/**
 * Splitting an analysis or an evaluation over several engines at once (both cores of a laptop, more on a workstation), with a result
 * that does not depend on the split.
 *
 * The caller's engine starts on the examples [start, end) at once, while a `PartRunner` (worker threads, src/pool)
 * opens an engine of its own per extra part. Only when every extra engine is ready is the split made: what the
 * caller's engine has not yet begun is cut into contiguous runs of whole batches, one per engine, the caller keeping
 * the first (`runSplit`). So the time the workers take to start is not a part's idle tail: the caller computes
 * meanwhile. Parts combine exactly: counts add and sums are exact (the statistics shards use, stats.ts), so the
 * result equals the result of one engine over the whole range. The core never touches threads: the runner arrives
 * through this interface. Only the built-in engine is split this way (single-threaded wasm and ONNX Runtime
 * sessions are what leave cores idle; the PyTorch engine has its own threads).
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

/**
 * The caller's own part while the split is not made: it computes from `start`, records in `next` where the batch it
 * begins ends, and stops at `end`, which the split may move down (never below `next`).
 */
export interface OpenRange extends ExampleRange {
  next: number;
}

/** What any part needs to open its own engine and dataset: paths and JSON-safe values only. */
export interface PartSource {
  checkpoint: string;
  dataset: string;
  split: 'train' | 'test';
  limit: number | null;
  /** The tfjs backend the caller's engine uses (every part runs the same one, so results agree). */
  backend: BackendName;
  /**
   * Where this part's examples will begin at the earliest, in whole batches of `batchSize` (its run were the split
   * made before the caller began): it opens its dataset there before it says it is ready, so reaching its examples
   * (a gzipped file is read from its start) is not left for after the split.
   */
  readFrom?: { start: number; batchSize: number };
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

/**
 * Where each extra part's examples begin at the earliest (PartSource.readFrom): the runs of `whole` the split would
 * make before the caller had begun any batch. A later split only moves them forward (the caller keeps the first run
 * of what it has not begun, and each run starts at or after the same run of a split made earlier).
 */
export function earliestStarts(whole: ExampleRange, unit: number, engines: number): Array<{ start: number; batchSize: number }> {
  const runs = splitRange(whole, unit, engines);
  return Array.from({ length: engines - 1 }, (_, i) => ({ start: runs[i + 1]?.start ?? whole.end, batchSize: unit }));
}

export interface PartHooks {
  /** Examples of this part done so far. */
  onProgress?: (done: number) => void;
  signal?: AbortSignal;
}

/**
 * A part whose engine and dataset are opening. `ready` settles once they are open (rejecting if they cannot be);
 * `run` then hands it its examples — null when nothing is left for it, and it only closes — and settles with its
 * result (null for none) once it is done and closed.
 */
export interface StartedPart<T> {
  ready: Promise<void>;
  run(range: ExampleRange | null): Promise<T | null>;
}

export interface PartRunner {
  /** Parts that can run at once besides the caller's own. */
  readonly extra: number;
  analyze(job: AnalyzePartJob, hooks?: PartHooks): StartedPart<AnalysisPartial>;
  evaluate(job: EvaluatePartJob, hooks?: PartHooks): StartedPart<EvalCounts>;
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
 * The caller's part and `started` extra parts at once over `whole` (parallel.ts's header): `own` computes from
 * whole.start on an OpenRange; when every extra part is ready, what `own` has not begun is split into contiguous
 * whole `unit`s (splitRange), `own` keeping the first run. Each part runs with a signal that fires when `outer` does
 * or any part fails, and this settles only when every part has (nothing is left running when it returns or
 * throws). `onProgress` gets the examples done by all parts together. Returns the results of the parts that had
 * examples, in example order; throws the first failure that is not a cancellation, else the cancellation.
 */
export async function runSplit<T>(
  whole: ExampleRange,
  unit: number,
  own: (range: OpenRange, signal: AbortSignal, onProgress: (done: number) => void) => Promise<T>,
  start: Array<(signal: AbortSignal, onProgress: (done: number) => void) => StartedPart<T>>,
  outer?: AbortSignal,
  onProgress?: (done: number) => void,
): Promise<T[]> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  if (outer?.aborted) ac.abort();
  else outer?.addEventListener('abort', stop, { once: true });
  const done = [0, ...start.map(() => 0)];
  const report = (i: number, n: number) => {
    done[i] = n;
    onProgress?.(done.reduce((a, b) => a + b, 0));
  };
  const mine: OpenRange = { ...whole, next: whole.start };
  const failed = <R>(p: Promise<R>): Promise<R> => p.catch((err: unknown) => {
    ac.abort();
    throw err;
  });
  try {
    const others = start.map((open, i) => open(ac.signal, (n) => report(i + 1, n)));
    // Made once, when every extra engine is open: the rest of the caller's run, cut into one run per engine.
    const split = Promise.all(others.map((o) => o.ready)).then(() => {
      const runs = splitRange({ start: mine.next, end: mine.end }, unit, others.length + 1);
      if (runs[0]) mine.end = runs[0].end;
      return runs.slice(1);
    });
    const settled = await Promise.allSettled([
      failed(own(mine, ac.signal, (n) => report(0, n))),
      ...others.map((o, i) => failed(split.then(
        (runs) => o.run(runs[i] ?? null),
        // Another part could not open: this one is told it has nothing, so it closes (its own failure, if any, wins).
        async (err: unknown) => {
          await o.ready;
          await o.run(null);
          throw err;
        },
      ))),
    ]);
    throwIfAborted(outer);
    const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    const cancelled = (e: unknown) => e instanceof SoftMoeError && e.code === 'E_CANCELLED';
    if (failures.length > 0) throw failures.find((e) => !cancelled(e)) ?? failures[0];
    return settled.flatMap((r) => {
      const v = (r as PromiseFulfilledResult<T | null>).value;
      return v === null ? [] : [v];
    });
  } finally {
    outer?.removeEventListener('abort', stop);
  }
}
