/**
 * THE list of selectors: every place that names, labels, validates or computes a selector reads it from here —
 * the analysis (score functions, what each needs from a trace), the CLI's `--selectors`, the extension's settings
 * (package.json's `softmoeInspector.selectors` enum is checked against it by a unit test), the webview's labels and
 * order, and the result schema's `SelectorName`. Adding a selector is adding an entry (plus, for a new scope, its
 * computation in the analysis paths).
 *
 * Scopes:
 *  per-input — each input's own experts, ranked by `score` (ties: `tieBreak`, then the lower expert index); the
 *              first k of the ranking are kept, per input and per MoE layer.
 *  per-batch — one ranking for every input of a batch: `score` summed over the batch's inputs.
 *  global    — one ranking for every input of the dataset, chosen beforehand on a calibration split (globalSelection.ts).
 *  random    — uniformly random subsets, seeded trials.
 *  search    — the oracle: is there any k-subset that predicts the label (and, as its chance level, a wrong one)?
 *
 * Pure data (its one import translates the labels), so the webview bundles it for labels and order. A selector
 * names its score; the score functions themselves live with the arithmetic (`SCORE_FUNCTIONS` in selectors.ts, typed
 * so that a score named here without a function there does not compile), and a ranking selector (per-input,
 * per-batch) without a score does not compile either (SelectorSpec).
 *
 * Labels are functions that translate through @vscode/l10n when called (a literal per label, so `npm run l10n` finds
 * each; the bundle is loaded after this module is), and `selectorLabel` is the one label of a selector in legends,
 * tables, notes and the comparison — so a note names a selector exactly as the legend does.
 */
import * as l10n from '@vscode/l10n';


export type SelectorScope = 'per-input' | 'per-batch' | 'global' | 'random' | 'search';

/**
 * The expert scores a selector ranks by (scores.ts), per input of a layer's routing, higher kept first:
 *   combine-mass  Σ_{t, s∈e} C[t,s]                                  (combineScores)
 *   dispatch-mass log Σ_{t, s∈e} exp(logit[t,s]), up to a constant    (dispatchScores)
 *   output-norm   Σ_t ‖Σ_{s∈e} C[t,s]·Ỹ[s]‖                          (outputNormScores)
 *   token-votes   tokens whose highest logit over all n·p slots is one of e's slots (tokenChoiceScores)
 *   expert-choice Σ_{s∈e} Σ_{t ∈ top ⌈m/n⌉ tokens of s} logit[t,s]     (expertChoiceScores)
 */
export type ScoreName = 'combine-mass' | 'dispatch-mass' | 'output-norm' | 'token-votes' | 'expert-choice';

export interface SelectorNeeds {
  /** Per-slot expert outputs in the trace (`LayerArrays.slotOutputs`). */
  readonly slotOutputs?: boolean;
  /** Router logits in the trace (`LayerArrays.logits`). */
  readonly logits?: boolean;
  /** One MoE layer followed by a linear readout (the paper's MNIST model): only then is the search affordable. */
  readonly linearReadout?: boolean;
  /** A calibration split, separate from the evaluation examples. */
  readonly calibration?: boolean;
}

interface SpecBase {
  readonly name: string;
  /** Legend and table label, translated when called (English where no bundle is loaded: CLI, manifest). */
  readonly label: () => string;
  /** One line: the exact definition, for help texts, settings and the README. */
  readonly description: string;
  readonly needs: SelectorNeeds;
}

/** A ranking selector must name its score; the others have none. */
export type SelectorSpec =
  | (SpecBase & {
    readonly scope: 'per-input' | 'per-batch';
    /** The expert scores of one input. */
    readonly score: ScoreName;
    /** Secondary key for experts with equal scores (higher first); the lower expert index breaks what remains. */
    readonly tieBreak?: ScoreName;
  })
  | (SpecBase & { readonly scope: 'global' | 'random' | 'search'; readonly score?: never; readonly tieBreak?: never });

export const SELECTORS = [
  {
    name: 'heuristic', label: () => l10n.t('Heuristic (Alg. 1)'), scope: 'per-input', needs: {}, score: 'combine-mass',
    description: 'per input, the k experts with the most combine weight, summed over tokens and their slots (Algorithm 1)',
  },
  {
    name: 'random', label: () => l10n.t('Random'), scope: 'random', needs: {},
    description: 'a uniformly random k-subset per input and layer, over seeded trials (mean ± std)',
  },
  {
    name: 'oracle', label: () => l10n.t('Oracle'), scope: 'search', needs: { linearReadout: true },
    description: 'whether any k-subset predicts the label (exhaustive search, greedy beyond the budget), with its chance level: the same search for a wrong label drawn per input',
  },
  {
    name: 'batch', label: () => l10n.t('Batch (Alg. 2)'), scope: 'per-batch', needs: {}, score: 'combine-mass',
    description: 'one subset per batch: the k experts with the most combine weight summed over the batch (Algorithm 2)',
  },
  {
    name: 'dispatch', label: () => l10n.t('Dispatch mass'), scope: 'per-input', needs: {}, score: 'dispatch-mass',
    description: 'the experts whose slots receive the most unnormalised dispatch mass Σ exp(logit)',
  },
  {
    name: 'output-norm', label: () => l10n.t('Output norm'), scope: 'per-input', needs: { slotOutputs: true }, score: 'output-norm',
    description: 'the experts with the largest combine-weighted output norm Σ_t ‖Σ_s C[t,s]·Ỹ[s]‖',
  },
  {
    name: 'token-choice', label: () => l10n.t('Token choice'), scope: 'per-input', needs: { logits: true }, score: 'token-votes', tieBreak: 'combine-mass',
    description: 'each token votes for the expert owning its highest router logit over all n·p slots; the k experts with the most votes (ties: more combine weight)',
  },
  {
    name: 'expert-choice', label: () => l10n.t('Expert choice'), scope: 'per-input', needs: { logits: true }, score: 'expert-choice', tieBreak: 'combine-mass',
    description: 'each slot picks its ⌈m/n⌉ tokens of highest router logit; an expert scores the sum of those logits over its slots; the k highest (ties: more combine weight)',
  },
  {
    name: 'global', label: () => l10n.t('Global (one subset)'), scope: 'global', needs: { calibration: true },
    description: 'one subset of k experts per layer for every input, chosen on a calibration split (greedy backward elimination, or dataset-mean combine mass / output norm)',
  },
] as const satisfies readonly SelectorSpec[];

type Entry = (typeof SELECTORS)[number];

/** Every selector's name, in the registry's (display) order. */
export type SelectorName = Entry['name'];

/** Selectors whose curve is one correct count per k (a single subset per input, batch or dataset). */
export type CountedSelector = Extract<Entry, { scope: 'per-input' | 'per-batch' | 'global' }>['name'];

/** Selectors that rank each input's (or each batch's) experts by a score of the routing. */
export type ScoredSelector = Extract<Entry, { scope: 'per-input' | 'per-batch' }>['name'];

export const SELECTOR_NAMES: readonly SelectorName[] = SELECTORS.map((s) => s.name);

const BY_NAME = new Map<string, SelectorSpec>(SELECTORS.map((s) => [s.name, s]));

export function isSelectorName(v: unknown): v is SelectorName {
  return typeof v === 'string' && BY_NAME.has(v);
}

export function selectorSpec(name: SelectorName): SelectorSpec {
  return BY_NAME.get(name) as SelectorSpec;
}

/** The label shown for a selector; a name this build does not know (a newer result) is shown as it is. */
export function selectorLabel(name: string): string {
  return BY_NAME.get(name)?.label() ?? name;
}

export function isCounted(name: SelectorName): name is CountedSelector {
  const s = selectorSpec(name).scope;
  return s === 'per-input' || s === 'per-batch' || s === 'global';
}

/** Names in registry order (the order every list and legend uses). */
export function inRegistryOrder<T extends string>(names: readonly T[]): T[] {
  const order = (x: string) => {
    const i = SELECTOR_NAMES.indexOf(x as SelectorName);
    return i < 0 ? SELECTOR_NAMES.length : i;
  };
  return [...names].sort((a, b) => order(a) - order(b));
}
