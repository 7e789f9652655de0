import * as vscode from 'vscode';
import type { AnalysisResult } from '../core/analysis/schema';
import { InFlight } from './inFlight';
import { Log } from './log';
import { ResultCache } from './resultCache';

/** What the commands, the editor and the panels share; created once at activation (cheap: no I/O). */
export class Services implements vscode.Disposable {
  readonly log = new Log();
  readonly cache: ResultCache;
  /** Analyses running now, by cache key (a second request for one joins it). */
  readonly runs = new InFlight<AnalysisResult>();
  readonly workerFile: string;

  constructor(readonly context: vscode.ExtensionContext) {
    const storage = context.storageUri ?? context.globalStorageUri;
    this.cache = new ResultCache(vscode.Uri.joinPath(storage, 'results').fsPath);
    this.workerFile = vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath;
  }

  get extensionUri(): vscode.Uri {
    return this.context.extensionUri;
  }

  dispose(): void {
    this.log.dispose();
  }
}
