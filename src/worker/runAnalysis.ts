/**
 * The analyze job: load the model and the dataset, run the core's analysis with progress and cancellation.
 * Until the core's `analyze` lands this reports E_UNSUPPORTED; the rest of the pipeline (worker, progress,
 * cancel, cache, panel) is exercised by the fixture results.
 */
import { SoftMoeError } from '../core/errors';
import type { AnalysisResult } from '../core/analysis/schema';
import type { AnalyzeJob, WorkerProgress } from '../core/protocol/workerProtocol';

export type ProgressSink = (p: Omit<WorkerProgress, 'type' | 'id'>) => void;

export async function runAnalysis(job: AnalyzeJob, _onProgress: ProgressSink, signal: AbortSignal): Promise<AnalysisResult> {
  if (signal.aborted) throw new SoftMoeError('E_CANCELLED', 'Cancelled.');
  throw new SoftMoeError('E_UNSUPPORTED', `Analysis of ${job.checkpoint} is not available in this build yet (the analysis engine has not landed).`);
}
