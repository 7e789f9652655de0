/**
 * A partial analysis: the sufficient statistics of a slice of the dataset (one shard), written by
 * `softmoe analyze --shard i/N --json part-i.json` and combined by `softmoe merge`.
 */
import type { AnalysisResult, SampleRecord } from './schema';
import type { AnalysisStats } from './stats';

export const PARTIAL_KIND = 'softmoe-analysis-partial';

/** Everything of the result that does not depend on the evaluation data (the global selection depends only on its
 *  calibration split, so every shard computes the same one; its recommendation is made when finalizing). */
export type ResultHead = Pick<AnalysisResult, 'schemaVersion' | 'tool' | 'createdAt' | 'checkpoint' | 'dataset' | 'options' | 'layers' | 'preprocessing' | 'run'> & {
  globalSelection?: Omit<NonNullable<AnalysisResult['globalSelection']>, 'recommended'>;
};

export interface AnalysisPartial {
  kind: typeof PARTIAL_KIND;
  head: ResultHead;
  numExperts: number;
  /** Examples in the whole dataset (after --limit). */
  totalExamples: number;
  /** The slice this part covers. */
  range: { start: number; end: number };
  stats: AnalysisStats;
  samples: SampleRecord[];
  seconds: number;
}

export function isAnalysisPartial(v: unknown): v is AnalysisPartial {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === PARTIAL_KIND;
}
