import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { logger } from './observability/log';

/** Machine-readable error codes; callers may `switch` on them. */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'unknown_event'
  | 'conflict'
  | 'upgrade_blocked'
  | 'rate_limited'
  | 'unavailable'
  | 'upstream_error'
  | 'credential_refused'
  | 'internal';

export interface ErrorDetail {
  path: string;
  message: string;
}

/**
 * The one error the routes throw. `onError` turns it into
 * `{ "error": { "code", "message", "details"? } }` with its status.
 * @example throw new ApiError(404, 'not_found', `No user "${id}"`)
 */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    /** Headers the answer carries (`Retry-After` of a 503). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Path of a zod issue in the dotted form the API reports (`data.customer.email`, `users.3.username`). */
export function issuePath(prefix: string | undefined, path: PropertyKey[]): string {
  const parts = [...(prefix ? [prefix] : []), ...path.map(String)];
  return parts.join('.') || '(root)';
}

/** A 400 that names every bad field of a zod failure, each path under `prefix` when given. */
export function validationError(error: z.ZodError, prefix?: string, message?: string): ApiError {
  const details = error.issues.map((issue) => ({
    path: issuePath(prefix, issue.path),
    message: issue.message,
  }));
  const summary = details.map((d) => `${d.path}: ${d.message}`).join('; ');
  return new ApiError(400, 'invalid_request', message ? `${message}: ${summary}` : `Invalid request: ${summary}`, details);
}

/**
 * `{ error: { code, message, details? }, message }`. The top-level `message` (the same words) is
 * Alloy's own error shape (`{ "message": "Unauthorized" }`), which its Node SDK throws to its caller.
 */
export function errorBody(code: ErrorCode, message: string, details?: ErrorDetail[]) {
  return { error: details?.length ? { code, message, details } : { code, message }, message };
}

/** Hono `onError`: known errors keep their status; anything else is a logged 500 with a request id, never a stack. */
export function handleError(err: Error, c: Context) {
  if (err instanceof ApiError) {
    for (const [name, value] of Object.entries(err.headers ?? {})) c.header(name, value);
    return c.json(errorBody(err.code, err.message, err.details), err.status);
  }
  // Hono's own HTTPException (e.g. from bodyLimit) carries a status; keep it, but in our shape.
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return c.json(errorBody('invalid_request', err.message || 'Bad request'), status as ContentfulStatusCode);
  }
  if (isStoreUnavailable(err)) {
    logUnavailable(err);
    c.header('Retry-After', '5');
    return c.json(errorBody('unavailable', 'The store is unavailable; try again shortly'), 503);
  }
  // The request's own id (server/observability/http.ts): the one its caller has, in its answer's X-Request-Id.
  const requestId = (c.get('requestId') as string | undefined) ?? crypto.randomUUID();
  logger.error({ reqId: requestId, err }, `[${requestId}] ${c.req.method} ${c.req.path}`);
  return c.json(errorBody('internal', `Internal error (request id ${requestId})`), 500);
}

/** How often the API logs that it answers 503 for the store: the first time, then once a minute while it lasts. */
const UNAVAILABLE_LOG_EVERY_MS = 60_000;
let unavailableLoggedAt = -Infinity;

/** An operator must hear that the store is down (or its disk full) from an API-only process too, but not once per request. */
function logUnavailable(err: Error): void {
  const now = Date.now();
  if (now - unavailableLoggedAt < UNAVAILABLE_LOG_EVERY_MS) return;
  unavailableLoggedAt = now;
  logger.warn(`api: store unavailable (${err.message}); answering 503 with Retry-After (said at most once a minute while it lasts)`);
}

/**
 * SQLite's result codes (and their extended forms) for a store that cannot take the work now:
 * locked by another writer, its disk full, an I/O error, out of memory, its file made read-only or
 * impossible to open. Each can heal without a change to the request.
 */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|FULL|IOERR|NOMEM|READONLY|CANTOPEN)(_|$)/;

/**
 * Whether an error means the store cannot take the work right now (PostgreSQL stopped,
 * restarting, out of connections, cut off, out of disk; SQLite locked by another writer or its
 * disk full): the request may succeed if tried again, so the API answers 503 `unavailable` with
 * Retry-After rather than a 500, and the worker waits instead of failing executions. The
 * PostgreSQL store tags such errors `storeUnavailable` (server/store/postgres.ts); SQLite's are
 * known by their codes; a wrapped error is recognised through its `cause`. A bare socket code such
 * as ECONNREFUSED is not enough: an app the HTTP client could not reach has it too, and that is
 * the app's failure, not the store's.
 */
export function isStoreUnavailable(err: unknown): boolean {
  let e = err as { code?: unknown; storeUnavailable?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 4; depth++, e = e.cause as typeof e) {
    if (e.storeUnavailable === true || (typeof e.code === 'string' && SQLITE_UNAVAILABLE.test(e.code))) return true;
  }
  return false;
}
