/**
 * What `softmoeInspector.dataset` may hold and where it points (no vscode import): 'demo' for the embedded
 * Fashion-MNIST subset, an absolute path, a path relative to the workspace folder, or `${workspaceFolder}/…`.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';

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

/** The embedded set's name on screen (its folder is just `data`). */
export const DEMO_DATASET_NAME = 'Fashion-MNIST demo subset (embedded, 2,000 test images)';

/**
 * Datasets remembered per checkpoint FOLDER (workspace state): a folder of MNIST runs and a folder of ViTs each keep
 * their own, so switching between them never asks again. Values are stored like the setting (`demo`, relative to
 * the workspace folder, or absolute). Keys are folder paths.
 */
export type DatasetMemory = Readonly<Record<string, string>>;

/** Most folders remembered; the oldest are forgotten first. */
export const MAX_REMEMBERED_FOLDERS = 200;

export function folderOf(checkpointPath: string): string {
  return dirname(resolve(checkpointPath));
}

/** The dataset remembered for the checkpoint's folder, as a path; null when none is. */
export function rememberedDataset(memory: DatasetMemory, checkpointPath: string, ctx: { extensionPath: string; workspaceFolder: string | null }): string | null {
  const value = memory[folderOf(checkpointPath)];
  return value === undefined ? null : resolveDatasetSetting(value, ctx);
}

/** The memory with `value` remembered for the checkpoint's folder (most recent last). */
export function rememberDataset(memory: DatasetMemory, checkpointPath: string, value: string): DatasetMemory {
  const folder = folderOf(checkpointPath);
  const entries = Object.entries(memory).filter(([k]) => k !== folder);
  entries.push([folder, value]);
  return Object.fromEntries(entries.slice(-MAX_REMEMBERED_FOLDERS));
}
