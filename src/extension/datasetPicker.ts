/** Which dataset to analyse with: the setting, or a quick pick (demo set, a file, a folder) that is remembered. */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { SETTINGS_SECTION } from './analysisSettings';
import { DEMO_DATASET, datasetSettingValue, demoDatasetPath, resolveDatasetSetting } from './datasetSetting';

function workspaceFolderOf(uri: vscode.Uri | undefined): vscode.WorkspaceFolder | undefined {
  return (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
}

export async function pickDataset(extensionPath: string, scope?: vscode.Uri): Promise<string | undefined> {
  const folder = workspaceFolderOf(scope);
  const demo = demoDatasetPath(extensionPath);
  type Item = vscode.QuickPickItem & { choice: 'demo' | 'file' | 'folder' };
  const items: Item[] = [
    ...(existsSync(demo) ? [{ choice: 'demo' as const, label: vscode.l10n.t('$(beaker) Embedded demo set'), description: vscode.l10n.t('Fashion-MNIST, 2,000 test images') }] : []),
    { choice: 'file', label: vscode.l10n.t('$(file) Choose a dataset file…'), description: vscode.l10n.t('IDX (.gz), .npz, CIFAR batches') },
    { choice: 'folder', label: vscode.l10n.t('$(folder) Choose a dataset folder…'), description: vscode.l10n.t('IDX files, or an image folder with one sub-folder per class') },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Dataset for Analyze Experts'), placeHolder: vscode.l10n.t('The choice is saved in the workspace setting softmoeInspector.dataset') });
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
  const target = folder ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration(SETTINGS_SECTION, scope).update('dataset', value, target);
  return path;
}

/** The dataset path from the setting, or from the quick pick when unset (or when `forcePick`). */
export async function resolveDataset(extensionPath: string, scope: vscode.Uri | undefined, forcePick = false): Promise<string | undefined> {
  const folder = workspaceFolderOf(scope);
  const value = vscode.workspace.getConfiguration(SETTINGS_SECTION, scope).get<string>('dataset');
  const path = forcePick ? null : resolveDatasetSetting(value, { extensionPath, workspaceFolder: folder?.uri.fsPath ?? null });
  return path ?? pickDataset(extensionPath, scope);
}
