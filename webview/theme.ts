/**
 * Chart colours come from VS Code's theme variables (set on <html> by VS Code; the standalone report sets
 * defaults). Read them when drawing and redraw when the theme changes (VS Code swaps the body class).
 */
export interface Palette {
  fg: string;
  muted: string;
  bg: string;
  border: string;
  grid: string;
  font: string;
  fontSize: number;
  /** Series colours: heuristic, random, oracle, then other selectors. */
  series: string[];
  good: string;
  bad: string;
  accent: string;
  highContrast: boolean;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

export function readPalette(): Palette {
  const s = getComputedStyle(document.documentElement);
  const body = document.body;
  const dark = body.classList.contains('vscode-dark') || body.classList.contains('vscode-high-contrast');
  const hc = body.classList.contains('vscode-high-contrast') || body.classList.contains('vscode-high-contrast-light');
  const fg = cssVar(s, '--vscode-foreground', dark ? '#cccccc' : '#3b3b3b');
  return {
    fg,
    muted: cssVar(s, '--vscode-descriptionForeground', dark ? '#9d9d9d' : '#717171'),
    bg: cssVar(s, '--vscode-editor-background', dark ? '#1f1f1f' : '#ffffff'),
    border: cssVar(s, '--vscode-panel-border', dark ? '#2b2b2b' : '#e5e5e5'),
    grid: hc ? fg : cssVar(s, '--vscode-editorWidget-border', dark ? '#454545' : '#c8c8c8'),
    font: cssVar(s, '--vscode-font-family', 'system-ui, sans-serif'),
    fontSize: parseFloat(cssVar(s, '--vscode-font-size', '13')) || 13,
    series: [
      cssVar(s, '--vscode-charts-blue', '#3794ff'),
      cssVar(s, '--vscode-charts-orange', '#d18616'),
      cssVar(s, '--vscode-charts-green', '#89d185'),
      cssVar(s, '--vscode-charts-purple', '#b180d7'),
      cssVar(s, '--vscode-charts-yellow', '#cca700'),
      cssVar(s, '--vscode-charts-red', '#f14c4c'),
    ],
    good: cssVar(s, '--vscode-charts-green', '#388a34'),
    bad: cssVar(s, '--vscode-charts-red', '#e51400'),
    accent: cssVar(s, '--vscode-focusBorder', '#0078d4'),
    highContrast: hc,
  };
}

/**
 * The palette of exported figures: VS Code's default light theme, whatever theme the user works in, so a figure
 * on a white page or slide reads the same for everyone.
 */
export function exportPalette(): Palette {
  return {
    fg: '#3b3b3b', muted: '#6f6f6f', bg: '#ffffff', border: '#e5e5e5', grid: '#c8c8c8',
    font: 'system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif', fontSize: 13,
    series: ['#1a85ff', '#d18616', '#388a34', '#652d90', '#bf8803', '#e51400'],
    good: '#388a34', bad: '#e51400', accent: '#005fb8', highContrast: false,
  };
}

/** Call `onChange` when VS Code switches theme (body class or html style changes). Returns a disposer. */
export function watchTheme(onChange: () => void): () => void {
  let last = JSON.stringify(readPalette());
  const obs = new MutationObserver(() => {
    const now = JSON.stringify(readPalette());
    if (now !== last) {
      last = now;
      onChange();
    }
  });
  obs.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  obs.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => obs.disconnect();
}
