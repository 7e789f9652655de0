/**
 * Quoting what a file says inside an error message. A hostile or broken file can hold a 3,000-dimension shape, a
 * 10,000-character tensor name or a dtype of 'aaaa…'; messages stay one short line by quoting at most a few dozen
 * characters of anything that comes from a file, and by writing huge byte counts in units a person reads.
 */

/** `s` cut to `max` characters (an ellipsis and the total length say it was cut), on one line. */
export function clip(s: string, max = 60): string {
  // eslint-disable-next-line no-control-regex
  const line = s.replace(/[\r\n\u0000]+/g, ' ');
  return line.length <= max ? line : `${line.slice(0, max)}… (${line.length} characters)`;
}

/** A value from a file as JSON, clipped: strings, numbers, arrays, anything (BigInt included, never a throw). */
export function quoteValue(v: unknown, max = 60): string {
  let text: string;
  try {
    text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}` : x)) ?? String(v);
  } catch {
    text = Object.prototype.toString.call(v);
  }
  return clip(text, max);
}

/** [2, 3, 4], or [1, 1, 1, 1, 1, 1, …] (3000 dimensions) for a long one; `tuple` writes numpy's (2, 3, 4). */
export function shapeText(shape: readonly unknown[], maxDims = 6, tuple = false): string {
  const [open, close] = tuple ? ['(', ')'] : ['[', ']'];
  const shown = shape.slice(0, maxDims).map((d) => clip(typeof d === 'number' || typeof d === 'bigint' ? String(d) : quoteValue(d, 20), 24));
  return shape.length <= maxDims ? `${open}${shown.join(', ')}${close}` : `${open}${shown.join(', ')}, …${close} (${shape.length} dimensions)`;
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** '812 bytes', '3.5 TiB (3,848,290,695,440 bytes)': exact below 1 MiB, rounded with the exact count above. */
export function bytesText(n: number | bigint): string {
  const v = Number(n);
  if (!Number.isFinite(v) || v < 1024 * 1024) return `${n.toLocaleString('en-US')} bytes`;
  let x = v;
  let u = -1;
  while (x >= 1024 && u < UNITS.length - 1) {
    x /= 1024;
    u++;
  }
  return `${x.toFixed(x >= 100 ? 0 : 1)} ${UNITS[u]} (${n.toLocaleString('en-US')} bytes)`;
}
