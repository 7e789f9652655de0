/** README names commands as the Command Palette shows them ("Soft MoE: <title>"), so a reader can find them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

test('every "Soft MoE: …" command README mentions is a command of the palette, spelled as the palette shows it', () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { contributes: { commands: Array<{ title: string; category?: string }> } };
  const nls = JSON.parse(readFileSync(join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
  const palette = new Set(manifest.contributes.commands.map((c) => {
    const title = c.title.replace(/^%(.+)%$/, (_m, key: string) => nls[key] ?? key);
    return c.category ? `${c.category}: ${title}` : title;
  }));
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const named = [...readme.matchAll(/Soft MoE: [^*`\n)]+?(?=[*`)])/g)].map((m) => m[0].trim());
  assert.ok(named.length > 0, 'README names no command');
  const unknown = named.filter((n) => !palette.has(n));
  assert.deepEqual(unknown, [], `README names commands the palette does not have (palette: ${[...palette].join(' | ')})`);
});
