/**
 * The analysis result: one versioned JSON document shared by the CLI (`--json`), the extension's panels,
 * the standalone HTML report and run comparison. Pure types and tiny helpers only: the webview imports this file.
 *
 * Versioning: bump SCHEMA_VERSION's major part for any change that an older reader would misread (a renamed or
 * re-typed field); add optional fields without a bump. Readers check `schemaVersion` with `isSupportedSchema`.
 */
import * as l10n from '@vscode/l10n';

export const SCHEMA_VERSION = '1.0';

/**
 * Selector names, derived from the one registry (selectorRegistry.ts, which holds each one's exact definition):
 *   heuristic     — Algorithm 1: per input, experts ranked by combine weight summed over tokens and their slots.
 *   random        — a uniformly random k-subset per input, T seeded trials.
 *   oracle        — exhaustive search over k-subsets (greedy beyond the budget): does any k-subset predict the
 *                   label? Its points also carry the chance level: the same search for a wrong label (`chance`).
 *   batch         — Algorithm 2: one subset per batch, ranked by the score summed over the batch.
 *   dispatch      — unnormalised dispatch mass Σ_{t, s∈e} exp(logit[t,s]) received by the expert's slots.
 *   output-norm   — Σ_t ‖Σ_{s∈e} C[t,s]·Ỹ[s]‖, the size of what the expert adds to the tokens.
 *   token-choice  — each token votes for the expert owning its highest router logit over all n·p slots; score =
 *                   votes, ties broken by combine mass.
 *   expert-choice — each slot picks its c = ⌈m/n⌉ tokens of highest router logit; score = Σ_{s∈e} of those logits,
 *                   ties broken by combine mass.
 *   global        — one subset per layer for every input, chosen on a calibration split (`globalSelection`).
 */
export type { SelectorName } from './selectorRegistry';
import type { SelectorName } from './selectorRegistry';

export type DropMode = 'zero' | 'renorm';

export interface CurvePoint {
  /** Experts kept per input, per MoE layer. */
  k: number;
  /** k / numExperts (so runs with different n compare). */
  fraction: number;
  /** Top-1 accuracy in [0, 1]. For `random`, the mean over trials. */
  accuracy: number;
  /** accuracy / fullAccuracy. */
  relative: number;
  /** Standard deviation over trials (`random` only). */
  std?: number;
  /** Number of correct predictions (integer; for `random` the mean over trials). */
  correct: number;
  /** `oracle` only: fraction of inputs whose chosen heuristic subset is itself a specialised subset. */
  heuristicIsSpecialised?: number;
  /** `oracle` only: true when the search was greedy (subset count above the budget), not exhaustive. */
  greedy?: boolean;
  /**
   * `oracle` only: the chance level — the share of inputs for which the SAME search finds a k-subset predicting a
   * wrong label, drawn per input uniformly from the other classes (seeded by `options.seed` and the input's index).
   * With enough subsets some subset predicts almost anything; `accuracy` means something only above this.
   */
  chance?: number;
  /** `oracle` only: the number of inputs behind `chance` (integer). */
  chanceFound?: number;
  /** `oracle` only: accuracy − chance, what the true label adds over a wrong one. */
  excess?: number;
}

export interface Curve {
  selector: SelectorName;
  drop: DropMode;
  points: CurvePoint[];
  /** Number of random trials (`random` only). */
  trials?: number;
}

export interface LayerInfo {
  /** Name prefix in the checkpoint (e.g. `blocks.6.mlp`, or '' for the paper's MNIST model). */
  name: string;
  layout: string;
  numExperts: number;
  slotsPerExpert: number;
  dim: number;
  expertHidden: number;
  /**
   * Width of the experts' outputs when it is not `dim` (fkodom experts in place of an FFN's second linear map, run by
   * the PyTorch engine); absent: `dim`.
   */
  outDim?: number;
  /** Parameters of one expert including its router slots (what pruning it removes), when the checkpoint was read. */
  expertParameters?: number;
}

export interface Recommended {
  /** Selector and drop mode the recommendation is based on (heuristic, the run's first drop mode). */
  selector: SelectorName;
  drop: DropMode;
  /** Target share of full accuracy, e.g. 0.99. */
  target: number;
  /** Smallest k reaching the target; null if none below n does. */
  k: number | null;
  fraction: number | null;
  accuracy: number | null;
  /** Share of expert FLOPs saved at that k (1 − k/n for equal experts). */
  expertFlopsSaved: number | null;
}

/** How the `global` selector ranks experts on its calibration split (globalSelection.ts). */
export type GlobalRanking =
  /** Greedy backward elimination on calibration accuracy (per drop mode). */
  | 'eliminate'
  /** Dataset-mean combine-mass share. */
  | 'mass'
  /** Dataset-mean combine-weighted output norm. */
  | 'output-norm';

/** The `global` selector: one subset per MoE layer for every input, chosen on a calibration split. */
export interface GlobalSelection {
  ranking: GlobalRanking;
  /** The calibration examples: never the evaluation examples (another split, or other data). */
  calibration: {
    path: string;
    name: string;
    split: string;
    /** Examples [start, end) of that split. */
    start: number;
    end: number;
    examples: number;
    /** Full-model accuracy on them. */
    fullAccuracy: number;
    /** Tokens per input entering the MoE layers (for the MACs a pruned model saves). */
    tokens: number;
    /** Wall time of the calibration pass and the choice of subsets (not in `timing`, which is the evaluation). */
    seconds?: number;
  };
  /**
   * Per drop mode: per MoE layer, the experts in the order the global subsets keep them — the global k-subset of a
   * layer is the first k (so subsets are nested). The evaluation curve is `curves[selector = 'global']`.
   */
  orders: Partial<Record<DropMode, number[][]>>;
  /** Per drop mode: calibration accuracy of the global k-subsets, index k − 1 (k = 1…n). */
  calibrationAccuracy: Partial<Record<DropMode, number[]>>;
  /**
   * The smallest k < n whose global subset keeps `target` of full accuracy on the EVALUATION split, for the renorm
   * drop when it was analysed (that is what a pruned checkpoint computes: `softmoe prune`), else the first drop
   * mode; k null when no such k exists.
   */
  recommended: {
    drop: DropMode;
    target: number;
    k: number | null;
    accuracy: number | null;
    fraction: number | null;
    /** Per MoE layer: the experts kept, ascending (what `softmoe prune --keep k` keeps). */
    experts: number[][] | null;
    /** Share of expert FLOPs saved: 1 − k/n. */
    expertFlopsSaved: number | null;
    /** Parameters a pruned checkpoint no longer has (router slots and expert weights), and what it has left. */
    parametersSaved: number | null;
    parameterCount: number | null;
    /** Multiply-adds per input saved in the MoE layers: per removed slot 2·d·h (expert) + 3·m·d (logits, dispatch, combine). */
    macsSavedPerInput: number | null;
  };
}

export interface LayerSpecialisation {
  layer: string;
  /** classes × experts: mean combine mass of each expert over the inputs of each class (rows sum to 1). */
  classExpertMass: number[][];
  /** classes × experts: how often the heuristic selects each expert at the recommended (or n/4) k, per class. */
  classExpertSelected: number[][];
  /** k used for `classExpertSelected`. */
  selectedAtK: number;
  /**
   * The same frequencies at every analysed k (key: k as a string), so a view can follow its k control. Left out when
   * it would be large (ks × classes × experts above SELECTED_BY_K_MAX_CELLS); views then show `selectedAtK` and say so.
   */
  classExpertSelectedByK?: Record<string, number[][]>;
  /** Per class, expert indices sorted by mass, the top few. */
  topExperts: number[][];
}

/** Largest ks × classes × experts for which `classExpertSelectedByK` is written (keeps results small). */
export const SELECTED_BY_K_MAX_CELLS = 200_000;

/** A selector that was asked for but not run, and why (e.g. the oracle on a ViT). */
export interface SkippedSelector {
  selector: SelectorName;
  reason: string;
}

export interface PerClass {
  classNames: string[];
  /** Count of inputs per class. */
  support: number[];
  /** Full-model accuracy per class. */
  fullAccuracy: number[];
  /** Heuristic accuracy per class, for each k (key: k as a string). */
  heuristicAccuracy: Record<string, number[]>;
  specialisation: LayerSpecialisation[];
}

export interface LayerRouting {
  layer: string;
  /** Mean entropy (nats) of the per-token combine distribution over the n·p slots. */
  combineEntropy: number;
  /** Maximum possible entropy, ln(n·p), for scale. */
  maxEntropy: number;
  /** Mean share of combine mass held by the top 10% of experts (per input). */
  top10Share: number;
  /** Per expert: mean combine mass (sums to 1 over experts). */
  load: number[];
  /** Per expert: mean dispatch mass its slots receive. */
  dispatchLoad: number[];
  /** Experts whose load is below `deadThreshold` (indices). */
  deadExperts: number[];
  deadThreshold: number;
  /** experts × experts cosine similarity of mean expert outputs. */
  outputCosine: number[][];
}

export interface SampleRecord {
  /** Index of the input in the dataset (after --limit / shard). */
  index: number;
  label: number;
  /** Predicted class of the full model. */
  prediction: number;
  /** Prediction with the heuristic subset at each k (key: k as a string). */
  predictionAtK: Record<string, number>;
  /** Per MoE layer: experts sorted by heuristic score, and the scores (combine mass). */
  layers: Array<{
    layer: string;
    ranking: number[];
    scores: number[];
    /** tokens × experts combine weight summed over each expert's slots. */
    combine: number[][];
    /** experts × tokens dispatch weight summed over each expert's slots (for patch overlays). */
    dispatch: number[][];
  }>;
  /** The input as an image for drawing, when the dataset is image-like: height, width, channels, 0–255 bytes as base64. */
  image?: { height: number; width: number; channels: number; data: string };
  /** Token grid (rows × cols of patches) for overlays. */
  tokenGrid?: { rows: number; cols: number; hasClassToken: boolean };
}

/** Where one preprocessing value came from. */
export interface ValueSource {
  /**
   * 'sidecar': a JSON file beside the checkpoint (softmoe.json, config.json, args.json); 'checkpoint': a record saved
   * inside the checkpoint (the `args` Namespace of DeiT/timm training scripts); 'shapes': the tensor shapes;
   * 'default': the tool's documented default for this architecture, used because nothing gave the value.
   */
  from: 'sidecar' | 'checkpoint' | 'shapes' | 'default';
  /** The file it was read from (sidecar or checkpoint path). */
  file?: string;
  /** The key it was read under (e.g. `mean`, `input_size`, `args.input_size`). */
  key?: string;
  /** For defaults: which default, in words (e.g. "ImageNet's, timm's default for 3-channel images"). */
  note?: string;
}

/** How dataset images were turned into model inputs, and where each value came from. */
export interface Preprocessing {
  /** Per channel, subtracted from ToTensor-style (0–1) values, which are then divided by `std`. */
  mean: number[];
  std: number[];
  /** [height, width] the model takes. */
  inputSize: [number, number];
  /**
   * timm eval transform applied to datasets whose images are not already `inputSize` (ViTs only): resize the short
   * side to size / cropPct, centre-crop, with this filter. Absent for models that never resize (the MNIST model).
   */
  resize?: { cropPct: number; interpolation: 'bilinear' | 'bicubic' | 'nearest' };
  /** True when the analysed dataset's images were resized and cropped to `inputSize` (so `resize` was applied). */
  resized?: boolean;
  sources: { mean: ValueSource; std: ValueSource; inputSize: ValueSource; cropPct?: ValueSource; interpolation?: ValueSource };
}

/** 'mean [0.5] (default: …)' — one value of a preprocessing record and where it came from, for people. */
export function describeSource(src: ValueSource): string {
  switch (src.from) {
    case 'default': return src.note ? l10n.t`default: ${src.note}` : l10n.t('default');
    case 'shapes': return l10n.t('from the tensor shapes');
    default: return src.key ? l10n.t`from "${src.key}" in ${src.file ?? src.from}` : l10n.t`from ${src.file ?? src.from}`;
  }
}

/**
 * One line per preprocessing value that no sidecar or checkpoint gave (so a documented default was used), for the
 * CLI's warnings and the panel's notice. Resizing values count only when the dataset was resized with them.
 */
const documented = (): string => l10n.t('documented default');
const timms = (): string => l10n.t("timm's");

export function defaultedPreprocessing(p: Preprocessing): string[] {
  const fmt = (v: number[]) => `[${v.map((x) => Number(x.toPrecision(6))).join(', ')}]`;
  const out: string[] = [];
  const { sources: s } = p;
  if (s.mean.from === 'default' && s.std.from === 'default' && s.mean.note === s.std.note) {
    out.push(l10n.t`mean ${fmt(p.mean)} and std ${fmt(p.std)} are defaults (${s.mean.note ?? documented()})`);
  } else {
    if (s.mean.from === 'default') out.push(l10n.t`mean ${fmt(p.mean)} is a default (${s.mean.note ?? documented()})`);
    if (s.std.from === 'default') out.push(l10n.t`std ${fmt(p.std)} is a default (${s.std.note ?? documented()})`);
  }
  if (p.resized) {
    if (s.inputSize.from === 'default') out.push(l10n.t`input size ${p.inputSize.join('×')} is a default (${s.inputSize.note ?? documented()})`);
    if (p.resize && s.cropPct?.from === 'default') out.push(l10n.t`crop_pct ${p.resize.cropPct} is a default (${s.cropPct.note ?? timms()})`);
    if (p.resize && s.interpolation?.from === 'default') out.push(l10n.t`interpolation '${p.resize.interpolation}' is a default (${s.interpolation.note ?? timms()})`);
  }
  return out;
}

/** The preprocessing in one line (for comparisons): values only, in a form that is equal exactly when they are. */
export function preprocessingKey(p: Preprocessing | undefined): string {
  if (!p) return l10n.t('not recorded');
  const fmt = (v: number[]) => v.map((x) => Number(x.toPrecision(6))).join(', ');
  const base = l10n.t`mean [${fmt(p.mean)}], std [${fmt(p.std)}], ${p.inputSize.join('×')}`;
  return p.resized && p.resize ? l10n.t`${base}, resized (crop ${p.resize.cropPct}, ${p.resize.interpolation})` : base;
}

/**
 * What a file looked like when a run read it: size and times from stat (links followed), or `missing` for a file
 * the run looks for that was not there (a sidecar, a class list) — creating it later changes the run.
 */
export type FileStamp =
  | { path: string; size: number; mtimeMs: number; ctimeMs: number }
  | { path: string; missing: true };

/**
 * The options of a run that can change its result, normalised (defaults filled in, order fixed, and an option left
 * out when no selector of the run depends on it: `trials` without `random`, `batchSize` without `batch`, …).
 */
export interface RunOptions {
  /** The engine that computes the model ('tfjs' by default; engines agree to 1e-4, not bit for bit). */
  engine: string;
  /** Not the built-in engine: the Python interpreter that ran the model ('python3' when none was chosen). */
  python?: string;
  /** Not the built-in engine: the torch device asked for ('auto' by default). */
  device?: string;
  selectors: SelectorName[];
  drops: DropMode[];
  /** Random trials; 0 when `random` is not a selector. */
  trials: number;
  /** Seed of the random subsets; 0 when `random` is not a selector. */
  seed: number;
  /** Kept-expert counts; null for every k from 1 to n. */
  ks: number[] | null;
  target: number;
  samples: number;
  /** --limit; null for every example. */
  limit: number | null;
  /** Only with `oracle`. */
  oracleBudget?: number;
  /** Only with `batch` (Algorithm 2 shares one subset per batch of this size); other selectors give the same result at any batch size. */
  batchSize?: number;
  /** Only with `global`: the calibration examples (e.g. 'train[:5000]'), the dataset they come from when not the evaluated one, and the ranking. */
  calibration?: string;
  calibrationData?: string | null;
  globalRanking?: string;
}

/**
 * Everything that can change a result (src/core/analysis/runIdentity.ts computes it): the tool and the schema, the
 * checkpoint's files (every shard of a sharded one), the sidecars beside it, the dataset's files for the split, and
 * the options. Two runs with the same identity give the same result; the cache, `merge`, Compare Runs and restored
 * panels all compare runs by it (its `key`).
 */
export interface RunIdentity {
  tool: { name: 'softmoe-inspector'; version: string };
  /** Major version of the result schema. */
  schema: string;
  checkpoint: { path: string; files: FileStamp[] };
  /** args.json, config.json and softmoe.json beside the checkpoint (each present or missing). */
  sidecars: FileStamp[];
  /**
   * The dataset's files; an image folder of more than 100 images is recorded by the count and a SHA-256 of all their
   * stamps (`digest`, `files` then empty), so a result stays small whatever the dataset.
   */
  dataset: { path: string; split: 'train' | 'test'; files: FileStamp[]; digest?: { count: number; sha256: string } };
  /** Only with the `global` selector: the files of the calibration split its subsets are chosen on. */
  calibration?: { path: string; split: 'train' | 'test'; files: FileStamp[]; digest?: { count: number; sha256: string } };
  options: RunOptions;
}

export interface AnalysisResult {
  schemaVersion: string;
  /**
   * Tool version that wrote it, and what computed it: `backend` is the tfjs backend (node | wasm | cpu) or the torch
   * device; `engine` (absent in results of 0.1.0) says which engine ran, with a one-line label for people.
   */
  tool: {
    name: 'softmoe-inspector';
    version: string;
    backend: string;
    engine?: { kind: 'tfjs' | 'torch'; backend: string; label: string };
  };
  createdAt: string;
  checkpoint: {
    path: string;
    /** File name without folders, for display. */
    name: string;
    format: string;
    fileSize: number;
    parameterCount: number;
    architecture: string;
  };
  dataset: {
    path: string;
    name: string;
    split: string;
    numClasses: number;
    classNames: string[];
    /** Examples in the split before `options.limit` (absent in results written before it was recorded). */
    totalExamples?: number;
  };
  options: {
    drops: DropMode[];
    selectors: SelectorName[];
    trials: number;
    seed: number;
    ks: number[];
    limit: number | null;
    shard: { index: number; count: number } | null;
    target: number;
    /** Inputs per forward pass; Algorithm 2 (`batch`) shares one subset per batch of this size. */
    batchSize?: number;
    /** Number of sample records asked for. */
    samples?: number;
    /** `oracle` only: exhaustive search for a k when C(n, k) is at most this, else greedy. */
    oracleBudget?: number;
    /** Selectors asked for but left out because this model cannot run them. */
    skippedSelectors?: SkippedSelector[];
    /** `global` only: the ranking its subsets come from. */
    globalRanking?: GlobalRanking;
  };
  numExamples: number;
  fullAccuracy: number;
  fullCorrect: number;
  layers: LayerInfo[];
  curves: Curve[];
  recommended: Recommended;
  /** Present when the `global` selector ran: its calibration, its subsets and the recommended pruning. */
  globalSelection?: GlobalSelection;
  perClass: PerClass;
  routing: LayerRouting[];
  samples: SampleRecord[];
  timing: { seconds: number; examplesPerSecond: number };
  /** How inputs were preprocessed and where each value came from (absent in results written before it existed). */
  preprocessing?: Preprocessing;
  /** The run's identity and its key (40 hex digits), when the run was made from files (CLI, extension). */
  run?: { key: string; identity: RunIdentity };
}

/** The point of a result's curve for a selector, drop mode and k (null when the run has none). */
export function curvePoint(r: Pick<AnalysisResult, 'curves'>, selector: SelectorName, drop: DropMode, k: number | null): CurvePoint | null {
  if (k === null) return null;
  return r.curves.find((c) => c.selector === selector && c.drop === drop)?.points.find((p) => p.k === k) ?? null;
}

export function isSupportedSchema(v: unknown): v is AnalysisResult {
  if (typeof v !== 'object' || v === null) return false;
  const s = (v as { schemaVersion?: unknown }).schemaVersion;
  return typeof s === 'string' && s.split('.')[0] === SCHEMA_VERSION.split('.')[0];
}
