import type * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {
  // Commands, the checkpoint editor and the analysis panel are registered here as they land.
}

export function deactivate(): void {}
