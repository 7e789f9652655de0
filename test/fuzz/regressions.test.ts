// Every finding of the fuzz campaigns, as a regression case (regressions.ts): run through the built CLI under the
// campaign's limits, each must give its specific one-line refusal (or, where the file is sound, a clean result).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST } from './corpus';
import { DEFAULT_LIMITS, judgeCli, runNode } from './exec';
import { FIXTURES, REGRESSIONS } from './regressions';

const CLI = join(DIST, 'cli.js');

for (const r of REGRESSIONS) {
  test(`${r.name}: ${r.finding}`, async (t) => {
    let base = FIXTURES;
    if (r.special) {
      base = mkdtempSync(join(tmpdir(), 'softmoe-regression-'));
      t.after(() => rmSync(base, { recursive: true, force: true }));
      r.special(base);
    }
    const target = join(base, r.target);
    const args = r.probe === 'inspect' ? [CLI, 'inspect', '--json', target]
      : r.probe === 'merge' ? [CLI, 'merge', target]
        : r.probe === 'eval-checkpoint' ? [CLI, 'eval', target, '--data', r.partner as string, '--limit', '8']
          : [CLI, 'eval', r.partner as string, '--data', target, '--limit', '8'];
    const o = await runNode(args, DEFAULT_LIMITS, base);
    const v = judgeCli(o, DEFAULT_LIMITS, r.probe === 'inspect');
    if (r.expect === 'accepted') {
      assert.equal(v.kind, 'accepted', JSON.stringify(v));
    } else {
      assert.equal(v.kind, 'refused', `${JSON.stringify(v)}\n${o.stderr}`);
      assert.match(v.kind === 'refused' ? v.message : '', r.expect);
    }
    if (r.maxRssBytes) assert.ok(o.peakRss < r.maxRssBytes, `peak RSS ${(o.peakRss / 1e6).toFixed(0)} MB`);
  });
}
