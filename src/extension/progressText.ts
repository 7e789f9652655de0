/** The progress notification's text and increments (no vscode import). */
import * as l10n from '@vscode/l10n';
import type { WorkerProgress } from '../core/protocol/workerProtocol';
import { formatBytes } from '../core/report/units';

export interface ProgressStep {
  /** Percent to add since the last report (VS Code's progress takes increments). */
  increment: number;
  message: string;
}

/** The worker's phase names as people read them (a phase this build does not know is shown as it is). */
export function phaseText(phase: string): string {
  const known: Record<string, string> = { 'loading model': l10n.t('loading model'), analyzing: l10n.t('analyzing') };
  return known[phase] ?? phase;
}

/** Share of the bar that loading the model's tensors fills; the analysis fills the rest. */
export const LOAD_SHARE = 10;

export class ProgressTracker {
  private lastPercent = 0;

  step(p: Pick<WorkerProgress, 'done' | 'total' | 'examplesPerSecond' | 'phase' | 'unit'>): ProgressStep {
    const fraction = p.total > 0 ? Math.min(1, Math.max(0, p.done / p.total)) : null;
    const bytes = p.unit === 'bytes';
    const phase = phaseText(p.phase);
    const bar = fraction === null ? this.lastPercent : bytes ? LOAD_SHARE * fraction : LOAD_SHARE + (100 - LOAD_SHARE) * fraction;
    const increment = Math.max(0, bar - this.lastPercent);
    this.lastPercent = Math.max(this.lastPercent, bar);
    if (bytes) {
      return { increment, message: p.total > 0 ? l10n.t`${phase} — ${formatBytes(p.done)} of ${formatBytes(p.total)}` : phase };
    }
    const rate = p.examplesPerSecond > 0 ? l10n.t` · ${Math.round(p.examplesPerSecond).toLocaleString('en-US')} examples/s` : '';
    return { increment, message: fraction === null ? phase : `${l10n.t`${phase} — ${Math.floor(100 * fraction)}%`}${rate}` };
  }
}
