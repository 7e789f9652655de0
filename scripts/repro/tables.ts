/**
 * Markdown tables for REPRODUCTION.md, computed from the result JSONs that reproduce.sh writes.
 * Usage: node --import tsx scripts/repro/tables.ts docs/reproduction
 */
import { readFileSync, readdirSync } from 'node:fs';
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
const out: string[] = [];

out.push('### Test accuracy and experts needed for 99% of it\n');
out.push('| n | h | parameters | test accuracy % | k for 99% (heuristic, zero) | k for 99% (random, zero) | k for 99% (output-norm, zero) |');
out.push('|---|---|---|---|---|---|---|');
for (const r of suite) {
  const n = r.layers[0]?.numExperts ?? 0;
  const fmt = (k: number | null) => (k === null ? '—' : `${k} (${(k / n).toFixed(3).replace(/\.?0+$/, '')})`);
  out.push(`| ${n} | ${r.layers[0]?.expertHidden} | ${r.checkpoint.parameterCount.toLocaleString('en')} | ${pct(r.fullAccuracy)} | ${fmt(kFor(r, 'heuristic', 'zero'))} | ${fmt(kFor(r, 'random', 'zero'))} | ${fmt(kFor(r, 'output-norm', 'zero'))} |`);
}

for (const drop of ['zero', 'renorm'] as DropMode[]) {
  out.push(`\n### Accuracy % with a fraction of the experts kept (${drop} drop)\n`);
  out.push('| n | kept | heuristic (Alg. 1) | random (mean ± std, 10 trials) | oracle | heuristic subset specialised | output-norm | dispatch | batch (Alg. 2) |');
  out.push('|---|---|---|---|---|---|---|---|---|');
  for (const r of suite) {
    const n = r.layers[0]?.numExperts ?? 0;
    for (const f of [1 / 2, 1 / 4, 1 / 8]) {
      const k = n * f;
      if (!Number.isInteger(k) || k < 1) continue;
      const rnd = at(r, 'random', drop, k);
      const orc = at(r, 'oracle', drop, k);
      out.push(`| ${n} | ${k}/${n} | ${pct(at(r, 'heuristic', drop, k)?.accuracy)} | ${pct(rnd?.accuracy)} ± ${pct(rnd?.std)} | ${pct(orc?.accuracy)}${orc?.greedy ? ' (greedy)' : ''} | ${pct(orc?.heuristicIsSpecialised)} | ${pct(at(r, 'output-norm', drop, k)?.accuracy)} | ${pct(at(r, 'dispatch', drop, k)?.accuracy)} | ${pct(at(r, 'batch', drop, k)?.accuracy)} |`);
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
