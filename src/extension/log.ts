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

  /** Log the details, show the one-line message with a "Show Log" action. */
  async showError(err: unknown, context: string): Promise<void> {
    const e = toSoftMoeError(err);
    this.error(`${context}: [${e.code}] ${e.userMessage}${e.stack ? `\n${e.stack}` : ''}`);
    const showLog = vscode.l10n.t('Show Log');
    const pick = await vscode.window.showErrorMessage(e.userMessage, showLog);
    if (pick === showLog) this.show();
  }

  dispose(): void {
    this.channel?.dispose();
  }
}
