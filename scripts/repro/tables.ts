/**
 * Markdown tables for REPRODUCTION.md, computed from the result JSONs that reproduce.sh writes.
 * Usage: node --import tsx scripts/repro/tables.ts docs/reproduction
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisResult, DropMode, SelectorName } from '../../src/core/analysis/schema';

const dir = process.argv[2] ?? 'docs/reproduction';
const load = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as AnalysisResult;
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(100 * v).toFixed(1)}`);
const num = (s: string) => Number(/\d+/.exec(s)?.[0]);

function at(r: AnalysisResult, sel: SelectorName, drop: DropMode, k: number) {
  return r.curves.find((c) => c.selector === sel && c.drop === drop)?.points.find((p) => p.k === k);
}

/** Smallest k whose accuracy keeps `target` of full accuracy, for a selector. */
function kFor(r: AnalysisResult, sel: SelectorName, drop: DropMode, target = 0.99): number | null {
  const pts = r.curves.find((c) => c.selector === sel && c.drop === drop)?.points ?? [];
  return pts.find((p) => p.accuracy >= target * r.fullAccuracy)?.k ?? null;
}

const suite = readdirSync(dir).filter((f) => /^n\d+\.softmoe\.json$/.test(f)).sort((a, b) => num(a) - num(b)).map((f) => load(f));
/** The embedded 4-epoch n = 16 demo model, analysed like the suite (reproduce.sh step 2c), where present. */
const demo = existsSync(join(dir, 'demo-n16.softmoe.json')) ? load('demo-n16.softmoe.json') : null;
/** The suite's models, then the demo model: the rows of every table the new selectors fill. */
const rows = demo ? [...suite, demo] : suite;
const out: string[] = [];
const label = (r: AnalysisResult) => (r === demo ? `${nOf(r)} (demo, 4 epochs)` : String(nOf(r)));
const nOf = (r: AnalysisResult) => r.layers[0]?.numExperts ?? 0;
/** A selector's cell: its value, or "not run" where that model's analysis did not include the selector. */
const ran = (r: AnalysisResult, sel: SelectorName) => r.options.selectors.includes(sel);
const cell = (r: AnalysisResult, sel: SelectorName, v: string) => (ran(r, sel) ? v : 'not run');
/** The models a table leaves out, and why. */
const leftOut = (rs: AnalysisResult[], what: string) => (rs.length
  ? [`\nNot in this table: n = ${rs.map(nOf).join(', ')} — their analyses (see "Which run each row comes from") did not include ${what}.`] : []);

out.push('### Which run each row comes from\n');
out.push('| n | analysed (UTC) | engine | selectors |');
out.push('|---|---|---|---|');
for (const r of rows) out.push(`| ${label(r)} | ${r.createdAt.slice(0, 16).replace('T', ' ')} | ${r.tool.engine?.label ?? `tfjs ${r.tool.backend}`} | ${r.options.selectors.join(', ')} |`);
out.push('');

out.push('### Test accuracy and experts needed for 99% of it\n');
out.push('| n | h | parameters | test accuracy % | k for 99% (heuristic, zero) | k for 99% (random, zero) | k for 99% (output-norm, zero) |');
out.push('|---|---|---|---|---|---|---|');
for (const r of suite) {
  const n = r.layers[0]?.numExperts ?? 0;
  const fmt = (k: number | null) => (k === null ? '—' : `${k} (${(k / n).toFixed(3).replace(/\.?0+$/, '')})`);
  out.push(`| ${n} | ${r.layers[0]?.expertHidden} | ${r.checkpoint.parameterCount.toLocaleString('en')} | ${pct(r.fullAccuracy)} | ${fmt(kFor(r, 'heuristic', 'zero'))} | ${fmt(kFor(r, 'random', 'zero'))} | ${fmt(kFor(r, 'output-norm', 'zero'))} |`);
}

const fractions = (n: number) => [1 / 2, 1 / 4, 1 / 8].map((f) => n * f).filter((k) => Number.isInteger(k) && k >= 1);
const hasChance = (r: AnalysisResult) => r.curves.some((c) => c.selector === 'oracle' && c.points.some((p) => p.chance !== undefined));
const pp = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${v >= 0 ? '+' : '−'}${(100 * Math.abs(v)).toFixed(1)}`);

for (const drop of ['zero', 'renorm'] as DropMode[]) {
  out.push(`\n### The oracle and its chance level (${drop} drop)\n`);
  out.push('Share of test inputs for which some k-subset predicts the true label (oracle), the same search for a wrong label drawn per input (chance), and the difference (excess, percentage points).\n');
  out.push('| n | k | oracle % | chance % | excess (pp) | search |');
  out.push('|---|---|---|---|---|---|');
  for (const r of rows.filter(hasChance)) {
    const n = r.layers[0]?.numExperts ?? 0;
    for (const k of [...new Set([1, ...fractions(n).reverse()])].filter((k) => k < n)) {
      const o = at(r, 'oracle', drop, k);
      if (!o) continue;
      out.push(`| ${label(r)} | ${k}/${n} | ${pct(o.accuracy)} | ${pct(o.chance)} | ${pp(o.excess)} | ${o.greedy ? 'greedy' : 'exhaustive'} |`);
    }
  }
  out.push(...leftOut(rows.filter((r) => !hasChance(r)), "the oracle's chance level"));
}

out.push('\n### One subset for every input (global selector) and the pruned checkpoints\n');
out.push('Chosen on training images, never the test images (calibration column), by the ranking named there (renorm drop: what a pruned checkpoint computes); accuracy on the test images the analysis used.\n');
out.push('| n | calibration | k for 99% (global, renorm) | accuracy % at that k | parameters after pruning | global @ 1/2 | global @ 1/4 | global @ 1/8 | heuristic @ 1/4 (renorm) |');
out.push('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const n = r.layers[0]?.numExperts ?? 0;
  const g = r.globalSelection;
  if (!g) continue;
  const rec = g.recommended;
  const f = (num: number, den: number) => (Number.isInteger((n * num) / den) && (n * num) / den >= 1 ? pct(at(r, 'global', 'renorm', (n * num) / den)?.accuracy) : '—');
  const q = n / 4;
  out.push(`| ${label(r)} | ${g.calibration.name} [${g.calibration.start}:${g.calibration.end}], ${g.ranking} | ${rec.k === null ? 'none below n' : `${rec.k}/${n}`} | ${pct(rec.accuracy)} | ${rec.parameterCount === null ? '—' : rec.parameterCount.toLocaleString('en')} | ${f(1, 2)} | ${f(1, 4)} | ${f(1, 8)} | ${Number.isInteger(q) ? pct(at(r, 'heuristic', 'renorm', q)?.accuracy) : '—'} |`);
}
out.push(...leftOut(rows.filter((r) => !r.globalSelection), 'the global selector'));
const prunes = readdirSync(dir).filter((f) => /^prune-n\d+-k\d+\.json$/.test(f)).sort((a, b) => num(a) - num(b) || num(a.split('-k')[1] ?? '') - num(b.split('-k')[1] ?? ''));
if (prunes.length) {
  out.push('\n| pruned checkpoint | experts kept | parameters | test accuracy of the file % | global renorm point % | equal |');
  out.push('|---|---|---|---|---|---|');
  for (const f of prunes) {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { k: number; numExperts: number; report: { parametersAfter: number; layers: Array<{ kept: number[] }> }; pruned?: { correct: number; accuracy: number } };
    const n = p.numExperts;
    const r = suite.find((x) => x.layers[0]?.numExperts === n);
    const pt = r ? at(r, 'global', 'renorm', p.k) : undefined;
    out.push(`| n = ${n}, k = ${p.k} | ${p.report.layers[0]?.kept.join(', ')} | ${p.report.parametersAfter.toLocaleString('en')} | ${pct(p.pruned?.accuracy)} | ${pct(pt?.accuracy)} | ${p.pruned && pt ? (p.pruned.correct === pt.correct ? 'yes' : `no (${p.pruned.correct - pt.correct} examples)`) : '—'} |`);
  }
}

for (const drop of ['zero', 'renorm'] as DropMode[]) {
  out.push(`\n### Accuracy % with a fraction of the experts kept (${drop} drop)\n`);
  out.push('| n | kept | heuristic (Alg. 1) | random (mean ± std, 10 trials) | oracle | chance | heuristic subset specialised | output-norm | dispatch | batch (Alg. 2) | token choice | expert choice | global |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const n = r.layers[0]?.numExperts ?? 0;
    for (const f of [1 / 2, 1 / 4, 1 / 8]) {
      const k = n * f;
      if (!Number.isInteger(k) || k < 1) continue;
      const rnd = at(r, 'random', drop, k);
      const orc = at(r, 'oracle', drop, k);
      out.push(`| ${label(r)} | ${k}/${n} | ${pct(at(r, 'heuristic', drop, k)?.accuracy)} | ${pct(rnd?.accuracy)} ± ${pct(rnd?.std)} | ${pct(orc?.accuracy)}${orc?.greedy ? ' (greedy)' : ''} | ${hasChance(r) ? pct(orc?.chance) : 'not run'} | ${pct(orc?.heuristicIsSpecialised)} | ${pct(at(r, 'output-norm', drop, k)?.accuracy)} | ${pct(at(r, 'dispatch', drop, k)?.accuracy)} | ${pct(at(r, 'batch', drop, k)?.accuracy)} | ${cell(r, 'token-choice', pct(at(r, 'token-choice', drop, k)?.accuracy))} | ${cell(r, 'expert-choice', pct(at(r, 'expert-choice', drop, k)?.accuracy))} | ${cell(r, 'global', pct(at(r, 'global', drop, k)?.accuracy))} |`);
    }
  }
}

const epochs = readdirSync(dir).filter((f) => /^n16-ep\d+\.softmoe\.json$/.test(f)).sort((a, b) => num(a.slice(3)) - num(b.slice(3)));
if (epochs.length) {
  out.push('\n### n = 16 over training (zero drop)\n');
  out.push('| epoch | test accuracy % | heuristic @ 4/16 | random @ 4/16 | heuristic @ 8/16 | random @ 8/16 | combine entropy (nats, max ln 16 = 2.77) | dead experts |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const f of epochs) {
    const r = load(f);
    const ro = r.routing[0];
    out.push(`| ${num(f.slice(3))} | ${pct(r.fullAccuracy)} | ${pct(at(r, 'heuristic', 'zero', 4)?.accuracy)} | ${pct(at(r, 'random', 'zero', 4)?.accuracy)} | ${pct(at(r, 'heuristic', 'zero', 8)?.accuracy)} | ${pct(at(r, 'random', 'zero', 8)?.accuracy)} | ${ro ? ro.combineEntropy.toFixed(3) : '—'} | ${ro ? ro.deadExperts.length : '—'} |`);
  }
}
process.stdout.write(`${out.join('\n')}\n`);
