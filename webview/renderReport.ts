/**
 * Render a whole analysis result into `root`, with no VS Code around it: what the standalone HTML report
 * (src/core/report/buildStandaloneReport.ts) calls, and the same renderer the VS Code panel uses.
 */
import type { AnalysisResult } from '../src/core/analysis/schema';
import { isSupportedSchema } from '../src/core/analysis/schema';
import type { AnalysisApp } from './analysisApp';
import { renderAnalysis } from './analysisApp';
import { h } from './dom';

export function renderReport(root: HTMLElement, result: AnalysisResult): AnalysisApp | null {
  if (!isSupportedSchema(result)) {
    root.append(h('div', { class: 'error-box', role: 'alert' }, h('h2', null, 'Unsupported result'),
      h('p', null, `This report holds a result of schema version ${String((result as { schemaVersion?: unknown })?.schemaVersion)}, which this viewer does not read.`)));
    return null;
  }
  return renderAnalysis(root, result);
}
