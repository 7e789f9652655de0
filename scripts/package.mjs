// Packages the extension: `npm run package` builds a universal .vsix (the built-in engine runs on wasm);
// `npm run package -- --target linux-x64` (or any vsce target) builds that platform's .vsix, which also carries
// ONNX Runtime's CPU binary for the platform — when onnxruntime-node ships one for it — beside the bundle in
// dist/node_modules, so the engine computes natively there (src/core/engine/onnx/ortRuntime.ts loads it from there).
// Only the one platform's binary goes in; the package's install script, its CUDA and other platforms' parts never do.
// Further arguments are handed to vsce (`-o out.vsix`).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const at = args.indexOf('--target');
const target = at >= 0 ? args[at + 1] : undefined;
if (at >= 0 && !target) throw new Error('--target needs a vsce target, e.g. linux-x64');
const rest = at >= 0 ? [...args.slice(0, at), ...args.slice(at + 2)] : args;

/** vsce targets → the folder of onnxruntime-node 1.30's CPU binary (darwin-x64 and alpine have none: wasm there). */
export const ORT_BINARIES = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};

const staged = join(root, 'dist', 'node_modules');
const run = (cmd, argv) => execFileSync(cmd, argv, { cwd: root, stdio: 'inherit' });

function sizeOf(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((sum, f) => sum + sizeOf(join(path, f)), 0);
}

/** onnxruntime-node's JavaScript, its one runtime dependency, and the one platform's binary, into dist/node_modules. */
function stageOnnxRuntime(binary) {
  const ort = join(root, 'node_modules', 'onnxruntime-node');
  const common = join(root, 'node_modules', 'onnxruntime-common');
  const bin = join(ort, 'bin', 'napi-v6', binary);
  if (!existsSync(bin) || !existsSync(common)) {
    throw new Error(`onnxruntime-node is not installed with its ${binary} binary (npm install): cannot build a .vsix for ${target} that runs natively`);
  }
  const to = join(staged, 'onnxruntime-node');
  // Run-time JavaScript only: no type declarations or source maps.
  const js = { recursive: true, filter: (src) => !/\.(d\.ts|map)$/.test(src) };
  for (const f of ['package.json', 'README.md', 'dist']) if (existsSync(join(ort, f))) cpSync(join(ort, f), join(to, f), js);
  // macOS ships libonnxruntime.1.dylib twice (also as libonnxruntime.1.30.0.dylib, byte for byte); the binding loads
  // @rpath/libonnxruntime.1.dylib, so the versioned copy stays out.
  cpSync(bin, join(to, 'bin', 'napi-v6', binary), { recursive: true, filter: (src) => !/libonnxruntime\.\d+\.\d+\.\d+\.dylib$/.test(src) });
  for (const f of ['package.json', 'README.md', join('dist', 'cjs')]) cpSync(join(common, f), join(staged, 'onnxruntime-common', f), js);
  console.log(`packaging ONNX Runtime ${binary} (${(sizeOf(staged) / 2 ** 20).toFixed(1)} MiB unpacked) for ${target}`);
}

run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--production']);
rmSync(staged, { recursive: true, force: true });
try {
  const binary = target ? ORT_BINARIES[target] : undefined;
  if (binary) stageOnnxRuntime(binary);
  else if (target) console.log(`onnxruntime-node has no binary for ${target}: that .vsix runs the built-in engine on wasm`);
  mkdirSync(join(root, 'dist'), { recursive: true });
  run(process.execPath, [join(root, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies', ...(target ? ['--target', target] : []), ...rest]);
} finally {
  // A development build never carries a copy: there Node resolves onnxruntime-node from node_modules.
  rmSync(staged, { recursive: true, force: true });
}
