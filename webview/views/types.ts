import type { AnalysisResult } from '../../src/core/analysis/schema';
import type { PanelState } from '../../src/core/protocol/webviewProtocol';

/** What every analysis view receives: the result, the current (resolved) state, and a way to change it. */
export interface ViewContext {
  result: AnalysisResult;
  state: PanelState;
  set(patch: Partial<PanelState>): void;
  /** Write a pruned checkpoint with the global subset at k (only in VS Code, and only for results with one). */
  prune?: (k: number) => void;
}

/** A view builds its skeleton once in `mount`, then `update` redraws what depends on the state. */
export interface View {
  id: string;
  /** The tab's label (a function: localised strings are looked up once the webview has its bundle). */
  title(): string;
  mount(container: HTMLElement, ctx: ViewContext): { update(ctx: ViewContext): void };
}
