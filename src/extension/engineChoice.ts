/**
 * Which engine Analyze Experts runs a checkpoint with — decided on the host, where workspace trust is known — and
 * which Python the PyTorch engine uses. Pure (no vscode import), so tests pass plain values; pythonInterpreter.ts
 * asks the Python extension.
 *
 *   softmoeInspector.engine  'auto' (default): the PyTorch engine when the checkpoint's softmoe.json names a model
 *                            factory, else the built-in one; 'tfjs': always the built-in one; 'torch': always PyTorch.
 *   The PyTorch engine runs code from the workspace, so in an untrusted workspace (Restricted Mode) it never runs:
 *   with 'auto' the built-in engine does and the user is told why; 'torch' is refused with what to do instead.
 *   softmoeInspector.pythonPath  the interpreter; empty: the one selected in the Python extension, else python3.
 *   softmoeInspector.device      'auto' (cuda when available, else cpu), 'cpu', 'cuda', 'cuda:N', 'mps'.
 */
import * as l10n from '@vscode/l10n';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { SoftMoeError } from '../core/errors';
import { ENGINE_CHOICES, type EngineChoice } from '../core/engine/openEngine';
import type { PythonChoice } from '../core/engine/torch/runnerProcess';

export const ENGINE_SETTING_DEFAULTS = { engine: 'auto', device: 'auto', pythonPath: '' } as const;

export interface EngineSettings {
  engine: EngineChoice;
  device: string;
  /** As set ('' when unset). */
  pythonPath: string;
}

/** Read and check the three settings; a bad value is replaced by its default with a warning. */
export function readEngineSettings(get: (key: string) => unknown, warnings: string[]): EngineSettings {
  const engineRaw = get('engine') ?? ENGINE_SETTING_DEFAULTS.engine;
  let engine: EngineChoice = ENGINE_SETTING_DEFAULTS.engine;
  if ((ENGINE_CHOICES as readonly unknown[]).includes(engineRaw)) engine = engineRaw as EngineChoice;
  else warnings.push(`softmoeInspector.engine: '${String(engineRaw)}' is not one of ${ENGINE_CHOICES.join(', ')}; using auto.`);
  const deviceRaw = get('device') ?? ENGINE_SETTING_DEFAULTS.device;
  let device: string = ENGINE_SETTING_DEFAULTS.device;
  if (typeof deviceRaw === 'string' && /^(auto|cpu|cuda|cuda:\d+|mps)$/.test(deviceRaw)) device = deviceRaw;
  else warnings.push(`softmoeInspector.device: '${String(deviceRaw)}' is not auto, cpu, cuda, cuda:N or mps; using auto.`);
  const py = get('pythonPath');
  const pythonPath = typeof py === 'string' ? py.trim() : '';
  if (py !== undefined && py !== null && typeof py !== 'string') warnings.push('softmoeInspector.pythonPath: expected a path; ignoring it.');
  return { engine, device, pythonPath };
}

export interface EngineDecision {
  engine: 'tfjs' | 'torch';
  /** Why the PyTorch engine does not run although softmoe.json asks for it (shown to the user and logged). */
  note?: string;
}

/**
 * The engine for one analysis. In an untrusted workspace the PyTorch engine never runs: 'auto' falls back to the
 * built-in engine with a note, and 'torch' — which asks for the model's own code whatever the checkpoint — is refused
 * (E_USAGE) with what to do instead, rather than quietly giving a result of another engine.
 */
export function decideEngine(choice: EngineChoice, opts: { trusted: boolean; hasFactory: boolean }): EngineDecision {
  const wantsTorch = choice === 'torch' || (choice === 'auto' && opts.hasFactory);
  if (!wantsTorch) return { engine: 'tfjs' };
  if (!opts.trusted) {
    if (choice === 'torch') {
      throw new SoftMoeError('E_USAGE', l10n.t("Restricted Mode: softmoeInspector.engine is 'torch', and the PyTorch engine runs the model's own code in your Python, which an untrusted workspace may not do. Trust this workspace to run it, or set softmoeInspector.engine to 'auto' to analyze with the built-in engine."));
    }
    return {
      engine: 'tfjs',
      note: l10n.t("Restricted Mode: this workspace is not trusted, so the model code its softmoe.json names does not run; the built-in engine analyzes the checkpoint (trust the workspace to run it through your PyTorch)."),
    };
  }
  return { engine: 'torch' };
}

/** VS Code's command that opens the workspace trust editor (offered beside a Restricted Mode refusal). */
export const MANAGE_TRUST_COMMAND = 'workbench.trust.manage';

/** softmoeInspector.pythonPath as an interpreter: `~` and `${workspaceFolder}` expanded, relative to the workspace folder. */
export function pythonFromSetting(value: string, workspaceFolder: string | undefined): PythonChoice | undefined {
  if (!value) return undefined;
  let p = value.replace(/\$\{workspaceFolder\}/g, workspaceFolder ?? '');
  if (p === '~' || p.startsWith('~/')) p = `${homedir()}${p.slice(1)}`;
  if (!isAbsolute(p) && /[\\/]/.test(p) && workspaceFolder) p = resolve(workspaceFolder, p);
  return { path: p, source: 'softmoeInspector.pythonPath' };
}
