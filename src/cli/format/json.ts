/**
 * Indented JSON for humans and for `jq`: arrays of plain numbers (shapes) stay on one line, and values nested
 * deeper than `maxDepth` are written compactly, so a deeply nested value from a file (extras of a pickle) cannot
 * blow the output up with indentation. The result is ordinary JSON: JSON.parse gives back the same value.
 */
export function toPrettyJson(value: unknown, maxDepth = 6): string {
  return write(value, 0, maxDepth) ?? 'null';
}

function write(v: unknown, depth: number, maxDepth: number): string | undefined {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(v);
  if (depth >= maxDepth) return JSON.stringify(v);
  const pad = '  '.repeat(depth + 1);
  const end = '  '.repeat(depth);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every((x) => typeof x === 'number')) return JSON.stringify(v).replace(/,/g, ', ');
    const items = v.map((x) => write(x, depth + 1, maxDepth) ?? 'null');
    return `[\n${items.map((s) => pad + s).join(',\n')}\n${end}]`;
  }
  const entries: string[] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const s = write(x, depth + 1, maxDepth);
    if (s !== undefined) entries.push(`${pad}${JSON.stringify(k)}: ${s}`);
  }
  return entries.length === 0 ? '{}' : `{\n${entries.join(',\n')}\n${end}}`;
}
