/**
 * The HTML shell of every webview (checkpoint editor, analysis panel). No vscode import, so the webview
 * tests load exactly this page in Chromium. Strict CSP: scripts only with a fresh crypto nonce, styles only
 * from the nonce'd <style> or the extension's own files, images as data/blob URLs (sample canvases), no network.
 */
import { randomBytes } from 'node:crypto';

export interface WebviewHtmlOptions {
  /** `webview.cspSource`: the origin VS Code serves the extension's local resources from. */
  cspSource: string;
  /** `webview.asWebviewUri(dist/webview.js)`, as a string. */
  scriptUri: string;
  title: string;
  nonce?: string;
  /**
   * The translations of the webview's strings for the display language (`vscode.l10n.bundle`), embedded as JSON
   * for `@vscode/l10n` in the page; absent: English.
   */
  l10n?: Record<string, string>;
}

/** JSON that can sit inside a <script> element: no `<` can close it or open a comment. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c');
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data: blob:`,
    `font-src ${cspSource} data:`,
  ].join('; ');
}

function attr(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function buildWebviewHtml(o: WebviewHtmlOptions): string {
  const nonce = o.nonce ?? makeNonce();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(o.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${attr(o.title)}</title>
</head>
<body>
<main id="app"></main>
${o.l10n ? `<script type="application/json" id="softmoe-l10n">${scriptJson(o.l10n)}</script>\n` : ''}<script nonce="${attr(nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>
`;
}
