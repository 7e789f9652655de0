/**
 * Sufficient statistics of an analysis: everything `finalizeResult` needs, as integer counts and exact float sums.
 * A run over a slice (a shard) produces one; merging the slices' statistics gives exactly the statistics of one run
 * over the whole dataset, because counts add and exact sums do not depend on order (exactSum.ts).
 */
import type { DropMode } from './schema';
import type { CountedSelector } from './selectorRegistry';
import { exactVector, mergeExact, mergeExactVector, type Partials } from './exactSum';
import { SoftMoeError } from '../errors';

export interface LayerStats {
  /** classes × experts: exact sums of each input's combine-mass share per expert. */
  classExpertMass: Partials[];
  /** ks × classes × experts: how often the heuristic selected each expert (first drop mode). */
  classExpertSelected: number[];
  /** Sum over tokens of the combine entropy (nats), and the number of tokens summed. */
  entropySum: Partials;
  tokenCount: number;
  /** Sum over inputs of the share of combine mass in the top 10% of experts. */
  top10Sum: Partials;
  /** experts: sums over inputs of the combine-mass share and of the dispatch-partition share. */
  load: Partials[];
  dispatchLoad: Partials[];
  /** experts × d: sums of the slot outputs (for the cosine similarity of mean expert outputs). */
  outputSum: Partials[];
  /** Number of slot outputs summed per expert. */
  outputCount: number;
}

export interface OracleStats {
  /** Per k: inputs for which some k-subset predicts the label. */
  found: number[];
  /** Per k: whether the search was greedy for that k (same for every input). */
  greedy: boolean[];
  /** Per k: inputs for which some k-subset predicts the input's drawn wrong label (the chance level; absent in
   *  statistics written before it existed, and with a single class). */
  chance?: number[];
}

export interface DropStats {
  /** Per selector, per k index: correct predictions. */
  counted: Partial<Record<CountedSelector, number[]>>;
  /** trials × ks: correct predictions of each random trial. */
  random?: number[][];
  oracle?: OracleStats;
}

export interface AnalysisStats {
  numExamples: number;
  fullCorrect: number;
  /** Per class: inputs and full-model correct predictions. */
  support: number[];
  fullCorrectPerClass: number[];
  /** ks × classes: heuristic correct predictions per class (first drop mode). */
  heuristicPerClass: number[];
  drops: Partial<Record<DropMode, DropStats>>;
  layers: LayerStats[];
}

export interface StatsShape {
  numClasses: number;
  numExperts: number;
  dim: number[];
  numLayers: number;
  ks: number[];
  drops: DropMode[];
  counted: CountedSelector[];
  trials: number | null;
  oracle: boolean;
}

export function createStats(s: StatsShape): AnalysisStats {
  const { numClasses: c, numExperts: n, ks } = s;
  const drops: AnalysisStats['drops'] = {};
  for (const drop of s.drops) {
    const d: DropStats = { counted: {} };
    for (const sel of s.counted) d.counted[sel] = new Array<number>(ks.length).fill(0);
    if (s.trials !== null) d.random = Array.from({ length: s.trials }, () => new Array<number>(ks.length).fill(0));
    if (s.oracle) {
      d.oracle = { found: new Array<number>(ks.length).fill(0), greedy: new Array<boolean>(ks.length).fill(false) };
      if (c >= 2) d.oracle.chance = new Array<number>(ks.length).fill(0);
    }
    drops[drop] = d;
  }
  const layers: LayerStats[] = [];
  for (let l = 0; l < s.numLayers; l++) {
    layers.push({
      classExpertMass: exactVector(c * n),
      classExpertSelected: new Array<number>(ks.length * c * n).fill(0),
      entropySum: [],
      tokenCount: 0,
      top10Sum: [],
      load: exactVector(n),
      dispatchLoad: exactVector(n),
      outputSum: exactVector(n * (s.dim[l] as number)),
      outputCount: 0,
    });
  }
  return {
    numExamples: 0,
    fullCorrect: 0,
    support: new Array<number>(c).fill(0),
    fullCorrectPerClass: new Array<number>(c).fill(0),
    heuristicPerClass: new Array<number>(ks.length * c).fill(0),
    drops,
    layers,
  };
}

function addInts(into: number[], from: number[], what: string): void {
  if (into.length !== from.length) throw new SoftMoeError('E_FORMAT', `Cannot merge analysis parts: '${what}' has ${from.length} values, expected ${into.length}.`);
  for (let i = 0; i < into.length; i++) into[i] = (into[i] as number) + (from[i] as number);
}

/** Add `from` into `into` (in place). Both must come from the same options (checked by the caller). */
export function mergeStats(into: AnalysisStats, from: AnalysisStats): void {
  into.numExamples += from.numExamples;
  into.fullCorrect += from.fullCorrect;
  addInts(into.support, from.support, 'support');
  addInts(into.fullCorrectPerClass, from.fullCorrectPerClass, 'fullCorrectPerClass');
  addInts(into.heuristicPerClass, from.heuristicPerClass, 'heuristicPerClass');
  for (const drop of Object.keys(into.drops) as DropMode[]) {
    const a = into.drops[drop] as DropStats;
    const b = from.drops[drop];
    if (!b) throw new SoftMoeError('E_FORMAT', `Cannot merge analysis parts: one part lacks drop mode '${drop}'.`);
    for (const sel of Object.keys(a.counted) as CountedSelector[]) {
      const fb = b.counted[sel];
      if (!fb) throw new SoftMoeError('E_FORMAT', `Cannot merge analysis parts: one part lacks selector '${sel}'.`);
      addInts(a.counted[sel] as number[], fb, sel);
    }
    if (a.random) {
      if (!b.random || b.random.length !== a.random.length) throw new SoftMoeError('E_FORMAT', 'Cannot merge analysis parts: random trials differ.');
      a.random.forEach((row, t) => addInts(row, (b.random as number[][])[t] as number[], 'random'));
    }
    if (a.oracle) {
      if (!b.oracle) throw new SoftMoeError('E_FORMAT', 'Cannot merge analysis parts: one part lacks the oracle.');
      addInts(a.oracle.found, b.oracle.found, 'oracle');
      if (a.oracle.chance) {
        if (!b.oracle.chance) throw new SoftMoeError('E_FORMAT', 'Cannot merge analysis parts: one part lacks the oracle\'s chance level (written by an older version).');
        addInts(a.oracle.chance, b.oracle.chance, 'oracle chance');
      }
      a.oracle.greedy = a.oracle.greedy.map((g, i) => g || (b.oracle as OracleStats).greedy[i] === true);
    }
  }
  if (into.layers.length !== from.layers.length) throw new SoftMoeError('E_FORMAT', 'Cannot merge analysis parts: MoE layer counts differ.');
  into.layers.forEach((l, i) => {
    const o = from.layers[i] as LayerStats;
    mergeExactVector(l.classExpertMass, o.classExpertMass);
    addInts(l.classExpertSelected, o.classExpertSelected, 'classExpertSelected');
    mergeExact(l.entropySum, o.entropySum);
    l.tokenCount += o.tokenCount;
    mergeExact(l.top10Sum, o.top10Sum);
    mergeExactVector(l.load, o.load);
    mergeExactVector(l.dispatchLoad, o.dispatchLoad);
    mergeExactVector(l.outputSum, o.outputSum);
    l.outputCount += o.outputCount;
  });
}
