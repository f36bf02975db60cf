import { fixed, type Db } from './db';

// The ISV console's own reads (server/routes/console/): its sessions, and the lists it pages by
// keyset, newest first. Each list's order is an index's (migration "The ISV console"), so a page
// reads its rows and no more, whatever the store holds (test/server/console-api.test.ts checks
// the plans at 100,000 executions).

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A signed-in console: the CSRF token its page sends back, and when it ends (epoch ms). */
export interface ConsoleSession {
  csrfToken: string;
  expiresAt: number;
}

/** Console sign-ins, kept by the SHA-256 of their cookie's token: the store never holds a token that opens the console. */
export class ConsoleSessions {
  constructor(private readonly db: Db) {}

  /** Stores a session; the expired ones are swept first, so the table holds the live ones and those expired since the last sign-in. */
  async create(tokenHash: string, session: ConsoleSession, now = Date.now()): Promise<void> {
    await this.sweep(now);
    await this.db.run('INSERT INTO console_sessions (token_hash, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?)', [tokenHash, session.csrfToken, now, session.expiresAt]);
  }

  /** The live session of a token hash; an expired one is deleted and not found. */
  async find(tokenHash: string, now = Date.now()): Promise<ConsoleSession | undefined> {
    const row = await this.db.get<{ csrf_token: string; expires_at: number }>(fixed('SELECT csrf_token, expires_at FROM console_sessions WHERE token_hash = ?'), [tokenHash]);
    if (!row) return undefined;
    if (num(row.expires_at) <= now) {
      await this.delete(tokenHash);
      return undefined;
    }
    return { csrfToken: row.csrf_token, expiresAt: num(row.expires_at) };
  }

  async delete(tokenHash: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM console_sessions WHERE token_hash = ?', [tokenHash])).changes > 0;
  }

  /** Deletes the expired sessions; returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    return (await this.db.run('DELETE FROM console_sessions WHERE expires_at <= ?', [now])).changes;
  }
}

const STATUSES = ['queued', 'running', 'succeeded', 'skipped', 'failed'] as const;
export type ExecutionStatus = (typeof STATUSES)[number];

function statusLiteral(status: ExecutionStatus): ExecutionStatus {
  if (!STATUSES.includes(status)) throw new TypeError(`not an execution status: ${String(status)}`);
  return status;
}

export interface ExecutionFilter {
  workflowId?: string;
  userId?: string;
  status?: ExecutionStatus;
  /** Created at or after (epoch ms). */
  from?: number;
  /** Created before (epoch ms). */
  to?: number;
}

export interface ExecutionRow {
  executionId: string;
  workflowId: string;
  userId: string;
  username: string;
  status: ExecutionStatus;
  attempts: number;
  createdAt: number;
  finishedAt: number | null;
  error: string | null;
}

export interface ExecutionRecord extends ExecutionRow {
  version: number;
  event: string;
  eventData: unknown;
  /** The block the latest failure was in (null: it failed outside any block, or has not failed). */
  failedBlock: string | null;
}

/** An execution as the overview counts it. */
export interface OverviewRow {
  /** Its bucket's number in the window, from 0. */
  bucket: number;
  workflowId: string;
  status: ExecutionStatus;
  /** From its creation to its end; null while it has not ended. */
  durationMs: number | null;
}

export interface ErrorGroupRow {
  workflowId: string;
  block: string | null;
  message: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
}

export interface ErrorNoticeRow {
  id: string;
  workflowId: string;
  occurredAt: number;
  pending: boolean;
  tries: number;
  nextAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  lastAt: number | null;
}

const EXECUTION_COLUMNS = `x.id, x.workflow_id, x.user_id, (SELECT username FROM users u WHERE u.id = x.user_id) AS username,
  x.status, x.attempts, x.created_at, x.finished_at, x.error`;

interface ExecutionSqlRow {
  id: string;
  workflow_id: string;
  user_id: string;
  username: string | null;
  status: ExecutionStatus;
  attempts: number;
  created_at: number;
  finished_at: number | null;
  error: string | null;
}

const toExecution = (r: ExecutionSqlRow): ExecutionRow => ({
  executionId: r.id,
  workflowId: r.workflow_id,
  userId: r.user_id,
  username: r.username ?? r.user_id,
  status: r.status,
  attempts: num(r.attempts),
  createdAt: num(r.created_at),
  finishedAt: numOrNull(r.finished_at),
  error: r.error,
});

/** The console's lists and aggregates. */
export class ConsoleLists {
  constructor(private readonly db: Db) {}

  /**
   * A page of executions, newest first, after `after` (the previous page's last (createdAt, id)).
   * Every combination of filters has an index in this order: the workflow's, the user's, both's,
   * the failed ones', or all of them by time; the rest of the filter is read off the rows it walks.
   */
  async executions(filter: ExecutionFilter, after: readonly [number, string] | undefined, limit: number): Promise<ExecutionRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => (where.push(sql), params.push(...values));
    if (filter.workflowId !== undefined) add('x.workflow_id = ?', filter.workflowId);
    if (filter.userId !== undefined) add('x.user_id = ?', filter.userId);
    // The status is written into the text (one of five, checked here): SQLite takes a partial index
    // (the failed ones', the queue's) only for a condition it can see matches the index's own.
    if (filter.status !== undefined) add(`x.status = '${statusLiteral(filter.status)}'`);
    if (filter.from !== undefined) add('x.created_at >= ?', filter.from);
    if (filter.to !== undefined) add('x.created_at < ?', filter.to);
    if (after) add('(x.created_at, x.id) < (?, ?)', after[0], after[1]);
    const rows = await this.db.all<ExecutionSqlRow>(
      `SELECT ${EXECUTION_COLUMNS} FROM executions x ${this.inFlightIndex(filter.status)} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY x.created_at DESC, x.id DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.map(toExecution);
  }

  /**
   * SQLite: the queued and the running executions are read through their own partial indexes
   * (they are few: the backlog, the workers' slots) and sorted. Without statistics SQLite would
   * rather walk every execution by time for them: 30 ms at 100,000 to find that none runs, 300 at
   * a million. PostgreSQL's statistics tell it so.
   */
  private inFlightIndex(status: ExecutionStatus | undefined): string {
    if (this.db.dialect !== 'sqlite') return '';
    if (status === 'queued') return 'INDEXED BY executions_queue';
    if (status === 'running') return 'INDEXED BY executions_running';
    return '';
  }

  /** One execution with its event, version and the block its latest failure was in. */
  async execution(executionId: string): Promise<ExecutionRecord | undefined> {
    const row = await this.db.get<ExecutionSqlRow & { version: number; event_name: string; event_data: string | null; failed_block: string | null }>(
      `SELECT ${EXECUTION_COLUMNS}, x.version, e.name AS event_name, e.data AS event_data,
         (SELECT r.block FROM errors r WHERE r.execution_id = x.id ORDER BY r.occurred_at DESC, r.id DESC LIMIT 1) AS failed_block
       FROM executions x JOIN events e ON e.id = x.event_id WHERE x.id = ?`,
      [executionId],
    );
    if (!row) return undefined;
    return {
      ...toExecution(row),
      version: num(row.version),
      event: row.event_name,
      eventData: row.event_data === null ? null : (JSON.parse(row.event_data) as unknown),
      failedBlock: row.status === 'failed' ? row.failed_block : null,
    };
  }

  /**
   * The execution just before this one in the logs API's order of its workflow and user (oldest
   * first), if any: the cursor that pages the logs API (GET /workflows/:id/logs, ascending) to it.
   * An older one, as new executions only come after it.
   */
  async olderSibling(execution: Pick<ExecutionRow, 'executionId' | 'workflowId' | 'userId' | 'createdAt'>): Promise<string | undefined> {
    const row = await this.db.get<{ id: string }>(
      'SELECT id FROM executions WHERE workflow_id = ? AND user_id = ? AND (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT 1',
      [execution.workflowId, execution.userId, execution.createdAt, execution.executionId],
    );
    return row?.id;
  }

  /**
   * What the overview counts of the executions created in [from, to) (of one workflow, when
   * given): each one's bucket of `bucketMs` from `from`, workflow, status and duration (null until
   * it finishes), read through the time index; only these four columns leave the database, and the
   * percentiles are ranked from them (server/domain/console/overview.ts). Ranking in SQL (window
   * functions) measured 500 ms for a week of 100,000 executions on SQLite, this 110 ms.
   */
  async overviewRows(range: { from: number; to: number; bucketMs: number }, workflowId?: string): Promise<OverviewRow[]> {
    const rows = await this.db.all<{ b: number; workflow_id: string; status: ExecutionStatus; d: number | null }>(
      // CAST: SQLite takes a bound number for a real, and its division would not be whole.
      `SELECT (created_at - CAST(? AS BIGINT)) / CAST(? AS BIGINT) AS b, workflow_id, status, finished_at - created_at AS d
       FROM executions WHERE created_at >= ? AND created_at < ? ${workflowId === undefined ? '' : 'AND workflow_id = ?'}`,
      [range.from, range.bucketMs, range.from, range.to, ...(workflowId === undefined ? [] : [workflowId])],
    );
    return rows.map((r) => ({ bucket: num(r.b), workflowId: r.workflow_id, status: r.status, durationMs: numOrNull(r.d) }));
  }

  /** The error log entries of [from, to) per workflow (of one workflow, when given). */
  async errorCounts(range: { from: number; to: number }, workflowId?: string): Promise<Map<string, number>> {
    const rows = await this.db.all<{ workflow_id: string; n: number }>(
      `SELECT workflow_id, COUNT(*) AS n FROM errors WHERE occurred_at >= ? AND occurred_at < ? ${workflowId === undefined ? '' : 'AND workflow_id = ?'} GROUP BY workflow_id`,
      [range.from, range.to, ...(workflowId === undefined ? [] : [workflowId])],
    );
    return new Map(rows.map((r) => [r.workflow_id, num(r.n)]));
  }

  /**
   * Users in username order after `after`, with how many installations each has: all of them, or
   * those whose username begins with `prefix` (a range of the username index; the range's top is
   * the prefix and the highest code point, and the rows are checked to begin with it, so a
   * collation that orders otherwise cannot add one).
   */
  async users(prefix: string | undefined, after: string | undefined, limit: number) {
    const where: string[] = [];
    const params: unknown[] = [];
    if (prefix) {
      where.push('u.username >= ?', 'u.username < ?', 'substr(u.username, 1, ?) = ?');
      params.push(prefix, `${prefix}\u{10FFFF}`, [...prefix].length, prefix);
    }
    if (after !== undefined) (where.push('u.username > ?'), params.push(after));
    const rows = await this.db.all<{ id: string; username: string; created_at: number; installations: number }>(
      `SELECT u.id, u.username, u.created_at, (SELECT COUNT(*) FROM installations i WHERE i.user_id = u.id) AS installations
       FROM users u ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY u.username LIMIT ?`,
      [...params, limit],
    );
    return rows.map((r) => ({ userId: r.id, username: r.username, createdAt: num(r.created_at), installations: num(r.installations) }));
  }

  /** The user whose id this is, with its installation count (a search by id, beside the username prefix). */
  async userById(userId: string) {
    const row = await this.db.get<{ id: string; username: string; created_at: number; installations: number }>(
      'SELECT u.id, u.username, u.created_at, (SELECT COUNT(*) FROM installations i WHERE i.user_id = u.id) AS installations FROM users u WHERE u.id = ?',
      [userId],
    );
    return row && { userId: row.id, username: row.username, createdAt: num(row.created_at), installations: num(row.installations) };
  }

  /**
   * Error log entries since `since`, grouped by workflow, block and message, the latest seen first,
   * after `after` (the previous page's last group key). The window's entries are read through the
   * time index (the workflow's, when given); only the groups leave the database.
   */
  async errorGroups(since: number, workflowId: string | undefined, after: readonly [number, string, string, string] | undefined, limit: number): Promise<ErrorGroupRow[]> {
    const key = "MAX(occurred_at), workflow_id, COALESCE(block, ''), message";
    const rows = await this.db.all<{ workflow_id: string; block: string; message: string; n: number; first_seen: number; last_seen: number }>(
      `SELECT workflow_id, COALESCE(block, '') AS block, message, COUNT(*) AS n, MIN(occurred_at) AS first_seen, MAX(occurred_at) AS last_seen
       FROM errors WHERE occurred_at >= ? ${workflowId === undefined ? '' : 'AND workflow_id = ?'}
       GROUP BY workflow_id, COALESCE(block, ''), message
       ${after ? `HAVING (${key}) < (?, ?, ?, ?)` : ''}
       ORDER BY MAX(occurred_at) DESC, workflow_id DESC, COALESCE(block, '') DESC, message DESC LIMIT ?`,
      [since, ...(workflowId === undefined ? [] : [workflowId]), ...(after ?? []), limit],
    );
    return rows.map((r) => ({
      workflowId: r.workflow_id,
      block: r.block === '' ? null : r.block,
      message: r.message,
      count: num(r.n),
      firstSeen: num(r.first_seen),
      lastSeen: num(r.last_seen),
    }));
  }

  /** How many installations each released version has, by `workflowId@version` (a read of the workflow index alone). */
  async installationsPerVersion(): Promise<Map<string, number>> {
    const rows = await this.db.all<{ workflow_id: string; version: number; n: number }>(
      'SELECT workflow_id, version, COUNT(*) AS n FROM installations GROUP BY workflow_id, version',
    );
    return new Map(rows.map((r) => [`${r.workflow_id}@${num(r.version)}`, num(r.n)]));
  }

  /** The installations on one version of a workflow, by id after `after`. */
  async versionInstallations(workflowId: string, version: number, after: string | undefined, limit: number) {
    const rows = await this.db.all<{ id: string; user_id: string; username: string; active: number | boolean; installed_at: number; updated_at: number }>(
      `SELECT i.id, i.user_id, u.username, i.active, i.installed_at, i.updated_at FROM installations i JOIN users u ON u.id = i.user_id
       WHERE i.workflow_id = ? AND i.version = ? ${after === undefined ? '' : 'AND i.id > ?'} ORDER BY i.id LIMIT ?`,
      [workflowId, version, ...(after === undefined ? [] : [after]), limit],
    );
    return rows.map((r) => ({
      installationId: r.id,
      userId: r.user_id,
      username: r.username,
      active: Boolean(Number(r.active)),
      installedAt: num(r.installed_at),
      updatedAt: num(r.updated_at),
    }));
  }

  /**
   * The error webhook's notices, newest first: the error log entries that had one (a partial
   * index holds only those). `pending` while a try is due; else the last try's outcome.
   */
  async errorNotices(status: 'pending' | 'delivered' | 'failed' | undefined, after: readonly [number, string] | undefined, limit: number): Promise<ErrorNoticeRow[]> {
    const where = ['(notice_at IS NOT NULL OR notice_tries > 0)'];
    const params: unknown[] = [];
    if (status === 'pending') where.push('notice_at IS NOT NULL');
    if (status === 'delivered') where.push('notice_at IS NULL', 'notice_last_at IS NOT NULL', 'notice_last_error IS NULL');
    if (status === 'failed') where.push('notice_at IS NULL', 'notice_last_error IS NOT NULL');
    if (after) (where.push('(occurred_at, id) < (?, ?)'), params.push(after[0], after[1]));
    const rows = await this.db.all<{
      id: string;
      workflow_id: string;
      occurred_at: number;
      notice_at: number | null;
      notice_tries: number;
      notice_last_status: number | null;
      notice_last_error: string | null;
      notice_last_at: number | null;
    }>(
      `SELECT id, workflow_id, occurred_at, notice_at, notice_tries, notice_last_status, notice_last_error, notice_last_at
       FROM errors WHERE ${where.join(' AND ')} ORDER BY occurred_at DESC, id DESC LIMIT ?`,
      [...params, limit],
    );
    return rows.map((r) => ({
      id: r.id,
      workflowId: r.workflow_id,
      occurredAt: num(r.occurred_at),
      pending: r.notice_at !== null,
      tries: num(r.notice_tries),
      nextAt: numOrNull(r.notice_at),
      lastStatus: numOrNull(r.notice_last_status),
      lastError: r.notice_last_error,
      lastAt: numOrNull(r.notice_last_at),
    }));
  }

  /**
   * Sends an error notice again, under its own `webhook-id`: due now, its tries counted afresh (the
   * retry schedule starts over). `false` for an entry that had no notice.
   */
  async redeliverErrorNotice(id: string, now = Date.now()): Promise<boolean> {
    const r = await this.db.run('UPDATE errors SET notice_at = ?, notice_tries = 0 WHERE id = ? AND (notice_at IS NOT NULL OR notice_tries > 0)', [now, id]);
    return r.changes > 0;
  }
}
