import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * A request id the caller may choose (a proxy's or a tracing system's): 1 to 128 visible ASCII
 * characters, so that it stays one token in a log line and a header and cannot forge another line.
 */
const ACCEPTED = /^[\x21-\x7e]{1,128}$/;

/** The caller's `X-Request-Id` when it is acceptable, else a new one. */
export function requestIdFrom(header: string | undefined): string {
  return header !== undefined && ACCEPTED.test(header) ? header : randomUUID();
}
