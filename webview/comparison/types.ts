import type { DropMode } from '../../src/core/analysis/schema';
import type { ComparisonMode } from '../../src/core/protocol/webviewProtocol';
import type { RunInput } from '../../src/core/report/comparison';

export interface ComparisonState {
  drop: DropMode;
  /** Fraction of experts for the per-class deltas. */
  fraction: number;
  diffOnly: boolean;
}

export interface ComparisonContext {
  mode: ComparisonMode;
  title: string;
  runs: RunInput[];
  state: ComparisonState;
  set(patch: Partial<ComparisonState>): void;
}

/** A section of the comparison page: built once, updated when the state changes. */
export interface Section {
  update(ctx: ComparisonContext): void;
}
