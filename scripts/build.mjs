// One esbuild script builds every bundle: the extension host entry, the CLI, the analysis worker and the webview.
// `vscode` stays external (VS Code provides it); everything else is bundled so the .vsix needs no node_modules.
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, copyFileSync, readdirSync, chmodSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {Array<import('esbuild').BuildOptions & {entry: string}>} */
const targets = [
  { entry: 'src/extension/extension.ts', outfile: 'dist/extension.js', platform: 'node', format: 'cjs', external: ['vscode'] },
  { entry: 'src/cli/main.ts', outfile: 'dist/cli.js', platform: 'node', format: 'cjs', banner: { js: '#!/usr/bin/env node' } },
  { entry: 'src/worker/worker.ts', outfile: 'dist/worker.js', platform: 'node', format: 'cjs' },
  { entry: 'src/pool/poolWorker.ts', outfile: 'dist/poolWorker.js', platform: 'node', format: 'cjs' },
  { entry: 'webview/main.ts', outfile: 'dist/webview.js', platform: 'browser', format: 'iife' },
];

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  // Node bundles are never minified: minified, the analysis's hot loops ran 10–25% slower in the packaged extension
  // (npm run bench -- vsix) for half a megabyte saved; only the webview's bundle is.
  minify: false,
  target: 'node20',
  logLevel: 'warning',
  // tfjs-node is optional: when it is not installed the require fails at run time and we fall back to wasm/cpu.
  // Keep it external so bundling never needs it.
  external: ['@tensorflow/tfjs-node'],
  define: { 'process.env.NODE_ENV': production ? '"production"' : '"development"' },
};

mkdirSync(join(root, 'dist'), { recursive: true });

// The wasm backend loads its .wasm binaries at run time from beside the bundle.
const wasmDir = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
if (existsSync(wasmDir)) {
  for (const f of readdirSync(wasmDir)) if (f.endsWith('.wasm')) copyFileSync(join(wasmDir, f), join(root, 'dist', f));
}

// The PyTorch engine's runner is plain Python, started by the engine from beside the bundle.
copyFileSync(join(root, 'src/core/engine/torch/runner/softmoe_runner.py'), join(root, 'dist/softmoe_runner.py'));

const contexts = [];
for (const t of targets) {
  if (!existsSync(join(root, t.entry))) continue;
  const { entry, ...opts } = t;
  const options = {
    ...common,
    ...opts,
    external: [...common.external, ...(opts.external ?? [])],
    target: opts.platform === 'browser' ? 'es2022' : 'node20',
    minify: production && opts.platform === 'browser',
    entryPoints: [join(root, entry)],
    outfile: join(root, opts.outfile),
    loader: { '.css': 'text', '.ttf': 'dataurl' },
  };
  if (watch) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
    contexts.push(ctx);
  } else {
    await esbuild.build(options);
  }
}
if (existsSync(join(root, 'dist/cli.js'))) chmodSync(join(root, 'dist/cli.js'), 0o755);
if (watch) console.log(`watching ${contexts.length} bundles…`);
