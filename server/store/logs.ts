import type { Db } from './db';
import type { RerunFrom } from './executions';

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

export interface ExecutionLog {
  executionId: string;
  eventId: string;
  event: string;
  /** The id of the request that sent the event (its X-Request-Id, given or made); null when no request did (a schedule, a poll). */
  requestId: string | null;
  userId: string;
  workflowId: string;
  installationId: string;
  version: number;
  status: 'queued' | 'running' | 'succeeded' | 'skipped' | 'failed';
  attempts: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  /**
   * Each attempt's steps in order. A block whose output an attempt took from an earlier one (a
   * retry, or a re-run from the failed block) is listed in that attempt too, `reused`, with the
   * step it took it from (`fromAttempt`, its input, output and times): it was not called again.
   */
  steps: StepLog[];
  /** The re-runs asked for, oldest first: the attempt each started at, and where it started from. */
  reruns: Array<{ attempt: number; from: RerunFrom; replayId: string | null; requestedAt: string }>;
}

export interface StepLog {
  blockId: string;
  attempt: number;
  input: unknown;
  output: unknown;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  reused: boolean;
  fromAttempt: number | null;
}

export interface ErrorLog {
  workflowId: string;
  userId: string;
  executionId: string | null;
  block: string | null;
  errorOccurredAt: string;
  message: string;
}

/** An error log entry whose error webhook notice is due, as claimed for one try. */
export interface ErrorNotice {
  /** The error log entry's id: the notice's `webhook-id` is `err_<id>`. */
  id: string;
  /** Tries made, this one included. */
  tries: number;
  /** What the notice says: the entry as the errors API shows it. */
  data: ErrorLog;
}

interface ErrorRow {
  workflow_id: string;
  user_id: string;
  execution_id: string | null;
  block: string | null;
  occurred_at: number;
  message: string;
}

const toErrorLog = (r: ErrorRow): ErrorLog => ({
  workflowId: r.workflow_id,
  userId: r.user_id,
  executionId: r.execution_id,
  block: r.block,
  errorOccurredAt: iso(r.occurred_at)!,
  message: r.message,
});

interface ExecutionRow {
  id: string;
  event_id: string;
  event_name: string;
  request_id?: string | null;
  user_id: string;
  workflow_id: string;
  installation_id: string;
  version: number;
  status: ExecutionLog['status'];
  attempts: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
}

const parse = (text: string | null) => (text === null ? null : (JSON.parse(text) as unknown));

interface StepRow {
  execution_id: string;
  block_id: string;
  attempt: number;
  input: string | null;
  output: string | null;
  error: string | null;
  started_at: number;
  finished_at: number | null;
}

interface RerunRow {
  execution_id: string;
  attempt: number;
  mode: RerunFrom;
  replay_id: string | null;
  requested_at: number;
}

const stepLog = (s: StepRow, attempt = Number(s.attempt)): StepLog => ({
  blockId: s.block_id,
  attempt,
  input: parse(s.input),
  output: parse(s.output),
  error: s.error,
  startedAt: iso(s.started_at)!,
  finishedAt: iso(s.finished_at),
  reused: attempt !== Number(s.attempt),
  fromAttempt: attempt !== Number(s.attempt) ? Number(s.attempt) : null,
});

/**
 * One execution's steps (in the order recorded) with, before the first step of each attempt, the
 * blocks that attempt reused: the engine takes the output of every block that succeeded in an
 * earlier attempt since the latest re-run from the start (store.executions.succeededSteps) and
 * does not call it, so an attempt that ran a block reused each such block it did not run itself.
 */
function withReusedSteps(steps: StepRow[], reruns: RerunRow[]): StepLog[] {
  const out: StepLog[] = [];
  const seen = new Set<number>();
  for (const step of steps) {
    const attempt = Number(step.attempt);
    if (!seen.has(attempt)) {
      seen.add(attempt);
      const floor = Math.max(0, ...reruns.filter((x) => x.mode === 'start' && Number(x.attempt) <= attempt).map((x) => Number(x.attempt)));
      const ranNow = new Set(steps.filter((s) => Number(s.attempt) === attempt).map((s) => s.block_id));
      // The latest success of each block in the attempts it may reuse, in the order they ran.
      const reusable = new Map<string, StepRow>();
      for (const s of steps) {
        const at = Number(s.attempt);
        if (at >= floor && at < attempt && s.error === null && s.finished_at !== null && !ranNow.has(s.block_id)) {
          reusable.set(s.block_id, s);
        }
      }
      for (const s of reusable.values()) out.push(stepLog(s, attempt));
    }
    out.push(stepLog(step));
  }
  return out;
}

/** Execution logs, error logs, analytics and their deletion (GDPR, retention). */
export class Logs {
  constructor(private readonly db: Db) {}

  /**
   * Executions of a workflow, newest first (or oldest first with `order: 'asc'`); `before` is the
   * cursor (an execution id: the rows after it in that order), `offset` skips rows (page paging).
   */
  async executions(
    workflowId: string,
    userId: string | undefined,
    limit: number,
    before?: string,
    options: { order?: 'asc' | 'desc'; offset?: number } = {},
  ): Promise<ExecutionLog[]> {
    const asc = options.order === 'asc';
    const where = ['x.workflow_id = ?'];
    const params: unknown[] = [workflowId];
    if (userId) {
      where.push('x.user_id = ?');
      params.push(userId);
    }
    if (before) {
      where.push(`(x.created_at, x.id) ${asc ? '>' : '<'} (SELECT created_at, id FROM executions WHERE id = ?)`);
      params.push(before);
    }
    const rows = await this.db.all<ExecutionRow>(
      `SELECT x.*, e.name AS event_name, e.request_id FROM executions x JOIN events e ON e.id = x.event_id
       WHERE ${where.join(' AND ')} ORDER BY x.created_at ${asc ? 'ASC' : 'DESC'}, x.id ${asc ? 'ASC' : 'DESC'} LIMIT ? OFFSET ?`,
      [...params, limit, options.offset ?? 0],
    );
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const marks = ids.map(() => '?').join(',');
    const steps = await this.db.all<StepRow>(`SELECT * FROM steps WHERE execution_id IN (${marks}) ORDER BY started_at, attempt`, ids);
    const reruns = await this.db.all<RerunRow>(
      `SELECT execution_id, attempt, mode, replay_id, requested_at FROM execution_reruns WHERE execution_id IN (${marks}) ORDER BY attempt`,
      ids,
    );
    return rows.map((r) => {
      const own = reruns.filter((x) => x.execution_id === r.id);
      return {
        executionId: r.id,
        eventId: r.event_id,
        event: r.event_name,
        requestId: r.request_id ?? null,
        userId: r.user_id,
        workflowId: r.workflow_id,
        installationId: r.installation_id,
        version: Number(r.version),
        status: r.status,
        attempts: Number(r.attempts),
        createdAt: iso(r.created_at)!,
        startedAt: iso(r.started_at),
        finishedAt: iso(r.finished_at),
        error: r.error,
        steps: withReusedSteps(
          steps.filter((s) => s.execution_id === r.id),
          own,
        ),
        reruns: own.map((x) => ({ attempt: Number(x.attempt), from: x.mode, replayId: x.replay_id, requestedAt: iso(x.requested_at)! })),
      };
    });
  }

  /**
   * Executions across workflows as Alloy's `GET /logs` pages them: `where` holds conditions built
   * by the route from a whitelist (server/routes/logs.ts), each an SQL expression over `x`
   * (executions) with its `?` parameters; `sortBy` is one of the whitelisted columns.
   */
  async page(query: { where: Array<{ sql: string; params: unknown[] }>; sortBy: string; asc: boolean; skip: number; limit: number }) {
    const where = query.where.length ? `WHERE ${query.where.map((w) => `(${w.sql})`).join(' AND ')}` : '';
    const params = query.where.flatMap((w) => w.params);
    const total = await this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM executions x ${where}`, params);
    const dir = query.asc ? 'ASC' : 'DESC';
    const rows = await this.db.all<ExecutionRow & { username: string; full_name: string | null }>(
      `SELECT x.*, e.name AS event_name, u.username, u.full_name FROM executions x
       JOIN events e ON e.id = x.event_id JOIN users u ON u.id = x.user_id
       ${where} ORDER BY ${query.sortBy} ${dir}, x.id ${dir} LIMIT ? OFFSET ?`,
      [...params, query.limit, query.skip],
    );
    return {
      total: Number(total?.n ?? 0),
      rows: rows.map((r) => ({
        executionId: r.id,
        userId: r.user_id,
        username: r.username,
        fullName: r.full_name,
        workflowId: r.workflow_id,
        installationId: r.installation_id,
        version: Number(r.version),
        status: r.status,
        event: r.event_name,
        createdAt: iso(r.created_at)!,
        startedAt: iso(r.started_at),
        finishedAt: iso(r.finished_at),
        error: r.error,
      })),
    };
  }

  /** Error logs of a workflow, newest first, in the seed's shape. */
  async errors(workflowId: string, userId: string | undefined, limit: number): Promise<ErrorLog[]> {
    const rows = await this.db.all<ErrorRow>(
      `SELECT * FROM errors WHERE workflow_id = ? ${userId ? 'AND user_id = ?' : ''} ORDER BY occurred_at DESC, id DESC LIMIT ?`,
      userId ? [workflowId, userId, limit] : [workflowId, limit],
    );
    return rows.map(toErrorLog);
  }

  /**
   * Takes up to `limit` due error webhook notices for one try each: each is held until
   * `now + leaseMs`, so a process that dies while sending leaves it to be taken again then
   * (at least once, with the same `webhook-id`). PostgreSQL: SKIP LOCKED lets several processes
   * take notices at once, and the outer condition skips one another took meanwhile.
   */
  async claimErrorNotices(limit: number, leaseMs: number, now = Date.now()): Promise<ErrorNotice[]> {
    const lock = this.db.dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
    const rows = await this.db.all<ErrorRow & { id: string; notice_tries: number }>(
      `UPDATE errors SET notice_at = ?, notice_tries = notice_tries + 1
       WHERE id IN (SELECT id FROM errors WHERE notice_at <= ? ORDER BY notice_at LIMIT ? ${lock}) AND notice_at <= ?
       RETURNING id, notice_tries, workflow_id, user_id, execution_id, block, occurred_at, message`,
      [now + leaseMs, now, limit, now],
    );
    return rows.map((r) => ({ id: r.id, tries: Number(r.notice_tries), data: toErrorLog(r) }));
  }

  /** After a try: the notice's next try at `at`, or none (`null`: it was sent, or given up). */
  /**
   * When an error notice's next try is due (null: none, delivered or given up), and what its last
   * try got (its HTTP status, and its error unless it was delivered), for the console's deliveries.
   */
  async errorNoticeNext(id: string, at: number | null, last?: { status: number | null; error: string | null }, now = Date.now()): Promise<void> {
    if (!last) {
      await this.db.run('UPDATE errors SET notice_at = ? WHERE id = ?', [at, id]);
      return;
    }
    await this.db.run('UPDATE errors SET notice_at = ?, notice_last_status = ?, notice_last_error = ?, notice_last_at = ? WHERE id = ?', [
      at,
      last.status,
      last.error === null ? null : last.error.slice(0, 2000),
      now,
      id,
    ]);
  }

  async analytics(workflowId: string) {
    const runs = await this.db.all<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM executions WHERE workflow_id = ? GROUP BY status', [workflowId]);
    const count = (status: string) => Number(runs.find((r) => r.status === status)?.n ?? 0);
    const errors = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM errors WHERE workflow_id = ?', [workflowId]);
    const actions = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM steps WHERE execution_id IN (SELECT id FROM executions WHERE workflow_id = ?)', [workflowId]);
    const installs = await this.db.get<{ total: number; active: number | null }>('SELECT COUNT(*) AS total, SUM(active) AS active FROM installations WHERE workflow_id = ?', [
      workflowId,
    ]);
    const last = await this.db.get<{ at: number | null }>('SELECT MAX(created_at) AS at FROM executions WHERE workflow_id = ?', [workflowId]);
    return {
      workflowId,
      totalAppActions: Number(actions?.n ?? 0),
      totalWorkflowRuns: runs.reduce((sum, r) => sum + Number(r.n), 0),
      totalErrors: Number(errors?.n ?? 0),
      succeededRuns: count('succeeded'),
      failedRuns: count('failed'),
      queuedRuns: count('queued'),
      runningRuns: count('running'),
      totalInstalls: Number(installs?.total ?? 0),
      activeInstalls: Number(installs?.active ?? 0),
      lastRunAt: iso(last?.at),
    };
  }

  /** GDPR / CCPA: removes a user's executions (with their steps), errors and event payloads. */
  async deleteForUser(userId: string): Promise<{ executions: number; errors: number; events: number }> {
    return this.db.transaction(async (tx) => {
      const errors = (await tx.run('DELETE FROM errors WHERE user_id = ?', [userId])).changes;
      const executions = (await tx.run('DELETE FROM executions WHERE user_id = ?', [userId])).changes;
      const events = (await tx.run('DELETE FROM events WHERE user_id = ?', [userId])).changes;
      return { executions, errors, events };
    });
  }

  /**
   * Retention: deletes finished executions, errors and events older than `cutoff` (epoch ms), at
   * most `batchSize` rows per statement (chosen by primary key), so that no statement of a large
   * backlog runs into PostgreSQL's query timeout or holds SQLite's write lock for long. Each batch
   * commits on its own: a sweep cut short leaves nothing half done, and the next one goes on.
   */
  async deleteOlderThan(cutoff: number, batchSize = 5000): Promise<{ executions: number; errors: number; events: number }> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, not ${batchSize}`);
    const inBatches = async (sql: string) => {
      let total = 0;
      for (;;) {
        const { changes } = await this.db.run(sql, [cutoff, batchSize]);
        total += changes;
        if (changes < batchSize) return total;
      }
    };
    const errors = await inBatches('DELETE FROM errors WHERE id IN (SELECT id FROM errors WHERE occurred_at < ? LIMIT ?)');
    const executions = await inBatches(
      "DELETE FROM executions WHERE id IN (SELECT id FROM executions WHERE created_at < ? AND status IN ('succeeded', 'failed', 'skipped') LIMIT ?)",
    );
    // An event whose work is still pending stays: nothing accepted is lost to the sweep.
    const events = await inBatches(
      'DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < ? AND NOT EXISTS (SELECT 1 FROM executions x WHERE x.event_id = events.id) LIMIT ?)',
    );
    return { executions, errors, events };
  }
}
