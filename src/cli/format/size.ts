/** Human-readable sizes and counts for terminal output. */

export { formatBytes } from '../../core/report/units';

/** 1,234,567 */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** 1.23M, 45.6K, 789: for parameter counts next to the exact figure. */
export function formatShortCount(n: number): string {
  const steps: Array<[number, string]> = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  for (const [step, suffix] of steps) {
    if (n >= step) {
      const v = n / step;
      return `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)}${suffix}`;
    }
  }
  return String(n);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
