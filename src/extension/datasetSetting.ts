/**
 * What `softmoeInspector.dataset` may hold and where it points (no vscode import): 'demo' for the embedded
 * Fashion-MNIST subset, an absolute path, a path relative to the workspace folder, or `${workspaceFolder}/…`.
 */
import { isAbsolute, join, resolve } from 'node:path';

export const DEMO_DATASET = 'demo';

export function demoDatasetPath(extensionPath: string): string {
  return join(extensionPath, 'media', 'demo', 'data');
}

export function resolveDatasetSetting(value: unknown, ctx: { extensionPath: string; workspaceFolder: string | null }): string | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (!v) return null;
  if (v === DEMO_DATASET) return demoDatasetPath(ctx.extensionPath);
  const expanded = ctx.workspaceFolder ? v.replace(/^\$\{workspaceFolder\}/, ctx.workspaceFolder) : v;
  if (isAbsolute(expanded)) return resolve(expanded);
  return ctx.workspaceFolder ? resolve(ctx.workspaceFolder, expanded) : null;
}

/** The value to store for a picked path: relative to the workspace folder when inside it (so it travels with it). */
export function datasetSettingValue(path: string, workspaceFolder: string | null): string {
  if (workspaceFolder) {
    const root = resolve(workspaceFolder);
    const p = resolve(path);
    if (p === root) return '${workspaceFolder}';
    if (p.startsWith(root + '/') || p.startsWith(root + '\\')) return p.slice(root.length + 1).replace(/\\/g, '/');
  }
  return resolve(path);
}
