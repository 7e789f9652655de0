/**
 * The runs of a comparison (Compare Runs, Analyze Training Run): saved analyses read as they are, checkpoints
 * analysed in the worker or served from the cache under one progress notification; what cannot be read is listed
 * with its reason and the rest is compared.
 */
import type * as vscode from 'vscode';
import type { AnalysisResult } from '../core/analysis/schema';
import { SoftMoeError, toSoftMoeError } from '../core/errors';
import { runLabels } from '../core/report/runLabels';
import type { ComparisonRun, SkippedRun } from '../core/protocol/webviewProtocol';
import { analyzeAll, prepareAnalysis } from './analysisJobs';
import type { PreparedAnalysis } from './analysisJobs';
import { comparisonRun } from './comparisonPanels';
import { isCheckpointPath } from './contributions';
import { resolveDataset } from './datasetPicker';
import { readResultFile } from './resultFile';
import type { Services } from './services';

const isCheckpoint = (u: vscode.Uri): boolean => isCheckpointPath(u.path);

/**
 * Each target's analysis (result files read, checkpoints analysed or served from the cache), in order. A target
 * that cannot be read or analysed is left out and listed in `skipped` with its reason; cancelling stops all.
 * `labels`: fixed labels (training epochs), or null to name runs by their checkpoints. Null: no dataset chosen.
 */
export async function loadRuns(services: Services, targets: vscode.Uri[], labels: string[] | null, title: string, epochs?: number[]): Promise<{ runs: ComparisonRun[]; skipped: SkippedRun[] } | null> {
  // Saved analyses first: a run is named after the checkpoint it analysed, so they need reading before labels exist.
  const files = new Map<number, AnalysisResult | SoftMoeError>();
  for (const [i, uri] of targets.entries()) {
    if (isCheckpoint(uri)) continue;
    files.set(i, await readResultFile(uri).catch((err: unknown) => toSoftMoeError(err)));
  }
  const identities = targets.map((uri, i) => {
    const f = files.get(i);
    return f && !(f instanceof SoftMoeError) && f.checkpoint.path ? f.checkpoint.path : uri.fsPath;
  });
  // A saved analysis goes by the checkpoint it analysed, so it lines up with that checkpoint's other runs.
  const names = labels ?? runLabels(identities);
  const checkpoints = targets.filter(isCheckpoint);
  let datasetPath: string | undefined;
  if (checkpoints.length) {
    datasetPath = await resolveDataset(services.context, checkpoints[0]);
    if (!datasetPath) return null;
  }
  const skipped: SkippedRun[] = [];
  const jobs: Array<{ i: number; job: PreparedAnalysis }> = [];
  for (const [i, uri] of targets.entries()) {
    if (!isCheckpoint(uri)) continue;
    try {
      jobs.push({ i, job: await prepareAnalysis(services, uri, datasetPath as string, names[i] as string) });
    } catch (err) {
      skipped.push({ label: names[i] as string, reason: toSoftMoeError(err).userMessage });
    }
  }
  const outcomes = await analyzeAll(services, jobs.map((j) => j.job), title, { keepGoing: true });
  const byTarget = new Map(jobs.map((j, n) => [j.i, { job: j.job, outcome: outcomes[n] }]));
  const runs: ComparisonRun[] = [];
  for (const [i, uri] of targets.entries()) {
    const label = names[i] as string;
    const analysed = byTarget.get(i);
    const file = files.get(i);
    if (analysed?.outcome && !('error' in analysed.outcome)) {
      runs.push(comparisonRun(label, analysed.outcome.result, { kind: 'cache', cacheKey: analysed.job.key }, epochs?.[i]));
    } else if (analysed?.outcome && 'error' in analysed.outcome) {
      skipped.push({ label, reason: analysed.outcome.error.userMessage });
    } else if (file instanceof SoftMoeError) {
      skipped.push({ label, reason: file.userMessage });
    } else if (file) {
      runs.push(comparisonRun(label, file, { kind: 'file', path: uri.fsPath }, epochs?.[i]));
    }
  }
  return { runs, skipped };
}
