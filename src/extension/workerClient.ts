/**
 * Runs one job in a fresh worker thread (dist/worker.js) and resolves with its terminal message. Cancelling
 * sends {type:'cancel'} and, if the worker has not answered within CANCEL_GRACE_MS, terminates the thread, so
 * a cancel always takes effect within a second even in the middle of a long kernel. No vscode import.
 */
import { Worker } from 'node:worker_threads';
import { SoftMoeError, cancelledError, fromErrorPayload } from '../core/errors';
import { CANCEL_GRACE_MS, parseWorkerToHost } from '../core/protocol/workerProtocol';
import type { AnalyzeJob, InspectJob, LogMessage, PruneJob, WorkerProgress, WorkerToHost } from '../core/protocol/workerProtocol';
import type { PruneReport } from '../core/prune/pruneCheckpoint';
import type { AnalysisResult } from '../core/analysis/schema';
import type { CheckpointSummary } from '../core/protocol/checkpointSummary';

export interface JobHooks {
  onProgress?: (p: WorkerProgress) => void;
  onLog?: (m: LogMessage) => void;
  signal?: AbortSignal;
}

type Job = Omit<InspectJob, 'id'> | Omit<AnalyzeJob, 'id'> | Omit<PruneJob, 'id'>;
type JobValue = CheckpointSummary | AnalysisResult | PruneReport;

let nextId = 1;

export function runWorkerJob(workerFile: string, job: Omit<InspectJob, 'id'>, hooks?: JobHooks): Promise<CheckpointSummary>;
export function runWorkerJob(workerFile: string, job: Omit<AnalyzeJob, 'id'>, hooks?: JobHooks): Promise<AnalysisResult>;
export function runWorkerJob(workerFile: string, job: Omit<PruneJob, 'id'>, hooks?: JobHooks): Promise<PruneReport>;
export function runWorkerJob(workerFile: string, job: Job, hooks: JobHooks = {}): Promise<JobValue> {
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
    let killTimer: NodeJS.Timeout | undefined;
    const finish = (err: Error | null, value?: JobValue): void => {
      if (settled) return;
      settled = true;
      if (killTimer) clearTimeout(killTimer);
      hooks.signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (err) reject(err);
      else resolve(value as JobValue);
    };
    const onAbort = (): void => {
      worker.postMessage({ type: 'cancel', id });
      killTimer = setTimeout(() => finish(cancelledError()), CANCEL_GRACE_MS);
    };
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (raw: unknown) => {
      const m: WorkerToHost | null = parseWorkerToHost(raw);
      if (!m) return;
      if (m.type === 'log') hooks.onLog?.(m);
      else if (m.type === 'hello') worker.postMessage({ ...job, id });
      else if (m.type === 'progress' && m.id === id) hooks.onProgress?.(m);
      else if (m.type === 'inspected' && m.id === id) finish(null, m.summary);
      else if (m.type === 'result' && m.id === id) finish(null, m.result);
      else if (m.type === 'pruned' && m.id === id) finish(null, m.report);
      else if (m.type === 'error' && m.id === id) finish(fromErrorPayload(m.error));
    });
    worker.on('error', (err) => finish(new SoftMoeError('E_INTERNAL', `The analysis worker crashed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => finish(new SoftMoeError('E_INTERNAL', `The analysis worker stopped unexpectedly (exit code ${code}).`)));
  });
}
