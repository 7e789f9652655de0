/** The comparison panel's tables and curves as CSV (raw numbers: accuracies in [0, 1], not percentages). */
import type { DropMode } from '../analysis/schema';
import type { ClassDeltas, RunInput, SummaryRow, TrainingPoint } from './comparison';
import { numExpertsOf } from './comparison';
import { toCsv } from './csv';
import type { CsvValue } from './csv';

export function summaryCsv(labels: string[], rows: SummaryRow[]): string {
  return toCsv(['figure', ...labels], rows.map((r) => [r.label, ...r.values]));
}

/** Every run's curves, one row per run, selector and k (all selectors the runs analysed, not only those drawn). */
export function overlayCsv(runs: RunInput[], drop: DropMode): string {
  const rows: CsvValue[][] = [];
  for (const run of runs) {
    const n = numExpertsOf(run.result);
    for (const c of run.result.curves.filter((x) => x.drop === drop)) {
      for (const p of c.points) rows.push([run.label, c.selector, c.drop, n, p.k, n ? p.k / n : null, p.accuracy, p.std ?? null]);
    }
  }
  return toCsv(['run', 'selector', 'drop', 'experts', 'k', 'fraction', 'accuracy', 'std'], rows);
}

export function classDeltasCsv(d: ClassDeltas, fraction: number): string {
  const rows: CsvValue[][] = [];
  for (const r of d.runs) {
    d.classNames.forEach((name, i) => rows.push([r.label, r.k, fraction, name, r.accuracy?.[i] ?? null, r.delta?.[i] ?? null]));
  }
  return toCsv(['run', 'k', 'fraction', 'class', 'heuristic_accuracy', `delta_vs_${d.baseline}`], rows);
}

export function trainingCsv(points: TrainingPoint[]): string {
  return toCsv(
    ['epoch', 'run', 'full_accuracy', 'heuristic_at_1/4', 'random_at_1/4', 'recommended_fraction', 'heuristic_at_recommended', 'combine_entropy', 'dead_experts'],
    points.map((p) => [p.epoch, p.label, p.fullAccuracy, p.heuristicQuarter, p.randomQuarter, p.recommendedFraction, p.heuristicAtRecommended, p.combineEntropy, p.deadExperts]),
  );
}
