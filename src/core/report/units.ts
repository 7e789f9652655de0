/**
 * Sizes and counts as every surface writes them (CLI, panels, progress notifications, reports): binary sizes with
 * IEC units (KiB, MiB, GiB), so "1.4 GiB" means 1.4 × 2³⁰ bytes wherever it appears, and plurals that agree with
 * their number. Pure; the webview imports it.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 512 B, 1.50 KiB, 12.3 MiB, 2.00 GiB: three significant digits above 1 KiB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return String(bytes);
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${bytes} B`;
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${UNITS[u]}`;
}

/**
 * "1 expert", "16 experts", "2,000 examples": `one` or `many`, localised messages with `{0}` where the count goes
 * (`plural(n, l10n.t('{0} expert'), l10n.t('{0} experts'))`), so each language words its own plural.
 */
export function plural(n: number, one: string, many: string): string {
  return (n === 1 ? one : many).replace('{0}', n.toLocaleString('en-US'));
}
