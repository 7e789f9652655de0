/**
 * Everything `softmoe inspect` and the checkpoint editor show about a checkpoint, as plain JSON-safe data:
 * format, sizes, every tensor's name/dtype/shape, the parameter count, the Soft MoE layers, the architecture and
 * the sidecar files. Only headers are read; no tensor data.
 */
import { basename, resolve } from 'node:path';
import { toSoftMoeError, type ErrorCode } from '../errors';
import { openCheckpoint } from '../io/openCheckpoint';
import type { Checkpoint, CheckpointFormat, DType } from '../io/types';
import { describeArchitecture, type ArchitectureDescription, type ArchitectureKind } from './architecture';
import { detectSoftMoe } from './detect';
import type { DetectedLayer } from './detectedLayer';
import { readSidecars, type Sidecars } from './sidecar';

export interface InspectTensor {
  name: string;
  dtype: DType;
  shape: number[];
  numel: number;
  byteLength: number;
  /** Saved with shape and dtype but no data (a meta tensor); not counted in `parameterCount`. */
  meta?: true;
}

export interface InspectLayer extends DetectedLayer {
  /** Elements in the tensors this layer uses (router, scale/norms, experts). */
  parameterCount: number;
}

export interface InspectProblem {
  code: ErrorCode;
  userMessage: string;
}

export interface InspectReport {
  /** Absolute path. */
  path: string;
  /** File name without folders. */
  name: string;
  format: CheckpointFormat;
  fileSize: number;
  /** Where the state_dict was inside the file ('' top level, else e.g. 'model'). */
  stateDictKey: string;
  metadata: Record<string, string>;
  extras: Record<string, unknown>;
  tensorCount: number;
  /**
   * Sum of the elements of every tensor in the state_dict that holds data (buffers included: a state_dict does not
   * mark them; meta tensors left out).
   */
  parameterCount: number;
  /** Tensors saved without data (meta tensors), listed in `tensors` with `meta: true`. */
  metaTensorCount: number;
  /** Sum of the stored bytes of every tensor. */
  tensorBytes: number;
  /** In file order. */
  tensors: InspectTensor[];
  /** In forward order. */
  softMoeLayers: InspectLayer[];
  architecture: ArchitectureKind;
  architectureDetail: ArchitectureDescription;
  sidecars: Sidecars;
  /** Tensors that look like part of a Soft MoE layer but are not one (one line each). */
  warnings: string[];
  /** Lenient mode only: the detection / sidecar errors that strict mode would have thrown. */
  problems: InspectProblem[];
}

export interface InspectOptions {
  /**
   * false (default): an inconsistent layer (E_SHAPE) or a broken sidecar (E_CONFIG) throws, as the CLI wants.
   * true: they are kept in `problems` and the rest of the report is still filled (the editor shows the tensors).
   * Errors opening the checkpoint itself always throw.
   */
  lenient?: boolean;
}

/** Open `path`, inspect it and close it. */
export async function inspectCheckpoint(path: string, opts: InspectOptions = {}): Promise<InspectReport> {
  const ckpt = await openCheckpoint(path);
  try {
    return await inspectOpened(ckpt, opts);
  } finally {
    await ckpt.close();
  }
}

/** Inspect an already open checkpoint (the caller closes it). Sidecars are read beside `ckpt.path`. */
export async function inspectOpened(ckpt: Checkpoint, opts: InspectOptions = {}): Promise<InspectReport> {
  const problems: InspectProblem[] = [];
  const note = (err: unknown): void => {
    if (!opts.lenient) throw err;
    const e = toSoftMoeError(err);
    problems.push({ code: e.code, userMessage: e.userMessage });
  };
  const keep = <T>(fallback: T, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      note(err);
      return fallback;
    }
  };
  const tensors: InspectTensor[] = [];
  let parameterCount = 0;
  let tensorBytes = 0;
  let metaTensorCount = 0;
  for (const t of ckpt.tensors.values()) {
    tensors.push({ name: t.name, dtype: t.dtype, shape: [...t.shape], numel: t.numel, byteLength: t.byteLength, ...(t.meta ? { meta: true as const } : {}) });
    if (t.meta) metaTensorCount++;
    else parameterCount += t.numel;
    tensorBytes += t.byteLength;
  }
  const detection = keep({ layers: [], warnings: [] }, () => detectSoftMoe(ckpt.tensors));
  const architectureDetail = problems.length > 0
    ? { kind: 'none' as const, prefix: '', reason: `layer detection failed: ${problems[0].userMessage}` }
    : keep<ArchitectureDescription>(
      { kind: 'none', prefix: '', reason: 'the tensors around the Soft MoE layers do not fit a known model (see problems)' },
      () => describeArchitecture(ckpt.tensors, detection.layers),
    );
  let sidecars: Sidecars = { files: [] };
  try {
    sidecars = await readSidecars(ckpt.path);
  } catch (err) {
    note(err);
  }
  const softMoeLayers = detection.layers.map((l) => ({
    ...l,
    parameterCount: l.tensors.reduce((s, n) => s + (ckpt.tensors.get(n)?.numel ?? 0), 0),
  }));
  const path = resolve(ckpt.path);
  return {
    path,
    name: basename(path),
    format: ckpt.format,
    fileSize: ckpt.fileSize,
    stateDictKey: ckpt.stateDictKey,
    metadata: { ...ckpt.metadata },
    extras: { ...ckpt.extras },
    tensorCount: tensors.length,
    parameterCount,
    metaTensorCount,
    tensorBytes,
    tensors,
    softMoeLayers,
    architecture: architectureDetail.kind,
    architectureDetail,
    sidecars,
    warnings: detection.warnings,
    problems,
  };
}
