/**
 * The whole analysis pipeline from paths: checkpoint → model (with its sidecars) → dataset opened in the model's
 * geometry → `analyzePart`. The CLI (`analyze`, `demo`) and the extension's worker all call this, so a checkpoint
 * and a dataset are always paired the same way.
 */
import { basename, resolve } from 'node:path';
import { modelFromCheckpoint } from '../engine/loadModel';
import { openDatasetForModel } from '../engine/openDatasetForModel';
import type { SoftMoeModel } from '../engine/model';
import { throwIfAborted } from '../errors';
import { openCheckpoint } from '../io/openCheckpoint';
import { readSidecars } from '../model/sidecar';
import { analyzePart, type AnalyzeHooks } from './analyze';
import type { AnalyzeOptions } from './options';
import type { AnalysisPartial } from './partial';
import type { SelectorName } from './schema';

export interface AnalyzeCheckpointOptions extends Omit<AnalyzeOptions, 'checkpoint' | 'limit'> {
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
}

/** Selectors of `selectors` that `model` can run. */
export function supportedSelectors(model: SoftMoeModel, selectors: SelectorName[]): SelectorName[] {
  const oracleFits = model.linearReadout !== undefined && model.info.moeLayers.length === 1;
  return oracleFits ? selectors : selectors.filter((s) => s !== 'oracle');
}

export async function analyzeCheckpoint(
  checkpointPath: string,
  datasetPath: string,
  options: AnalyzeCheckpointOptions = {},
  hooks: AnalyzeCheckpointHooks = {},
): Promise<AnalysisPartial> {
  const { split = 'test', limit = null, skipUnsupportedSelectors = false, ...analyzeOptions } = options;
  const path = resolve(checkpointPath);
  hooks.onPhase?.('loading model');
  const ckpt = await openCheckpoint(path);
  let model: SoftMoeModel;
  try {
    model = await modelFromCheckpoint(ckpt, await readSidecars(ckpt.path));
  } finally {
    await ckpt.close();
  }
  try {
    throwIfAborted(hooks.signal);
    let selectors = analyzeOptions.selectors;
    if (skipUnsupportedSelectors && selectors) {
      const kept = supportedSelectors(model, selectors);
      if (kept.length !== selectors.length) {
        hooks.log?.(`${basename(path)}: the oracle selector needs the paper's MNIST model (one Soft MoE layer, linear readout); analysing without it.`);
      }
      selectors = kept;
    }
    const dataset = await openDatasetForModel(datasetPath, model, { split, limit });
    try {
      hooks.onPhase?.('analysing');
      return await analyzePart(model, dataset, {
        ...analyzeOptions,
        ...(selectors ? { selectors } : {}),
        limit,
        checkpoint: { path, name: basename(path), format: ckpt.format, fileSize: ckpt.fileSize },
      }, hooks);
    } finally {
      await dataset.close();
    }
  } finally {
    model.dispose();
  }
}
