/**
 * The whole analysis pipeline from paths: checkpoint → engine (openEngine: model, sidecars, backend) → dataset
 * opened in the model's geometry → `analyzePart`. The CLI (`analyze`, `demo`) and the extension's worker all call this, so a checkpoint
 * and a dataset are always paired the same way.
 */
import { basename, resolve } from 'node:path';
import type { Engine } from '../engine/engine';
import { isBuiltInBackend } from '../engine/backendName';
import { openEngine, splitEngineSelection, type EngineSelection } from '../engine/openEngine';
import { datasetPreprocessing, openDatasetForModel } from '../engine/openDatasetForModel';
import { preflight, type LoadProgress } from '../engine/preflight';
import type { Dataset } from '../data/types';
import { SoftMoeError, throwIfAborted } from '../errors';
import { openCheckpoint } from '../io/openCheckpoint';
import { detectSoftMoeLayers } from '../model/detect';
import { parametersPerExpert } from '../prune/pruneCheckpoint';
import type { CalibrationData } from './calibrate';
import { DEFAULT_CALIBRATION, parseCalibrationSpec } from './globalSelection';
import { analyzePart, type AnalyzeHooks } from './analyze';
import { combineParts } from './merge';
import { resolveOptions, shardRange, type AnalyzeOptions } from './options';
import type { AnalysisPartial } from './partial';
import type { Preprocessing } from './schema';
import { unsupportedSelectors } from './selectorSupport';
import { engineRunOptions, runIdentity, runRecord } from './runIdentity';
import { chooseEngines, earliestStarts, runSplit, type PartRunner } from '../parallel';

export interface AnalyzeCheckpointOptions extends Omit<AnalyzeOptions, 'checkpoint' | 'limit' | 'range' | 'calibration' | 'expertParameters'>, EngineSelection {
  /**
   * Built-in engine: engines to run at once, this one and `hooks.parts`' (default: `chooseEngines` — one per core
   * for a job big enough, else one). Ignored without `hooks.parts` and by the PyTorch engine, and with the `global`
   * selector (its calibration runs once, in one engine). Not part of the run's identity: the result is the same for
   * any number.
   */
  workers?: number;
  split?: 'train' | 'test';
  /** Keep only the first N examples of the dataset. */
  limit?: number | null;
  /**
   * Leave out selectors this model cannot run (the oracle needs one MoE layer with a linear readout) and say so
   * through `log`, instead of failing. The extension sets it (its settings apply to every model); the CLI does not
   * (a user who asked for the oracle should hear why it cannot run).
   */
  skipUnsupportedSelectors?: boolean;
  /**
   * `global` selector: which examples to calibrate on, as `train[:N]`, `train[A:B]` or a split name — of
   * `calibrationData` when given, else of the evaluation dataset. Default `train[:5000]`. The calibration examples
   * must not overlap the evaluation examples (E_USAGE otherwise).
   */
  calibration?: string;
  calibrationData?: string;
}

export { DEFAULT_CALIBRATION };

/** Whether two datasets hold the same image and label at `index` (one example read from each). */
async function sameExampleAt(a: Dataset, b: Dataset, index: number): Promise<boolean> {
  const first = async (d: Dataset) => {
    for await (const batch of d.batches(1, { start: index, end: index + 1 })) return batch;
    return null;
  };
  const [x, y] = [await first(a), await first(b)];
  if (!x || !y || x.y[0] !== y.y[0] || x.x.length !== y.x.length) return false;
  for (let i = 0; i < x.x.length; i++) if (x.x[i] !== y.x[i]) return false;
  return true;
}

/** Open the calibration examples of the global selector, refusing any that are evaluation examples. */
async function openCalibration(engine: Engine, dataset: Dataset, datasetPath: string, split: 'train' | 'test', calibration: string | undefined, calibrationData: string | undefined): Promise<CalibrationData> {
  const specText = calibration ?? DEFAULT_CALIBRATION;
  const spec = parseCalibrationSpec(specText);
  const calPath = calibrationData ?? datasetPath;
  const samePath = resolve(calPath) === resolve(datasetPath);
  if (samePath && spec.split === split && spec.start < dataset.numExamples) {
    throw new SoftMoeError('E_USAGE', `The calibration examples ${specText} of ${calPath} overlap the evaluation examples (${split}, the first ${dataset.numExamples}): calibrate on another split (e.g. --calibration train[:5000]), later examples, or other data (--calibration-data).`);
  }
  let calSet: Dataset;
  try {
    calSet = await openDatasetForModel(calPath, engine.info, { split: spec.split, limit: spec.end });
  } catch (err) {
    if (!(err instanceof SoftMoeError) || err.code !== 'E_DATASET') throw err;
    throw new SoftMoeError('E_DATASET', `The global selector's calibration examples (${specText}) cannot be read: ${err.userMessage.replace(/\.?$/, '.')} Calibrate on other data (--calibration-data) or on later examples of the evaluated split (e.g. test[${dataset.numExamples}:]).`, { cause: err });
  }
  try {
    const end = Math.min(calSet.numExamples, spec.end ?? calSet.numExamples);
    if (end <= spec.start) throw new SoftMoeError('E_DATASET', `${calPath}: the calibration range ${specText} holds no examples (the ${spec.split} split has ${calSet.numExamples}).`);
    // Formats without separate splits (one .npz, one image folder) give the same examples for train and test.
    if (samePath && spec.split !== split && spec.start < dataset.numExamples && (await sameExampleAt(calSet, dataset, spec.start))) {
      throw new SoftMoeError('E_USAGE', `${calPath} has no separate ${spec.split} split (its ${spec.split} and ${split} examples are the same), so ${specText} would calibrate on the evaluation examples: give other data with --calibration-data.`);
    }
    return { dataset: calSet, start: spec.start, end };
  } catch (err) {
    await calSet.close();
    throw err;
  }
}

export interface AnalyzeCheckpointHooks extends AnalyzeHooks {
  /** Where the other parts of a parallel run go (worker threads, src/pool); without it everything runs here. */
  parts?: PartRunner;
  /** Phase changes ('loading model', 'analyzing') for progress displays. */
  onPhase?: (phase: string) => void;
  /** Bytes of tensor data read while the model loads. */
  onLoadProgress?: (p: LoadProgress) => void;
  log?: (message: string) => void;
  /** The inputs' preprocessing, as soon as the model and dataset are open (before analysing): for warnings. */
  onPreprocessing?: (preprocessing: Preprocessing | undefined) => void;
}

/** Parameters of one expert (with its router slots) per MoE layer, from the checkpoint's header. */
async function expertParametersOf(path: string): Promise<number[]> {
  const ckpt = await openCheckpoint(path);
  try {
    return parametersPerExpert(ckpt, detectSoftMoeLayers(ckpt.tensors));
  } finally {
    await ckpt.close();
  }
}

export async function analyzeCheckpoint(
  checkpointPath: string,
  datasetPath: string,
  options: AnalyzeCheckpointOptions = {},
  hooks: AnalyzeCheckpointHooks = {},
): Promise<AnalysisPartial> {
  const { selection, rest } = splitEngineSelection(options);
  const { split = 'test', limit = null, skipUnsupportedSelectors = false, workers, calibration, calibrationData, ...analyzeOptions } = rest;
  hooks.onPhase?.('loading model');
  // Stamped before anything is read: a file that changes during the run leaves a result that no longer matches.
  const run = runRecord(await runIdentity({ checkpoint: checkpointPath, dataset: datasetPath, split, options: { ...analyzeOptions, limit, ...engineRunOptions(selection), ...(calibration ? { calibration } : {}), ...(calibrationData ? { calibrationData } : {}) }, toolVersion: analyzeOptions.toolVersion }));
  // Header first: a dataset the model cannot take is refused before any weight is read; the dataset opened for the
  // check is the one analysed.
  const checked: { dataset: Dataset | null } = { dataset: null };
  const opened = await openEngine(checkpointPath, {
    ...selection,
    ...(hooks.log ? { log: hooks.log } : {}), ...(hooks.signal ? { signal: hooks.signal } : {}),
    beforeLoad: async (ckpt, sidecars) => {
      checked.dataset = (await preflight(ckpt, sidecars, datasetPath, { split, limit })).dataset;
    },
    ...(hooks.onLoadProgress ? { onLoadProgress: hooks.onLoadProgress } : {}),
  }).catch(async (err: unknown) => {
    await checked.dataset?.close();
    throw err;
  });
  const { engine, checkpoint } = opened;
  hooks.log?.(`${basename(checkpoint.path)}: ${engine.description.label}`);
  try {
    throwIfAborted(hooks.signal);
    let selectors = analyzeOptions.selectors;
    const skipped = skipUnsupportedSelectors && selectors ? unsupportedSelectors(engine, selectors) : [];
    for (const x of skipped) hooks.log?.(`${basename(checkpoint.path)}: the ${x.selector} selector ${x.reason}; analyzing without it.`);
    if (skipped.length && selectors) selectors = selectors.filter((s) => !skipped.some((x) => x.selector === s));
    const dataset = checked.dataset ?? await openDatasetForModel(datasetPath, engine.info, { split, limit });
    checked.dataset = null;
    let cal: CalibrationData | undefined;
    try {
      hooks.onPreprocessing?.(datasetPreprocessing(engine.info, dataset));
      if (selectors?.includes('global')) cal = await openCalibration(engine, dataset, datasetPath, split, calibration, calibrationData);
      const expertParameters = await expertParametersOf(checkpoint.path);
      hooks.onPhase?.(cal ? 'calibrating' : 'analyzing');
      const opts: AnalyzeOptions = { ...analyzeOptions, ...(selectors ? { selectors } : {}), expertParameters, limit, run, checkpoint };
      let part: AnalysisPartial;
      if (cal) {
        // The global selector calibrates on an open dataset before it evaluates: one engine runs the whole job.
        part = await analyzePart(engine, dataset, { ...opts, calibration: cal }, { ...hooks, onCalibrationProgress: (done: number, total: number) => { if (done >= total) hooks.onPhase?.('analyzing'); } });
      } else {
        const job = { checkpoint: checkpointPath, dataset: datasetPath, split, limit, options: opts };
        part = await analyzeInParts(engine, dataset, job, workers, checkpoint.fileSize, hooks);
      }
      // Written into the result, so every view can say what was left out and why.
      if (skipped.length) part.head.options.skippedSelectors = skipped;
      return part;
    } finally {
      await dataset.close();
      await cal?.dataset.close();
    }
  } finally {
    await checked.dataset?.close();
    await engine.dispose();
  }
}

/**
 * `analyzePart` over the job's examples, split over this engine and `hooks.parts`' when that pays (parallel.ts,
 * runSplit): this engine starts at once, the others in worker threads take their share of what is left once they
 * are open, and the parts combine exactly. Parts are whole batches from the range's start, so every input is
 * batched as in one run (the `batch` selector, Algorithm 2, depends on that).
 */
async function analyzeInParts(
  engine: Engine, dataset: Dataset, job: { checkpoint: string; dataset: string; split: 'train' | 'test'; limit: number | null; options: AnalyzeOptions },
  workers: number | undefined, modelBytes: number, hooks: AnalyzeCheckpointHooks,
): Promise<AnalysisPartial> {
  const runner = hooks.parts;
  const backend = engine.description.backend;
  if (!runner || engine.description.kind !== 'tfjs' || !isBuiltInBackend(backend)) return analyzePart(engine, dataset, job.options, hooks);
  const opts = resolveOptions(job.options, engine.info.moeLayers[0]?.numExperts ?? 1);
  const whole = shardRange(dataset.numExamples, opts.batchSize, opts.shard);
  const fast = engine.linearReadout && engine.info.moeLayers.length === 1;
  const passes = fast ? 1 : 1 + opts.ks.length * opts.drops.length * (opts.counted.length + opts.trials);
  const engines = chooseEngines({
    ...(workers !== undefined ? { requested: workers } : {}), cores: runner.extra + 1, modelBytes,
    work: (whole.end - whole.start) * engine.info.parameterCount * passes,
  });
  if (engines <= 1 || whole.end - whole.start <= opts.batchSize) return analyzePart(engine, dataset, job.options, hooks);
  hooks.log?.(`analyzing examples ${whole.start}–${whole.end} on ${engines} engines at once (${engine.description.label} in each; the split is made when all are ready)`);
  const t0 = performance.now();
  const total = whole.end - whole.start;
  const report = (done: number) => {
    const secs = (performance.now() - t0) / 1000;
    hooks.onProgress?.({ done, total, examplesPerSecond: secs > 0 ? done / secs : 0 });
  };
  const { shard: _shard, ...partOptions } = job.options;
  const parts = await runSplit(whole, opts.batchSize,
    (openRange, signal, onProgress) => analyzePart(engine, dataset, job.options, { signal, openRange, onProgress: (p) => onProgress(p.done) }),
    earliestStarts(whole, opts.batchSize, engines).map((readFrom) => (signal: AbortSignal, onProgress: (done: number) => void) => runner.analyze({ ...job, options: partOptions, backend, readFrom }, { signal, onProgress })),
    hooks.signal, report);
  const joined = combineParts(parts, (performance.now() - t0) / 1000);
  const described = engine.description;
  // Every output says what ran: here, several engines at once (unless this one was done before the others opened).
  if (parts.length > 1) joined.head.tool.engine = { ...described, label: `${described.label}, ${parts.length} engines at once` };
  return joined;
}
