/**
 * The whole analysis pipeline from paths: checkpoint → engine (openEngine: model, sidecars, backend) → dataset
 * opened in the model's geometry → `analyzePart`. The CLI (`analyze`, `demo`) and the extension's worker all call this, so a checkpoint
 * and a dataset are always paired the same way.
 */
import { basename } from 'node:path';
import type { Engine } from '../engine/engine';
import { openEngine, type OpenEngineOptions } from '../engine/openEngine';
import { datasetPreprocessing, openDatasetForModel } from '../engine/openDatasetForModel';
import { throwIfAborted } from '../errors';
import { analyzePart, type AnalyzeHooks } from './analyze';
import type { AnalyzeOptions } from './options';
import type { AnalysisPartial } from './partial';
import type { Preprocessing, SelectorName } from './schema';

export interface AnalyzeCheckpointOptions extends Omit<AnalyzeOptions, 'checkpoint' | 'limit'>, Omit<OpenEngineOptions, 'sidecars'> {
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
  /** Phase changes ('loading model', 'analysing') for progress displays. */
  onPhase?: (phase: string) => void;
  log?: (message: string) => void;
  /** The inputs' preprocessing, as soon as the model and dataset are open (before analysing): for warnings. */
  onPreprocessing?: (preprocessing: Preprocessing | undefined) => void;
}

/** Selectors of `selectors` that `engine` can run (the oracle needs one MoE layer with a linear readout). */
export function supportedSelectors(engine: Engine, selectors: SelectorName[]): SelectorName[] {
  const oracleFits = engine.linearReadout && engine.info.moeLayers.length === 1;
  return oracleFits ? selectors : selectors.filter((s) => s !== 'oracle');
}

export async function analyzeCheckpoint(
  checkpointPath: string,
  datasetPath: string,
  options: AnalyzeCheckpointOptions = {},
  hooks: AnalyzeCheckpointHooks = {},
): Promise<AnalysisPartial> {
  const { split = 'test', limit = null, skipUnsupportedSelectors = false, engine: engineKind, backend, ...analyzeOptions } = options;
  hooks.onPhase?.('loading model');
  const { engine, checkpoint } = await openEngine(checkpointPath, { ...(engineKind ? { engine: engineKind } : {}), ...(backend ? { backend } : {}) });
  try {
    throwIfAborted(hooks.signal);
    let selectors = analyzeOptions.selectors;
    if (skipUnsupportedSelectors && selectors) {
      const kept = supportedSelectors(engine, selectors);
      if (kept.length !== selectors.length) {
        hooks.log?.(`${basename(checkpoint.path)}: the oracle selector needs the paper's MNIST model (one Soft MoE layer, linear readout); analysing without it.`);
      }
      selectors = kept;
    }
    const dataset = await openDatasetForModel(datasetPath, engine.info, { split, limit });
    try {
      hooks.onPreprocessing?.(datasetPreprocessing(engine.info, dataset));
      hooks.onPhase?.('analysing');
      return await analyzePart(engine, dataset, {
        ...analyzeOptions,
        ...(selectors ? { selectors } : {}),
        limit,
        checkpoint,
      }, hooks);
    } finally {
      await dataset.close();
    }
  } finally {
    await engine.dispose();
  }
}
