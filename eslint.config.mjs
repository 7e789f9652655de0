// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
    // The core is shared by the CLI, the worker, the extension and tests: it never reaches for an editor,
    // a DOM or a thread API. Those arrive through interfaces the core defines.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'vscode', message: 'src/core must not import vscode; put editor code in src/extension.' },
          { name: 'worker_threads', message: 'src/core must not import worker_threads; put thread code in src/worker.' },
          { name: 'node:worker_threads', message: 'src/core must not import worker_threads; put thread code in src/worker.' },
        ],
        patterns: [{ group: ['**/extension/**', '**/worker/**', '**/cli/**', '**/webview/**'], message: 'src/core depends on nothing above it.' }],
      }],
    },
  },
  {
    files: ['src/cli/**/*.ts', 'src/worker/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'Only src/extension may import vscode.' }],
        patterns: [{ group: ['**/extension/**'], message: 'Nothing depends on src/extension.' }],
      }],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'The webview talks to the extension only through the typed protocol.' }],
        patterns: [{ group: ['**/extension/**', '**/worker/**', '**/cli/**', '**/core/io/**', '**/core/engine/**'], message: 'The webview may import only the protocol and result types from src/core.' }],
      }],
    },
  },
);
