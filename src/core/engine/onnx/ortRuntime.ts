/**
 * ONNX Runtime for Node (`onnxruntime-node`, an optional dependency): loaded lazily, only when present, CPU only.
 *
 * The npm package carries its CPU binaries for linux x64/arm64, darwin and win32; its install script only fetches
 * CUDA parts and is never run (package.json `allowScripts`). A platform-specific .vsix carries the package beside
 * the bundle, in dist/node_modules (scripts/package.mjs); a universal one does not, and the engine runs on wasm.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SoftMoeError } from '../../errors';

/** The part of onnxruntime-node's API used here. */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | Int32Array | Uint8Array | BigInt64Array;
  dispose?(): void;
}

export interface OrtSession {
  run(feeds: Record<string, OrtTensor>, fetches?: readonly string[]): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface OrtModule {
  Tensor: new (type: string, data: Float32Array | Int32Array | Uint8Array | BigInt64Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  env: { versions?: Record<string, string>; logLevel?: string };
}

const PACKAGE = 'onnxruntime-node';

let loaded: OrtModule | null | undefined;
let loadError = '';

function requireHere(): NodeJS.Require {
  return createRequire(typeof __filename === 'string' ? __filename : join(process.cwd(), 'noop.js'));
}

/** Where the package may be: beside the bundle (a platform .vsix), then node_modules as Node resolves it from here. */
function candidates(): string[] {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  return [join(here, 'node_modules', PACKAGE), PACKAGE];
}

const notFound = (err: unknown) => (err as { code?: string }).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(PACKAGE);

/** onnxruntime-node, or undefined when it is not installed or cannot load on this platform (`ortUnavailableReason`). */
export function loadOrt(): OrtModule | undefined {
  if (loaded !== undefined) return loaded ?? undefined;
  const req = requireHere();
  for (const at of candidates()) {
    try {
      const mod = req(at) as OrtModule;
      if (typeof mod.InferenceSession?.create === 'function') {
        loaded = mod;
        return mod;
      }
      loadError = `${at} is not ONNX Runtime for Node`;
    } catch (err) {
      // A package that is there but does not load (no binary for this platform) says why; a missing one does not.
      if (!notFound(err) || !loadError) loadError = notFound(err) ? `${PACKAGE} is not installed` : ((err as Error).message.split('\n')[0] ?? '');
    }
  }
  loaded = null;
  return undefined;
}

/** Why `loadOrt` found nothing (for messages). */
export function ortUnavailableReason(): string {
  loadOrt();
  return loadError || `${PACKAGE} is not installed`;
}

export function ortVersion(): string {
  return loadOrt()?.env.versions?.node ?? 'unknown';
}

/** Folder of the package that loads (for messages and packaging checks), if any. */
export function ortLocation(): string | undefined {
  const req = requireHere();
  for (const at of candidates()) {
    try {
      return dirname(req.resolve(`${at}/package.json`));
    } catch {
      // not there: the next place
    }
  }
  return undefined;
}

/** Session options: one thread per session (parallelism comes from the worker pool), every graph optimisation. */
export function sessionOptions(threads = 1): Record<string, unknown> {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
}

export async function createSession(ort: OrtModule, model: Uint8Array, threads = 1): Promise<OrtSession> {
  try {
    return await ort.InferenceSession.create(model, sessionOptions(threads));
  } catch (err) {
    throw new SoftMoeError('E_INTERNAL', `Internal error: ONNX Runtime refused a graph: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
}
