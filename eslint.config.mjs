// @ts-check
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ROOT = dirname(fileURLToPath(import.meta.url));

/**
 * The webview's boundary, stated once: the core files that webview/tsconfig.json includes are all the core the
 * webview bundle may contain. The rule below resolves every import of a webview file, and of those core files
 * themselves (so the set is closed), and refuses a value import of any other core module. Type-only imports inside
 * the boundary files are erased by the bundler and allowed (protocol/errors.ts re-exports error types).
 */
const webviewInclude = JSON.parse(readFileSync(join(ROOT, 'webview', 'tsconfig.json'), 'utf8')).include;
const BOUNDARY = webviewInclude.filter((p) => p.startsWith('../src/core/')).map((p) => p.slice(3));
const boundaryGlobs = BOUNDARY;
function inBoundary(rel) {
  return BOUNDARY.some((p) => (p.endsWith('/**/*.ts') ? rel.startsWith(p.slice(0, -'**/*.ts'.length)) : rel === p));
}
/** The core files that read or write files themselves (ARCHITECTURE.md, "Where the core touches the file system"). */
const CORE_FS = [
  'src/core/io/fileSource.ts', 'src/core/io/writeSafetensors.ts', 'src/core/data/**/*.ts', 'src/core/model/sidecar.ts',
  'src/core/engine/backend.ts', 'src/core/engine/torch/runnerScript.ts', 'src/core/train/**/*.ts', 'src/core/analysis/findRunCheckpoints.ts',
  'src/core/prune/pruneCheckpoint.ts',
];
const FS_MODULES = ['fs', 'fs/promises', 'node:fs', 'node:fs/promises'];

function coreImports(noFs) {
  return {
    paths: [
      { name: 'vscode', message: 'src/core must not import vscode; put editor code in src/extension.' },
      { name: 'worker_threads', message: 'src/core must not import worker_threads; put thread code in src/worker.' },
      { name: 'node:worker_threads', message: 'src/core must not import worker_threads; put thread code in src/worker.' },
      ...(noFs ? FS_MODULES.map((name) => ({ name, message: 'Only the files listed in CORE_FS (eslint.config.mjs) touch the file system; read checkpoints through a ByteSource (io/fileSource.ts).' })) : []),
    ],
    patterns: [{ group: ['**/extension/**', '**/worker/**', '**/cli/**', '**/webview/**'], message: 'src/core depends on nothing above it.' }],
  };
}

const webviewBoundary = {
  meta: { type: 'problem', schema: [{ type: 'object', properties: { allowTypeImports: { type: 'boolean' } } }] },
  create(context) {
    const allowTypes = context.options[0]?.allowTypeImports === true;
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      if (allowTypes && (node.importKind === 'type' || node.exportKind === 'type')) return;
      const rel = relative(ROOT, resolve(dirname(context.filename), source)).split('\\').join('/');
      if (!rel.startsWith('src/')) return;
      const candidates = [`${rel}.ts`, `${rel}/index.ts`, rel];
      if (!rel.startsWith('src/core/') || !candidates.some(inBoundary)) {
        context.report({ node, message: `The webview bundle may use only the core files webview/tsconfig.json includes (${BOUNDARY.join(', ')}); '${source}' is outside them.` });
      }
    };
    return { ImportDeclaration: check, ExportAllDeclaration: check, ExportNamedDeclaration: check };
  },
};

/**
 * No import cycles between our modules (type-only imports included: a cycle of types is still two modules that
 * cannot be read or moved apart). For the file being linted, every relative import is followed through the other
 * files' import lists (read once per lint run); an import from which the file reaches itself again is reported with
 * the cycle. Shared helpers belong in a module of their own that both sides import.
 */
const IMPORT_RE = /(?:^|[\n;])\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/g;
const importCache = new Map();
function resolveImport(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const c of [`${base}.ts`, join(base, 'index.ts'), base]) if (c.endsWith('.ts') && existsSync(c) && statSync(c).isFile()) return c;
  return null;
}
function importsOf(file) {
  let out = importCache.get(file);
  if (!out) {
    const src = existsSync(file) ? readFileSync(file, 'utf8') : '';
    out = [...src.matchAll(IMPORT_RE)].map((m) => resolveImport(file, m[1])).filter((f) => f !== null);
    importCache.set(file, out);
  }
  return out;
}
/** A path of files from `from` back to `target`, or null. */
function pathBack(from, target) {
  const prev = new Map([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const f = queue.shift();
    if (f === target) {
      const path = [];
      for (let x = f; x !== null; x = prev.get(x)) path.unshift(x);
      return path;
    }
    for (const next of importsOf(f)) if (!prev.has(next)) { prev.set(next, f); queue.push(next); }
  }
  return null;
}
const noImportCycles = {
  meta: { type: 'problem', schema: [] },
  create(context) {
    const self = context.filename;
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = resolveImport(self, source);
      if (!target) return;
      const back = target === self ? [self] : pathBack(target, self);
      if (back) {
        const cycle = [self, ...back].map((f) => relative(ROOT, f).split('\\').join('/')).join(' → ');
        context.report({ node, message: `Import cycle: ${cycle}. Move what both sides need into a module of its own.` });
      }
    };
    return { ImportDeclaration: check, ExportAllDeclaration: check, ExportNamedDeclaration: check };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.cache/**', 'test-results/**', 'media/**', '**/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', performance: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable', setImmediate: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts', 'webview/**/*.ts'],
    plugins: { cycles: { rules: { 'no-import-cycles': noImportCycles } } },
    rules: { 'cycles/no-import-cycles': 'error' },
  },
  {
    // The core is shared by the CLI, the worker, the extension and tests: it never reaches for an editor,
    // a DOM or a thread API. Those arrive through interfaces the core defines. It reads files only where
    // ARCHITECTURE.md ("Where the core touches the file system") says, listed in CORE_FS below.
    files: ['src/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', coreImports(true)] },
  },
  {
    files: CORE_FS,
    rules: { 'no-restricted-imports': ['error', coreImports(false)] },
  },
  {
    files: ['src/cli/**/*.ts', 'src/worker/**/*.ts', 'src/pool/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'Only src/extension may import vscode.' }],
        patterns: [{ group: ['**/extension/**'], message: 'Nothing depends on src/extension.' }],
      }],
    },
  },
  {
    files: ['webview/**/*.ts'],
    plugins: { softmoe: { rules: { 'webview-boundary': webviewBoundary } } },
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The webview talks to the extension only through the typed protocol.' }],
      }],
      'softmoe/webview-boundary': 'error',
    },
  },
  {
    // The boundary files themselves may use only each other at run time, so the set is closed.
    files: boundaryGlobs,
    plugins: { softmoe: { rules: { 'webview-boundary': webviewBoundary } } },
    rules: { 'softmoe/webview-boundary': ['error', { allowTypeImports: true }] },
  },
);
