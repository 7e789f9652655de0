/**
 * `softmoe demo`: the main job on the embedded default, with no download and no configuration. Inspects and
 * analyses every model of the embedded suite (media/demo/models/n*) on the embedded Fashion-MNIST subset
 * (media/demo/data), prints one summary line per model and writes a standalone HTML report of the suite (the
 * comparison view), one full report per model, and the result JSONs.
 */
import type { Command } from 'commander';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import pc from 'picocolors';
import { analyzeCheckpoint } from '../../core/analysis/analyzeCheckpoint';
import { finalizeResult } from '../../core/analysis/finalize';
import { findRunCheckpoints } from '../../core/analysis/findRunCheckpoints';
import { curvePoint, type AnalysisResult, type DropMode, type SelectorName } from '../../core/analysis/schema';
import { SoftMoeError } from '../../core/errors';
import { compareNatural } from '../../core/model/naturalSort';
import { buildStandaloneComparisonReport, buildStandaloneReport } from '../../core/report/buildStandaloneReport';
import { demoAssets, webviewBundlePath } from '../assets';
import { makeTable } from '../format/table';
import { intFlag } from '../flags';
import { addEngineOptions, readEngineFlags, type EngineFlags } from '../options';
import { writeAtomic } from '../writeAtomic';
import { TOOL_VERSION } from '../../core/version';

interface DemoFlags extends EngineFlags {
  out: string;
  limit?: string;
}

export interface DemoModel {
  name: string;
  path: string;
  epoch: number;
}

/** The last epoch of every run folder in the embedded suite, by number of experts. */
export async function demoModels(modelsDir: string): Promise<DemoModel[]> {
  const folders = (await readdir(modelsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  const models: DemoModel[] = [];
  for (const name of folders) {
    const epochs = await findRunCheckpoints(join(modelsDir, name));
    const last = epochs[epochs.length - 1];
    if (last) models.push({ name, path: last.path, epoch: last.epoch });
  }
  models.sort((a, b) => compareNatural(a.name, b.name));
  if (models.length === 0) throw new SoftMoeError('E_NOT_FOUND', `No demo checkpoints (ep*_moe.safetensors) under ${modelsDir}.`);
  return models;
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(100 * v).toFixed(1)}%`);

/** Heuristic and random accuracy at a fraction of the experts, when that fraction is a whole number of experts. */
export function atFraction(r: AnalysisResult, fraction: number, selector: SelectorName): number | null {
  const n = r.layers[0]?.numExperts ?? 0;
  const k = n * fraction;
  if (!Number.isInteger(k) || k < 1) return null;
  const drop = r.options.drops[0];
  return curvePoint(r, selector, drop as DropMode, k)?.accuracy ?? null;
}

export function register(program: Command): void {
  const cmd = program
    .command('demo')
    .description('analyse the embedded demo suite (Fashion-MNIST, n = 1…16 experts) and write an HTML report — no download, no configuration')
    .option('--out <dir>', 'folder for the reports and result JSONs', 'softmoe-demo')
    .option('--limit <n>', 'use only the first N of the 2,000 embedded test images');
  addEngineOptions(cmd)
    .action(async (flags: DemoFlags) => {
      const limit = flags.limit === undefined ? null : intFlag(flags.limit, '--limit');
      const engineChoice = readEngineFlags(flags);
      const assets = demoAssets();
      const models = await demoModels(assets.models);
      const webviewJs = await readFile(webviewBundlePath(), 'utf8');
      const out = resolve(flags.out);
      await mkdir(out, { recursive: true });
      process.stderr.write(`Analysing ${models.length} embedded models on ${relative(process.cwd(), assets.data) || assets.data}…\n`);

      const results: Array<{ model: DemoModel; result: AnalysisResult; html: string }> = [];
      for (const model of models) {
        const part = await analyzeCheckpoint(model.path, assets.data, {
          ...engineChoice, selectors: ['heuristic', 'random'], drops: ['zero'], trials: 10, seed: 0, limit,
          toolVersion: process.env.SOFTMOE_VERSION ?? TOOL_VERSION,
        });
        const result = finalizeResult(part);
        const html = join(out, `${model.name}.html`);
        await writeAtomic(join(out, `${model.name}.softmoe.json`), `${JSON.stringify(result)}\n`);
        await writeAtomic(html, buildStandaloneReport(result, webviewJs, { title: `Demo ${model.name} (epoch ${model.epoch}) — Soft MoE analysis` }));
        results.push({ model, result, html });
        process.stderr.write(`  ${model.name}: done in ${result.timing.seconds.toFixed(1)} s (${result.tool.engine?.label ?? result.tool.backend})\n`);
      }

      const table = makeTable(['model', 'experts', 'params', 'full acc.', 'recommended k (99%)', 'heuristic @ n/4', 'random @ n/4'], pc, [1, 2, 3, 5, 6]);
      for (const { model, result: r } of results) {
        const n = r.layers[0]?.numExperts ?? 0;
        const rec = r.recommended.k === null ? `all ${n} needed` : `${r.recommended.k}/${n} (saves ${pct(r.recommended.expertFlopsSaved)})`;
        table.push([model.name, String(n), r.checkpoint.parameterCount.toLocaleString('en'), pct(r.fullAccuracy), rec, pct(atFraction(r, 0.25, 'heuristic')), pct(atFraction(r, 0.25, 'random'))]);
      }
      // One page for the whole suite (the comparison view: curves against the fraction of experts kept), and one
      // full report per model (curves, specialisation, routing, samples).
      const index = join(out, 'index.html');
      await writeAtomic(index, buildStandaloneComparisonReport({
        mode: 'runs',
        title: 'Embedded demo: the paper\'s MNIST Soft MoE suite on Fashion-MNIST',
        runs: results.map(({ model, result }) => ({ label: model.name, result })),
      }, webviewJs));
      const examples = results[0]?.result.numExamples ?? 0;
      process.stdout.write(`${pc.bold(`Embedded demo: the paper's MNIST Soft MoE suite on ${examples} Fashion-MNIST test images`)}\n${table.toString()}\n\n`);
      process.stdout.write(`Report: ${index}\n`);
      process.stdout.write(`Per model: ${results.map(({ html }) => relative(process.cwd(), html) || html).join(', ')}\n`);
    });
}
