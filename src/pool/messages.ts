/** Messages between the pool (pool.ts) and its worker threads (poolWorker.ts). */
import type { AnalysisPartial } from '../core/analysis/partial';
import type { ErrorCode } from '../core/errors';
import type { AnalyzePartJob, EvalCounts, EvaluatePartJob, ExampleRange } from '../core/parallel';

/** The job a worker opens its engine and dataset for (its workerData). */
export type PoolRequest = { kind: 'analyze'; job: AnalyzePartJob } | { kind: 'evaluate'; job: EvaluatePartJob };

/** To the worker: its examples once the split is made (null: none, close), or stop. */
export type PoolCommand = { type: 'range'; range: ExampleRange | null } | { type: 'cancel' };

/** From the worker: open and waiting for its examples; examples done; its result (null for no examples) or error. */
export type PoolMessage =
  | { type: 'ready' }
  | { type: 'progress'; done: number }
  | { type: 'result'; value: AnalysisPartial | EvalCounts | null }
  | { type: 'error'; code: ErrorCode; message: string };
