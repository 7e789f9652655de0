/**
 * Entry of a pool worker thread (dist/poolWorker.js): computes one part of a parallel analysis or evaluation
 * (src/core/parallelJobs.ts) and posts its progress, then its result or its error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SoftMoeError } from '../core/errors';
import { runAnalyzePart, runEvaluatePart } from '../core/parallelJobs';
import type { PoolMessage, PoolRequest } from './messages';

const port = parentPort;
if (!port) throw new Error('poolWorker.js runs only as a worker thread');
const ac = new AbortController();
port.on('message', (m: { type: 'cancel' }) => {
  if (m.type === 'cancel') ac.abort();
});
const post = (m: PoolMessage) => port.postMessage(m);
const req = workerData as PoolRequest;
const hooks = { signal: ac.signal, onProgress: (done: number) => post({ type: 'progress', done }) };
void (async () => {
  try {
    const value = req.kind === 'evaluate' ? await runEvaluatePart(req.job, hooks) : await runAnalyzePart(req.job, hooks);
    post({ type: 'result', value });
  } catch (err) {
    const e = err instanceof SoftMoeError ? err : undefined;
    post({ type: 'error', code: e?.code ?? 'E_INTERNAL', message: e?.userMessage ?? (err as Error)?.message ?? String(err) });
  }
})();
