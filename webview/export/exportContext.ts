/**
 * What every export from this page says about itself: the run it belongs to (file names start with its stem, e.g.
 * `n16-ep4_moe-subset-accuracy.png`) and a subtitle naming the model, dataset and the controls' state (drop mode,
 * k), drawn under the chart's title so a figure pasted into a paper or a slide stands on its own. Set by the app
 * that owns the page (analysis, comparison or checkpoint view).
 */
export interface ExportContext {
  /** File-name stem of the run ('' when there is none). */
  stem: string;
  /** One line: model · dataset · controls, at the moment of the export. */
  subtitle(): string;
}

let current: ExportContext = { stem: '', subtitle: () => '' };

export function setExportContext(c: ExportContext): void {
  current = c;
}

export function exportContext(): ExportContext {
  return current;
}
