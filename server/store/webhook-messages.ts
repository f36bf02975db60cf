import type { Db, SqlExecutor } from './db';
import { newId } from '../ids';

/** A lifecycle message to the ISV, as stored before it is sent (its id is the `webhook-id`, stable across tries). */
export interface WebhookMessage {
  id: string;
  type: string;
  data: Record<string, unknown>;
  createdAt: number;
  /** `pending` until the endpoint took it (`delivered`) or the tries ran out or it was refused for good (`failed`). */
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: number | null;
}

interface Row {
  id: string;
  type: string;
  data: string;
  created_at: number;
  status: WebhookMessage['status'];
  attempts: number;
  next_at: number | null;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: number | null;
}

const num = (v: number | null) => (v === null || v === undefined ? null : Number(v));

export const toMessage = (r: Row): WebhookMessage => ({
  id: r.id,
  type: r.type,
  data: JSON.parse(r.data) as Record<string, unknown>,
  createdAt: Number(r.created_at),
  status: r.status,
  attempts: Number(r.attempts),
  nextAt: num(r.next_at),
  lastStatus: num(r.last_status),
  lastError: r.last_error,
  lastAttemptAt: num(r.last_attempt_at),
});

/**
 * The ISV's lifecycle webhook messages (ALLOY_EVENTS_WEBHOOK_URL). A message is written in the
 * transaction of the change it tells of where there is one (`enqueueIn`), so that no change goes
 * untold and nothing is told of a change rolled back; it is then due at once.
 */
export class WebhookMessages {
  /** Whether messages are kept at all: only when the ISV set an endpoint (ALLOY_EVENTS_WEBHOOK_URL). */
  enabled = false;

  constructor(private readonly db: Db) {}

  /** Stores a message due now, in `tx` (the change's transaction) when given. Returns its id (null: no endpoint, nothing kept). */
  async enqueueIn(tx: SqlExecutor, type: string, data: Record<string, unknown>, now = Date.now()): Promise<string | null> {
    if (!this.enabled) return null;
    const id = `msg_${newId()}`;
    await tx.run("INSERT INTO webhook_messages (id, type, data, created_at, status, attempts, next_at) VALUES (?, ?, ?, ?, 'pending', 0, ?)", [
      id,
      type,
      JSON.stringify(data),
      now,
      now,
    ]);
    return id;
  }

  async enqueue(type: string, data: Record<string, unknown>): Promise<string | null> {
    return this.enqueueIn(this.db, type, data);
  }
}
