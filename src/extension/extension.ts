/**
 * Activation registers the checkpoint editor, the commands and the panel serializers (analysis, comparison). Nothing is read and no
 * worker starts until a command runs or a checkpoint is opened (activation events: onCustomEditor, onCommand,
 * onWebviewPanel). No telemetry.
 */
import * as vscode from 'vscode';
import { AnalysisPanels } from './analysisPanels';
import { analyzeExperts, chooseDataset } from './analyzeCommand';
import type { AnalyzeArgs } from './analyzeCommand';
import { CheckpointEditorProvider } from './checkpointEditor';
import { COMPARE_RUNS_COMMAND, compareRuns } from './compareCommand';
import { ComparisonPanels } from './comparisonPanels';
import { ANALYZE_TRAINING_RUN_COMMAND, analyzeTrainingRun } from './trainingRunCommand';
import { Services } from './services';

export function activate(context: vscode.ExtensionContext): void {
  const services = new Services(context);
  const { panels, disposable } = AnalysisPanels.register(services);
  const { comparisons, disposable: comparisonSerializer } = ComparisonPanels.register(services);
  context.subscriptions.push(
    services,
    disposable,
    comparisonSerializer,
    CheckpointEditorProvider.register(services),
    vscode.commands.registerCommand('softmoe.analyzeExperts', (arg?: unknown, args?: AnalyzeArgs) =>
      analyzeExperts(services, panels, arg, args && typeof args === 'object' && !(args instanceof vscode.Uri) ? args : {})),
    vscode.commands.registerCommand('softmoe.rerunAnalysis', (arg?: unknown) => analyzeExperts(services, panels, arg, { rerun: true })),
    vscode.commands.registerCommand('softmoe.chooseDataset', (arg?: unknown) => chooseDataset(services, arg)),
    vscode.commands.registerCommand('softmoe.showLog', () => services.log.show()),
    vscode.commands.registerCommand(COMPARE_RUNS_COMMAND, (arg?: unknown, uris?: unknown) => compareRuns(services, comparisons, arg, uris)),
    vscode.commands.registerCommand(ANALYZE_TRAINING_RUN_COMMAND, (arg?: unknown) => analyzeTrainingRun(services, comparisons, arg)),
  );
}

export function deactivate(): void {}
