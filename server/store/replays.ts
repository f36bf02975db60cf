import type { Db, SqlExecutor } from './db';
import { requeueFailed, type RerunFrom } from './executions';
import { newId } from '../ids';

/** Which failed executions a replay takes; every field narrows it (docs/replay.md). */
export interface ReplayFilter {
  workflowId?: string;
  userId?: string;
  /** Text the execution's error message contains, case-sensitive (an error code such as `needs_reconnect` is its message's prefix). */
  error?: string;
  /** Failed at or after (epoch ms). */
  from?: number;
  /** Failed before (epoch ms). */
  to?: number;
}

export interface Replay {
  replayId: string;
  filter: ReplayFilter;
  from: RerunFrom;
  status: 'running' | 'done' | 'cancelled';
  /** The failed executions the filter chose when the replay was made. */
  total: number;
  /** Those queued again so far. */
  requeued: number;
  /** Those no longer failed when their turn came (re-run by hand meanwhile, or deleted): left as they were. */
  skipped: number;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** What one batch did, for the loop that runs them (server/engine/replay.ts). */
export interface ReplayBatch {
  replayId: string;
  requeued: number;
  skipped: number;
  done: boolean;
}

interface ReplayRow {
  id: string;
  filter_json: string;
  mode: RerunFrom;
  status: Replay['status'];
  total: number;
  requeued: number;
  skipped: number;
  after_execution: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

const toReplay = (r: ReplayRow): Replay => ({
  replayId: r.id,
  filter: JSON.parse(r.filter_json) as ReplayFilter,
  from: r.mode,
  status: r.status,
  total: Number(r.total),
  requeued: Number(r.requeued),
  skipped: Number(r.skipped),
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
  finishedAt: r.finished_at === null ? null : iso(r.finished_at),
});

const REPLAY_COLUMNS = 'id, filter_json, mode, status, total, requeued, skipped, after_execution, created_at, updated_at, finished_at';

/** A unique index refused the row: PostgreSQL's 23505, SQLite's SQLITE_CONSTRAINT_UNIQUE. */
const isUniqueViolation = (err: unknown) => {
  const code = (err as { code?: unknown })?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
};

/** Bulk replays of failed executions: counting, the jobs, and their batches. */
export class Replays {
  constructor(private readonly db: Db) {}

  /** The filter as SQL over `x` (executions): failed ones only, through the partial index of failed executions. */
  private where(filter: ReplayFilter): { sql: string; params: unknown[] } {
    const where = ["x.status = 'failed'"];
    const params: unknown[] = [];
    if (filter.workflowId !== undefined) (where.push('x.workflow_id = ?'), params.push(filter.workflowId));
    if (filter.userId !== undefined) (where.push('x.user_id = ?'), params.push(filter.userId));
    // A plain substring (no LIKE wildcards to escape, and the same case rules in both databases).
    if (filter.error !== undefined) (where.push(`${this.db.dialect === 'postgres' ? 'strpos' : 'instr'}(x.error, ?) > 0`), params.push(filter.error));
    if (filter.from !== undefined) (where.push('x.finished_at >= ?'), params.push(filter.from));
    if (filter.to !== undefined) (where.push('x.finished_at < ?'), params.push(filter.to));
    return { sql: where.join(' AND '), params };
  }

  /** How many failed executions the filter takes now (a dry run). */
  async count(filter: ReplayFilter): Promise<number> {
    const { sql, params } = this.where(filter);
    return Number((await this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM executions x WHERE ${sql}`, params))?.n ?? 0);
  }

  /**
   * Makes a replay of the failed executions the filter takes now (they are listed with it, so one
   * that fails later is not taken). One that takes none is done at once. At most one replay runs
   * at a time: `{ running }` names the one that does.
   */
  async create(filter: ReplayFilter, from: RerunFrom, now = Date.now()): Promise<{ replay: Replay } | { running: string }> {
    const id = newId();
    const { sql, params } = this.where(filter);
    try {
      await this.db.transaction(async (tx) => {
        await tx.run(`INSERT INTO replays (id, filter_json, mode, status, total, created_at, updated_at) VALUES (?, ?, ?, 'running', 0, ?, ?)`, [
          id,
          JSON.stringify(filter),
          from,
          now,
          now,
        ]);
        const { changes } = await tx.run(`INSERT INTO replay_executions (replay_id, execution_id) SELECT ?, x.id FROM executions x WHERE ${sql}`, [id, ...params]);
        await tx.run(`UPDATE replays SET total = ?, status = ${changes === 0 ? "'done', finished_at = ?" : "'running', updated_at = ?"} WHERE id = ?`, [changes, now, id]);
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const running = await this.db.get<{ id: string }>("SELECT id FROM replays WHERE status = 'running'");
      // It finished between the insert and this read: the caller may simply try again.
      return { running: running?.id ?? '' };
    }
    return { replay: (await this.get(id))! };
  }

  async get(replayId: string): Promise<Replay | undefined> {
    const row = await this.db.get<ReplayRow>(`SELECT ${REPLAY_COLUMNS} FROM replays WHERE id = ?`, [replayId]);
    return row && toReplay(row);
  }

  /** The replay that is running, if any. */
  async running(): Promise<Replay | undefined> {
    const row = await this.db.get<ReplayRow>(`SELECT ${REPLAY_COLUMNS} FROM replays WHERE status = 'running'`);
    return row && toReplay(row);
  }

  /** Stops a running replay where it is: what it requeued stays queued. `false` if it was not running. */
  /** Deletes the replays that finished (done or cancelled) before `cutoff`, with their lists; returns how many. */
  async deleteFinishedBefore(cutoff: number): Promise<number> {
    return (await this.db.run("DELETE FROM replays WHERE status <> 'running' AND finished_at IS NOT NULL AND finished_at < ?", [cutoff])).changes;
  }

  async cancel(replayId: string, now = Date.now()): Promise<boolean> {
    const r = await this.db.run(
      "UPDATE replays SET status = 'cancelled', finished_at = ?, updated_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND status = 'running'",
      [now, now, replayId],
    );
    return r.changes > 0;
  }

  /**
   * Requeues the next `limit` executions of the running replay, for `owner`, who holds the replay
   * until `now + leaseMs` (and keeps it while it comes back in time): of several processes, one
   * works a replay at a time, so its rate is one process's. The batch and the cursor past it
   * commit together, so each execution is taken once, even across a process that dies mid-batch.
   * `undefined` when there is no running replay this owner may take.
   */
  async advance(owner: string, limit: number, leaseMs: number, now = Date.now()): Promise<ReplayBatch | undefined> {
    // Nearly always none runs: a read (through the partial index) then, not a write.
    if (!(await this.db.get("SELECT 1 AS one FROM replays WHERE status = 'running'"))) return undefined;
    const held = await this.db.get<{ id: string }>(
      `UPDATE replays SET lease_owner = ?, lease_until = ?
       WHERE status = 'running' AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)
       RETURNING id`,
      [owner, now + leaseMs, owner, now],
    );
    if (!held) return undefined;
    return this.db.transaction(async (tx) => {
      const lock = this.db.dialect === 'postgres' ? 'FOR UPDATE' : '';
      const replay = await tx.get<{ mode: RerunFrom; after_execution: string | null }>(
        `SELECT mode, after_execution FROM replays WHERE id = ? AND status = 'running' AND lease_owner = ? ${lock}`,
        [held.id, owner],
      );
      if (!replay) return undefined;
      const batch = await tx.all<{ execution_id: string }>('SELECT execution_id FROM replay_executions WHERE replay_id = ? AND execution_id > ? ORDER BY execution_id LIMIT ?', [
        held.id,
        replay.after_execution ?? '',
        limit,
      ]);
      let requeued = 0;
      for (const { execution_id } of batch) if (await requeueFailed(tx, { executionId: execution_id }, replay.mode, now, held.id)) requeued++;
      const skipped = batch.length - requeued;
      const done = batch.length < limit || !(await this.hasMore(tx, held.id, batch.at(-1)!.execution_id));
      await tx.run(
        `UPDATE replays SET requeued = requeued + ?, skipped = skipped + ?, after_execution = ?, updated_at = ?
         ${done ? ", status = 'done', finished_at = ?, lease_owner = NULL, lease_until = NULL" : ''} WHERE id = ?`,
        [requeued, skipped, batch.at(-1)?.execution_id ?? replay.after_execution, now, ...(done ? [now] : []), held.id],
      );
      return { replayId: held.id, requeued, skipped, done };
    });
  }

  private async hasMore(tx: SqlExecutor, replayId: string, after: string): Promise<boolean> {
    return Boolean(await tx.get('SELECT 1 AS one FROM replay_executions WHERE replay_id = ? AND execution_id > ? LIMIT 1', [replayId, after]));
  }
}
