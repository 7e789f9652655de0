/**
 * softmoe.json's `model` object: the user's own model constructor, which the PyTorch engine calls.
 *
 *   {"model": {"factory": "models.vit:build_model", "kwargs": {"num_experts": 32}, "pythonPath": ["src"]}}
 *
 *   factory     'package.module:callable' returning a torch.nn.Module (the state_dict is loaded into it)
 *   kwargs      keyword arguments for it (default none)
 *   pythonPath  folders put first on sys.path, relative to the softmoe.json (default: its own folder)
 *   transform   'package.module:callable' turning the 0–1 NCHW batch into the model's input (default: mean/std)
 *   strict      load the state_dict strictly (default true)
 *
 * This is read as data only; it names code that runs only through the PyTorch engine, which the user asks for
 * (`--engine torch`) or, in VS Code, only in a trusted workspace.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { SoftMoeError } from '../../errors';
import type { Sidecars } from '../../model/sidecar';
import type { FactorySpec } from '../../protocol/torchProtocol';

export interface ModelFactory extends FactorySpec {
  /** 'module:callable' for the input, when softmoe.json names one. */
  transform?: string;
  /** The softmoe.json it came from. */
  sidecar: string;
}

const KEYS = ['factory', 'kwargs', 'pythonPath', 'transform', 'strict'];
const CALLABLE = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;

/** The factory softmoe.json names, or undefined when it names none. Malformed entries are E_CONFIG naming the key. */
export function readModelFactory(sidecars: Sidecars): ModelFactory | undefined {
  const model = sidecars.softmoe?.model;
  if (model === undefined) return undefined;
  const file = sidecars.files.find((f) => /softmoe\.json$/.test(f)) ?? 'softmoe.json';
  const bad = (what: string): never => {
    throw new SoftMoeError('E_CONFIG', `${file}: ${what}.`);
  };
  if (typeof model !== 'object' || model === null || Array.isArray(model)) bad('"model" must be an object like {"factory": "models.vit:build_model", "kwargs": {…}}');
  const m = model as Record<string, unknown>;
  const unknown = Object.keys(m).filter((k) => !KEYS.includes(k));
  if (unknown.length) bad(`"model" has ${unknown.map((k) => `"${k}"`).join(', ')}, which is not one of ${KEYS.map((k) => `"${k}"`).join(', ')}`);
  if (typeof m.factory !== 'string' || !CALLABLE.test(m.factory)) {
    bad(`"model.factory" must name a callable as "package.module:function" (e.g. "models.vit:build_model"), got ${JSON.stringify(m.factory)}`);
  }
  const kwargs = m.kwargs ?? {};
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) bad(`"model.kwargs" must be an object of keyword arguments, got ${JSON.stringify(kwargs)}`);
  const base = dirname(file);
  const rawPath = m.pythonPath ?? [];
  const list = typeof rawPath === 'string' ? [rawPath] : rawPath;
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && p.length > 0)) bad(`"model.pythonPath" must be a folder or a list of folders, got ${JSON.stringify(rawPath)}`);
  const pythonPath = (list as string[]).map((p) => (isAbsolute(p) ? p : resolve(base, p)));
  if (m.transform !== undefined && (typeof m.transform !== 'string' || !CALLABLE.test(m.transform))) {
    bad(`"model.transform" must name a callable as "package.module:function", got ${JSON.stringify(m.transform)}`);
  }
  if (m.strict !== undefined && typeof m.strict !== 'boolean') bad(`"model.strict" must be true or false, got ${JSON.stringify(m.strict)}`);
  return {
    factory: m.factory as string,
    kwargs: kwargs as Record<string, unknown>,
    pythonPath: pythonPath.length ? pythonPath : [base],
    strict: (m.strict as boolean | undefined) ?? true,
    ...(m.transform ? { transform: m.transform as string } : {}),
    sidecar: file,
  };
}
