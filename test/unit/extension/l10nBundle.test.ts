/**
 * l10n/bundle.l10n.json (package.json's `l10n`) holds exactly the strings the host and the webview translate:
 * regenerating it with @vscode/l10n-dev (`npm run l10n`) changes nothing, so no string ships untranslatable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

test('the committed l10n bundle is what @vscode/l10n-dev extracts from src/ and webview/', { timeout: 120_000 }, () => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { l10n?: string };
  assert.equal(manifest.l10n, './l10n');
  const out = mkdtempSync(join(tmpdir(), 'softmoe-l10n-'));
  try {
    const cli = join(ROOT, 'node_modules', '@vscode', 'l10n-dev', 'dist', 'cli.js');
    const r = spawnSync(process.execPath, [cli, 'export', '--outDir', out, './src', './webview'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, `l10n-dev export failed: ${r.stdout}${r.stderr}`);
    const fresh = JSON.parse(readFileSync(join(out, 'bundle.l10n.json'), 'utf8')) as Record<string, unknown>;
    const committed = JSON.parse(readFileSync(join(ROOT, 'l10n', 'bundle.l10n.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(committed).filter((k) => !(k in fresh)), [], 'strings in the bundle that the code no longer uses (npm run l10n)');
    assert.deepEqual(Object.keys(fresh).filter((k) => !(k in committed)), [], 'strings the code uses that the bundle lacks (npm run l10n)');
    assert.deepEqual(committed, fresh);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
