/**
 * Which selectors a model can run, decided once: `analyze` refuses a selector the model cannot run, and
 * `analyzeCheckpoint` (with `skipUnsupportedSelectors`) leaves it out and records why — both ask this function.
 * What a selector needs of the model is its registry entry's `needs` (selectorRegistry.ts); today only
 * `linearReadout` is a requirement a model can fail: the oracle's exhaustive search is affordable only through the
 * linear readout of a model with one Soft MoE layer (the paper's MNIST model, the analysis fast path). A calibration
 * split is a usage requirement of the run, not of the model (analyze.ts refuses a global selector without one).
 */
import type { Engine } from '../engine/engine';
import type { SkippedSelector } from './schema';
import { selectorSpec, type SelectorName } from './selectorRegistry';

/** Why a model without the fast path cannot run a selector that needs the linear readout (in logs, errors and the result). */
export const ORACLE_NEEDS = "needs the paper's MNIST model (one Soft MoE layer followed by a linear readout)";

/** The selectors of `selectors` that `engine`'s model cannot run, each with the reason. */
export function unsupportedSelectors(engine: Pick<Engine, 'linearReadout' | 'info'>, selectors: readonly SelectorName[]): SkippedSelector[] {
  const fastPath = engine.linearReadout && engine.info.moeLayers.length === 1;
  if (fastPath) return [];
  return selectors.filter((s) => selectorSpec(s).needs.linearReadout === true).map((selector) => ({ selector, reason: ORACLE_NEEDS }));
}
