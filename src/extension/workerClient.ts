/**
 * Runs one job in a fresh worker thread (dist/worker.js) and resolves with its terminal message. Cancelling
 * sends {type:'cancel'} and, if the worker has not answered within CANCEL_GRACE_MS, rejects as cancelled, so a
 * cancel always takes effect within a second even in the middle of a long kernel; the thread itself is ended once
 * it answers (it stops at its next check), or after STOP_BACKSTOP_MS: ending a thread inside a native call (an ONNX
 * Runtime run) aborts the whole process. No vscode import.
 */
import { Worker } from 'node:worker_threads';
import { SoftMoeError, cancelledError, fromErrorPayload } from '../core/errors';
import { CANCEL_GRACE_MS, STOP_BACKSTOP_MS, helloMismatch, jobValue, parseWorkerToHost } from '../core/protocol/workerProtocol';
import type { JobRequest, JobType, JobValue, LogMessage, WorkerProgress, WorkerToHost } from '../core/protocol/workerProtocol';

export interface JobHooks {
  onProgress?: (p: WorkerProgress) => void;
  onLog?: (m: LogMessage) => void;
  signal?: AbortSignal;
}

let nextId = 1;

/** Run `job` in a fresh worker; resolves with the value its type answers with (the protocol's `WorkerApi`). */
export function runWorkerJob<T extends JobType>(workerFile: string, job: JobRequest<T>, hooks: JobHooks = {}): Promise<JobValue<T>> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    if (hooks.signal?.aborted) {
      reject(cancelledError());
      return;
    }
    let worker: Worker;
    try {
      worker = new Worker(workerFile, { stdout: false, stderr: false });
    } catch (err) {
      reject(new SoftMoeError('E_INTERNAL', `The analysis worker ${workerFile} could not start: ${err instanceof Error ? err.message : String(err)}`, { cause: err }));
      return;
    }
    let settled = false;
    let ended = false;
    let killTimer: NodeJS.Timeout | undefined;
    let backstop: NodeJS.Timeout | undefined;
    const end = (): void => {
      if (ended) return;
      ended = true;
      if (backstop) clearTimeout(backstop);
      void worker.terminate();
    };
    const settle = (err: Error | null, value?: JobValue<T>): void => {
      if (settled) return;
      settled = true;
      if (killTimer) clearTimeout(killTimer);
      hooks.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value as JobValue<T>);
    };
    /** The worker answered, failed or exited: it runs nothing any more, so it can be ended. */
    const finish = (err: Error | null, value?: JobValue<T>): void => {
      settle(err, value);
      end();
    };
    const onAbort = (): void => {
      worker.postMessage({ type: 'cancel', id });
      killTimer = setTimeout(() => {
        settle(cancelledError());
        backstop = setTimeout(end, STOP_BACKSTOP_MS);
        backstop.unref();
      }, CANCEL_GRACE_MS);
    };
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (raw: unknown) => {
      const m: WorkerToHost | null = parseWorkerToHost(raw);
      if (!m) return;
      if (m.type === 'log') hooks.onLog?.(m);
      else if (m.type === 'hello') {
        const mismatch = helloMismatch(m);
        if (mismatch) finish(new SoftMoeError('E_UNSUPPORTED', mismatch));
        else worker.postMessage({ ...job, id });
      } else if (m.type === 'progress' && m.id === id) hooks.onProgress?.(m);
      else if (m.type === 'error' && m.id === id) finish(fromErrorPayload(m.error));
      else if (m.id === id) {
        const value = jobValue(job.type, m);
        if (value !== undefined) finish(null, value);
      }
    });
    worker.on('error', (err) => finish(new SoftMoeError('E_INTERNAL', `The analysis worker crashed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => finish(new SoftMoeError('E_INTERNAL', `The analysis worker stopped unexpectedly (exit code ${code}).`)));
  });
}
