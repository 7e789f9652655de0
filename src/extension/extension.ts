/**
 * Activation registers the checkpoint editor, the commands and the panel serializer. Nothing is read and no
 * worker starts until a command runs or a checkpoint is opened (activation events: onCustomEditor, onCommand,
 * onWebviewPanel). No telemetry.
 */
import * as vscode from 'vscode';
import { AnalysisPanels } from './analysisPanels';
import { analyzeExperts } from './analyzeCommand';
import type { AnalyzeArgs } from './analyzeCommand';
import { CheckpointEditorProvider } from './checkpointEditor';
import { pickDataset } from './datasetPicker';
import { Services } from './services';

export function activate(context: vscode.ExtensionContext): void {
  const services = new Services(context);
  const { panels, disposable } = AnalysisPanels.register(services);
  context.subscriptions.push(
    services,
    disposable,
    CheckpointEditorProvider.register(services),
    vscode.commands.registerCommand('softmoe.analyzeExperts', (arg?: unknown, args?: AnalyzeArgs) =>
      analyzeExperts(services, panels, arg, args && typeof args === 'object' && !(args instanceof vscode.Uri) ? args : {})),
    vscode.commands.registerCommand('softmoe.rerunAnalysis', (arg?: unknown) => analyzeExperts(services, panels, arg, { rerun: true })),
    vscode.commands.registerCommand('softmoe.chooseDataset', async (arg?: unknown) => {
      await pickDataset(context.extensionPath, arg instanceof vscode.Uri ? arg : undefined);
    }),
    vscode.commands.registerCommand('softmoe.showLog', () => services.log.show()),
  );
}

export function deactivate(): void {}
