import { request } from './api';
import { AlloyError } from './errors';
import { all, put, remove } from './idb';
import type { AcceptedEvent } from './schema';
import { currentToken, currentUser, hasToken, NO_TOKEN } from './session';

interface Pending {
  id: string;
  event: string;
  data: unknown;
  at: number;
  /** The user whose token queued it: it is only ever sent with that user's token. */
  user: string;
}

export type SendResult = { status: 'delivered'; id: string; eventId: string; executionIds: string[] } | { status: 'queued'; id: string };

/** What a flush did, and what the outbox still holds, user by user. */
export interface OutboxReport {
  /** Events sent by this flush. */
  sent: number;
  /** Events still waiting: the current user's while offline, other users' until their next `setToken`. */
  held: Array<{ userId: string; count: number }>;
}

/** How long an event waits for its user to be back (with a token) before it is dropped. */
export const MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

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
 * Sends one stored event with its id as the idempotency key, and only with its own user's token:
 * a resend after a lost answer is recognised by the server and runs nothing twice. Network
 * failures, 5xx and 429 leave it stored and try again later by themselves; so do token troubles,
 * until that user's token is set. A refusal (another 4xx) removes it, since resending cannot help.
 */
async function deliver(item: Pending): Promise<SendResult> {
  try {
    const res = await request<AcceptedEvent>(
      'POST',
      `/plugins/appmixer/utils/appevents/events/${encodeURIComponent(item.event)}`,
      item.data,
      { 'idempotency-key': item.id },
      item.user,
    );
    await remove(item.id);
    delay = 0;
    return { status: 'delivered', id: item.id, eventId: res.eventId, executionIds: res.executionIds };
  } catch (err) {
    const code = err instanceof AlloyError ? err.code : '';
    const again = ['network', 'server', 'rate_limited'].includes(code);
    if (again) retryLater((err as AlloyError).retryAfter);
    if (again || ['no_token', 'token_expired', 'unauthorized'].includes(code)) return { status: 'queued', id: item.id };
    await remove(item.id);
    throw err;
  }
}

/**
 * Sends an app event as the current user. It is written to the IndexedDB outbox first; if the
 * network or the server is down it stays there and goes out when the page is back online or on
 * the next load, with that user's token only. Resolves with `delivered` or `queued`; rejects only
 * when the server refuses it. Without a token (or a provider to ask), nothing says whose it is:
 * that throws at once.
 */
export async function sendAppEvent(event: string, data: Record<string, unknown> = {}): Promise<SendResult> {
  if (typeof event !== 'string' || !event) throw new TypeError('Alloy.sendAppEvent: expected an event name');
  if (!hasToken()) throw new AlloyError('no_token', NO_TOKEN);
  // A provider not asked yet: ask it, to learn the user (offline, the event cannot be placed).
  if (!currentUser()) await currentToken();
  const item: Pending = { id: crypto.randomUUID(), event, data, at: Date.now(), user: currentUser() };
  await put(item.id, item);
  return deliver(item);
}

let flushing: Promise<OutboxReport> | undefined;

/**
 * Sends what the outbox holds for the current user, oldest first (one flush at a time), drops
 * what has waited longer than `MAX_AGE_MS`, and reports what is still held and for whom.
 */
export function flushOutbox(): Promise<OutboxReport> {
  flushing ??= (async () => {
    const report: OutboxReport = { sent: 0, held: [] };
    try {
      const items = (await all<Pending>()).sort((a, b) => a.at - b.at);
      let offline = false;
      for (const item of items) {
        // Waited too long for its user: dropped.
        if (Date.now() - item.at > MAX_AGE_MS) {
          await remove(item.id);
          continue;
        }
        if (!offline && item.user === currentUser()) {
          const result = await deliver(item).catch(() => 'refused' as const);
          if (result === 'refused') continue;
          if (result.status === 'delivered') {
            report.sent++;
            continue;
          }
          offline = true; // still offline: keep the order, try later
        }
        const held = report.held.find((h) => h.userId === item.user);
        if (held) held.count++;
        else report.held.push({ userId: item.user, count: 1 });
      }
    } finally {
      flushing = undefined;
    }
    return report;
  })();
  return flushing;
}

/** How many events wait in the outbox, for every user. */
export async function pendingCount(): Promise<number> {
  return (await all()).length;
}
