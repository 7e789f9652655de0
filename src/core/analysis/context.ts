/**
 * What every batch of a run shares: the engine, the resolved options and the model's sizes.
 */
import type { Engine } from '../engine/engine';
import type { ResolvedOptions } from './options';
import type { DropMode } from './schema';

export interface RunContext {
  engine: Engine;
  opts: ResolvedOptions;
  numExperts: number;
  numClasses: number;
  numLayers: number;
  signal?: AbortSignal;
  /** `global` selector: per drop mode, per MoE layer, the calibrated expert order (globalSelection.ts). */
  global?: Partial<Record<DropMode, number[][]>>;
  /** Fast path: the readout was checked against the model's logits on the first batch. */
  readoutChecked?: boolean;
}
