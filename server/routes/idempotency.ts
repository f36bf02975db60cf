import type { Context } from 'hono';
import { ApiError } from '../errors';
import { IdempotencyKey } from '../schemas';
import type { AcceptedEvent } from '../store/events';

/**
 * The request's `Idempotency-Key` header (or another header that names a delivery, such as
 * Standard Webhooks' `webhook-id`), checked (1 to 255 characters); `undefined` when absent.
 */
export function idempotencyKeyHeader(c: Context, name = 'Idempotency-Key'): string | undefined {
  const header = c.req.header(name);
  if (header !== undefined && !IdempotencyKey.safeParse(header).success) {
    throw new ApiError(400, 'invalid_request', `The ${name} header must be 1 to 255 characters`, [{ path: name, message: 'invalid' }]);
  }
  return header;
}

/** Answers an accepted event; a repeat of an idempotency key says so in `Idempotent-Replayed`. */
export function eventAnswer(c: Context, result: { replayed: boolean; body: AcceptedEvent }, status: 200 | 202 = 200) {
  if (result.replayed) c.header('Idempotent-Replayed', 'true');
  return c.json(result.body, status);
}
