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

export type BackendName = 'auto' | 'node' | 'wasm' | 'cpu';

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

export interface InspectJob { type: 'inspect'; id: number; path: string }
export interface AnalyzeJob {
  type: 'analyze';
  id: number;
  checkpoint: string;
  dataset: string;
  settings: AnalysisSettings;
  execution: ExecutionSettings;
}
/** Write `output` with only the experts `keep[layer]` of `checkpoint` (pruneCheckpoint); `overwrite` replaces files. */
export interface PruneJob { type: 'prune'; id: number; checkpoint: string; output: string; keep: number[][]; overwrite: boolean }
export interface CancelJob { type: 'cancel'; id: number }

export type HostToWorker = InspectJob | AnalyzeJob | PruneJob | CancelJob;

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

export type WorkerToHost = HelloMessage | WorkerProgress | InspectedMessage | ResultMessage | PrunedMessage | JobErrorMessage | LogMessage;

const TO_WORKER: ReadonlySet<string> = new Set(['inspect', 'analyze', 'prune', 'cancel']);
const TO_HOST: ReadonlySet<string> = new Set(['hello', 'progress', 'inspected', 'result', 'pruned', 'error', 'log']);

function tag(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return null;
  const t = (v as { type?: unknown }).type;
  return typeof t === 'string' ? t : null;
}

export function parseHostToWorker(v: unknown): HostToWorker | null {
  const t = tag(v);
  if (t === null || !TO_WORKER.has(t)) return null;
  if (typeof (v as { id?: unknown }).id !== 'number') return null;
  return v as HostToWorker;
}

export function parseWorkerToHost(v: unknown): WorkerToHost | null {
  const t = tag(v);
  return t !== null && TO_HOST.has(t) ? (v as WorkerToHost) : null;
}

/** True for the messages that end a job. */
export function isTerminal(m: WorkerToHost): m is InspectedMessage | ResultMessage | PrunedMessage | JobErrorMessage {
  return m.type === 'inspected' || m.type === 'result' || m.type === 'pruned' || m.type === 'error';
}
