import type { Db, SqlExecutor } from './db';
import { WORK_CHANNEL } from './postgres';
import { newId } from '../ids';

export interface AcceptedEvent {
  message: string;
  eventId: string;
  executionIds: string[];
}

export interface EventInput {
  /** The user's id; or, with `byUsername`, their id or username (as Alloy's API allows). */
  userId: string;
  byUsername?: boolean;
  /** The trigger key: a custom event's name, or `connector:event` for an app trigger. */
  name: string;
  data: unknown;
  source: 'isv' | 'browser' | 'webhook';
  idempotencyKey?: string;
  /** Hash of what was asked, to tell an honest repeat from a reused key. */
  requestHash: string;
  /** Only this installation (inbound webhook, `POST /run/workflow`), instead of every listener. */
  installationId?: string;
}

export type AcceptResult =
  | { kind: 'accepted'; response: AcceptedEvent }
  | { kind: 'repeat'; response: AcceptedEvent }
  | { kind: 'key_reused' }
  /** No such user (any more): nothing recorded. */
  | { kind: 'unknown_user' };

interface Waiting {
  input: EventInput;
  resolve(result: AcceptResult): void;
  reject(err: unknown): void;
}

interface Listener {
  id: string;
  user_id: string;
  workflow_id: string;
  version: number;
  trigger_key?: string;
}

/** Rows per multi-row INSERT: well under both databases' bound-parameter limits. */
const ROWS_PER_STATEMENT = 200;
/** Events per transaction. */
const MAX_BATCH = 500;

/**
 * Events and the executions they start.
 *
 * Group commit: the events that arrive together are recorded in one transaction, and each
 * caller is answered only when that transaction has committed. Nothing is answered before it
 * is durable, so a kill -9 loses no accepted event; but a burst costs one commit instead of one
 * per event. A batch is taken when the event loop has read every request that was ready
 * (`setImmediate`), or, while a batch is committing, when it finishes; no timer adds latency.
 */
export class Events {
  private waiting: Waiting[] = [];
  private committing = 0;
  private scheduled = false;
  private idle: (() => void)[] = [];
  /** SQLite has one writer; PostgreSQL commits several batches at once on its pool. */
  private readonly concurrency: number;

  /** On PostgreSQL, wakes the workers of every process (LISTEN in server/store/postgres.ts) when the batch commits. */
  private readonly notify?: string;

  constructor(private readonly db: Db) {
    this.concurrency = db.dialect === 'sqlite' ? 1 : 4;
    if (db.dialect === 'postgres') this.notify = `SELECT pg_notify(${WORK_CHANNEL}, '')`;
  }

  /**
   * Records an event and one queued execution per active installation of that user whose
   * installed version listens to it, durably, before resolving. With an idempotency key, a
   * repeat resolves to the first answer and records nothing.
   */
  accept(input: EventInput): Promise<AcceptResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when every event handed to `accept` so far has been committed or refused. */
  drain(): Promise<void> {
    if (this.waiting.length === 0 && this.committing === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0 || this.committing >= this.concurrency) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.waiting.length > 0 && this.committing < this.concurrency) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        this.committing++;
        void this.commit(batch).finally(() => {
          this.committing--;
          this.schedule();
          if (this.waiting.length === 0 && this.committing === 0) for (const done of this.idle.splice(0)) done();
        });
      }
    });
  }

  private async commit(batch: Waiting[]): Promise<void> {
    try {
      const results = await this.db.transaction((tx) => acceptAll(tx, batch.map((w) => w.input), this.notify));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      // The transaction rolled back, so nothing of it is stored: one bad event must not fail
      // the others, so each is tried again on its own and gets its own answer or error.
      await Promise.all(
        batch.map((w) =>
          this.db.transaction((tx) => acceptAll(tx, [w.input], this.notify)).then(
            (results) => w.resolve(results[0]!),
            (error: unknown) => w.reject(error),
          ),
        ),
      );
    }
  }
}

/** Records a batch of events in the caller's transaction: a few multi-row statements, whatever its size. */
async function acceptAll(tx: SqlExecutor, given: EventInput[], notify?: string): Promise<AcceptResult[]> {
  const { userIds, listenersByUser } = await usersAndListeners(tx, given);
  const inputs = given.flatMap((input, i) => (userIds[i] ? [{ ...input, userId: userIds[i] }] : []));
  const listeners = await listenersOf(tx, inputs, listenersByUser);
  const now = Date.now();
  const planned = inputs.map((input, i) => {
    const eventId = newId();
    const executions = listeners[i]!.map((listener) => ({ id: newId(), listener }));
    const response: AcceptedEvent = { message: 'Event successfully triggered', eventId, executionIds: executions.map((e) => e.id) };
    return { input, eventId, executions, response };
  });

  const inserted = new Set<string>();
  for (const rows of chunks(planned, ROWS_PER_STATEMENT)) {
    const ids = await tx.all<{ id: string }>(
      insertSql(
        'events',
        rows.length,
        'INSERT INTO events (id, user_id, idempotency_key, request_hash, name, data, source, response, received_at) VALUES ',
        '(?, ?, ?, ?, ?, ?, ?, ?, ?)',
        ' ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id',
      ),
      rows.flatMap(({ input, eventId, response }) => [
        eventId,
        input.userId,
        input.idempotencyKey ?? null,
        input.requestHash,
        input.name,
        JSON.stringify(input.data ?? null),
        input.source,
        // Kept only to answer a repeat of the same idempotency key; without a key none can come.
        input.idempotencyKey ? JSON.stringify(response) : '',
        now,
      ]),
    );
    for (const { id } of ids) inserted.add(id);
  }

  const executions = planned
    .filter((p) => inserted.has(p.eventId))
    .flatMap((p) => p.executions.map((e) => ({ ...e, eventId: p.eventId, userId: p.input.userId })));
  if (notify && executions.length > 0) await tx.get(notify);
  for (const rows of chunks(executions, ROWS_PER_STATEMENT)) {
    await tx.run(
      insertSql(
        'executions',
        rows.length,
        'INSERT INTO executions (id, event_id, user_id, installation_id, workflow_id, version, status, attempts, next_attempt_at, created_at) VALUES ',
        "(?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)",
      ),
      rows.flatMap((e) => [e.id, e.eventId, e.userId, e.listener.id, e.listener.workflow_id, e.listener.version, now, now]),
    );
  }

  const results: AcceptResult[] = [];
  for (const p of planned) {
    if (inserted.has(p.eventId)) {
      results.push({ kind: 'accepted', response: p.response });
      continue;
    }
    // The key was used before (or earlier in this batch): the first answer, if this is the same request.
    const first = await tx.get<{ request_hash: string; response: string }>(
      'SELECT request_hash, response FROM events WHERE user_id = ? AND idempotency_key = ?',
      [p.input.userId, p.input.idempotencyKey ?? null],
    );
    results.push(
      !first || first.request_hash !== p.input.requestHash
        ? { kind: 'key_reused' }
        : { kind: 'repeat', response: JSON.parse(first.response) as AcceptedEvent },
    );
  }
  // Back in the order given, with the unknown users in their places.
  let next = 0;
  return userIds.map((id) => (id ? results[next++]! : { kind: 'unknown_user' }));
}

/**
 * Each event's user id (by id, or by username where the input allows it; undefined for no such
 * user) and, in the same query, each found user's active installations with the trigger of their
 * installed version, in installation order: one round trip for both.
 */
async function usersAndListeners(
  tx: SqlExecutor,
  inputs: EventInput[],
): Promise<{ userIds: (string | undefined)[]; listenersByUser: Map<string, Listener[]> }> {
  const ids = new Set<string>();
  const names = new Map<string, string>();
  const listenersByUser = new Map<string, Listener[]>();
  const refs = [...new Set(inputs.map((i) => i.userId))];
  for (const chunk of chunks(refs, ROWS_PER_STATEMENT)) {
    const marks = chunk.map(() => '?').join(', ');
    const rows = await tx.all<{ user_id: string; username: string; id: string | null; workflow_id: string; version: number; trigger_key: string | null }>(
      `SELECT u.id AS user_id, u.username, i.id, i.workflow_id, i.version, v.trigger_key FROM users u
       LEFT JOIN installations i ON i.user_id = u.id AND i.active = 1
       LEFT JOIN workflow_versions v ON v.workflow_id = i.workflow_id AND v.version = i.version
       WHERE u.id IN (${marks}) OR u.username IN (${marks}) ORDER BY i.installed_at, i.id`,
      [...chunk, ...chunk],
    );
    for (const row of rows) {
      ids.add(row.user_id);
      names.set(row.username, row.user_id);
      if (row.id === null || row.trigger_key === null) continue;
      const listener: Listener = { id: row.id, user_id: row.user_id, workflow_id: row.workflow_id, version: row.version, trigger_key: row.trigger_key };
      const list = listenersByUser.get(row.user_id);
      if (list) list.push(listener);
      else listenersByUser.set(row.user_id, [listener]);
    }
  }
  const userIds = inputs.map((input) => (ids.has(input.userId) ? input.userId : input.byUsername ? names.get(input.userId) : undefined));
  return { userIds, listenersByUser };
}

/**
 * Each event's listeners: the active installations of its user whose installed version is
 * triggered by its name (in installation order, from `usersAndListeners`), or the one
 * installation it names.
 */
async function listenersOf(tx: SqlExecutor, inputs: EventInput[], byUser: Map<string, Listener[]>): Promise<Listener[][]> {
  const byId = new Map<string, Listener>();
  const installations = [...new Set(inputs.flatMap((i) => (i.installationId ? [i.installationId] : [])))];
  for (const ids of chunks(installations, ROWS_PER_STATEMENT)) {
    const rows = await tx.all<Listener>(
      `SELECT id, user_id, workflow_id, version FROM installations WHERE id IN (${ids.map(() => '?').join(', ')}) AND active = 1`,
      ids,
    );
    for (const row of rows) byId.set(row.id, row);
  }
  return inputs.map((input) => {
    if (input.installationId) {
      const one = byId.get(input.installationId);
      return one && one.user_id === input.userId ? [one] : [];
    }
    return (byUser.get(input.userId) ?? []).filter((l) => l.trigger_key === input.name);
  });
}

const insertSqls = new Map<string, string>();

/** A multi-row INSERT of `rows` rows, built once per table and size (the drivers cache prepared statements by text). */
function insertSql(table: string, rows: number, head: string, row: string, tail = ''): string {
  const key = `${table}:${rows}`;
  let sql = insertSqls.get(key);
  if (sql === undefined) insertSqls.set(key, (sql = head + Array.from({ length: rows }, () => row).join(', ') + tail));
  return sql;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
