/**
 * The Python for the PyTorch engine: softmoeInspector.pythonPath, else the interpreter selected in the Python
 * extension (ms-python.python, through its public environments API, when it is installed), else python3 on PATH.
 */
import * as vscode from 'vscode';
import { defaultPython, type PythonChoice } from '../core/engine/torch/runnerProcess';
import { pythonFromSetting } from './engineChoice';

/** The part of the Python extension's API used here (its `environments` API, @vscode/python-extension). */
interface PythonExtensionApi {
  ready?: Promise<void>;
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { id: string; path: string };
    resolveEnvironment(env: { id: string; path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

const LOOKUP_TIMEOUT_MS = 10_000;

function within<T>(p: PromiseLike<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)));
  return Promise.race([Promise.resolve(p), late]).finally(() => clearTimeout(timer));
}

/** The Python extension's interpreter for `resource`, or undefined (not installed, none selected, too slow). */
export async function pythonFromExtension(resource: vscode.Uri, log: (m: string) => void): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await within(ext.activate(), LOOKUP_TIMEOUT_MS);
    const envs = api?.environments;
    if (!envs) return undefined;
    if (api?.ready) await within(api.ready, LOOKUP_TIMEOUT_MS);
    const active = envs.getActiveEnvironmentPath(resource);
    const resolved = await within(envs.resolveEnvironment(active), LOOKUP_TIMEOUT_MS);
    return resolved?.executable?.uri?.fsPath ?? undefined;
  } catch (err) {
    log(`the Python extension did not say which interpreter is selected (${err instanceof Error ? err.message : String(err)}); using python3 on PATH`);
    return undefined;
  }
}

export async function resolvePython(resource: vscode.Uri, pythonPath: string, log: (m: string) => void): Promise<PythonChoice> {
  const folder = vscode.workspace.getWorkspaceFolder(resource)?.uri.fsPath;
  const fromSetting = pythonFromSetting(pythonPath, folder);
  if (fromSetting) return fromSetting;
  const fromExtension = await pythonFromExtension(resource, log);
  if (fromExtension) return { path: fromExtension, source: 'the Python extension' };
  return defaultPython();
}
