/**
 * Entry of a pool worker thread (dist/poolWorker.js): opens the engine and dataset of one part of a parallel
 * analysis or evaluation (src/core/parallelJobs.ts), says when it is ready, computes the examples it is then handed,
 * and posts its progress, then its result or its error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SoftMoeError, cancelledError } from '../core/errors';
import type { ExampleRange } from '../core/parallel';
import { runAnalyzePart, runEvaluatePart } from '../core/parallelJobs';
import type { PoolCommand, PoolMessage, PoolRequest } from './messages';

const port = parentPort;
if (!port) throw new Error('poolWorker.js runs only as a worker thread');
const ac = new AbortController();
let handRange: (r: ExampleRange | null) => void = () => undefined;
const handed = new Promise<ExampleRange | null>((resolve) => (handRange = resolve));
port.on('message', (m: PoolCommand) => {
  if (m.type === 'cancel') ac.abort();
  else if (m.type === 'range') handRange(m.range);
});
const post = (m: PoolMessage) => port.postMessage(m);
const req = workerData as PoolRequest;
const hooks = { signal: ac.signal, onProgress: (done: number) => post({ type: 'progress', done }) };
const aborted = new Promise<'cancelled'>((resolve) => ac.signal.addEventListener('abort', () => resolve('cancelled'), { once: true }));
void (async () => {
  try {
    const part = req.kind === 'evaluate' ? runEvaluatePart(req.job, hooks) : runAnalyzePart(req.job, hooks);
    await part.ready;
    post({ type: 'ready' });
    const range = await Promise.race([handed, aborted]);
    if (range === 'cancelled') {
      await part.run(null);
      throw cancelledError();
    }
    post({ type: 'result', value: await part.run(range) });
  } catch (err) {
    const e = err instanceof SoftMoeError ? err : undefined;
    post({ type: 'error', code: e?.code ?? 'E_INTERNAL', message: e?.userMessage ?? (err as Error)?.message ?? String(err) });
  }
})();
