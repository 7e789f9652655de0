/**
 * A standalone HTML report: one file that opens in any browser, offline, showing the same views as the VS Code
 * panel (one analysis, or a comparison of several). It inlines the webview bundle (dist/webview.js) and the result JSON; the bundle finds
 * `<script type="application/json" id="softmoe-result">` and renders it. Pure string building.
 */
import { randomBytes } from 'node:crypto';
import type { AnalysisResult } from '../analysis/schema';
import type { ReportState } from '../protocol/webviewProtocol';

export interface StandaloneReportOptions {
  /** Page title; defaults to "<checkpoint> — Soft MoE analysis". */
  title?: string;
  /** CSP nonce; a fresh random one by default (tests pass a fixed one). */
  nonce?: string;
  /** Where the views open (tab, k, drop mode, …): the panel's state when it was exported. */
  state?: Partial<ReportState>;
}

/** Theme variables the views read, for readers outside VS Code (light by default, dark when the OS is dark). */
const THEME_CSS = `
:root {
  --vscode-foreground: #3b3b3b; --vscode-descriptionForeground: #6f6f6f; --vscode-editor-background: #ffffff;
  --vscode-panel-border: #e5e5e5; --vscode-editorWidget-background: #f8f8f8; --vscode-editorWidget-border: #c8c8c8;
  --vscode-widget-border: #e0e0e0; --vscode-focusBorder: #005fb8; --vscode-button-background: #005fb8;
  --vscode-button-foreground: #ffffff; --vscode-button-secondaryBackground: #e5e5e5; --vscode-button-secondaryForeground: #3b3b3b;
  --vscode-charts-blue: #1a85ff; --vscode-charts-orange: #d18616; --vscode-charts-green: #388a34;
  --vscode-charts-purple: #652d90; --vscode-charts-yellow: #bf8803; --vscode-charts-red: #e51400;
  --vscode-list-hoverBackground: #f2f2f2; --vscode-list-inactiveSelectionBackground: #e4e6f1;
  --vscode-font-family: system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif; --vscode-font-size: 13px;
  --vscode-editor-font-family: ui-monospace, Menlo, Consolas, monospace;
  --vscode-panelTitle-activeForeground: #3b3b3b; --vscode-panelTitle-activeBorder: #005fb8; --vscode-panelTitle-inactiveForeground: #6f6f6f;
  --vscode-button-hoverBackground: #0258a8; --vscode-button-secondaryHoverBackground: #cccccc;
  --vscode-settings-textInputBackground: #ffffff; --vscode-settings-textInputBorder: #cecece;
  --vscode-settings-checkboxBackground: #f8f8f8; --vscode-settings-checkboxBorder: #cecece; --vscode-settings-checkboxForeground: #3b3b3b;
  --vscode-settings-headerBorder: #e5e5e5; --vscode-settings-textInputForeground: #3b3b3b;
  --vscode-dropdown-background: #ffffff; --vscode-dropdown-foreground: #3b3b3b; --vscode-dropdown-border: #cecece;
}
@media (prefers-color-scheme: dark) {
  :root {
    --vscode-foreground: #cccccc; --vscode-descriptionForeground: #9d9d9d; --vscode-editor-background: #1f1f1f;
    --vscode-panel-border: #2b2b2b; --vscode-editorWidget-background: #202020; --vscode-editorWidget-border: #454545;
    --vscode-widget-border: #313131; --vscode-focusBorder: #0078d4; --vscode-button-background: #0078d4;
    --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc;
    --vscode-charts-blue: #3794ff; --vscode-charts-orange: #d18616; --vscode-charts-green: #89d185;
    --vscode-charts-purple: #b180d7; --vscode-charts-yellow: #cca700; --vscode-charts-red: #f14c4c;
    --vscode-list-hoverBackground: #2a2d2e; --vscode-list-inactiveSelectionBackground: #37373d;
    --vscode-panelTitle-activeForeground: #cccccc; --vscode-panelTitle-activeBorder: #0078d4; --vscode-panelTitle-inactiveForeground: #9d9d9d;
    --vscode-button-hoverBackground: #026ec1; --vscode-button-secondaryHoverBackground: #3c3c3c;
    --vscode-settings-textInputBackground: #313131; --vscode-settings-textInputBorder: #3c3c3c;
    --vscode-settings-checkboxBackground: #313131; --vscode-settings-checkboxBorder: #3c3c3c; --vscode-settings-checkboxForeground: #cccccc;
    --vscode-settings-headerBorder: #2b2b2b; --vscode-settings-textInputForeground: #cccccc;
    --vscode-dropdown-background: #313131; --vscode-dropdown-foreground: #cccccc; --vscode-dropdown-border: #3c3c3c;
  }
}`;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON that is safe inside a <script> element: no `<` (so no `</script>` or `<!--`) and no U+2028/2029. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** JavaScript source that is safe inline: `</script` cannot end the element early. */
export function scriptForInline(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

export function buildStandaloneReport(result: AnalysisResult, webviewJs: string, options: StandaloneReportOptions = {}): string {
  return reportPage(result, webviewJs, options.title ?? `${result.checkpoint.name} — Soft MoE analysis`, `${result.tool.name} ${result.tool.version}`, options);
}

/** What a comparison report embeds: the runs with their labels (and epochs in training mode). */
export interface ComparisonReportInput {
  mode: 'runs' | 'training';
  title: string;
  runs: Array<{ label: string; result: AnalysisResult; epoch?: number }>;
  /** Runs left out of the comparison, and why. */
  skipped?: Array<{ label: string; reason: string }>;
}

/**
 * One standalone page comparing several analyses (the comparison panel, offline): e.g. the whole embedded demo
 * suite. Sample records are left out (a comparison draws none), which keeps the page small.
 */
export function buildStandaloneComparisonReport(input: ComparisonReportInput, webviewJs: string, options: StandaloneReportOptions = {}): string {
  const embedded = {
    kind: 'comparison', mode: input.mode, title: input.title,
    ...(input.skipped?.length ? { skipped: input.skipped } : {}),
    runs: input.runs.map((r) => ({ label: r.label, ...(r.epoch !== undefined ? { epoch: r.epoch } : {}), result: { ...r.result, samples: [] } })),
  };
  const tool = input.runs[0]?.result.tool;
  return reportPage(embedded, webviewJs, options.title ?? `${input.title || 'Comparison'} — Soft MoE comparison`, tool ? `${tool.name} ${tool.version}` : 'softmoe-inspector', options);
}

function reportPage(embedded: unknown, webviewJs: string, title: string, generator: string, options: StandaloneReportOptions): string {
  const nonce = options.nonce ?? randomBytes(16).toString('base64');
  const state = options.state ? `\n<script type="application/json" id="softmoe-state">${jsonForScript(options.state)}</script>` : '';
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    'img-src data: blob:',
    'font-src data:',
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(generator)}">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${THEME_CSS}</style>
</head>
<body>
<main id="app"></main>
<script type="application/json" id="softmoe-result">${jsonForScript(embedded)}</script>${state}
<script nonce="${nonce}">${scriptForInline(webviewJs)}</script>
</body>
</html>
`;
}
