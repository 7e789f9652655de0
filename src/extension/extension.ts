/**
 * Activation registers the checkpoint editor, the commands and the panel serializers (analysis, comparison). Nothing is read and no
 * worker starts until a command runs or a checkpoint is opened (activation events: onCustomEditor, onWebviewPanel,
 * and the commands' own, which VS Code derives from `contributes.commands`). No telemetry.
 */
import * as l10n from '@vscode/l10n';
import * as vscode from 'vscode';
import { AnalysisPanels } from './analysisPanels';
import { analyzeExperts, chooseDataset } from './analyzeCommand';
import type { AnalyzeArgs } from './analyzeCommand';
import { CheckpointEditorProvider } from './checkpointEditor';
import { compareRuns } from './compareCommand';
import { ComparisonPanels } from './comparisonPanels';
import { COMMANDS } from './contributions';
import { analyzeTrainingRun } from './trainingRunCommand';
import { Services } from './services';

export function activate(context: vscode.ExtensionContext): void {
  // The pure modules the host shares with the core and the webview (progress text, notes) translate through
  // @vscode/l10n: give it the display language's bundle, as VS Code gives vscode.l10n.
  if (vscode.l10n.bundle) l10n.config({ contents: vscode.l10n.bundle });
  const services = new Services(context);
  const { panels, disposable } = AnalysisPanels.register(services);
  const { comparisons, disposable: comparisonSerializer } = ComparisonPanels.register(services);
  context.subscriptions.push(
    services,
    disposable,
    comparisonSerializer,
    CheckpointEditorProvider.register(services),
    vscode.commands.registerCommand(COMMANDS.analyzeExperts, (arg?: unknown, args?: AnalyzeArgs) =>
      analyzeExperts(services, panels, arg, args && typeof args === 'object' && !(args instanceof vscode.Uri) ? args : {})),
    vscode.commands.registerCommand(COMMANDS.rerunAnalysis, (arg?: unknown) => analyzeExperts(services, panels, arg, { rerun: true })),
    vscode.commands.registerCommand(COMMANDS.chooseDataset, (arg?: unknown) => chooseDataset(services, arg)),
    vscode.commands.registerCommand(COMMANDS.showLog, () => services.log.show()),
    vscode.commands.registerCommand(COMMANDS.compareRuns, (arg?: unknown, uris?: unknown) => compareRuns(services, comparisons, arg, uris)),
    vscode.commands.registerCommand(COMMANDS.analyzeTrainingRun, (arg?: unknown) => analyzeTrainingRun(services, comparisons, arg)),
  );
}

export function deactivate(): void {}
