/**
 * Indented JSON for humans and for `jq`, with arrays of plain numbers (shapes) kept on one line.
 * Safe on any string content: JSON strings never hold a raw newline, so the collapse only touches structure.
 */
const NUMBER_ARRAY = /\[\n\s*(-?\d[\d.eE+-]*(?:,\n\s*-?\d[\d.eE+-]*)*)\n\s*\]/g;

export function toPrettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(NUMBER_ARRAY, (_, body: string) => `[${body.split(/,\n\s*/).join(', ')}]`);
}
