/** CSV text (RFC 4180): a cell is quoted when it holds a comma, a quote or a line break; numbers are written in full. */
export type CsvValue = string | number | boolean | null | undefined;

export function csvCell(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const s = String(v);
  // A leading = + - @ would make a spreadsheet evaluate the cell; a quote mark in front keeps it text.
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(header: CsvValue[], rows: CsvValue[][]): string {
  return `${[header, ...rows].map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
}

/** A labelled matrix (heatmap) as CSV: the first column names the rows, the header names the columns. */
export function matrixCsv(corner: string, rowLabels: string[], colLabels: string[], matrix: number[][]): string {
  return toCsv([corner, ...colLabels], matrix.map((row, i) => [rowLabels[i] ?? String(i), ...row]));
}
