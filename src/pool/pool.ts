/**
 * Worker threads for the parts of a parallel analysis or evaluation (the core's `PartRunner`, src/core/parallel.ts): one thread
 * per part, each with its own engine (its own tfjs wasm instance or ONNX Runtime session), so single-threaded
 * backends use every core. A thread opens its engine and dataset, says it is ready, and computes the examples it
 * is then handed (runSplit makes the split once every part is ready). Used by the CLI and by the extension's
 * analysis worker.
 *
 * Bundled, a part runs dist/poolWorker.js beside the bundle; from source (tests, `tsx`), src/pool/poolWorker.ts
 * through tsx. Cancelling aborts the part, which stops at its next check (between batches and chunks of passes) and
 * answers; its thread is ended then, or after `STOP_BACKSTOP_MS` (workerProtocol.ts) if it never answers — not
 * sooner: ending a thread inside a native call (an ONNX Runtime run) aborts the whole process, the caller's included.
 * Whoever must answer a cancel at once (the extension's worker client) settles its own job without waiting.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AnalysisPartial } from '../core/analysis/partial';
import { SoftMoeError, cancelledError } from '../core/errors';
import type { AnalyzePartJob, EvalCounts, EvaluatePartJob, ExampleRange, PartHooks, PartRunner, StartedPart } from '../core/parallel';
import { STOP_BACKSTOP_MS } from '../core/protocol/workerProtocol';
import type { PoolCommand, PoolMessage, PoolRequest } from './messages';

/**
 * How to start a part's thread: the bundle's dist/poolWorker.js beside this module, or — from source (tests, tsx) —
 * src/pool/poolWorker.ts through tsx's require hook.
 */
function workerEntry(): { code: string; eval: boolean } {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  const bundled = join(here, 'poolWorker.js');
  if (existsSync(bundled)) return { code: bundled, eval: false };
  const source = join(here, 'poolWorker.ts');
  if (existsSync(source)) {
    const tsx = createRequire(join(here, 'pool.ts')).resolve('tsx/cjs');
    return { code: `require(${JSON.stringify(tsx)}); require(${JSON.stringify(source)});`, eval: true };
  }
  throw new SoftMoeError('E_INTERNAL', `Internal error: the worker script poolWorker.js is missing beside ${here}.`);
}

/**
 * One part in a thread of its own: `ready` once the worker has opened its engine and dataset, `run` hands it its
 * examples and settles with what it posts. The thread is ended once the part has settled (ready rejecting included).
 */
function startPart<T>(request: PoolRequest, hooks: PartHooks): StartedPart<T> {
  const entry = workerEntry();
  let onReady: () => void = () => undefined;
  let onNotReady: (err: unknown) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onNotReady = reject;
  });
  const worker = new Worker(entry.code, { eval: entry.eval, workerData: request, stdout: false, stderr: false });
  const result = new Promise<T | null>((resolve, reject) => {
    let settled = false;
    let grace: ReturnType<typeof setTimeout> | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (grace) clearTimeout(grace);
      hooks.signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const fail = (err: SoftMoeError) => finish(() => {
      onNotReady(err);
      reject(err);
    });
    const onAbort = () => {
      worker.postMessage({ type: 'cancel' } satisfies PoolCommand);
      grace = setTimeout(() => fail(cancelledError()), STOP_BACKSTOP_MS);
    };
    if (hooks.signal?.aborted) onAbort();
    else hooks.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: PoolMessage) => {
      if (m.type === 'ready') onReady();
      else if (m.type === 'progress') hooks.onProgress?.(m.done);
      else if (m.type === 'result') finish(() => resolve(m.value as T | null));
      else fail(new SoftMoeError(m.code, m.message));
    });
    worker.on('error', (err) => fail(new SoftMoeError('E_INTERNAL', `A worker thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => fail(new SoftMoeError('E_INTERNAL', `A worker thread stopped (exit code ${code}) before its part was done.`)));
  });
  // Whoever holds the part awaits `ready` and then `run`; a part that fails before it is run is reported by `ready`.
  result.catch(() => undefined);
  return {
    ready,
    run: (range: ExampleRange | null) => {
      worker.postMessage({ type: 'range', range } satisfies PoolCommand);
      return result;
    },
  };
}

/** A part runner with `cores − 1` extra engines (the caller's own engine computes the first part). */
export function createPool(cores = availableParallelism()): PartRunner {
  return {
    extra: Math.max(0, cores - 1),
    analyze: (job: AnalyzePartJob, hooks: PartHooks = {}) => startPart<AnalysisPartial>({ kind: 'analyze', job }, hooks),
    evaluate: (job: EvaluatePartJob, hooks: PartHooks = {}) => startPart<EvalCounts>({ kind: 'evaluate', job }, hooks),
  };
}
