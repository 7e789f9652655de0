/**
 * Loads dist/webview.js in headless Chromium inside the same HTML shell (and CSP) the extension serves, with a
 * stubbed `acquireVsCodeApi` that records posted messages and saved state. Builds the bundle when it is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { buildWebviewHtml } from '../../src/extension/webviewHtml';

export const ROOT = join(__dirname, '..', '..');
export const SHOTS = join(ROOT, 'test-results', 'webview');
const ORIGIN = 'https://webview.test';
export const CHROMIUM = process.env.SOFTMOE_CHROMIUM ?? '/usr/bin/chromium';

export function ensureBundle(): string {
  const js = join(ROOT, 'dist', 'webview.js');
  if (!existsSync(js)) {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('node scripts/build.mjs failed');
  }
  return js;
}

export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'webview', name), 'utf8')) as T;
}

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set SOFTMOE_CHROMIUM)`);
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export type Theme = 'light' | 'dark' | 'high-contrast';

/** The variables VS Code sets on <html> for its default themes (a subset: what the views read). */
export const THEME_VARS: Record<Theme, Record<string, string>> = {
  light: {
    '--vscode-foreground': '#3b3b3b', '--vscode-descriptionForeground': '#6f6f6f', '--vscode-editor-background': '#ffffff',
    '--vscode-panel-border': '#e5e5e5', '--vscode-editorWidget-background': '#f8f8f8', '--vscode-editorWidget-border': '#c8c8c8',
    '--vscode-widget-border': '#e5e5e5', '--vscode-focusBorder': '#005fb8', '--vscode-button-background': '#005fb8', '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#e5e5e5', '--vscode-button-secondaryForeground': '#3b3b3b',
    '--vscode-charts-blue': '#1a85ff', '--vscode-charts-orange': '#d18616', '--vscode-charts-green': '#388a34',
    '--vscode-charts-purple': '#652d90', '--vscode-charts-yellow': '#bf8803', '--vscode-charts-red': '#e51400',
    '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', '--vscode-font-size': '13px',
    '--vscode-list-hoverBackground': '#f2f2f2', '--vscode-list-inactiveSelectionBackground': '#e4e6f1',
    '--vscode-settings-checkboxBackground': '#f8f8f8', '--vscode-settings-checkboxBorder': '#cecece', '--vscode-settings-checkboxForeground': '#3b3b3b', '--vscode-settings-headerBorder': '#e5e5e5', '--vscode-panel-background': '#f8f8f8',
    '--vscode-input-background': '#ffffff', '--vscode-input-border': '#cecece', '--vscode-input-foreground': '#3b3b3b',
    '--vscode-panelTitle-activeForeground': '#3b3b3b', '--vscode-panelTitle-activeBorder': '#005fb8', '--vscode-panelTitle-inactiveForeground': '#3b3b3b',
    '--vscode-settings-textInputBackground': '#ffffff', '--vscode-settings-textInputBorder': '#cecece', '--vscode-settings-textInputForeground': '#3b3b3b', '--vscode-input-placeholderForeground': '#767676',
    '--vscode-button-hoverBackground': '#0258a8', '--vscode-button-secondaryHoverBackground': '#cccccc', '--vscode-scrollbarSlider-background': '#64646466',
  },
  dark: {
    '--vscode-foreground': '#cccccc', '--vscode-descriptionForeground': '#9d9d9d', '--vscode-editor-background': '#1f1f1f',
    '--vscode-panel-border': '#2b2b2b', '--vscode-editorWidget-background': '#202020', '--vscode-editorWidget-border': '#454545',
    '--vscode-widget-border': '#313131', '--vscode-focusBorder': '#0078d4', '--vscode-button-background': '#0078d4', '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#313131', '--vscode-button-secondaryForeground': '#cccccc',
    '--vscode-charts-blue': '#3794ff', '--vscode-charts-orange': '#d18616', '--vscode-charts-green': '#89d185',
    '--vscode-charts-purple': '#b180d7', '--vscode-charts-yellow': '#cca700', '--vscode-charts-red': '#f14c4c',
    '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', '--vscode-font-size': '13px',
    '--vscode-list-hoverBackground': '#2a2d2e', '--vscode-list-inactiveSelectionBackground': '#37373d',
    '--vscode-settings-checkboxBackground': '#313131', '--vscode-settings-checkboxBorder': '#3c3c3c', '--vscode-settings-checkboxForeground': '#cccccc', '--vscode-settings-headerBorder': '#2b2b2b', '--vscode-panel-background': '#181818',
    '--vscode-input-background': '#313131', '--vscode-input-border': '#3c3c3c', '--vscode-input-foreground': '#cccccc',
    '--vscode-panelTitle-activeForeground': '#cccccc', '--vscode-panelTitle-activeBorder': '#0078d4', '--vscode-panelTitle-inactiveForeground': '#9d9d9d',
    '--vscode-settings-textInputBackground': '#313131', '--vscode-settings-textInputBorder': '#3c3c3c', '--vscode-settings-textInputForeground': '#cccccc', '--vscode-input-placeholderForeground': '#989898',
    '--vscode-button-hoverBackground': '#026ec1', '--vscode-button-secondaryHoverBackground': '#3c3c3c', '--vscode-scrollbarSlider-background': '#79797966',
  },
  'high-contrast': {
    '--vscode-foreground': '#ffffff', '--vscode-descriptionForeground': '#ffffffb3', '--vscode-editor-background': '#000000',
    '--vscode-panel-border': '#6fc3df', '--vscode-editorWidget-background': '#0c141f', '--vscode-editorWidget-border': '#6fc3df',
    '--vscode-widget-border': '#6fc3df', '--vscode-focusBorder': '#f38518', '--vscode-contrastBorder': '#6fc3df', '--vscode-button-background': '#000000', '--vscode-button-foreground': '#ffffff',
    '--vscode-charts-blue': '#3794ff', '--vscode-charts-orange': '#d18616', '--vscode-charts-green': '#89d185',
    '--vscode-charts-purple': '#b180d7', '--vscode-charts-yellow': '#cca700', '--vscode-charts-red': '#f14c4c',
    '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif', '--vscode-font-size': '13px',
    '--vscode-panelTitle-activeForeground': '#ffffff', '--vscode-panelTitle-activeBorder': '#f38518', '--vscode-panelTitle-inactiveForeground': '#ffffff',
    '--vscode-settings-textInputBackground': '#000000', '--vscode-settings-textInputForeground': '#ffffff', '--vscode-button-border': '#6fc3df', '--vscode-settings-checkboxBackground': '#000000', '--vscode-settings-checkboxBorder': '#6fc3df', '--vscode-settings-checkboxForeground': '#ffffff', '--vscode-settings-headerBorder': '#6fc3df', '--vscode-panel-background': '#000000',
  },
};

export interface WebviewPage {
  page: Page;
  /** Messages the webview posted to the host. */
  posted(): Promise<Array<{ type: string; [k: string]: unknown }>>;
  /** The last state the webview saved with setState. */
  savedState(): Promise<Record<string, unknown> | null>;
  /** Deliver a host → webview message. */
  send(message: unknown): Promise<void>;
  /** CSP violations reported by the page. */
  cspViolations(): Promise<string[]>;
  /** Uncaught errors and console errors seen so far. */
  errors: string[];
}

/** `l10n`: the bundle of translations the host embeds for the display language (absent: English). */
export async function openWebview(browser: Browser, theme: Theme, initialState: unknown = null, viewport = { width: 1180, height: 900 }, opts: { l10n?: Record<string, string> } = {}): Promise<WebviewPage> {
  const js = ensureBundle();
  const page = await browser.newPage({ viewport, colorScheme: theme === 'light' ? 'light' : 'dark' });
  const html = buildWebviewHtml({ cspSource: ORIGIN, scriptUri: `${ORIGIN}/dist/webview.js`, title: 'test', ...(opts.l10n ? { l10n: opts.l10n } : {}) });
  await page.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/index.html') await route.fulfill({ contentType: 'text/html', body: html });
    else if (url.pathname === '/dist/webview.js') await route.fulfill({ contentType: 'text/javascript', body: readFileSync(js) });
    else await route.fulfill({ status: 404, body: '' });
  });
  const bodyClass = theme === 'light' ? 'vscode-light' : theme === 'dark' ? 'vscode-dark' : 'vscode-high-contrast';
  // A string, not a function: tsx would add helpers (`__name`) that do not exist in the page.
  await page.addInitScript(`(() => {
    const vars = ${JSON.stringify(THEME_VARS[theme])};
    window.__posted = [];
    window.__state = ${JSON.stringify(initialState)};
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
    // As VS Code does: theme variables on <html>, the theme kind as a class on <body>.
    new MutationObserver((_m, obs) => {
      if (!document.documentElement || !document.body) return;
      for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
      document.body.classList.add(${JSON.stringify(bodyClass)});
      obs.disconnect();
    }).observe(document, { childList: true, subtree: true });
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => window.__state,
      setState: (s) => { window.__state = JSON.parse(JSON.stringify(s)); },
    });
  })();`);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`${ORIGIN}/index.html`);
  const wp: WebviewPage = {
    page,
    posted: () => page.evaluate(() => (globalThis as unknown as { __posted: Array<{ type: string }> }).__posted),
    savedState: () => page.evaluate(() => (globalThis as unknown as { __state: Record<string, unknown> | null }).__state),
    send: (message) => page.evaluate((m) => (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(m, '*'), message),
    cspViolations: () => page.evaluate(() => (globalThis as unknown as { __csp: string[] }).__csp),
    errors,
  };
  try {
    await page.waitForFunction(() => (globalThis as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === 'ready'), null, { timeout: 15000 });
  } catch (err) {
    throw new Error(`the webview never said ready: ${errors.join(" | ") || String(err)}`, { cause: err });
  }
  return wp;
}
