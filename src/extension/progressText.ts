/** The progress notification's text and increments (no vscode import). */
import type { WorkerProgress } from '../core/protocol/workerProtocol';
import { formatBytes } from '../core/report/units';

export interface ProgressStep {
  /** Percent to add since the last report (VS Code's progress takes increments). */
  increment: number;
  message: string;
}

/** Share of the bar that loading the model's tensors fills; the analysis fills the rest. */
export const LOAD_SHARE = 10;

export class ProgressTracker {
  private lastPercent = 0;

  step(p: Pick<WorkerProgress, 'done' | 'total' | 'examplesPerSecond' | 'phase' | 'unit'>): ProgressStep {
    const fraction = p.total > 0 ? Math.min(1, Math.max(0, p.done / p.total)) : null;
    const bytes = p.unit === 'bytes';
    const bar = fraction === null ? this.lastPercent : bytes ? LOAD_SHARE * fraction : LOAD_SHARE + (100 - LOAD_SHARE) * fraction;
    const increment = Math.max(0, bar - this.lastPercent);
    this.lastPercent = Math.max(this.lastPercent, bar);
    if (bytes) {
      return { increment, message: p.total > 0 ? `${p.phase} — ${formatBytes(p.done)} of ${formatBytes(p.total)}` : p.phase };
    }
    const rate = p.examplesPerSecond > 0 ? ` · ${Math.round(p.examplesPerSecond).toLocaleString('en-US')} examples/s` : '';
    return { increment, message: fraction === null ? p.phase : `${p.phase} — ${Math.floor(100 * fraction)}%${rate}` };
  }
}
