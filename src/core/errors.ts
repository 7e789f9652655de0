/**
 * The one error type of Soft MoE Inspector.
 *
 * Every failure a user can cause (a corrupt file, a wrong shape, a missing dataset) is a `SoftMoeError` with a
 * stable `code` and a one-line `userMessage` that is safe to show: it names the file, the tensor or the field and
 * says what is wrong. The CLI prints `userMessage` and maps `code` to an exit status; the extension shows it with
 * a "Show Log" action; the worker and webview protocols send `{code, userMessage}` across.
 */
export type ErrorCode =
  /** The path does not exist or cannot be read. */
  | 'E_NOT_FOUND'
  /** The file is not in a format we read (wrong magic, unknown extension). */
  | 'E_FORMAT'
  /** The file claims a known format but breaks its rules (truncated, out-of-bounds, inconsistent header). */
  | 'E_CORRUPT'
  /** The file asks for something we never do (a pickle global outside the allowlist, object dtype). */
  | 'E_UNSAFE'
  /** Valid input that this version cannot handle (a dtype, a layout, a legacy format). */
  | 'E_UNSUPPORTED'
  /** Shapes do not fit together (model vs dataset, tensor vs layout). */
  | 'E_SHAPE'
  /** A required configuration value is missing or invalid (names the field and the file to put it in). */
  | 'E_CONFIG'
  /** The dataset is missing, unreadable or does not fit the model. */
  | 'E_DATASET'
  /** Bad command-line or API arguments. */
  | 'E_USAGE'
  /** The operation was cancelled through its AbortSignal. */
  | 'E_CANCELLED'
  /**
   * The engine that runs the model could not start or stopped: no Python or no torch for the PyTorch engine, the
   * user's model code raised during a forward, the runner crashed or was killed, out of memory.
   */
  | 'E_ENGINE'
  /** A bug: something that should not happen. */
  | 'E_INTERNAL';

export class SoftMoeError extends Error {
  readonly code: ErrorCode;
  /** One line, safe to show a user: what is wrong, and where. */
  readonly userMessage: string;

  constructor(code: ErrorCode, userMessage: string, options?: { cause?: unknown }) {
    // One line, whatever a file put into the text quoted here.
    const line = userMessage.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ');
    super(line, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SoftMoeError';
    this.code = code;
    this.userMessage = line;
  }
}

/** The plain-data form of an error, as it crosses a worker or webview boundary. */
export interface ErrorPayload {
  code: ErrorCode;
  userMessage: string;
  /** Stack or cause chain, for logs only. */
  detail?: string;
}

/** Wrap anything thrown into a SoftMoeError (unknown errors become E_INTERNAL with their message). */
export function toSoftMoeError(err: unknown): SoftMoeError {
  if (err instanceof SoftMoeError) return err;
  if (isAbortError(err)) return cancelledError(err);
  const message = err instanceof Error ? err.message : String(err);
  return new SoftMoeError('E_INTERNAL', `Internal error: ${message}`, { cause: err });
}

export function toErrorPayload(err: unknown): ErrorPayload {
  const e = toSoftMoeError(err);
  const cause = e.cause instanceof Error ? e.cause.stack : undefined;
  return { code: e.code, userMessage: e.userMessage, detail: [e.stack, cause].filter(Boolean).join('\nCaused by: ') };
}

export function fromErrorPayload(p: ErrorPayload): SoftMoeError {
  const e = new SoftMoeError(p.code, p.userMessage);
  if (p.detail) e.stack = p.detail;
  return e;
}

/** Throw E_CANCELLED if the signal has fired. Call this between batches. */
/** THE error of a cancelled operation (every layer builds it here, so it reads the same everywhere). */
export function cancelledError(cause?: unknown): SoftMoeError {
  return new SoftMoeError('E_CANCELLED', 'Cancelled.', cause === undefined ? undefined : { cause });
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelledError();
}

/** Let timers (and an AbortSignal's listeners) run, then stop if cancelled. */
export async function yieldTurn(signal?: AbortSignal): Promise<void> {
  // setImmediate in Node (a macrotask after I/O callbacks), setTimeout where it does not exist.
  const immediate = (globalThis as { setImmediate?: (cb: () => void) => unknown }).setImmediate;
  await new Promise<void>((r) => (immediate ? immediate(r) : setTimeout(r, 0)));
  throwIfAborted(signal);
}

function isAbortError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: string }).name === 'AbortError';
}

/** Exit status of the CLI for each code. 0 is success, 1 is reserved for unexpected crashes. */
export const EXIT_CODES: Record<ErrorCode, number> = {
  E_USAGE: 2,
  E_NOT_FOUND: 3,
  E_FORMAT: 4,
  E_CORRUPT: 4,
  E_UNSUPPORTED: 5,
  E_UNSAFE: 6,
  E_SHAPE: 7,
  E_CONFIG: 7,
  E_DATASET: 8,
  E_ENGINE: 9,
  E_CANCELLED: 130,
  E_INTERNAL: 70,
};
