/**
 * Entry of dist/webview.js. In a VS Code webview it speaks the typed protocol with the extension; in a
 * standalone report (a <script type="application/json" id="softmoe-result"> on the page) it renders that result.
 */
import * as l10n from '@vscode/l10n';
import css from './styles.css';
import { renderReport } from './renderReport';
import { startVsCodeBridge } from './vscodeBridge';
import { renderAnalysis } from './analysisApp';
import { renderCheckpoint } from './checkpointApp';
import { renderComparison } from './comparisonApp';

function injectStyles(): void {
  const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce ?? document.querySelector('script[nonce]')?.getAttribute('nonce') ?? '';
  // Lit (vscode-elements) adds <style> tags with this nonce where adoptedStyleSheets are missing.
  (globalThis as { litNonce?: string }).litNonce = nonce;
  const style = document.createElement('style');
  if (nonce) style.nonce = nonce;
  style.textContent = css;
  document.head.append(style);
}

function rootElement(): HTMLElement {
  let root = document.getElementById('app');
  if (!root) {
    root = document.createElement('main');
    root.id = 'app';
    document.body.append(root);
  }
  return root;
}

(globalThis as Record<string, unknown>).SoftMoeReport = { renderReport, renderAnalysis, renderCheckpoint, renderComparison };

/** The display language's strings, embedded by the host (absent: English), before anything renders. */
function configureL10n(): void {
  const el = document.getElementById('softmoe-l10n');
  if (!el) return;
  try {
    l10n.config({ contents: JSON.parse(el.textContent ?? '{}') as Record<string, string> });
  } catch {
    // A broken bundle leaves the English strings.
  }
}

configureL10n();
injectStyles();
const embedded = document.getElementById('softmoe-result');
if (embedded) {
  const state = document.getElementById('softmoe-state');
  renderReport(rootElement(), JSON.parse(embedded.textContent ?? 'null') as Parameters<typeof renderReport>[1], state ? JSON.parse(state.textContent ?? 'null') as unknown : null);
} else if (typeof acquireVsCodeApi === 'function') {
  startVsCodeBridge(rootElement());
}
