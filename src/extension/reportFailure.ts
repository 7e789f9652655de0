import * as vscode from 'vscode';
import { toSoftMoeError } from '../core/errors';
import type { Services } from './services';

/** How a command that runs several analyses ends on an error: a cancel is a note (what finished is cached), else the error with Show Log. */
export async function reportFailure(services: Services, err: unknown, what: string): Promise<void> {
  const e = toSoftMoeError(err);
  if (e.code === 'E_CANCELLED') {
    services.log.info(`${what} cancelled`);
    void vscode.window.showInformationMessage(vscode.l10n.t('Cancelled: the analyses finished so far are cached.'));
    return;
  }
  await services.log.showError(e, what);
}
