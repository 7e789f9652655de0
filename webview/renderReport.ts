/**
 * Render what a standalone HTML report embeds, with no VS Code around it: one analysis result, or a comparison
 * `{kind: 'comparison', mode, title, runs: [{label, result, epoch?}]}`. What src/core/report/buildStandaloneReport.ts
 * pages call, and the same renderers the VS Code panels use.
 */
import * as l10n from '@vscode/l10n';
import type { AnalysisResult } from '../src/core/analysis/schema';
import { isSupportedSchema } from '../src/core/analysis/schema';
import { reportState } from '../src/core/protocol/webviewProtocol';
import type { AnalysisApp } from './analysisApp';
import { renderAnalysis } from './analysisApp';
import type { ComparisonPayload } from './comparisonApp';
import { comparisonStateOf, renderComparison } from './comparisonApp';
import { h } from './dom';

function unsupported(root: HTMLElement, version: unknown): null {
  root.append(h('div', { class: 'error-box', role: 'alert' }, h('h2', null, l10n.t('Unsupported result')),
    h('p', null, l10n.t`This report holds a result of schema version ${String(version)}, which this viewer does not read.`)));
  return null;
}

/** `savedState`: the panel's state when the report was exported (untrusted page data: checked like saved state). */
export function renderReport(root: HTMLElement, data: AnalysisResult | ({ kind: 'comparison' } & ComparisonPayload), savedState: unknown = null): AnalysisApp | { dispose(): void } | null {
  const state = reportState(savedState);
  if (data && typeof data === 'object' && (data as { kind?: unknown }).kind === 'comparison') {
    const c = data as ComparisonPayload;
    const bad = Array.isArray(c.runs) ? c.runs.find((r) => !isSupportedSchema(r.result)) : { result: null };
    if (!Array.isArray(c.runs) || bad) return unsupported(root, (bad?.result as { schemaVersion?: unknown } | null)?.schemaVersion);
    return renderComparison(root, c, { state: comparisonStateOf(state) });
  }
  if (!isSupportedSchema(data)) return unsupported(root, (data as { schemaVersion?: unknown } | null)?.schemaVersion);
  return renderAnalysis(root, data, { state });
}
