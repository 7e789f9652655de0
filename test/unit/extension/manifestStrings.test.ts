/**
 * package.nls.json's strings are substituted into the manifest by VS Code: a double quote in one (even escaped in the
 * JSON) broke the manifest in VS Code 1.100 — the checkpoint editor stopped opening while commands still worked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

test('no manifest string holds a double quote', () => {
  const nls = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.nls.json'), 'utf8')) as Record<string, string>;
  assert.deepEqual(Object.entries(nls).filter(([, v]) => v.includes('"')).map(([k]) => k), []);
});
