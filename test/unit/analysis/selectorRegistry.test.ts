import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { manifestSelectorSchema } from '../../../src/core/analysis/selectorManifest';
import { SELECTORS, SELECTOR_NAMES, isCounted, selectorLabel, type SelectorSpec } from '../../../src/core/analysis/selectorRegistry';
import { combineScores, expertChoiceCapacity, expertChoiceScores, rankDescending, tokenChoiceScores, type LayerArrays } from '../../../src/core/analysis/scores';
import { selectorOrders } from '../../../src/core/analysis/selectors';
import { resultNotes } from '../../../src/core/report/resultNotes';
import type { AnalysisResult } from '../../../src/core/analysis/schema';

const root = join(__dirname, '..', '..', '..');

// Checked by the compiler (`npm run typecheck` compiles this file): a ranking selector must name its score.
// @ts-expect-error: a per-input selector without a score
export const scoreless: SelectorSpec = { name: 'x', label: () => 'X', description: 'ranks by nothing at all, which is not a selector', scope: 'per-input', needs: {} };
export const withScore: SelectorSpec = { name: 'x', label: () => 'X', description: 'ranks by combine mass, like the heuristic', scope: 'per-input', needs: {}, score: 'combine-mass' };
// @ts-expect-error: the random baseline ranks nothing, so it has no score
export const randomWithScore: SelectorSpec = { name: 'x', label: () => 'X', description: 'random subsets do not rank by a score', scope: 'random', needs: {}, score: 'combine-mass' };

describe('the selector registry', () => {
  it('is what package.json offers in softmoeInspector.selectors (run scripts/sync-manifest.ts after changing it)', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const items = pkg.contributes.configuration.properties['softmoeInspector.selectors'].items;
    const want = manifestSelectorSchema();
    assert.deepEqual(items.enum, want.enum);
    assert.deepEqual(items.enumDescriptions, want.enumDescriptions);
    for (const d of pkg.contributes.configuration.properties['softmoeInspector.selectors'].default) assert.ok(SELECTOR_NAMES.includes(d), d);
  });

  it('names each selector once', () => {
    assert.equal(new Set(SELECTOR_NAMES).size, SELECTOR_NAMES.length);
  });

  it('gives every ranking selector a score, and every selector a label and a definition', () => {
    for (const s of SELECTORS) {
      assert.ok(s.label().length > 0 && s.description.length > 20, s.name);
      assert.equal(selectorLabel(s.name), s.label());
      const ranks = s.scope === 'per-input' || s.scope === 'per-batch';
      assert.equal('score' in s, ranks, s.name);
      assert.equal(isCounted(s.name), ranks || s.scope === 'global', s.name);
    }
    assert.equal(selectorLabel('from-a-newer-version'), 'from-a-newer-version');
  });

  it('names a selector left out in the notes with the label its legend entry has', () => {
    const r = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'webview', 'analysis-n16.json'), 'utf8')) as AnalysisResult;
    r.options.skippedSelectors = SELECTORS.map((s) => ({ selector: s.name, reason: 'needs something' }));
    const skipped = resultNotes(r).filter((x) => x.id === 'skipped').map((x) => x.text);
    assert.deepEqual(skipped, SELECTORS.map((s) => `${s.label()} left out: it needs something.`));
  });
});

/** One input, m tokens, n experts, p slots: logits [m, n, p] given as rows of n·p; combine = softmax per token. */
function arrays(m: number, n: number, p: number, rows: number[][]): LayerArrays {
  const logits = Float32Array.from(rows.flat());
  const combine = new Float32Array(logits.length);
  for (let t = 0; t < m; t++) {
    const row = rows[t]!;
    const mx = Math.max(...row);
    const ex = row.map((v) => Math.exp(v - mx));
    const z = ex.reduce((a, b) => a + b, 0);
    ex.forEach((v, s) => (combine[t * n * p + s] = v / z));
  }
  return { b: 1, m, n, p, d: 1, logits, combine, dispatch: new Float32Array(logits.length) };
}

describe('token choice', () => {
  // 3 tokens, 3 experts, 2 slots: slot order per token is (e0 s0, e0 s1, e1 s0, e1 s1, e2 s0, e2 s1).
  const a = arrays(3, 3, 2, [
    [0.1, 0.2, 0.9, 0.3, 0.0, 0.0], // best slot e1 s0 → expert 1
    [0.0, 0.8, 0.1, 0.1, 0.7, 0.2], // best slot e0 s1 → expert 0
    [0.0, 0.1, 0.2, 0.6, 0.5, 0.1], // best slot e1 s1 → expert 1
  ]);

  it('counts, per expert, the tokens whose highest logit over all n·p slots is one of its slots', () => {
    assert.deepEqual([...tokenChoiceScores(a, 0)], [1, 2, 0]);
  });

  it('breaks ties in votes by combine mass, then by the lower index', () => {
    // Experts 0 and 2 both get one vote; expert 2 has more combine mass.
    const t = arrays(2, 3, 1, [[2, 0, 1.9], [0, 0, 3]]);
    assert.deepEqual([...tokenChoiceScores(t, 0)], [1, 0, 1]);
    const mass = combineScores(t, 0);
    assert.ok(mass[2]! > mass[0]!);
    assert.deepEqual([...selectorOrders('token-choice', t)], [2, 0, 1]);
    assert.deepEqual([...rankDescending([1, 0, 1])], [0, 2, 1], 'without a tie-break the lower index wins');
  });
});

describe('expert choice', () => {
  it('has a capacity of ⌈m/n⌉ tokens per slot, at least one and at most m', () => {
    assert.equal(expertChoiceCapacity(4, 16), 1);
    assert.equal(expertChoiceCapacity(197, 8), 25);
    assert.equal(expertChoiceCapacity(5, 2), 3);
    assert.equal(expertChoiceCapacity(3, 1), 3);
  });

  it('sums, over each expert\'s slots, the logits of the ⌈m/n⌉ tokens each slot picks', () => {
    // m = 5 tokens, n = 2 experts, p = 2 slots: capacity ⌈5/2⌉ = 3 tokens per slot.
    const cols = {
      e0s0: [1, 5, 2, 4, 3], // top 3: 5 + 4 + 3 = 12
      e0s1: [0, 0, 0, 0, 9], // 9 + 0 + 0 = 9
      e1s0: [7, 7, 7, 0, 0], // 21
      e1s1: [-1, -2, -3, -4, -5], // -1 - 2 - 3 = -6
    };
    const rows = [0, 1, 2, 3, 4].map((t) => [cols.e0s0[t]!, cols.e0s1[t]!, cols.e1s0[t]!, cols.e1s1[t]!]);
    const a = arrays(5, 2, 2, rows);
    assert.deepEqual([...expertChoiceScores(a, 0)], [21, 15]);
    assert.deepEqual([...selectorOrders('expert-choice', a)], [0, 1]);
  });

  it('breaks equal sums by combine mass', () => {
    // One token per slot (m = 2, n = 2): both experts' best logit is 1; expert 1 holds more combine mass.
    const a = arrays(2, 2, 1, [[1, 0.5], [-3, 1]]);
    assert.deepEqual([...expertChoiceScores(a, 0)], [1, 1]);
    assert.deepEqual([...selectorOrders('expert-choice', a)], [1, 0]);
  });
});
