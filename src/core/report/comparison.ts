/**
 * Comparison data: what the comparison panel (and its CSVs) show for several analysis results side by side.
 * Runs with different numbers of experts line up on the FRACTION of experts kept (k / n), compared exactly as
 * rationals, never as rounded floats. Pure: no DOM, no Node.
 */
import * as l10n from '@vscode/l10n';
import { curvePoint, preprocessingKey, type AnalysisResult, type CurvePoint, type DropMode, type SelectorName } from '../analysis/schema';
import { runName } from './runLabels';
import { SELECTOR_NAMES, selectorLabel } from '../analysis/selectorRegistry';

export interface RunInput {
  label: string;
  result: AnalysisResult;
  epoch?: number;
}

/** The fractions the summary table reports heuristic and random accuracy at. */
export const SUMMARY_FRACTIONS: ReadonlyArray<{ label: string; num: number; den: number }> = [
  { label: '1/2', num: 1, den: 2 }, { label: '1/4', num: 1, den: 4 }, { label: '1/8', num: 1, den: 8 },
];

export function numExpertsOf(r: AnalysisResult): number {
  return r.layers[0]?.numExperts ?? 0;
}

/** k for `num/den` of n experts, or null when that is not a whole number of experts (1/8 of 4). */
export function kAt(n: number, num: number, den: number): number | null {
  return n > 0 && (n * num) % den === 0 && n * num >= den ? (n * num) / den : null;
}

/** k for a fraction given as a float (as the UI stores it), or null when it is not a whole number of experts. */
export function kAtFraction(n: number, fraction: number): number | null {
  const k = Math.round(fraction * n);
  return k >= 1 && k <= n && Math.abs(k - fraction * n) < 1e-9 ? k : null;
}

/** Drop modes every run analysed, in the order zero, renorm. */
export function sharedDrops(runs: RunInput[]): DropMode[] {
  return (['zero', 'renorm'] as DropMode[]).filter((d) => runs.length > 0 && runs.every((r) => r.result.curves.some((c) => c.drop === d)));
}

export function pointAtK(r: AnalysisResult, selector: SelectorName, drop: DropMode, k: number | null): CurvePoint | null {
  return curvePoint(r, selector, drop, k);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Fractions of experts at which EVERY run has a heuristic point (for `drop`), ascending, as k/n of the first run
 * reduced: n = 4 and n = 16 share 1/4, 1/2, 3/4 and 1 (when both analysed those k).
 */
export function sharedFractions(runs: RunInput[], drop: DropMode): Array<{ num: number; den: number; value: number }> {
  if (runs.length === 0) return [];
  const sets = runs.map((run) => {
    const n = numExpertsOf(run.result);
    const ks = run.result.curves.find((c) => c.selector === 'heuristic' && c.drop === drop)?.points.map((p) => p.k) ?? [];
    return new Set(ks.filter(() => n > 0).map((k) => `${k / gcd(k, n)}/${n / gcd(k, n)}`));
  });
  const [first, ...rest] = sets;
  return [...first].filter((f) => rest.every((s) => s.has(f)))
    .map((f) => {
      const [num, den] = f.split('/').map(Number);
      return { num, den, value: num / den };
    })
    .sort((a, b) => a.value - b.value);
}

export type SummaryFormat = 'text' | 'int' | 'pct' | 'fraction' | 'nats';

export interface SummaryRow {
  id: string;
  label: string;
  format: SummaryFormat;
  /** One value per run, in run order; null where the run has no such value. */
  values: Array<string | number | null>;
  /** True when the runs do not all show the same value. */
  differs: boolean;
}

function same(a: string | number | null, b: string | number | null): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  return a === b;
}

function row(id: string, label: string, format: SummaryFormat, values: Array<string | number | null>): SummaryRow {
  return { id, label, format, values, differs: values.some((v) => !same(v, values[0])) };
}

/** The summary table: one row per figure, one value per run. */
export function summaryRows(runs: RunInput[], drop: DropMode): SummaryRow[] {
  const rs = runs.map((x) => x.result);
  const at = (sel: SelectorName, num: number, den: number) => rs.map((r) => pointAtK(r, sel, drop, kAt(numExpertsOf(r), num, den))?.accuracy ?? null);
  const rows: SummaryRow[] = [
    row('checkpoint', l10n.t('Checkpoint'), 'text', rs.map((r) => runName(r.checkpoint.path || r.checkpoint.name))),
    row('dataset', l10n.t('Dataset'), 'text', rs.map((r) => r.dataset.name)),
    row('examples', l10n.t('Examples analysed'), 'int', rs.map((r) => r.numExamples)),
    row('experts', l10n.t('Experts (n)'), 'int', rs.map((r) => numExpertsOf(r))),
    row('parameters', l10n.t('Parameters'), 'int', rs.map((r) => r.checkpoint.parameterCount)),
    // Runs preprocessed differently are not measuring the same thing: this row is marked when they differ.
    row('preprocessing', l10n.t('Preprocessing'), 'text', rs.map((r) => preprocessingKey(r.preprocessing))),
    row('fullAccuracy', l10n.t('Full accuracy'), 'pct', rs.map((r) => r.fullAccuracy)),
    row('recommendedK', l10n.t('Recommended k'), 'text', rs.map((r) => (r.recommended.k === null ? l10n.t`all ${numExpertsOf(r)} needed` : l10n.t`${r.recommended.k} of ${numExpertsOf(r)}`))),
    row('recommendedFraction', l10n.t('Recommended fraction'), 'pct', rs.map((r) => r.recommended.fraction)),
  ];
  // Every other selector some run analysed, in registry order; the oracle with its chance level and excess.
  const others = SELECTOR_NAMES.filter((sel) => sel !== 'heuristic' && sel !== 'random' && rs.some((r) => r.curves.some((c) => c.selector === sel && c.drop === drop)));
  const oracleAt = (num: number, den: number, field: 'chance' | 'excess') => rs.map((r) => pointAtK(r, 'oracle', drop, kAt(numExpertsOf(r), num, den))?.[field] ?? null);
  for (const f of SUMMARY_FRACTIONS) {
    rows.push(row(`heuristic@${f.label}`, l10n.t`Heuristic at ${f.label}`, 'pct', at('heuristic', f.num, f.den)));
    rows.push(row(`random@${f.label}`, l10n.t`Random at ${f.label}`, 'pct', at('random', f.num, f.den)));
    for (const sel of others) {
      rows.push(row(`${sel}@${f.label}`, l10n.t`${selectorLabel(sel)} at ${f.label}`, 'pct', at(sel, f.num, f.den)));
      if (sel === 'oracle' && rs.some((r) => r.curves.some((c) => c.selector === 'oracle' && c.points.some((p) => p.chance !== undefined)))) {
        rows.push(row(`oracleChance@${f.label}`, l10n.t`Oracle chance (a wrong label) at ${f.label}`, 'pct', oracleAt(f.num, f.den, 'chance')));
        rows.push(row(`oracleExcess@${f.label}`, l10n.t`Oracle excess over chance at ${f.label}`, 'pct', oracleAt(f.num, f.den, 'excess')));
      }
    }
  }
  if (rs.some((r) => r.globalSelection)) {
    rows.push(row('globalK', l10n.t('Global subset k (one for all inputs)'), 'text', rs.map((r) => {
      const g = r.globalSelection;
      if (!g) return null;
      return g.recommended.k === null ? l10n.t('none below n') : l10n.t`${g.recommended.k} of ${numExpertsOf(r)} (${g.recommended.drop})`;
    })));
    rows.push(row('globalParametersSaved', l10n.t('Parameters a pruned checkpoint saves'), 'int', rs.map((r) => r.globalSelection?.recommended.parametersSaved ?? null)));
  }
  rows.push(
    row('combineEntropy', l10n.t('Combine entropy (nats)'), 'nats', rs.map((r) => r.routing[0]?.combineEntropy ?? null)),
    row('deadExperts', l10n.t('Dead experts'), 'int', rs.map((r) => (r.routing.length ? r.routing.reduce((s, l) => s + l.deadExperts.length, 0) : null))),
  );
  return rows;
}

/**
 * One sentence when the runs were not preprocessed alike (different mean/std, input size or resizing), else null:
 * their accuracies then differ for a reason that is not the model.
 */
export function preprocessingDiffers(runs: RunInput[]): string | null {
  const keys = runs.map((r) => preprocessingKey(r.result.preprocessing));
  if (new Set(keys).size <= 1) return null;
  return l10n.t`These runs were preprocessed differently (${runs.map((r, i) => `${r.label}: ${keys[i]}`).join('; ')}); differences in accuracy may come from that, not from the models.`;
}

export function differencesOnly(rows: SummaryRow[]): SummaryRow[] {
  return rows.filter((r) => r.differs);
}

export interface ClassDeltas {
  classNames: string[];
  /** The first run: deltas are each run's per-class heuristic accuracy minus this run's. */
  baseline: string;
  runs: Array<{ label: string; k: number | null; accuracy: number[] | null; delta: number[] | null }>;
}

/**
 * Per-class heuristic accuracy of every run at `fraction` of its experts, and the difference to the first run.
 * A run without that k, or with other classes than the first, has null accuracy / deltas.
 */
export function classDeltas(runs: RunInput[], fraction: number): ClassDeltas {
  const base = runs[0]?.result;
  const classNames = base ? base.dataset.classNames.length ? base.dataset.classNames : base.perClass.classNames : [];
  const per = runs.map((run) => {
    const r = run.result;
    const k = kAtFraction(numExpertsOf(r), fraction);
    const acc = k === null ? null : (r.perClass.heuristicAccuracy[String(k)] ?? null);
    const sameClasses = acc !== null && acc.length === classNames.length;
    return { label: run.label, k, accuracy: sameClasses ? acc : null };
  });
  const baseAcc = per[0]?.accuracy ?? null;
  return {
    classNames,
    baseline: runs[0]?.label ?? '',
    runs: per.map((p) => ({ ...p, delta: p.accuracy && baseAcc ? p.accuracy.map((v, i) => v - baseAcc[i]) : null })),
  };
}

export interface OverlaySeries {
  label: string;
  selector: 'heuristic' | 'random';
  /** [fraction, accuracy], ascending in fraction. */
  points: Array<[number, number]>;
  std?: number[];
}

/** Heuristic and random curves of every run against the fraction of experts kept. */
export function overlaySeries(runs: RunInput[], drop: DropMode): OverlaySeries[] {
  const out: OverlaySeries[] = [];
  for (const run of runs) {
    const n = numExpertsOf(run.result);
    for (const selector of ['heuristic', 'random'] as const) {
      const c = run.result.curves.find((x) => x.selector === selector && x.drop === drop);
      if (!c || n === 0) continue;
      const pts = [...c.points].sort((a, b) => a.k - b.k);
      out.push({
        label: run.label, selector,
        points: pts.map((p) => [p.k / n, p.accuracy]),
        ...(pts.some((p) => p.std !== undefined) ? { std: pts.map((p) => p.std ?? 0) } : {}),
      });
    }
  }
  return out;
}

export interface TrainingPoint {
  label: string;
  epoch: number;
  fullAccuracy: number;
  heuristicQuarter: number | null;
  randomQuarter: number | null;
  recommendedFraction: number | null;
  /** Heuristic accuracy at the run's own recommended k. */
  heuristicAtRecommended: number | null;
  combineEntropy: number | null;
  deadExperts: number | null;
}

/** The training view's figures, one per epoch, ascending (runs without an epoch are numbered by position). */
export function trainingSeries(runs: RunInput[], drop: DropMode): TrainingPoint[] {
  return runs.map((run, i) => {
    const r = run.result;
    const n = numExpertsOf(r);
    const q = kAt(n, 1, 4);
    return {
      label: run.label,
      epoch: run.epoch ?? i + 1,
      fullAccuracy: r.fullAccuracy,
      heuristicQuarter: pointAtK(r, 'heuristic', drop, q)?.accuracy ?? null,
      randomQuarter: pointAtK(r, 'random', drop, q)?.accuracy ?? null,
      recommendedFraction: r.recommended.fraction,
      heuristicAtRecommended: pointAtK(r, 'heuristic', drop, r.recommended.k)?.accuracy ?? null,
      combineEntropy: r.routing[0]?.combineEntropy ?? null,
      deadExperts: r.routing.length ? r.routing.reduce((s, l) => s + l.deadExperts.length, 0) : null,
    };
  }).sort((a, b) => a.epoch - b.epoch);
}
