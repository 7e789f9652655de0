/**
 * The typed message protocol between the extension host and the analysis worker (dist/worker.js, a
 * `worker_threads` Worker). Pure types and tiny helpers: no vscode, no worker_threads here.
 *
 *   host → worker  {type:'inspect', id, path}                 read a checkpoint's header and layer summary
 *   host → worker  {type:'analyze', id, checkpoint, dataset, options}
 *   host → worker  {type:'cancel', id}                          stop that job (the host terminates the worker
 *                                                               if it has not answered within CANCEL_GRACE_MS)
 *   worker → host  {type:'hello', protocolVersion}              once, when the worker is up
 *   worker → host  {type:'progress', id, done, total, examplesPerSecond, phase}
 *   host → worker  {type:'prune', id, checkpoint, output, keep, overwrite}   write a pruned checkpoint (prune/)
 *   worker → host  {type:'inspected', id, summary} | {type:'result', id, result} | {type:'pruned', id, report}
 *                  | {type:'error', id, error}
 *   worker → host  {type:'log', level, message}                 for the output channel
 * Every job gets exactly one terminal message (inspected, result, pruned or error; a cancel answers error E_CANCELLED).
 */
import type { AnalysisResult, DropMode, GlobalRanking, SelectorName } from '../analysis/schema';
import type { PruneReport } from '../prune/pruneCheckpoint';
import type { CheckpointSummary } from './checkpointSummary';
import type { ErrorPayload } from './errors';

export const WORKER_PROTOCOL_VERSION = 1;

/** How long after a cancel the host waits for the worker's answer before terminating the thread. */
export const CANCEL_GRACE_MS = 750;
/**
 * After a cancel has settled a job, how long a worker that has not stopped may run before its thread is ended anyway
 * (ending it inside a native call — an ONNX Runtime run — aborts the whole process, so it is first left to stop).
 */
export const STOP_BACKSTOP_MS = 60_000;

export type BackendName = 'auto' | 'onnx' | 'node' | 'wasm' | 'cpu';

/** The settings that change an analysis result (the cache key is the run identity of these and the files). */
export interface AnalysisSettings {
  drops: DropMode[];
  selectors: SelectorName[];
  trials: number;
  seed: number;
  /** null: all examples. */
  limit: number | null;
  /** Share of full accuracy the recommended k must reach. */
  target: number;
  /** How many sample records (with images) the result keeps for the Samples view. */
  samples: number;
  /** `global` selector: its calibration examples of the dataset (`train[:N]`, `train[A:B]`), and its ranking. */
  calibration?: string;
  globalRanking?: GlobalRanking;
}

/**
 * Settings of how the work runs. The backend changes speed only; the batch size changes the result of the `batch`
 * selector (Algorithm 2 shares one subset per batch), so the run identity includes it when that selector runs; the
 * engine, and for the PyTorch engine its interpreter and device, are part of the run identity too.
 */
export interface ExecutionSettings {
  batchSize: number;
  backend: BackendName;
  /**
   * Which engine runs the model, decided on the host (workspace trust, softmoe.json): 'tfjs' (default) or 'torch'
   * (the model's own code in the user's PyTorch — only ever in a trusted workspace).
   */
  engine?: 'tfjs' | 'torch';
  /** torch: the interpreter and where that choice came from; the device ('auto', 'cpu', 'cuda', 'cuda:N', 'mps'). */
  python?: { path: string; source: string };
  device?: string;
}

/**
 * THE job API of the worker: for each job type, the fields of its message, the terminal message that answers it
 * on success and the value that message carries. Job messages, answers, the worker's handlers (`WorkerJobHandlers`)
 * and the host's `runWorkerJob` are derived from this one map, so a handler that answers with the wrong message,
 * or a job without a validator, does not compile.
 */
export interface WorkerApi {
  /** Read a checkpoint's header and layer summary (the checkpoint editor). */
  inspect: { job: { path: string }; done: InspectedMessage; value: CheckpointSummary };
  /** Analyse a checkpoint on a dataset. */
  analyze: { job: { checkpoint: string; dataset: string; settings: AnalysisSettings; execution: ExecutionSettings }; done: ResultMessage; value: AnalysisResult };
  /** Write `output` with only the experts `keep[layer]` of `checkpoint` (pruneCheckpoint); `overwrite` replaces files. */
  prune: { job: { checkpoint: string; output: string; keep: number[][]; overwrite: boolean }; done: PrunedMessage; value: PruneReport };
}

export type JobType = keyof WorkerApi;
export type JobOf<T extends JobType> = { type: T; id: number } & WorkerApi[T]['job'];
/** A job as the host composes it (the client adds the id). */
export type JobRequest<T extends JobType> = Omit<JobOf<T>, 'id'>;
export type JobDone<T extends JobType> = WorkerApi[T]['done'];
export type JobValue<T extends JobType> = WorkerApi[T]['value'];

export type InspectJob = JobOf<'inspect'>;
export type AnalyzeJob = JobOf<'analyze'>;
export type PruneJob = JobOf<'prune'>;
export interface CancelJob { type: 'cancel'; id: number }

export type WorkerJob = { [T in JobType]: JobOf<T> }[JobType];
export type HostToWorker = WorkerJob | CancelJob;

export interface HelloMessage { type: 'hello'; protocolVersion: number }
export interface WorkerProgress {
  type: 'progress';
  id: number;
  /** Examples done so far (over every pass the analysis makes) and the total it expects; bytes when `unit` says so. */
  done: number;
  total: number;
  /** 'bytes' while the model's tensors load (done/total are tensor bytes); examples otherwise. */
  unit?: 'examples' | 'bytes';
  examplesPerSecond: number;
  /** Short label of the current phase, e.g. 'loading model', 'heuristic', 'random'. */
  phase: string;
}
export interface InspectedMessage { type: 'inspected'; id: number; summary: CheckpointSummary }
export interface ResultMessage { type: 'result'; id: number; result: AnalysisResult }
export interface PrunedMessage { type: 'pruned'; id: number; report: PruneReport }
export interface JobErrorMessage { type: 'error'; id: number; error: ErrorPayload }
export interface LogMessage { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }

export type JobDoneMessage = { [T in JobType]: JobDone<T> }[JobType];
export type WorkerToHost = HelloMessage | WorkerProgress | JobDoneMessage | JobErrorMessage | LogMessage;

/** How the host reads each job's answer: the tag of its terminal message and the value in it. */
const DONE: { readonly [T in JobType]: { readonly tag: JobDone<T>['type']; value(m: JobDone<T>): JobValue<T> } } = {
  inspect: { tag: 'inspected', value: (m) => m.summary },
  analyze: { tag: 'result', value: (m) => m.result },
  prune: { tag: 'pruned', value: (m) => m.report },
};

/** The value of `m` when it is the successful answer of a job of type `type`, else undefined. */
export function jobValue<T extends JobType>(type: T, m: WorkerToHost): JobValue<T> | undefined {
  const d = DONE[type] as unknown as { tag: string; value(m: WorkerToHost): JobValue<T> };
  return m.type === d.tag ? d.value(m) : undefined;
}

/** What the worker runs for each job type: resolves with the body of the job's terminal message (the runner adds type and id). */
export type WorkerJobHandlers<Ctx> = { [T in JobType]: (job: JobOf<T>, ctx: Ctx) => Promise<Omit<JobDone<T>, 'id'>> };

// ---- validators: one per message type (a type without one does not compile); the tag sets derive from them ------

type Fields = Record<string, unknown>;
type Validators<M extends { type: string }> = { readonly [T in M['type']]: (m: Fields) => boolean };

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null;
const isId = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);
const isOptional = (v: unknown, ok: (v: unknown) => boolean): boolean => v === undefined || ok(v);
/** The global selector's rankings (complete by type). */
const GLOBAL_RANKING_SET: Readonly<Record<GlobalRanking, true>> = { eliminate: true, mass: true, 'output-norm': true };

const TO_WORKER: Validators<HostToWorker> = {
  inspect: (m) => typeof m.path === 'string',
  analyze: (m) => typeof m.checkpoint === 'string' && typeof m.dataset === 'string' && isObject(m.settings) && isObject(m.execution)
    && isOptional((m.settings as Fields).calibration, (v) => typeof v === 'string' && v.length <= 200)
    && isOptional((m.settings as Fields).globalRanking, (v) => typeof v === 'string' && Object.hasOwn(GLOBAL_RANKING_SET, v)),
  prune: (m) => typeof m.checkpoint === 'string' && typeof m.output === 'string' && typeof m.overwrite === 'boolean'
    && Array.isArray(m.keep) && m.keep.every((l: unknown) => Array.isArray(l) && l.length > 0 && l.every(isId)),
  cancel: () => true,
};
const TO_HOST: Validators<WorkerToHost> = {
  hello: (m) => typeof m.protocolVersion === 'number',
  progress: (m) => isId(m.id) && typeof m.done === 'number' && typeof m.total === 'number' && typeof m.phase === 'string',
  inspected: (m) => isId(m.id) && isObject(m.summary),
  result: (m) => isId(m.id) && isObject(m.result),
  pruned: (m) => isId(m.id) && isObject(m.report),
  error: (m) => isId(m.id) && isObject(m.error) && typeof (m.error as Fields).userMessage === 'string',
  log: (m) => typeof m.message === 'string' && (m.level === 'info' || m.level === 'warn' || m.level === 'error'),
};

function tag(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return null;
  const t = (v as { type?: unknown }).type;
  return typeof t === 'string' ? t : null;
}

function validated<M extends { type: string }>(v: unknown, validators: Validators<M>): M | null {
  const t = tag(v);
  if (t === null || !Object.hasOwn(validators, t)) return null;
  return (validators as Record<string, (m: Fields) => boolean>)[t]?.(v as Fields) ? (v as M) : null;
}

export function parseHostToWorker(v: unknown): HostToWorker | null {
  const m = validated(v, TO_WORKER);
  return m && isId(m.id) ? m : null;
}

export function parseWorkerToHost(v: unknown): WorkerToHost | null {
  return validated(v, TO_HOST);
}

/** True for the messages that end a job. */
export function isTerminal(m: WorkerToHost): m is JobDoneMessage | JobErrorMessage {
  return m.type === 'error' || Object.values(DONE).some((d) => d.tag === m.type);
}

/**
 * The host's check of the worker's `hello`: null when it speaks this protocol, else the one error to show (a
 * worker bundle from another build of the extension, e.g. a half-updated install).
 */
export function helloMismatch(hello: HelloMessage): string | null {
  if (hello.protocolVersion === WORKER_PROTOCOL_VERSION) return null;
  return `The analysis worker speaks protocol ${hello.protocolVersion} but the extension speaks ${WORKER_PROTOCOL_VERSION}: the extension's files are from different builds; reinstall the extension and reload the window.`;
}
