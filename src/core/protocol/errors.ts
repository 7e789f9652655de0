/**
 * Errors as they cross a thread or webview boundary: `{code, userMessage}` plus an optional detail for logs.
 * Re-exported from the core's one error type so every protocol uses the same shape.
 */
export type { ErrorCode, ErrorPayload } from '../errors';
