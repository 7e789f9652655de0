/**
 * The read-only checkpoint editor. Opening a file costs nothing on the extension host: the worker reads the
 * header (and only the router / expert tensors it draws) and the webview shows the summary or the core's
 * one-line error.
 */
import * as vscode from 'vscode';
import { toErrorPayload } from '../core/errors';
import type { RequestHandlers, ViewModel } from '../core/protocol/webviewProtocol';
import { COMMANDS, CONTEXT_KEYS, NUMPY_EXTS, VIEW_TYPES } from './contributions';
import { attachWebviewHost, setWebviewHtml, webviewOptions } from './webviewHost';
import type { Services } from './services';
import { runWorkerJob } from './workerClient';

/** One provider for both view types: the default editor of some extensions, and an Open With… choice for others. */
export class CheckpointEditorProvider implements vscode.CustomReadonlyEditorProvider {
  static register(services: Services): vscode.Disposable {
    const provider = new CheckpointEditorProvider(services);
    const options = { webviewOptions: { retainContextWhenHidden: false }, supportsMultipleEditorsPerDocument: true };
    return vscode.Disposable.from(
      vscode.window.registerCustomEditorProvider(VIEW_TYPES.checkpoint, provider, options),
      vscode.window.registerCustomEditorProvider(VIEW_TYPES.checkpointOption, provider, options),
    );
  }

  /** The .npz files found to hold a model this session (the explorer offers Analyze and Compare on them). */
  private readonly numpyModels = new Set<string>();

  private constructor(private readonly services: Services) {}

  /** A NumPy file gets Analyze and Compare in the explorer once it is known to hold a model; other checkpoints always do. */
  private noteNumpyModel(path: string): void {
    if (!NUMPY_EXTS.some((e) => path.toLowerCase().endsWith(e)) || this.numpyModels.has(path)) return;
    this.numpyModels.add(path);
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.numpyModels, [...this.numpyModels]);
  }

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): void {
    const { log, extensionUri } = this.services;
    panel.webview.options = webviewOptions(extensionUri);
    const path = document.uri.fsPath;
    const cts = new AbortController();
    // Whether this editor shows a model: the title bar's Analyze and Compare follow it while the editor is active.
    let hasModel = false;
    const syncContext = (): void => {
      if (panel.active) void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.checkpointHasModel, hasModel);
    };
    const viewState = panel.onDidChangeViewState(syncContext);
    const view = async (): Promise<ViewModel> => {
      try {
        const summary = await runWorkerJob(this.services.workerFile, { type: 'inspect', path }, { signal: cts.signal, onLog: (m) => log.info(m.message) });
        hasModel = summary.layers.length > 0;
        if (hasModel) this.noteNumpyModel(path);
        syncContext();
        return { kind: 'checkpoint', summary };
      } catch (err) {
        const error = toErrorPayload(err);
        log.warn(`open ${path}: [${error.code}] ${error.userMessage}${error.detail ? `\n${error.detail}` : ''}`);
        hasModel = false;
        syncContext();
        return { kind: 'checkpoint-error', path, error: { code: error.code, userMessage: error.userMessage } };
      }
    };
    const requests: RequestHandlers = {
      analyze: async (req) => {
        await vscode.commands.executeCommand(COMMANDS.analyzeExperts, document.uri, { rerun: req.rerun });
        return null;
      },
      // One uri: Compare Runs asks which other runs to compare this checkpoint with.
      compare: async () => {
        await vscode.commands.executeCommand(COMMANDS.compareRuns, document.uri);
        return null;
      },
    };
    const sub = attachWebviewHost(panel.webview, { view, requests }, log);
    setWebviewHtml(panel.webview, extensionUri, document.uri.path.split('/').pop() ?? 'checkpoint');
    panel.onDidDispose(() => {
      cts.abort();
      viewState.dispose();
      sub.dispose();
    });
  }
}
