/** The progress notification's text and increments (no vscode import). */
import type { WorkerProgress } from '../core/protocol/workerProtocol';

export interface ProgressStep {
  /** Percent to add since the last report (VS Code's progress takes increments). */
  increment: number;
  message: string;
}

export class ProgressTracker {
  private lastPercent = 0;

  step(p: Pick<WorkerProgress, 'done' | 'total' | 'examplesPerSecond' | 'phase'>): ProgressStep {
    const percent = p.total > 0 ? Math.min(100, Math.max(0, (100 * p.done) / p.total)) : this.lastPercent;
    const increment = Math.max(0, percent - this.lastPercent);
    this.lastPercent = Math.max(this.lastPercent, percent);
    const rate = p.examplesPerSecond > 0 ? ` · ${Math.round(p.examplesPerSecond).toLocaleString('en-US')} examples/s` : '';
    return { increment, message: `${p.phase} — ${Math.floor(this.lastPercent)}%${rate}` };
  }
}
