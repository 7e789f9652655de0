/**
 * The whole analysis pipeline from paths: checkpoint → engine (openEngine: model, sidecars, backend) → dataset
 * opened in the model's geometry → `analyzePart`. The CLI (`analyze`, `demo`) and the extension's worker all call this, so a checkpoint
 * and a dataset are always paired the same way.
 */
import { basename } from 'node:path';
import { openEngine, splitEngineSelection, type EngineSelection } from '../engine/openEngine';
import { datasetPreprocessing, openDatasetForModel } from '../engine/openDatasetForModel';
import { preflight, type LoadProgress } from '../engine/preflight';
import type { Dataset } from '../data/types';
import { throwIfAborted } from '../errors';
import { analyzePart, type AnalyzeHooks } from './analyze';
import type { AnalyzeOptions } from './options';
import type { AnalysisPartial } from './partial';
import type { Preprocessing } from './schema';
import { unsupportedSelectors } from './selectorSupport';
import { engineRunOptions, runIdentity, runRecord } from './runIdentity';

export interface AnalyzeCheckpointOptions extends Omit<AnalyzeOptions, 'checkpoint' | 'limit'>, EngineSelection {
  split?: 'train' | 'test';
  /** Keep only the first N examples of the dataset. */
  limit?: number | null;
  /**
   * Leave out selectors this model cannot run (the oracle needs one MoE layer with a linear readout) and say so
   * through `log`, instead of failing. The extension sets it (its settings apply to every model); the CLI does not
   * (a user who asked for the oracle should hear why it cannot run).
   */
  skipUnsupportedSelectors?: boolean;
}

export interface AnalyzeCheckpointHooks extends AnalyzeHooks {
  /** Phase changes ('loading model', 'analyzing') for progress displays. */
  onPhase?: (phase: string) => void;
  /** Bytes of tensor data read while the model loads. */
  onLoadProgress?: (p: LoadProgress) => void;
  log?: (message: string) => void;
  /** The inputs' preprocessing, as soon as the model and dataset are open (before analysing): for warnings. */
  onPreprocessing?: (preprocessing: Preprocessing | undefined) => void;
}

export async function analyzeCheckpoint(
  checkpointPath: string,
  datasetPath: string,
  options: AnalyzeCheckpointOptions = {},
  hooks: AnalyzeCheckpointHooks = {},
): Promise<AnalysisPartial> {
  const { selection, rest } = splitEngineSelection(options);
  const { split = 'test', limit = null, skipUnsupportedSelectors = false, ...analyzeOptions } = rest;
  hooks.onPhase?.('loading model');
  // Stamped before anything is read: a file that changes during the run leaves a result that no longer matches.
  const run = runRecord(await runIdentity({ checkpoint: checkpointPath, dataset: datasetPath, split, options: { ...analyzeOptions, limit, ...engineRunOptions(selection) }, toolVersion: analyzeOptions.toolVersion }));
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
    try {
      hooks.onPreprocessing?.(datasetPreprocessing(engine.info, dataset));
      hooks.onPhase?.('analyzing');
      const part = await analyzePart(engine, dataset, {
        ...analyzeOptions,
        ...(selectors ? { selectors } : {}),
        limit,
        run,
        checkpoint,
      }, hooks);
      // Written into the result, so every view can say what was left out and why.
      if (skipped.length) part.head.options.skippedSelectors = skipped;
      return part;
    } finally {
      await dataset.close();
    }
  } finally {
    await checked.dataset?.close();
    await engine.dispose();
  }
}
