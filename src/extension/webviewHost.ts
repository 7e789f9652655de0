/**
 * The host's side of the webview protocol for one webview: answers `ready` with the handshake (computing the
 * view lazily), routes requests to handlers and always answers them, logs webview errors.
 */
import * as vscode from 'vscode';
import { toErrorPayload } from '../core/errors';
import { dispatchRequest, handshake, isRequest, parseWebviewMessage } from '../core/protocol/webviewProtocol';
import type { HostToWebview, PanelState, RequestHandlers, ViewModel } from '../core/protocol/webviewProtocol';
import type { Log } from './log';
import { buildWebviewHtml } from './webviewHtml';

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

export function setWebviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): void {
  webview.html = buildWebviewHtml({
    cspSource: webview.cspSource,
    scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString(),
    title,
    ...(vscode.l10n.bundle ? { l10n: vscode.l10n.bundle } : {}),
  });
}

export interface HostHandlers {
  /** Build what the webview shows; called at each `ready` (a webview reloads when it is moved or restored). */
  view(): Promise<ViewModel>;
  state?: Partial<PanelState>;
  /** The requests this webview serves, each typed with its reply (others are answered E_UNSUPPORTED). */
  requests: RequestHandlers;
}

export function attachWebviewHost(webview: vscode.Webview, handlers: HostHandlers, log: Log): vscode.Disposable {
  const post = (m: HostToWebview): Thenable<boolean> => webview.postMessage(m);
  return webview.onDidReceiveMessage(async (raw: unknown) => {
    const m = parseWebviewMessage(raw);
    if (!m) {
      log.warn(`webview sent a message the extension does not understand: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (m.type === 'ready') {
      let view: ViewModel;
      try {
        view = await handlers.view();
      } catch (err) {
        const error = toErrorPayload(err);
        log.error(`${error.userMessage}\n${error.detail ?? ''}`);
        await post({ type: 'error', error: { code: error.code, userMessage: error.userMessage } });
        return;
      }
      await post(handshake(m, view, handlers.state));
    } else if (m.type === 'showLog') {
      log.show();
    } else if (m.type === 'webviewError') {
      log.error(`webview: ${m.message}`);
    } else if (isRequest(m)) {
      await post(await dispatchRequest(m, handlers.requests, (err) => {
        const p = toErrorPayload(err);
        if (p.code !== 'E_CANCELLED') log.error(`${m.type}: ${p.userMessage}\n${p.detail ?? ''}`);
        return p;
      }));
    }
  });
}
