/**
 * Files the CLI ships beside itself: the embedded demo (media/demo) and the webview bundle that renders reports
 * (dist/webview.js). Found relative to this file, both when bundled (dist/cli.js) and when run from source (tsx).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SoftMoeError } from '../core/errors';

function packageRoot(): string {
  // dist/cli.js → ..; src/cli/assets.ts → ../..
  for (const up of ['..', join('..', '..')]) {
    const root = resolve(__dirname, up);
    if (existsSync(join(root, 'package.json')) && existsSync(join(root, 'media'))) return root;
  }
  throw new SoftMoeError('E_NOT_FOUND', `Cannot find the package's media/ folder near ${__dirname}; reinstall Soft MoE Inspector.`);
}

/** The embedded demo: `data` (2,000 Fashion-MNIST test images) and `models` (the trained suite). */
export function demoAssets(): { data: string; models: string } {
  const root = join(packageRoot(), 'media', 'demo');
  return { data: join(root, 'data'), models: join(root, 'models') };
}

/** The built webview bundle, inlined into standalone HTML reports. */
export function webviewBundlePath(): string {
  const p = join(packageRoot(), 'dist', 'webview.js');
  if (!existsSync(p)) throw new SoftMoeError('E_NOT_FOUND', `The report renderer ${p} is missing; run npm run build first.`);
  return p;
}
