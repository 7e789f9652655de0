/**
 * The typed message protocol between the extension host and its webviews (checkpoint editor, analysis panel).
 * Pure types and tiny helpers: both sides import this file, so nothing here may touch vscode, Node or the DOM.
 *
 * Shape of a session:
 *   webview → host  {type:'ready', protocolVersion}
 *   host → webview  {type:'init', protocolVersion, view}     (or {type:'error'} when the versions differ)
 *   …then either side sends notifications; the webview may send requests ({requestId}) that the host answers
 *   with exactly one {type:'response', inReplyTo, ok, …} — an error answer carries `{code, userMessage}`, so a
 *   handler that throws never leaves a request waiting.
 */
import type { AnalysisResult, DropMode } from '../analysis/schema';
import type { CheckpointSummary } from './checkpointSummary';
import type { ErrorPayload } from './errors';

/** Bump when a message changes shape; the handshake refuses a mismatch with a clear message. */
export const PROTOCOL_VERSION = 1;

/** Where the host finds a compared run again after a window reload. */
export type RunSource = { kind: 'cache'; cacheKey: string } | { kind: 'file'; path: string } | { kind: 'none' };

/** One run of a comparison: its label (unique within the comparison), its analysis and where it came from. */
export interface ComparisonRun {
  label: string;
  /** The analysis; the host leaves the sample records out (a comparison draws none). */
  result: AnalysisResult;
  source: RunSource;
  /** Training mode: the epoch this checkpoint was saved after. */
  epoch?: number;
}

/** 'runs': any runs side by side (Compare Runs); 'training': the epochs of one run (Analyze Training Run). */
export type ComparisonMode = 'runs' | 'training';

/** What a panel shows. The same bundle renders every kind; the standalone report renders analysis and comparison. */
export type ViewModel =
  | { kind: 'checkpoint'; summary: CheckpointSummary }
  | { kind: 'checkpoint-error'; path: string; error: ErrorPayload }
  | { kind: 'analysis'; result: AnalysisResult; cacheKey: string | null; fromCache: boolean }
  | { kind: 'comparison'; mode: ComparisonMode; title: string; runs: ComparisonRun[]; skipped?: SkippedRun[] };

/** A run Compare Runs was asked for but could not read or analyse; the others are compared without it. */
export interface SkippedRun {
  label: string;
  reason: string;
}

/** What the serializer needs to rebuild a comparison: labels and sources, never the results themselves. */
export interface ComparisonRestore {
  kind: 'comparison';
  mode: ComparisonMode;
  title: string;
  runs: Array<{ label: string; source: RunSource; epoch?: number }>;
}

/** UI state the webview keeps with setState; the host's serializer reads `restore` to bring the panel back. */
export interface PanelState {
  tab: string;
  k: number | null;
  drop: DropMode | null;
  xAxis: 'k' | 'fraction';
  layer: number;
  sample: number | null;
  filter: string;
  /** Comparison: the fraction of experts kept for the per-class deltas (null: the largest all runs share below 1). */
  fraction: number | null;
  /** Comparison: show only the summary rows whose values differ between runs. */
  diffOnly: boolean;
  /** What the host needs to rebuild the panel after a reload (no result data: that comes from the cache). */
  restore: { kind: 'analysis'; cacheKey: string } | { kind: 'checkpoint'; path: string } | ComparisonRestore | null;
}

// ---- host → webview -------------------------------------------------------------------------------------------

export interface InitMessage { type: 'init'; protocolVersion: number; view: ViewModel; state?: Partial<PanelState> }
/** A fatal problem the webview should show in place of its content (e.g. protocol mismatch, unreadable file). */
export interface ShowErrorMessage { type: 'error'; error: ErrorPayload }
/** Progress of work the panel started (e.g. an analysis from the editor's button). */
export interface ProgressMessage { type: 'progress'; label: string; fraction: number | null }
/** The one answer to request `inReplyTo`: its reply body (`ReplyOf` its type) when ok, else the error. */
export interface ResponseMessage<T extends RequestType = RequestType> {
  type: 'response';
  inReplyTo: number;
  ok: boolean;
  /** Present when ok. */
  body?: ReplyOf<T>;
  /** Present when not ok. */
  error?: ErrorPayload;
}

export type HostToWebview = InitMessage | ShowErrorMessage | ProgressMessage | ResponseMessage;

// ---- webview → host: requests, each typed with the body of its reply -----------------------------------------

export type ExportFormat = 'png' | 'svg' | 'csv' | 'json';
/** The UI state a standalone report opens at (the panel state without what only the host uses). */
export type ReportState = Omit<PanelState, 'restore' | 'filter'>;
/** Whether a pruned checkpoint was written (false: the user cancelled), and where. */
export interface PruneResponse { written: boolean; path?: string }
/** The body of a successful export answer: whether the user saved (false: the dialog was dismissed) and the file name. */
export interface ExportResponse { saved: boolean; name?: string }

/**
 * THE request API of a webview (lean4-infoview style): for each request type, the fields it carries and the body
 * of its successful reply. Request messages, reply types and host handlers are all derived from this one map, so
 * a handler that returns the wrong body, or a request without a validator (`REQUEST_VALIDATORS`), does not compile.
 */
export interface WebviewApi {
  /** Run Analyze Experts on the checkpoint the panel shows (`rerun` ignores the cache). */
  analyze: { request: { path: string; rerun: boolean }; reply: null };
  /** Compare this checkpoint with other runs (the host asks which, then opens a comparison panel). */
  compare: { request: { path: string }; reply: null };
  /**
   * Save something the panel drew: the host asks where with the save dialog (which confirms overwrites) and writes
   * it. `data` is the text to save (SVG, CSV, JSON), or a `data:image/png;base64,` URL.
   */
  export: { request: { format: ExportFormat; suggestedName: string; data: string }; reply: ExportResponse };
  /**
   * Save the whole panel as a standalone HTML report; the host builds it from the panel's view. `state` is what the
   * controls show (tab, k, drop mode, …): the report opens there.
   */
  exportReport: { request: { suggestedName: string; state?: ReportState }; reply: ExportResponse };
  /**
   * Write a pruned checkpoint that keeps, in every Soft MoE layer, the first `k` experts of the analysis' global
   * selection (renorm drop): the host asks for a folder, asks before replacing anything, and runs the prune in the
   * worker.
   */
  prune: { request: { k: number }; reply: PruneResponse };
}

export type RequestType = keyof WebviewApi;
/** The message of request `T`: its fields plus `type` and the `requestId` its response answers. */
export type RequestOf<T extends RequestType> = { type: T; requestId: number } & WebviewApi[T]['request'];
/** The body of a successful reply to request `T`. */
export type ReplyOf<T extends RequestType> = WebviewApi[T]['reply'];
export type WebviewRequest = { [T in RequestType]: RequestOf<T> }[RequestType];
/** A request as the webview composes it (the bridge adds the id). */
export type RequestBody<T extends RequestType> = Omit<RequestOf<T>, 'requestId'>;

export type AnalyzeRequest = RequestOf<'analyze'>;
export type CompareRequest = RequestOf<'compare'>;
export type ExportRequest = RequestOf<'export'>;
export type ExportReportRequest = RequestOf<'exportReport'>;
export type PruneRequest = RequestOf<'prune'>;

/** Answers each request type a panel serves; a type a panel leaves out is answered E_UNSUPPORTED. */
export type RequestHandlers = { [T in RequestType]?: (req: RequestOf<T>) => Promise<ReplyOf<T>> };

// ---- webview → host: notifications ----------------------------------------------------------------------------

export interface ReadyMessage { type: 'ready'; protocolVersion: number }
/** Open the output channel with details. */
export interface ShowLogMessage { type: 'showLog' }
/** The webview hit an error it cannot recover from; the host logs it. */
export interface WebviewErrorMessage { type: 'webviewError'; message: string }

export type WebviewNotification = ReadyMessage | ShowLogMessage | WebviewErrorMessage;
export type WebviewToHost = WebviewNotification | WebviewRequest;

// ---- validators: one per message type (a type without one does not compile); the tag sets derive from them ------

/** Longest export a webview may send (a PNG of a large chart at 2× is a few MB). */
export const MAX_EXPORT_CHARS = 64 * 1024 * 1024;
const EXPORT_FORMATS: Readonly<Record<ExportFormat, true>> = { png: true, svg: true, csv: true, json: true };

type Fields = Record<string, unknown>;
type Validators<M extends { type: string }> = { readonly [T in M['type']]: (m: Fields) => boolean };

const isInt = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);
const isName = (v: unknown): boolean => typeof v === 'string' && v.length <= 200;

/** What the host relies on in each request, beyond its tag and integer `requestId`. */
const REQUEST_VALIDATORS: Validators<WebviewRequest> = {
  analyze: (m) => typeof m.path === 'string' && typeof m.rerun === 'boolean',
  compare: (m) => typeof m.path === 'string',
  export: (m) => typeof m.data === 'string' && m.data.length <= MAX_EXPORT_CHARS && typeof m.format === 'string'
    && Object.hasOwn(EXPORT_FORMATS, m.format) && isName(m.suggestedName),
  exportReport: (m) => isName(m.suggestedName),
  prune: (m) => isInt(m.k) && (m.k as number) >= 1 && (m.k as number) <= 1_000_000,
};
const NOTIFICATION_VALIDATORS: Validators<WebviewNotification> = {
  ready: (m) => typeof m.protocolVersion === 'number',
  showLog: () => true,
  webviewError: (m) => typeof m.message === 'string',
};
const HOST_VALIDATORS: Validators<HostToWebview> = {
  init: (m) => typeof m.protocolVersion === 'number' && typeof m.view === 'object' && m.view !== null,
  error: (m) => typeof m.error === 'object' && m.error !== null,
  progress: (m) => typeof m.label === 'string',
  response: (m) => isInt(m.inReplyTo) && typeof m.ok === 'boolean',
};

function tagOf(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return null;
  const t = (v as { type?: unknown }).type;
  return typeof t === 'string' ? t : null;
}

function validated<M extends { type: string }>(v: unknown, validators: Validators<M>): M | null {
  const t = tagOf(v);
  if (t === null || !Object.hasOwn(validators, t)) return null;
  return (validators as Record<string, (m: Fields) => boolean>)[t]?.(v as Fields) ? (v as M) : null;
}

/** Narrow an incoming `message` event's data; anything else (other extensions' messages, junk) is null. */
export function parseHostMessage(v: unknown): HostToWebview | null {
  return validated(v, HOST_VALIDATORS);
}

/** Narrow a message from a webview, checking the fields the host relies on. Junk is null, never a throw. */
export function parseWebviewMessage(v: unknown): WebviewToHost | null {
  const request = validated(v, REQUEST_VALIDATORS);
  if (request) return isInt((v as Fields).requestId) ? request : null;
  return validated(v, NOTIFICATION_VALIDATORS);
}

export function isRequest(m: WebviewToHost): m is WebviewRequest {
  return Object.hasOwn(REQUEST_VALIDATORS, m.type);
}

/** The host's answer to the handshake: init on a matching version, else an error the webview shows. */
export function handshake(ready: ReadyMessage, view: ViewModel, state?: Partial<PanelState>): InitMessage | ShowErrorMessage {
  if (ready.protocolVersion !== PROTOCOL_VERSION) {
    return {
      type: 'error',
      error: {
        code: 'E_UNSUPPORTED',
        userMessage: `This panel speaks protocol ${ready.protocolVersion} but the extension speaks ${PROTOCOL_VERSION}; reload the window.`,
      },
    };
  }
  return { type: 'init', protocolVersion: PROTOCOL_VERSION, view, ...(state ? { state } : {}) };
}

/**
 * Run a request handler and always produce exactly one response: a thrown error becomes `{ok:false, error}`.
 * `toPayload` turns anything thrown into `{code, userMessage}` (the host passes the core's `toErrorPayload`).
 */
export function answerRequest<T extends RequestType>(
  req: RequestOf<T>,
  handler: (req: RequestOf<T>) => Promise<ReplyOf<T>>,
  toPayload: (err: unknown) => ErrorPayload,
): Promise<ResponseMessage<T>> {
  return respond<T>(req.requestId, () => handler(req), toPayload);
}

async function respond<T extends RequestType>(inReplyTo: number, run: () => Promise<ReplyOf<T>>, toPayload: (err: unknown) => ErrorPayload): Promise<ResponseMessage<T>> {
  try {
    return { type: 'response', inReplyTo, ok: true, body: await run() };
  } catch (err) {
    const error = toPayload(err);
    // The detail (a stack) stays in the host's log; the webview only ever shows the one-line message.
    return { type: 'response', inReplyTo, ok: false, error: { code: error.code, userMessage: error.userMessage } };
  }
}

/**
 * Answer `req` with the handler its type has in `handlers` (exactly one response, like `answerRequest`); a
 * request type the panel does not serve is answered E_UNSUPPORTED.
 */
export async function dispatchRequest(req: WebviewRequest, handlers: RequestHandlers, toPayload: (err: unknown) => ErrorPayload): Promise<ResponseMessage> {
  // The one place the correlation between a request's type and its handler's is asserted (TypeScript cannot follow it).
  const handler = handlers[req.type] as ((r: WebviewRequest) => Promise<ReplyOf<RequestType>>) | undefined;
  if (!handler) {
    return { type: 'response', inReplyTo: req.requestId, ok: false, error: { code: 'E_UNSUPPORTED', userMessage: `This panel does not handle '${req.type}' requests.` } };
  }
  return respond(req.requestId, () => handler(req), toPayload);
}

/** The part of untrusted saved state a report embeds (checked like any saved state). */
export function reportState(v: unknown): ReportState {
  const { restore: _restore, filter: _filter, ...rest } = sanitizePanelState(v);
  return rest;
}

/** Default UI state (used by the webview, and by the host to validate restored state). */
export function defaultPanelState(): PanelState {
  return { tab: 'overview', k: null, drop: null, xAxis: 'k', layer: 0, sample: null, filter: '', fraction: null, diffOnly: false, restore: null };
}

/** Merge untrusted saved state over the defaults, keeping only fields of the right type. */
export function sanitizePanelState(v: unknown): PanelState {
  const s = defaultPanelState();
  if (typeof v !== 'object' || v === null) return s;
  const o = v as Record<string, unknown>;
  if (typeof o.tab === 'string') s.tab = o.tab;
  if (typeof o.k === 'number' && Number.isInteger(o.k) && o.k > 0) s.k = o.k;
  if (o.drop === 'zero' || o.drop === 'renorm') s.drop = o.drop;
  if (o.xAxis === 'k' || o.xAxis === 'fraction') s.xAxis = o.xAxis;
  if (typeof o.layer === 'number' && Number.isInteger(o.layer) && o.layer >= 0) s.layer = o.layer;
  if (typeof o.sample === 'number' && Number.isInteger(o.sample) && o.sample >= 0) s.sample = o.sample;
  if (typeof o.filter === 'string') s.filter = o.filter.slice(0, 200);
  if (typeof o.fraction === 'number' && o.fraction > 0 && o.fraction <= 1) s.fraction = o.fraction;
  if (typeof o.diffOnly === 'boolean') s.diffOnly = o.diffOnly;
  const r = o.restore as Record<string, unknown> | null | undefined;
  if (r && r.kind === 'analysis' && isKey(r.cacheKey)) {
    s.restore = { kind: 'analysis', cacheKey: r.cacheKey };
  } else if (r && r.kind === 'checkpoint' && typeof r.path === 'string') {
    s.restore = { kind: 'checkpoint', path: r.path };
  } else if (r && r.kind === 'comparison') {
    s.restore = sanitizeComparisonRestore(r);
  }
  return s;
}

/** Most runs one comparison restores (a training run of a few hundred epochs is cut, not refused). */
export const MAX_COMPARED_RUNS = 200;

function isKey(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{16,64}$/.test(v);
}

function sanitizeSource(v: unknown): RunSource | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (o.kind === 'cache' && isKey(o.cacheKey)) return { kind: 'cache', cacheKey: o.cacheKey };
  if (o.kind === 'file' && typeof o.path === 'string' && o.path.length > 0 && o.path.length < 4096) return { kind: 'file', path: o.path };
  if (o.kind === 'none') return { kind: 'none' };
  return null;
}

function sanitizeComparisonRestore(r: Record<string, unknown>): ComparisonRestore | null {
  if ((r.mode !== 'runs' && r.mode !== 'training') || !Array.isArray(r.runs)) return null;
  const runs: ComparisonRestore['runs'] = [];
  for (const x of r.runs.slice(0, MAX_COMPARED_RUNS)) {
    const o = (typeof x === 'object' && x !== null ? x : {}) as Record<string, unknown>;
    const source = sanitizeSource(o.source);
    if (typeof o.label !== 'string' || !source) return null;
    runs.push({ label: o.label.slice(0, 200), source, ...(typeof o.epoch === 'number' && Number.isInteger(o.epoch) && o.epoch >= 0 ? { epoch: o.epoch } : {}) });
  }
  return { kind: 'comparison', mode: r.mode, title: typeof r.title === 'string' ? r.title.slice(0, 200) : '', runs };
}
