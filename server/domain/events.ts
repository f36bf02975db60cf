import { createHash } from 'node:crypto';
import { z } from 'zod';
import { jsonAtMost, LIMITS } from '../../widget/schema';
import { ApiError, validationError } from '../errors';
import type { AcceptedEvent, EventInput } from '../store/events';
import type { Services } from './context';

/** What an end user may send as one app event's data; the ISV's events are bounded by the body limit alone. */
const BrowserEventData = jsonAtMost(z.unknown(), LIMITS.eventDataBytes);

export interface RunEventInput {
  /** The user's id; for the ISV (`source: 'isv'`), their id or username. */
  userId: string;
  event: string;
  data: Record<string, unknown>;
  source: 'isv' | 'browser';
  idempotencyKey?: string;
  /** The request's id (X-Request-Id), kept with the event for its executions' logs. */
  requestId?: string;
}

/**
 * Validates an event against its schema and records it with its executions, durably, before
 * answering. Browser-sent events must be allowed by the event's definition (`browser: true`).
 */
export async function runEvent(services: Services, input: RunEventInput): Promise<{ replayed: boolean; body: AcceptedEvent }> {
  const definition = services.definitions.events.get(input.event);
  if (!definition) {
    const known = [...services.definitions.events.keys()];
    throw new ApiError(404, 'unknown_event', `No custom event named "${input.event}". Known events: ${known.map((k) => `"${k}"`).join(', ')}`, [
      { path: 'event', message: `expected one of: ${known.join(', ')}` },
    ]);
  }
  if (input.source === 'browser' && !definition.browser) {
    throw new ApiError(403, 'forbidden', `The event "${input.event}" can only be sent by the ISV backend (its definition does not set "browser": true)`);
  }
  if (input.source === 'browser') {
    const sized = BrowserEventData.safeParse(input.data);
    if (!sized.success) throw validationError(sized.error, undefined, `The data of "${input.event}" is too large`);
  }
  const parsed = definition.validator.safeParse(input.data);
  if (!parsed.success) throw validationError(parsed.error, input.source === 'isv' ? 'data' : undefined, `The data does not match the schema of "${input.event}"`);
  return recordEvent(services, {
    userId: input.userId,
    byUsername: input.source === 'isv',
    name: input.event,
    data: parsed.data,
    source: input.source,
    idempotencyKey: input.idempotencyKey,
    requestId: input.requestId,
  });
}

/**
 * Records a checked event with its executions (group-committed in the store, which also looks the
 * user up, so an event costs no query of its own before its batch) and wakes the local worker.
 * The request hash tells an honest repeat of an idempotency key from a reused one (409). Keys
 * are scoped by who sent them: a key from the browser (or a webhook) lives apart from the ISV's,
 * so an end user cannot take a key the ISV backend will use for them later. A webhook's key is
 * scoped by its installation too: a sender fanning one message out to several of a user's webhook
 * URLs sends each the same `webhook-id`, and each must run.
 */
export async function recordEvent(services: Services, input: Omit<EventInput, 'requestHash'>): Promise<{ replayed: boolean; body: AcceptedEvent }> {
  // Only compared when a key is reused, so only computed when there is a key.
  const requestHash = input.idempotencyKey
    ? createHash('sha256')
        .update(JSON.stringify([input.name, input.installationId ?? null, input.data]))
        .digest('hex')
    : '';
  const scope = input.source === 'webhook' ? `webhook:${input.installationId}` : input.source;
  const idempotencyKey = input.idempotencyKey && input.source !== 'isv' ? `${scope}:${input.idempotencyKey}` : input.idempotencyKey;
  const result = await services.store.events.accept({ ...input, idempotencyKey, requestHash });
  if (result.kind === 'unknown_user') throw new ApiError(404, 'not_found', `No user with id or username "${input.userId}"`);
  if (result.kind === 'key_reused') throw new ApiError(409, 'conflict', 'This idempotency key was already used for a different event or data');
  // Executions the local worker took as they were recorded need no wake; queued ones do.
  if (result.kind === 'accepted' && result.queued > 0) services.engine.wake();
  return { replayed: result.kind === 'repeat', body: result.response };
}
