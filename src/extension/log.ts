import * as vscode from 'vscode';
import { toSoftMoeError } from '../core/errors';

/** The "Soft MoE Inspector" output channel (created on first use) and error reporting with "Show Log". */
export class Log implements vscode.Disposable {
  private channel: vscode.LogOutputChannel | null = null;

  private get out(): vscode.LogOutputChannel {
    this.channel ??= vscode.window.createOutputChannel('Soft MoE Inspector', { log: true });
    return this.channel;
  }

  info(message: string): void {
    this.out.info(message);
  }

  warn(message: string): void {
    this.out.warn(message);
  }

  error(message: string): void {
    this.out.error(message);
  }

  show(): void {
    this.out.show(true);
  }

  /**
   * Log the details, show the one-line message with `actions` (e.g. "Choose Dataset…") and "Show Log". Resolves
   * with the action picked (Show Log is handled here).
   */
  async showError(err: unknown, context: string, actions: string[] = []): Promise<string | undefined> {
    const e = toSoftMoeError(err);
    this.error(`${context}: [${e.code}] ${e.userMessage}${e.stack ? `\n${e.stack}` : ''}`);
    const showLog = vscode.l10n.t('Show Log');
    const pick = await vscode.window.showErrorMessage(e.userMessage, ...actions, showLog);
    if (pick === showLog) this.show();
    return pick;
  }

  dispose(): void {
    this.channel?.dispose();
  }
}
