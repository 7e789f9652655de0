/**
 * Which selectors a model can run, decided once: `analyze` refuses a selector the model cannot run, and
 * `analyzeCheckpoint` (with `skipUnsupportedSelectors`) leaves it out and records why — both ask this function.
 * Today only the oracle has a requirement: its exhaustive search is affordable only through the linear readout of
 * a model with one Soft MoE layer (the paper's MNIST model, the analysis fast path).
 */
import type { Engine } from '../engine/engine';
import type { SelectorName, SkippedSelector } from './schema';

/** Why a model without the fast path cannot run the oracle (in logs, errors and the result). */
export const ORACLE_NEEDS = "needs the paper's MNIST model (one Soft MoE layer followed by a linear readout)";

/** The selectors of `selectors` that `engine`'s model cannot run, each with the reason. */
export function unsupportedSelectors(engine: Pick<Engine, 'linearReadout' | 'info'>, selectors: readonly SelectorName[]): SkippedSelector[] {
  const fastPath = engine.linearReadout && engine.info.moeLayers.length === 1;
  return fastPath ? [] : selectors.filter((s) => s === 'oracle').map((selector) => ({ selector, reason: ORACLE_NEEDS }));
}
