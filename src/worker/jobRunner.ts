/**
 * Runs worker jobs and turns every outcome into exactly one terminal message. No worker_threads here: worker.ts
 * wires this to the parent port, and tests drive it directly.
 */
import { cancelledError, throwIfAborted, toErrorPayload } from '../core/errors';
import type { HostToWorker, WorkerToHost } from '../core/protocol/workerProtocol';
import { buildCheckpointSummary } from './buildCheckpointSummary';
import { runAnalysis } from './runAnalysis';
import { pruneCheckpoint } from '../core/prune/pruneCheckpoint';

export class JobRunner {
  private readonly jobs = new Map<number, AbortController>();

  constructor(private readonly post: (m: WorkerToHost) => void) {}

  /** Handle one message from the host. Resolves when the job (if any) has answered. */
  async handle(msg: HostToWorker): Promise<void> {
    if (msg.type === 'cancel') {
      this.jobs.get(msg.id)?.abort();
      return;
    }
    if (this.jobs.has(msg.id)) return;
    const ac = new AbortController();
    this.jobs.set(msg.id, ac);
    try {
      if (msg.type === 'inspect') {
        const summary = await buildCheckpointSummary(msg.path, ac.signal);
        this.post({ type: 'inspected', id: msg.id, summary });
      } else if (msg.type === 'prune') {
        const report = await pruneCheckpoint(msg.checkpoint, msg.output, msg.keep, { overwrite: msg.overwrite, note: 'Soft MoE Inspector: Prune Experts… (global subset of the analysis)' });
        this.post({ type: 'pruned', id: msg.id, report });
      } else {
        const result = await runAnalysis(msg, (p) => this.post({ type: 'progress', id: msg.id, ...p }), ac.signal,
          (message) => this.post({ type: 'log', level: 'warn', message }));
        throwIfAborted(ac.signal);
        this.post({ type: 'result', id: msg.id, result });
      }
    } catch (err) {
      const error = toErrorPayload(ac.signal.aborted ? cancelledError(err) : err);
      if (error.detail && error.code !== 'E_CANCELLED') this.post({ type: 'log', level: 'error', message: `job ${msg.id}: ${error.userMessage}\n${error.detail}` });
      this.post({ type: 'error', id: msg.id, error: { code: error.code, userMessage: error.userMessage } });
    } finally {
      this.jobs.delete(msg.id);
    }
  }

  get running(): number {
    return this.jobs.size;
  }
}
