/**
 * Sufficient statistics → the analysis result (schema.ts). Pure and deterministic: one run and a merge of its
 * shards give the same document, apart from `createdAt` and `timing`.
 */
import { SELECTED_BY_K_MAX_CELLS } from './schema';
import type { AnalysisResult, Curve, CurvePoint, DropMode, LayerRouting, LayerSpecialisation, Recommended } from './schema';
import type { AnalysisPartial } from './partial';
import { exactValue, exactValues } from './exactSum';
import type { DropStats, LayerStats } from './stats';
import { recommendGlobal } from './globalSelection';

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

export function finalizeResult(part: AnalysisPartial): AnalysisResult {
  const { head, stats, numExperts: n } = part;
  const o = head.options;
  const N = stats.numExamples;
  const C = head.dataset.numClasses;
  const fullAccuracy = ratio(stats.fullCorrect, N);
  const point = (k: number, correct: number, extra: Partial<CurvePoint> = {}): CurvePoint => {
    const accuracy = ratio(correct, N);
    return { k, fraction: k / n, accuracy, relative: ratio(accuracy, fullAccuracy), correct, ...extra };
  };
  const curves: Curve[] = [];
  for (const drop of o.drops) {
    const d = stats.drops[drop] as DropStats;
    for (const selector of o.selectors) {
      if (selector === 'random' && d.random) {
        const trials = d.random;
        const points = o.ks.map((k, ki) => {
          const accs = trials.map((row) => ratio(row[ki] as number, N));
          const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
          const std = Math.sqrt(accs.reduce((a, b) => a + (b - mean) * (b - mean), 0) / accs.length);
          const correct = trials.reduce((a, row) => a + (row[ki] as number), 0) / trials.length;
          return { k, fraction: k / n, accuracy: mean, relative: ratio(mean, fullAccuracy), std, correct };
        });
        curves.push({ selector, drop, points, trials: trials.length });
      } else if (selector === 'oracle' && d.oracle) {
        const or = d.oracle;
        const heur = d.counted.heuristic as number[];
        curves.push({
          selector, drop,
          points: o.ks.map((k, ki) => {
            const acc = ratio(or.found[ki] as number, N);
            const chance = or.chance ? { chance: ratio(or.chance[ki] as number, N), chanceFound: or.chance[ki] as number, excess: acc - ratio(or.chance[ki] as number, N) } : {};
            return point(k, or.found[ki] as number, { heuristicIsSpecialised: ratio(heur[ki] as number, N), greedy: or.greedy[ki] === true, ...chance });
          }),
        });
      } else {
        const counts = d.counted[selector as keyof DropStats['counted']];
        if (counts) curves.push({ selector, drop, points: o.ks.map((k, ki) => point(k, counts[ki] as number)) });
      }
    }
  }
  const drop0 = o.drops[0] as DropMode;
  const heur0 = (stats.drops[drop0] as DropStats).counted.heuristic as number[];
  let recK: number | null = null;
  for (const [ki, k] of o.ks.entries()) {
    if (k < n && ratio(heur0[ki] as number, N) >= o.target * fullAccuracy) {
      recK = k;
      break;
    }
  }
  const recommended: Recommended = {
    selector: 'heuristic', drop: drop0, target: o.target, k: recK,
    fraction: recK === null ? null : recK / n,
    accuracy: recK === null ? null : ratio(heur0[o.ks.indexOf(recK)] as number, N),
    expertFlopsSaved: recK === null ? null : 1 - recK / n,
  };
  // The k whose selection frequencies are shown: the recommended one, else the listed k nearest n/4.
  const selK = recK ?? o.ks.reduce((best, k) => (Math.abs(k - n / 4) < Math.abs(best - n / 4) ? k : best), o.ks[0] as number);
  const selKi = o.ks.indexOf(selK);
  const heuristicAccuracy: Record<string, number[]> = {};
  o.ks.forEach((k, ki) => (heuristicAccuracy[String(k)] = Array.from({ length: C }, (_, y) => ratio(stats.heuristicPerClass[ki * C + y] as number, stats.support[y] as number))));
  const specialisation: LayerSpecialisation[] = stats.layers.map((ls, l) => specialisationOf(ls, head.layers[l]?.name ?? String(l), stats.support, n, selK, selKi, o.ks));
  const routing: LayerRouting[] = stats.layers.map((ls, l) => routingOf(ls, head.layers[l]?.name ?? String(l), N, n, head.layers[l]?.slotsPerExpert ?? 1, head.layers[l]?.outDim ?? head.layers[l]?.dim ?? 0));
  const samples = [...part.samples].sort((a, b) => a.index - b.index);
  let globalSelection: AnalysisResult['globalSelection'];
  if (head.globalSelection) {
    const gDrop: DropMode = o.drops.includes('renorm') ? 'renorm' : drop0;
    const curve = curves.find((c) => c.selector === 'global' && c.drop === gDrop)?.points;
    globalSelection = {
      ...head.globalSelection,
      recommended: recommendGlobal(head.globalSelection, curve, gDrop, o.target, fullAccuracy, head.layers, head.globalSelection.calibration.tokens, head.checkpoint.parameterCount),
    };
  }
  const { globalSelection: _calibrated, ...headFields } = head;
  return {
    ...headFields,
    options: { ...o },
    numExamples: N,
    fullAccuracy,
    fullCorrect: stats.fullCorrect,
    curves,
    recommended,
    ...(globalSelection ? { globalSelection } : {}),
    perClass: {
      classNames: head.dataset.classNames,
      support: [...stats.support],
      fullAccuracy: stats.support.map((s, y) => ratio(stats.fullCorrectPerClass[y] as number, s)),
      heuristicAccuracy,
      specialisation,
    },
    routing,
    samples,
    timing: { seconds: part.seconds, examplesPerSecond: ratio(N, part.seconds) },
  };
}

function specialisationOf(ls: LayerStats, layer: string, support: number[], n: number, selK: number, selKi: number, ks: number[]): LayerSpecialisation {
  const C = support.length;
  const mass = exactValues(ls.classExpertMass);
  const classExpertMass = Array.from({ length: C }, (_, y) => Array.from({ length: n }, (_, e) => ratio(mass[y * n + e] as number, support[y] as number)));
  const selectedAt = (ki: number): number[][] => Array.from({ length: C }, (_, y) => Array.from({ length: n }, (_, e) => ratio(ls.classExpertSelected[(ki * C + y) * n + e] as number, support[y] as number)));
  const classExpertSelected = selectedAt(selKi);
  const byK = ks.length * C * n <= SELECTED_BY_K_MAX_CELLS
    ? { classExpertSelectedByK: Object.fromEntries(ks.map((k, ki) => [String(k), selectedAt(ki)])) }
    : {};
  const top = Math.min(3, n);
  const topExperts = classExpertMass.map((row) => row.map((v, e) => [v, e] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, top).map(([, e]) => e));
  return { layer, classExpertMass, classExpertSelected, selectedAtK: selK, topExperts, ...byK };
}

function routingOf(ls: LayerStats, layer: string, N: number, n: number, p: number, d: number): LayerRouting {
  const load = exactValues(ls.load).map((v) => ratio(v, N));
  const dispatchLoad = exactValues(ls.dispatchLoad).map((v) => ratio(v, N));
  const deadThreshold = 0.1 / n;
  const sums = exactValues(ls.outputSum);
  const means = Array.from({ length: n }, (_, e) => sums.slice(e * d, (e + 1) * d));
  const norms = means.map((v) => Math.sqrt(v.reduce((a, x) => a + x * x, 0)));
  const outputCosine = means.map((u, a) => means.map((v, b) => {
    const den = (norms[a] as number) * (norms[b] as number);
    return den > 0 ? u.reduce((acc, x, j) => acc + x * (v[j] as number), 0) / den : 0;
  }));
  return {
    layer,
    combineEntropy: ratio(exactValue(ls.entropySum), ls.tokenCount),
    maxEntropy: Math.log(n * p),
    top10Share: ratio(exactValue(ls.top10Sum), N),
    load,
    dispatchLoad,
    deadExperts: load.flatMap((v, e) => (v < deadThreshold ? [e] : [])),
    deadThreshold,
    outputCosine,
  };
}
