/**
 * Runs worker jobs and turns every outcome into exactly one terminal message. No worker_threads here: worker.ts
 * wires this to the parent port, and tests drive it directly.
 */
import { cancelledError, throwIfAborted, toErrorPayload } from '../core/errors';
import type { HostToWorker, WorkerJob, WorkerJobHandlers, WorkerToHost } from '../core/protocol/workerProtocol';
import { buildCheckpointSummary } from './buildCheckpointSummary';
import { runAnalysis } from './runAnalysis';
import { pruneCheckpoint } from '../core/prune/pruneCheckpoint';

interface JobContext {
  signal: AbortSignal;
  post: (m: WorkerToHost) => void;
}

/** One handler per job type of the protocol's `WorkerApi`, each answering with that job's terminal message. */
const HANDLERS: WorkerJobHandlers<JobContext> = {
  inspect: async (job, { signal }) => ({ type: 'inspected', summary: await buildCheckpointSummary(job.path, signal) }),
  analyze: async (job, { signal, post }) => {
    const result = await runAnalysis(job, (p) => post({ type: 'progress', id: job.id, ...p }), signal,
      (message) => post({ type: 'log', level: 'warn', message }));
    throwIfAborted(signal);
    return { type: 'result', result };
  },
  prune: async (job) => ({
    type: 'pruned',
    report: await pruneCheckpoint(job.checkpoint, job.output, job.keep, { overwrite: job.overwrite, note: 'Soft MoE Inspector: Prune Experts… (global subset of the analysis)' }),
  }),
};

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
      // The correlation between a job's type and its handler's is asserted here once (TypeScript cannot follow it).
      const run = HANDLERS[msg.type] as (job: WorkerJob, ctx: JobContext) => Promise<Omit<Extract<WorkerToHost, { id: number }>, 'id'>>;
      const done = await run(msg, { signal: ac.signal, post: this.post });
      this.post({ ...done, id: msg.id } as WorkerToHost);
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
