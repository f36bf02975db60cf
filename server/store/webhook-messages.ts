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
  /** Tries since it was stored or last redelivered. */
  attempts: number;
  nextAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: number | null;
}

/** A message taken for one try: `lease` is when the hold runs out, and marks this holder's claim. */
export type ClaimedMessage = WebhookMessage & { lease: number };

/** What one try came to: delivered, or not, with the next try's time (null: no more tries). */
export type TryResult = { delivered: true; status: number } | { delivered: false; status: number | null; error: string; retryAt: number | null };

/** The ISV's endpoint as the sender sees it: failing since the first failure after the last success; disabled after too long so. */
export interface WebhookEndpoint {
  url: string;
  failingSince: number | null;
  disabledAt: number | null;
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

/** Row's columns, named: no `SELECT *` that a later migration could change under a caller. */
const COLUMNS = 'id, type, data, created_at, status, attempts, next_at, last_status, last_error, last_attempt_at';

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

  /**
   * Takes up to `limit` due messages for one try each, unless `url` is disabled (then they wait,
   * stored, until it is enabled). Each is held until `now + leaseMs`: a process that dies while
   * sending leaves it to be taken again then, with the same id (at least once, never under a
   * second id). PostgreSQL: SKIP LOCKED lets several processes take messages at once, and the
   * outer condition skips one another took meanwhile.
   */
  async claim(url: string, limit: number, leaseMs: number, now = Date.now()): Promise<ClaimedMessage[]> {
    const lock = this.db.dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
    const free = '(lease_until IS NULL OR lease_until <= ?)';
    const rows = await this.db.all<Row>(
      `UPDATE webhook_messages SET lease_until = ?, attempts = attempts + 1
       WHERE id IN (SELECT id FROM webhook_messages WHERE next_at <= ? AND status = 'pending' AND ${free} ORDER BY next_at LIMIT ? ${lock})
         AND next_at <= ? AND ${free}
         AND NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE url = ? AND disabled_at IS NOT NULL)
       RETURNING ${COLUMNS}`,
      [now + leaseMs, now, now, limit, now, now, url],
    );
    return rows.map((r) => ({ ...toMessage(r), lease: now + leaseMs }));
  }

  /**
   * Records a try of a claimed message and what it says of the endpoint, in one transaction: a
   * success clears `failingSince`; a failure starts it, and disables the endpoint once it is
   * `disableAfterMs` old. Only the holder whose lease it still is writes the message (one whose
   * hold ran out and was taken again leaves it to the new holder). Returns whether this try
   * disabled the endpoint.
   */
  async recordTry(message: ClaimedMessage, result: TryResult, endpoint: { url: string; disableAfterMs: number }, now = Date.now()): Promise<{ disabled: boolean }> {
    return this.db.transaction(async (tx) => {
      const [status, nextAt] = result.delivered ? ['delivered', null] : result.retryAt === null ? ['failed', null] : ['pending', result.retryAt];
      await tx.run(
        `UPDATE webhook_messages SET status = ?, next_at = ?, lease_until = NULL, last_status = ?, last_error = ?, last_attempt_at = ?
         WHERE id = ? AND lease_until = ?`,
        [status, nextAt, result.status, result.delivered ? null : result.error, now, message.id, message.lease],
      );
      if (result.delivered) {
        await tx.run(
          `INSERT INTO webhook_endpoints (url, failing_since, disabled_at, updated_at) VALUES (?, NULL, NULL, ?)
           ON CONFLICT (url) DO UPDATE SET failing_since = NULL, updated_at = excluded.updated_at`,
          [endpoint.url, now],
        );
        return { disabled: false };
      }
      const row = await tx.get<{ disabled_at: number | null }>(
        `INSERT INTO webhook_endpoints (url, failing_since, disabled_at, updated_at) VALUES (?, ?, NULL, ?)
         ON CONFLICT (url) DO UPDATE SET
           failing_since = COALESCE(webhook_endpoints.failing_since, excluded.failing_since),
           disabled_at = CASE WHEN webhook_endpoints.disabled_at IS NULL AND COALESCE(webhook_endpoints.failing_since, excluded.failing_since) <= ?
                              THEN excluded.updated_at ELSE webhook_endpoints.disabled_at END,
           updated_at = excluded.updated_at
         RETURNING disabled_at`,
        [endpoint.url, now, now, now - endpoint.disableAfterMs],
      );
      return { disabled: num(row?.disabled_at ?? null) === now };
    });
  }

  /** The delivery log: newest first, `limit` at a time after `cursor` (a message id), by status and type when given; undefined for an unknown cursor. */
  async list(query: { status?: WebhookMessage['status']; type?: string; limit: number; cursor?: string }): Promise<WebhookMessage[] | undefined> {
    const conditions: Array<[string, ...unknown[]]> = [];
    if (query.status) conditions.push(['status = ?', query.status]);
    if (query.type) conditions.push(['type = ?', query.type]);
    if (query.cursor) {
      const after = await this.db.get<{ created_at: number }>('SELECT created_at FROM webhook_messages WHERE id = ?', [query.cursor]);
      if (!after) return undefined;
      conditions.push(['(created_at < ? OR (created_at = ? AND id < ?))', after.created_at, after.created_at, query.cursor]);
    }
    const where = conditions.map(([sql]) => sql);
    const params = conditions.flatMap(([, ...values]) => values);
    const rows = await this.db.all<Row>(`SELECT ${COLUMNS} FROM webhook_messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`, [
      ...params,
      query.limit,
    ]);
    return rows.map(toMessage);
  }

  async find(id: string): Promise<WebhookMessage | undefined> {
    const row = await this.db.get<Row>(`SELECT ${COLUMNS} FROM webhook_messages WHERE id = ?`, [id]);
    return row && toMessage(row);
  }

  /**
   * Sends a message again, under its own id: pending and due now, its tries counted afresh,
   * whatever it was (delivered, failed, or waiting for a retry). Undefined for an unknown id.
   */
  async redeliver(id: string, now = Date.now()): Promise<WebhookMessage | undefined> {
    const row = await this.db.get<Row>(`UPDATE webhook_messages SET status = 'pending', next_at = ?, lease_until = NULL, attempts = 0 WHERE id = ? RETURNING ${COLUMNS}`, [
      now,
      id,
    ]);
    return row && toMessage(row);
  }

  /** The endpoint's state; one never tried is enabled and not failing. */
  async endpoint(url: string): Promise<WebhookEndpoint> {
    const row = await this.db.get<{ failing_since: number | null; disabled_at: number | null }>('SELECT failing_since, disabled_at FROM webhook_endpoints WHERE url = ?', [url]);
    return { url, failingSince: num(row?.failing_since ?? null), disabledAt: num(row?.disabled_at ?? null) };
  }

  /** How many messages wait to be sent (due, retrying, or held while the endpoint is disabled). */
  async countPending(): Promise<number> {
    const row = await this.db.get<{ n: number | string }>("SELECT COUNT(*) AS n FROM webhook_messages WHERE next_at IS NOT NULL AND status = 'pending'");
    return Number(row?.n ?? 0);
  }

  /** Enables the endpoint again, its failures forgotten: the messages held meanwhile are due at once. */
  async enableEndpoint(url: string, now = Date.now()): Promise<WebhookEndpoint> {
    await this.db.run(
      `INSERT INTO webhook_endpoints (url, failing_since, disabled_at, updated_at) VALUES (?, NULL, NULL, ?)
       ON CONFLICT (url) DO UPDATE SET failing_since = NULL, disabled_at = NULL, updated_at = excluded.updated_at`,
      [url, now],
    );
    return { url, failingSince: null, disabledAt: null };
  }

  /**
   * Retention: deletes delivered and failed messages stored before `cutoff`, `batchSize` at a time
   * (as Logs.deleteOlderThan does); a pending one stays, however old, until it is sent or given up.
   */
  async deleteOlderThan(cutoff: number, batchSize = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const { changes } = await this.db.run(
        "DELETE FROM webhook_messages WHERE id IN (SELECT id FROM webhook_messages WHERE created_at < ? AND status IN ('delivered', 'failed') LIMIT ?)",
        [cutoff, batchSize],
      );
      total += changes;
      if (changes < batchSize) return total;
    }
  }
}
