import { createStore, del, entries, set, type UseStore } from 'idb-keyval';
import { request } from './api';
import { AlloyError } from './errors';
import type { AcceptedEvent } from './schema';

interface Pending {
  id: string;
  event: string;
  data: unknown;
  at: number;
}

export type SendResult = { status: 'delivered'; id: string; eventId: string; executionIds: string[] } | { status: 'queued'; id: string };

let store: UseStore | undefined;
const outbox = () => (store ??= createStore('alloy-outbox', 'events'));

let retry: ReturnType<typeof setTimeout> | undefined;
let delay = 0;

/**
 * Flushes the outbox again later: when the server said (`Retry-After`), else after 2 s, then
 * twice as long each time up to a minute, until a send goes through.
 */
function retryLater(afterMs?: number): void {
  delay = Math.min(afterMs ?? (delay * 2 || 2000), 60_000);
  clearTimeout(retry);
  retry = setTimeout(() => void flushOutbox(), delay);
}

/** Stops the pending retry (a test's clean-up; a page's ends with it). */
export function stopRetrying(): void {
  clearTimeout(retry);
  delay = 0;
}

/**
 * Sends one stored event with its id as the idempotency key: a resend after a lost answer is
 * recognised by the server and runs nothing twice. Network failures, 5xx and 429 leave it stored
 * and try again later by themselves; so do token troubles, until a token is set. A refusal
 * (another 4xx) removes it, since resending cannot help.
 */
async function deliver(item: Pending): Promise<SendResult> {
  try {
    const res = await request<AcceptedEvent>('POST', `/plugins/appmixer/utils/appevents/events/${encodeURIComponent(item.event)}`, item.data, {
      'idempotency-key': item.id,
    });
    await del(item.id, outbox());
    delay = 0;
    return { status: 'delivered', id: item.id, eventId: res.eventId, executionIds: res.executionIds };
  } catch (err) {
    const code = err instanceof AlloyError ? err.code : '';
    const again = ['network', 'server', 'rate_limited'].includes(code);
    if (again) retryLater((err as AlloyError).retryAfter);
    if (again || ['no_token', 'token_expired', 'unauthorized'].includes(code)) return { status: 'queued', id: item.id };
    await del(item.id, outbox());
    throw err;
  }
}

/**
 * Sends an app event as the current user. It is written to the IndexedDB outbox first; if the
 * network or the server is down it stays there and goes out when the page is back online or on
 * the next load. Resolves with `delivered` or `queued`; rejects only when the server refuses it.
 */
export async function sendAppEvent(event: string, data: Record<string, unknown> = {}): Promise<SendResult> {
  if (typeof event !== 'string' || !event) throw new TypeError('Alloy.sendAppEvent: expected an event name');
  const item: Pending = { id: crypto.randomUUID(), event, data, at: Date.now() };
  await set(item.id, item, outbox());
  return deliver(item);
}

let flushing: Promise<number> | undefined;

/** Sends what the outbox holds, oldest first; one flush at a time. Resolves with how many went out. */
export function flushOutbox(): Promise<number> {
  flushing ??= (async () => {
    let sent = 0;
    try {
      const items = (await entries<string, Pending>(outbox())).map(([, v]) => v).sort((a, b) => a.at - b.at);
      for (const item of items) {
        const result = await deliver(item).catch(() => undefined);
        if (result?.status === 'queued') break; // still offline: keep the order, try later
        if (result) sent++;
      }
    } finally {
      flushing = undefined;
    }
    return sent;
  })();
  return flushing;
}

/** How many events wait in the outbox. */
export async function pendingCount(): Promise<number> {
  return (await entries(outbox())).length;
}
