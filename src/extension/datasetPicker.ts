/**
 * Which dataset to analyse with: the one remembered for the checkpoint's folder, else the `softmoeInspector.dataset`
 * setting, else a quick pick (demo set, a file, a folder) whose answer is remembered for that folder (workspace
 * state), so a folder of MNIST runs and a folder of ViTs each keep their own dataset.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { SETTINGS_SECTION } from './analysisSettings';
import { DEMO_DATASET, datasetSettingValue, demoDatasetPath, rememberDataset, rememberedDataset, resolveDatasetSetting } from './datasetSetting';
import type { DatasetMemory } from './datasetSetting';

const MEMORY_KEY = 'softmoe.datasetByFolder';

function workspaceFolderOf(uri: vscode.Uri | undefined): vscode.WorkspaceFolder | undefined {
  return (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
}

function memoryOf(context: vscode.ExtensionContext): DatasetMemory {
  const m = context.workspaceState.get<unknown>(MEMORY_KEY);
  return m && typeof m === 'object' ? Object.fromEntries(Object.entries(m).filter(([, v]) => typeof v === 'string')) as DatasetMemory : {};
}

/**
 * Ask for a dataset. With a checkpoint `scope`, the answer is remembered for the checkpoint's folder; without one
 * (the palette, nothing open), it becomes the workspace setting, the default for folders with nothing remembered.
 */
export async function pickDataset(context: vscode.ExtensionContext, scope?: vscode.Uri): Promise<string | undefined> {
  const folder = workspaceFolderOf(scope);
  const demo = demoDatasetPath(context.extensionPath);
  type Item = vscode.QuickPickItem & { choice: 'demo' | 'file' | 'folder' };
  const items: Item[] = [
    ...(existsSync(demo) ? [{ choice: 'demo' as const, label: vscode.l10n.t('$(beaker) Embedded demo set'), description: vscode.l10n.t('Fashion-MNIST, 2,000 test images') }] : []),
    { choice: 'file', label: vscode.l10n.t('$(file) Choose a dataset file…'), description: vscode.l10n.t('IDX (.gz), .npz, CIFAR batches') },
    { choice: 'folder', label: vscode.l10n.t('$(folder) Choose a dataset folder…'), description: vscode.l10n.t('IDX files, or an image folder with one sub-folder per class') },
  ];
  const where = scope ? vscode.l10n.t('remembered for the folder {0}', vscode.workspace.asRelativePath(vscode.Uri.joinPath(scope, '..'))) : vscode.l10n.t('saved in the workspace setting softmoeInspector.dataset');
  const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Dataset for Analyze Experts'), placeHolder: vscode.l10n.t('The choice is {0}', where) });
  if (!pick) return undefined;
  let value: string;
  let path: string;
  if (pick.choice === 'demo') {
    value = DEMO_DATASET;
    path = demo;
  } else {
    const uris = await vscode.window.showOpenDialog({
      canSelectFiles: pick.choice === 'file', canSelectFolders: pick.choice === 'folder', canSelectMany: false,
      defaultUri: folder?.uri, openLabel: vscode.l10n.t('Use as dataset'),
    });
    if (!uris?.[0]) return undefined;
    path = uris[0].fsPath;
    value = datasetSettingValue(path, folder?.uri.fsPath ?? null);
  }
  if (scope) {
    await context.workspaceState.update(MEMORY_KEY, rememberDataset(memoryOf(context), scope.fsPath, value));
  } else {
    const target = folder ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration(SETTINGS_SECTION).update('dataset', value, target);
  }
  return path;
}

/** The dataset path for a checkpoint: remembered for its folder, else the setting, else the quick pick (or when `forcePick`). */
export async function resolveDataset(context: vscode.ExtensionContext, scope: vscode.Uri | undefined, forcePick = false): Promise<string | undefined> {
  if (forcePick) return pickDataset(context, scope);
  const ctx = { extensionPath: context.extensionPath, workspaceFolder: workspaceFolderOf(scope)?.uri.fsPath ?? null };
  const remembered = scope ? rememberedDataset(memoryOf(context), scope.fsPath, ctx) : null;
  if (remembered) return remembered;
  const value = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope).get<string>('dataset');
  return resolveDatasetSetting(value, ctx) ?? pickDataset(context, scope);
}
