// The short fuzz campaign of every `npm test`: a fixed seed, a dozen structure-aware mutants of the project's own
// fixtures, each through `inspect --json` / `eval` of the built CLI and the extension's worker job runner under the
// campaign's limits. Every run must be accepted or refused cleanly. The long campaign: npm run fuzz -- --minutes 25.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { campaign, formatSummary } from './campaign';

test('short fuzz campaign (seed 16, 12 cases): no crash, hang, memory blow-up, unclear message, changed file or code execution', async (t) => {
  const s = await campaign({ seed: 16, cases: 12 });
  for (const line of formatSummary(s).trim().split('\n')) t.diagnostic(line);
  assert.equal(s.cases, 12);
  assert.ok(s.runs >= 24);
  assert.ok(s.refused > 0 && s.accepted > 0, 'the mutants reach both outcomes');
  assert.deepEqual(s.failures, []);
});
