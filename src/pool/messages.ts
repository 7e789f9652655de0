/** Messages between the pool (pool.ts) and its worker threads (poolWorker.ts). */
import type { AnalysisPartial } from '../core/analysis/partial';
import type { ErrorCode } from '../core/errors';
import type { AnalyzePartJob, EvalCounts, EvaluatePartJob } from '../core/parallel';

export type PoolRequest = { kind: 'analyze'; job: AnalyzePartJob } | { kind: 'evaluate'; job: EvaluatePartJob };

export type PoolMessage =
  | { type: 'progress'; done: number }
  | { type: 'result'; value: AnalysisPartial | EvalCounts }
  | { type: 'error'; code: ErrorCode; message: string };
