import { columns, fixed, type Db, type SqlExecutor } from './db';
import { newId } from '../ids';
import { GroupCommit } from './group-commit';
import { COLUMNS as INSTALLATION_COLUMNS, columnsOf, toInstallation, type Installation, type InstallationRow } from './installations';

export interface ClaimedExecution {
  executionId: string;
  eventId: string;
  userId: string;
  installationId: string;
  workflowId: string;
  version: number;
  /** This claim's attempt number, from 1, counted over the execution's whole life (steps are keyed by it). */
  attempt: number;
  /** Attempts since the execution was last (re)queued by hand: what the retry limit counts. */
  attemptInRun: number;
  /** Whether an earlier claim recorded steps (a retry, a re-run, or a lease that ran out): only then are they read back. */
  hasSteps: boolean;
  /**
   * What it runs on, read with the claim (one query for all it claimed), or, for an execution
   * written as claimed in its event's commit, what that commit read and wrote.
   */
  inputs: ExecutionInputs;
}

/** An execution's installation (undefined once removed) and its event with the user's username (undefined once deleted). */
export interface ExecutionInputs {
  installation?: Installation;
  event?: { name: string; data: unknown; username: string };
}

/**
 * What a claim took, and whether it left due work of users at their limit (USER_CONCURRENCY) in
 * the queue: a worker with such work waiting claims again whenever one of its executions ends.
 */
export type ClaimBatch = ClaimedExecution[] & { heldBack?: boolean };

/** The most a user may run at once when no limit is given. */
const NO_USER_LIMIT = 2_147_483_647;

/**
 * PostgreSQL: claims with a per-user limit take turns on this transaction lock, so that each one
 * counts what the others claimed (a snapshot taken before another claim committed would not see
 * it, and two workers could each take a user's last slot). Taken before the claim's statement,
 * whose snapshot then sees every earlier claim committed.
 */
const CLAIM_LOCK = 727002;

/**
 * How many executions each user is running now: running with a valid lease (an expired lease's
 * worker is presumed dead: its execution is claimed again, and counted then). Few rows, at most
 * the workers' slots, read through executions_running.
 */
export async function runningPerUser(sql: SqlExecutor, now: number): Promise<Map<string, number>> {
  const rows = await sql.all<{ user_id: string; n: number | string }>(
    fixed("SELECT user_id, COUNT(*) AS n FROM executions WHERE status = 'running' AND lease_until >= ? GROUP BY user_id"),
    [now],
  );
  return new Map(rows.map((r) => [r.user_id, Number(r.n)]));
}

/** The first user after `from` with a queued execution due by `now` (SQL expressions): one seek in executions_queue. */
const nextDueUser = (from: string, now = '?') =>
  `(SELECT user_id FROM executions WHERE status = 'queued' AND user_id > ${from} AND next_attempt_at <= ${now} ORDER BY user_id LIMIT 1)`;

/** What a claim sets (owner, lease end, now), on rows still due at `now` when it writes them (SQL expressions). */
const claimSet = (owner = '?', leaseUntil = '?', now = '?') =>
  `status = 'running', attempts = attempts + 1, lease_owner = ${owner}, lease_until = ${leaseUntil}, started_at = COALESCE(started_at, ${now})`;
const stillDue = (now = '?') => `((status = 'queued' AND next_attempt_at <= ${now}) OR (status = 'running' AND lease_until < ${now}))`;

/** What a claim returns of each row: the execution, and whether an earlier claim recorded steps. */
const RETURNED = `executions.id, executions.event_id, executions.user_id, executions.installation_id, executions.workflow_id,
  executions.version, executions.attempts, executions.attempt_base,
  EXISTS (SELECT 1 FROM steps WHERE steps.execution_id = executions.id) AS has_steps`;

/**
 * PostgreSQL's claim (see `Executions.claimInOneStatement`). Its parameters: $1 now, $2 the claim's
 * size, $3 the previous claim's last user, $4 the owner, $5 the lease's end and, `limited`, $6 the
 * per-user limit. Without a limit, the parts that count what each user runs are left out: they
 * were more than half of the statement's planning. Every row it answers carries `held_back` (a
 * user with due work was passed over at the limit, or stopped by it); when it claimed nothing, one
 * row with no execution (a null id) carries it.
 *
 * Prepared once per connection with one generic plan (`fixed`): planning it took 1.0–1.7 ms of
 * each claim's 3–7 ms. The update finds its rows by the `ctid` the locking selects read: those
 * rows are locked FOR UPDATE by this statement, so no one else can move them before it writes
 * them, and a row that moved anyway fails `stillDue` or is not found, and is not claimed. By `ctid`
 * the generic plan is a Tid Scan whatever the table's size; by id (`= ANY` of the chosen ids), a
 * generic plan made while the queue was empty read the whole table (a Seq Scan, 14 ms per claim at
 * 40,000 rows), and a plan joined to the chosen rows read all of them by hash join (7 ms).
 */
function claimPostgres(limited: boolean): string {
  /** Slots user `u` (an SQL expression) has left: the limit less what it runs (`used`); without a limit, the claim's size. */
  const roomOf = (u: string) => (limited ? `($6::int - COALESCE((SELECT n FROM used WHERE used.user_id = ${u}), 0))` : '$2::int');
  /** 1 for a user (`s.u`) with room, else 0: what the scan's `found` counts. */
  const hasRoom = limited ? `CASE WHEN ${roomOf('s.u')} > 0 THEN 1 ELSE 0 END` : '1';
  const expiredAll = `SELECT id, ctid AS tid, user_id, lease_until FROM executions WHERE status = 'running' AND lease_until < $1 ORDER BY lease_until LIMIT $2 FOR UPDATE SKIP LOCKED`;
  const counted = limited
    ? `busy AS (SELECT user_id, count(*)::int AS n FROM executions WHERE status = 'running' AND lease_until >= $1 GROUP BY user_id),
  expired_all AS (${expiredAll}),
  expired AS (
    SELECT id, tid, user_id, lease_until FROM (
      SELECT x.id, x.tid, x.user_id, x.lease_until, row_number() OVER (PARTITION BY x.user_id ORDER BY x.lease_until, x.id) AS k FROM expired_all x
    ) r WHERE r.k <= $6::int - COALESCE((SELECT n FROM busy WHERE busy.user_id = r.user_id), 0)
  ),
  used AS (
    SELECT user_id, sum(n)::int AS n FROM (SELECT user_id, n FROM busy UNION ALL SELECT user_id, count(*)::int FROM expired GROUP BY user_id) u GROUP BY user_id
  ),`
    : `expired AS (${expiredAll}),`;
  const heldBack = limited
    ? `EXISTS (SELECT 1 FROM scanned WHERE free <= 0)
      OR EXISTS (SELECT 1 FROM users u WHERE u.free < (SELECT n FROM share) AND (SELECT count(*) FROM picked p WHERE p.pos = u.pos) >= u.free)
      OR (SELECT count(*) FROM expired_all) > (SELECT count(*) FROM expired)`
    : 'false';
  return `WITH RECURSIVE
  ${counted}
  room AS (SELECT $2::int - (SELECT count(*) FROM expired)::int AS n),
  later(user_id, pos, found) AS (
    SELECT s.u, 1, ${hasRoom} FROM (SELECT ${nextDueUser('$3', '$1')} AS u) s
    UNION ALL
    SELECT s.u, later.pos + 1, later.found + ${hasRoom}
    FROM later CROSS JOIN LATERAL (SELECT ${nextDueUser('later.user_id', '$1')} AS u) s
    WHERE later.user_id IS NOT NULL AND later.found < (SELECT n FROM room)
  ),
  earlier(user_id, pos, found) AS (
    SELECT s.u, 1, ${hasRoom} FROM (SELECT ${nextDueUser("''", '$1')} AS u) s
    UNION ALL
    SELECT s.u, earlier.pos + 1, earlier.found + ${hasRoom}
    FROM earlier CROSS JOIN LATERAL (SELECT ${nextDueUser('earlier.user_id', '$1')} AS u) s
    WHERE earlier.user_id IS NOT NULL AND earlier.user_id <= $3 AND earlier.found < (SELECT n FROM room)
  ),
  scanned AS (
    SELECT user_id, pos, ${roomOf('later.user_id')} AS free FROM later WHERE user_id IS NOT NULL
    UNION ALL
    SELECT user_id, 1000000 + pos, ${roomOf('earlier.user_id')} FROM earlier WHERE user_id IS NOT NULL AND user_id <= $3
  ),
  users AS (SELECT user_id, pos, free FROM scanned WHERE free > 0 ORDER BY pos LIMIT (SELECT n FROM room)),
  share AS (SELECT (SELECT n FROM room) - GREATEST(0, (SELECT count(*) FROM users)::int - 1) AS n),
  picked AS (
    SELECT e.id, e.tid, row_number() OVER (PARTITION BY u.user_id ORDER BY e.next_attempt_at, e.id) AS turn, u.pos
    FROM users u CROSS JOIN LATERAL (
      SELECT id, ctid AS tid, next_attempt_at FROM executions
      WHERE status = 'queued' AND user_id = u.user_id AND next_attempt_at <= $1
      ORDER BY next_attempt_at, id LIMIT LEAST((SELECT n FROM share), u.free) FOR UPDATE SKIP LOCKED
    ) e
  ),
  chosen AS (
    SELECT id, tid, 0::bigint AS turn, row_number() OVER (ORDER BY lease_until) AS pos FROM expired
    UNION ALL
    (SELECT id, tid, turn, pos FROM picked ORDER BY turn, pos LIMIT (SELECT n FROM room))
  ),
  claimed AS (
    UPDATE executions SET ${claimSet('$4', '$5', '$1')}
    WHERE executions.ctid = ANY (ARRAY(SELECT tid FROM chosen)) AND ${stillDue('$1')}
    RETURNING ${RETURNED}
  )
  SELECT claimed.*, chosen.turn, chosen.pos, held.back AS held_back
  FROM (SELECT ${heldBack} AS back) held
  LEFT JOIN (claimed JOIN chosen ON chosen.id = claimed.id) ON true`;
}
/** The claim's two statements, made once and prepared once per connection: their text is the same on every call. */
const CLAIM_POSTGRES = fixed(claimPostgres(false));
const CLAIM_POSTGRES_LIMITED = fixed(claimPostgres(true));

const RECORD_STEP = fixed(`INSERT INTO steps (execution_id, block_id, attempt, input, output, error, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (execution_id, block_id, attempt) DO UPDATE SET output = excluded.output, error = excluded.error, finished_at = excluded.finished_at`);
const SUCCEED = fixed(
  "UPDATE executions SET status = 'succeeded', finished_at = ?, lease_owner = NULL, lease_until = NULL, error = NULL WHERE id = ? AND lease_owner = ? AND status = 'running'",
);
/**
 * PostgreSQL: the successes of a batch of executions in one statement of fixed text (arrays):
 * their last steps, then each execution whose lease its owner still holds. Returns those ids.
 */
const SUCCEED_ALL_POSTGRES = fixed(`
  WITH step AS (
    INSERT INTO steps (execution_id, block_id, attempt, input, output, error, started_at, finished_at)
    SELECT * FROM unnest(?::text[], ?::text[], ?::int[], ?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[])
    ON CONFLICT (execution_id, block_id, attempt) DO UPDATE SET output = excluded.output, error = excluded.error, finished_at = excluded.finished_at
  ), done AS (
    UPDATE executions e SET status = 'succeeded', finished_at = x.finished_at, lease_owner = NULL, lease_until = NULL, error = NULL
    FROM unnest(?::text[], ?::text[], ?::bigint[]) AS x(id, owner, finished_at)
    WHERE e.id = x.id AND e.lease_owner = x.owner AND e.status = 'running'
    RETURNING e.id
  )
  SELECT id FROM done`);

/** Successes committing at once on PostgreSQL; those that come meanwhile wait and go together. */
const SUCCEED_CONCURRENCY = 2;

/** An execution's success, as `Executions.succeed` takes it. */
interface Success {
  executionId: string;
  owner: string;
  lastStep?: StepRecord;
  now: number;
}

/** A step's row, in RECORD_STEP's order. */
const stepRow = (executionId: string, step: StepRecord) => [
  executionId,
  step.blockId,
  step.attempt,
  JSON.stringify(step.input ?? null),
  step.output === undefined ? null : JSON.stringify(step.output),
  step.error ?? null,
  step.startedAt,
  step.finishedAt,
];

interface ClaimRow {
  /** The claim's order: 0 for an expired lease, then each user's first, second, … */
  turn: number | string;
  /** The user's place in this claim's round (for expired leases, the lease's). */
  pos: number | string;
  id: string;
  event_id: string;
  user_id: string;
  installation_id: string;
  workflow_id: string;
  version: number;
  attempts: number;
  attempt_base: number;
  has_steps: boolean | number;
}

export interface StepRecord {
  blockId: string;
  attempt: number;
  input: unknown;
  output?: unknown;
  error?: string;
  startedAt: number;
  finishedAt: number;
}

/** Where a re-run starts: at the block that failed (earlier outputs reused), or at the first block. */
export type RerunFrom = 'failed' | 'start';

/** Succeeded steps of an execution from its latest re-run from the start on (attempt order: the latest output last). */
const SUCCEEDED_STEPS = fixed(`SELECT block_id, output FROM steps
  WHERE execution_id = ? AND error IS NULL AND finished_at IS NOT NULL
    AND attempt >= COALESCE((SELECT MAX(attempt) FROM execution_reruns WHERE execution_id = ? AND mode = 'start'), 0)
  ORDER BY attempt`);

/**
 * Queues one failed execution again, in the caller's transaction, and records the re-run (the
 * attempt it starts at, `from`, and the replay that asked, if one did). Conditional on the status
 * being failed: of several processes requeueing the same execution at once, one does (PostgreSQL
 * takes the row's lock; the others then see it queued). `false` when it was not a failed
 * execution (of that workflow and user, when given).
 */
export async function requeueFailed(
  tx: SqlExecutor,
  execution: { executionId: string; workflowId?: string; userId?: string },
  from: RerunFrom,
  now: number,
  replayId: string | null = null,
): Promise<boolean> {
  const where = ['id = ?', "status = 'failed'"];
  const params: unknown[] = [now, execution.executionId];
  if (execution.workflowId !== undefined) (where.push('workflow_id = ?'), params.push(execution.workflowId));
  if (execution.userId !== undefined) (where.push('user_id = ?'), params.push(execution.userId));
  const row = await tx.get<{ attempts: number }>(
    `UPDATE executions SET status = 'queued', attempt_base = attempts, next_attempt_at = ?, finished_at = NULL, error = NULL
     WHERE ${where.join(' AND ')} RETURNING attempts`,
    params,
  );
  if (!row) return false;
  // The re-run's first claim takes the next attempt number (steps are keyed by it).
  await tx.run('INSERT INTO execution_reruns (execution_id, attempt, mode, replay_id, requested_at) VALUES (?, ?, ?, ?, ?)', [
    execution.executionId,
    Number(row.attempts) + 1,
    from,
    replayId,
    now,
  ]);
  return true;
}

/** The work queue: claiming with a lease, recording steps, finishing, retrying, failing. */
export class Executions {
  /** PostgreSQL: successes are group-committed (on SQLite, writes of a turn already share a commit). */
  private readonly successes?: GroupCommit<Success, boolean>;

  constructor(private readonly db: Db) {
    if (db.dialect === 'postgres') this.successes = new GroupCommit((batch) => this.succeedAll(batch), SUCCEED_CONCURRENCY);
  }

  /** Where the last claim's turn among users stopped: the next one starts after it, round-robin. */
  private lastUser = '';

  /**
   * Claims up to `limit` due executions for `owner` until `now + leaseMs`: running ones whose
   * lease ran out (their worker died) first, then queued ones whose time has come, users taking
   * turns: each claim serves the next users with due work after the previous claim's last (a
   * round robin over users), interleaving their oldest executions, so one busy user cannot starve
   * the others. No user gets more than `perUser` executions running at once, counting what every
   * process runs (USER_CONCURRENCY): a user at the limit is passed over, and the batch says so
   * (`heldBack`). Its cost follows `limit` and the users served, not the size of the backlog. On
   * PostgreSQL, SKIP LOCKED keeps claims that run at once off each other's rows, and with a
   * per-user limit they take turns (CLAIM_LOCK) so each counts the others'.
   */
  async claim(owner: string, limit: number, leaseMs: number, now = Date.now(), perUser = NO_USER_LIMIT): Promise<ClaimBatch> {
    const cap = Math.min(perUser, NO_USER_LIMIT);
    const { rows, heldBack } =
      this.db.dialect === 'postgres' ? await this.claimInOneStatement(owner, limit, leaseMs, now, cap) : await this.claimInSteps(owner, limit, leaseMs, now, cap);
    const served = rows.filter((r) => Number(r.turn) > 0);
    if (served.length > 0) this.lastUser = served.reduce((a, b) => (Number(b.pos) > Number(a.pos) ? b : a)).user_id;
    // Expired leases first (turn 0, oldest lease first), then every user's oldest, every user's second, …
    rows.sort((a, b) => Number(a.turn) - Number(b.turn) || Number(a.pos) - Number(b.pos));
    const inputs = await this.inputs(rows.map((r) => ({ userId: r.user_id, installationId: r.installation_id, eventId: r.event_id })));
    const batch: ClaimBatch = rows.map((r, i) => ({
      executionId: r.id,
      eventId: r.event_id,
      userId: r.user_id,
      installationId: r.installation_id,
      workflowId: r.workflow_id,
      version: Number(r.version),
      attempt: Number(r.attempts),
      attemptInRun: Number(r.attempts) - Number(r.attempt_base),
      hasSteps: Boolean(r.has_steps),
      inputs: inputs[i]!,
    }));
    // Not enumerable: the batch still compares, prints and spreads as the list of executions it is.
    return Object.defineProperty(batch, 'heldBack', { value: heldBack, enumerable: false });
  }

  /**
   * SQLite: one writer, statements in process, so the claim is a few cheap steps in one
   * transaction: the users' running counts, expired leases, the users with due work and room,
   * each one's oldest, then the update.
   */
  private claimInSteps(owner: string, limit: number, leaseMs: number, now: number, perUser: number): Promise<{ rows: ClaimRow[]; heldBack: boolean }> {
    return this.db.transaction(async (tx) => {
      const running = perUser < NO_USER_LIMIT ? await runningPerUser(tx, now) : new Map<string, number>();
      const room = (user: string) => perUser - (running.get(user) ?? 0);
      let heldBack = false;
      const expired = await tx.all<{ id: string; user_id: string }>(
        "SELECT id, user_id FROM executions WHERE status = 'running' AND lease_until < ? ORDER BY lease_until LIMIT ?",
        [now, limit],
      );
      const chosen = new Map<string, { turn: number; pos: number }>();
      for (const r of expired) {
        if (room(r.user_id) <= 0) {
          heldBack = true;
          continue;
        }
        chosen.set(r.id, { turn: 0, pos: chosen.size });
        running.set(r.user_id, (running.get(r.user_id) ?? 0) + 1);
      }
      if (chosen.size < limit) {
        const found = await this.usersWithDueWork(tx, limit - chosen.size, now, (user) => room(user) > 0);
        heldBack ||= found.heldBack;
        const users = found.users;
        // Every user found has at least one due execution, so no user can take more than this.
        const share = limit - chosen.size - Math.max(0, users.length - 1);
        const picked: { id: string; turn: number; pos: number }[] = [];
        for (const [pos, user] of users.entries()) {
          const own = await tx.all<{ id: string }>(
            "SELECT id FROM executions WHERE status = 'queued' AND user_id = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
            [user, now, Math.min(share, room(user))],
          );
          // Stopped by the limit rather than the claim's size: the user may have more waiting.
          if (room(user) < share && own.length === room(user)) heldBack = true;
          own.forEach((r, i) => picked.push({ id: r.id, turn: i + 1, pos: pos + 1 }));
        }
        picked.sort((a, b) => a.turn - b.turn || a.pos - b.pos);
        for (const p of picked.slice(0, limit - chosen.size)) chosen.set(p.id, p);
      }
      if (chosen.size === 0) return { rows: [], heldBack };
      const rows = await tx.all<ClaimRow>(
        `UPDATE executions SET ${claimSet()}
         WHERE ${stillDue()} AND id IN (${[...chosen.keys()].map(() => '?').join(',')})
         RETURNING ${RETURNED}`,
        [owner, now + leaseMs, now, now, now, ...chosen.keys()],
      );
      return { rows: rows.map((r) => ({ ...r, ...chosen.get(r.id)! })), heldBack };
    });
  }

  /**
   * PostgreSQL: the same claim as one statement, so it costs one round trip instead of six (with a
   * per-user limit, three more: the transaction and its lock), prepared once (see `claimPostgres`
   * for why its generic plan holds). SKIP LOCKED lets several workers claim at once without taking
   * the same row; the users are found by the same loose index scan, from after the previous
   * claim's last user, wrapping round to the start, passing over users at their limit (`found`
   * counts only those with room).
   */
  private async claimInOneStatement(owner: string, limit: number, leaseMs: number, now: number, perUser: number): Promise<{ rows: ClaimRow[]; heldBack: boolean }> {
    const params = [now, limit, this.lastUser, owner, now + leaseMs];
    const rows =
      perUser < NO_USER_LIMIT
        ? await this.db.transaction(async (tx) => {
            await tx.get(`SELECT pg_advisory_xact_lock(${CLAIM_LOCK})`);
            return tx.all<ClaimRow & { held_back: boolean }>(CLAIM_POSTGRES_LIMITED, [...params, perUser]);
          })
        : await this.db.all<ClaimRow & { held_back: boolean }>(CLAIM_POSTGRES, params);
    // One row even when nothing was claimed: it carries `held_back`, and no execution.
    return { rows: rows.filter((r) => r.id !== null), heldBack: Boolean(rows[0]?.held_back) };
  }

  /**
   * Up to `limit` users with queued executions that are due and with room (`hasRoom`), in user id
   * order starting after the previous claim's last user and wrapping around; `heldBack` when it
   * passed over a user without room. Each step is one index seek (a "loose index scan" over
   * executions_queue), not a read of the backlog.
   */
  private async usersWithDueWork(tx: SqlExecutor, limit: number, now: number, hasRoom: (user: string) => boolean): Promise<{ users: string[]; heldBack: boolean }> {
    const scan = (after: string, max: number) =>
      tx.all<{ user_id: string }>(
        `WITH RECURSIVE due(user_id, n) AS (
           SELECT ${nextDueUser('?')}, 1
           UNION ALL
           SELECT ${nextDueUser('due.user_id')}, n + 1
           FROM due WHERE due.user_id IS NOT NULL AND n < ?
         ) SELECT user_id FROM due WHERE user_id IS NOT NULL`,
        [after, now, now, max],
      );
    const users: string[] = [];
    let heldBack = false;
    // After the last claim's last user to the end, then from the start up to it.
    const passes: { after: string; upTo?: string }[] = [{ after: this.lastUser }];
    if (this.lastUser !== '') passes.push({ after: '', upTo: this.lastUser });
    for (const pass of passes) {
      let after = pass.after;
      scanning: while (users.length < limit) {
        const wanted = limit - users.length;
        const found = await scan(after, wanted);
        for (const { user_id } of found) {
          if (pass.upTo !== undefined && user_id > pass.upTo) break scanning;
          if (hasRoom(user_id)) users.push(user_id);
          else heldBack = true;
          after = user_id;
        }
        if (found.length < wanted) break;
      }
    }
    return { users, heldBack };
  }

  /**
   * Outputs of the blocks that succeeded in an earlier attempt the run may reuse: a retry or a
   * re-run skips them. Only attempts from the latest re-run `from: 'start'` on count (that re-run
   * runs every block again); where a block succeeded more than once, its latest output.
   */
  async succeededSteps(executionId: string): Promise<Map<string, unknown>> {
    const rows = await this.db.all<{ block_id: string; output: string | null }>(SUCCEEDED_STEPS, [executionId, executionId]);
    return new Map(rows.map((r) => [r.block_id, r.output === null ? null : (JSON.parse(r.output) as unknown)]));
  }

  async recordStep(executionId: string, step: StepRecord): Promise<void> {
    await this.db.run(RECORD_STEP, stepRow(executionId, step));
  }

  /**
   * Records the last block's step (if any) and marks the execution done, as `recordStep` then the
   * update would, but sharing round trips and commits. On PostgreSQL, the successes that come
   * together are one statement (group commit): the step and the update are written or refused
   * together. On SQLite the two writes are issued together and share the turn's commit, but each
   * statement fails alone: an update the store refuses leaves the step recorded, and the retry
   * that follows skips the delivery that step says succeeded. `false` if this owner no longer
   * holds the execution (its lease ran out).
   */
  async succeed(executionId: string, owner: string, lastStep?: StepRecord, now = Date.now()): Promise<boolean> {
    if (this.successes) return this.successes.submit({ executionId, owner, lastStep, now });
    if (!lastStep) return (await this.db.run(SUCCEED, [now, executionId, owner])).changes > 0;
    const [, r] = await Promise.all([this.db.run(RECORD_STEP, stepRow(executionId, lastStep)), this.db.run(SUCCEED, [now, executionId, owner])]);
    return r.changes > 0;
  }

  private async succeedAll(batch: Success[]): Promise<boolean[]> {
    const steps = columns(
      batch.flatMap((s) => (s.lastStep ? [stepRow(s.executionId, s.lastStep)] : [])),
      8,
    );
    const rows = await this.db.all<{ id: string }>(SUCCEED_ALL_POSTGRES, [...steps, batch.map((s) => s.executionId), batch.map((s) => s.owner), batch.map((s) => s.now)]);
    const done = new Set(rows.map((r) => r.id));
    return batch.map((s) => done.has(s.executionId));
  }

  /** Puts the execution back in the queue for another attempt at `at`. */
  async retryAt(executionId: string, owner: string, at: number, error: string): Promise<boolean> {
    const r = await this.db.run(
      fixed(
        "UPDATE executions SET status = 'queued', next_attempt_at = ?, error = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'running'",
      ),
      [at, error, executionId, owner],
    );
    return r.changes > 0;
  }

  /**
   * Gives the execution back to the queue until `until` without counting the attempt: it waited
   * for a throttle's turn or a held connection (server/engine/throttle.ts), which is no failure.
   * Its steps so far are kept (the next claim takes the same attempt number and reuses them, as a
   * retry does), its error is left as it was. `false` if this owner no longer holds it.
   */
  async defer(executionId: string, owner: string, until: number): Promise<boolean> {
    const r = await this.db.run(
      fixed(
        "UPDATE executions SET status = 'queued', attempts = attempts - 1, next_attempt_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'running'",
      ),
      [until, executionId, owner],
    );
    return r.changes > 0;
  }

  /**
   * Fails the execution for good and writes its error log entry, in one transaction; with
   * `notice`, the entry's error webhook notice is due at once (store.logs.claimErrorNotices).
   * `then` runs in that transaction once it failed (the `execution.failed` lifecycle message).
   */
  async fail(
    execution: { executionId: string; userId: string; workflowId: string },
    owner: string,
    error: { block: string | null; message: string },
    now = Date.now(),
    notice = false,
    then?: (tx: SqlExecutor) => Promise<unknown>,
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const r = await tx.run(
        "UPDATE executions SET status = 'failed', finished_at = ?, error = ?, lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'running'",
        [now, error.message, execution.executionId, owner],
      );
      if (r.changes === 0) return false;
      await tx.run('INSERT INTO errors (id, execution_id, user_id, workflow_id, block, message, occurred_at, notice_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
        newId(),
        execution.executionId,
        execution.userId,
        execution.workflowId,
        error.block,
        error.message,
        now,
        notice ? now : null,
      ]);
      await then?.(tx);
      return true;
    });
  }

  /**
   * Ends the execution as `skipped`: a filter's condition was false (its step, recorded, says why).
   * Not an error: no error log entry, no notice. `false` if this owner no longer holds it.
   */
  async skip(executionId: string, owner: string, now = Date.now()): Promise<boolean> {
    const r = await this.db.run(
      fixed(
        "UPDATE executions SET status = 'skipped', finished_at = ?, lease_owner = NULL, lease_until = NULL, error = NULL WHERE id = ? AND lease_owner = ? AND status = 'running'",
      ),
      [now, executionId, owner],
    );
    return r.changes > 0;
  }

  /** Keeps an owner's running executions leased (its heartbeat). */
  async extendLease(owner: string, until: number): Promise<void> {
    await this.db.run("UPDATE executions SET lease_until = ? WHERE lease_owner = ? AND status = 'running'", [until, owner]);
  }

  /** Gives back what an owner still holds (graceful shutdown): queued again, attempt not counted. */
  async release(owner: string): Promise<number> {
    return (
      await this.db.run("UPDATE executions SET status = 'queued', attempts = attempts - 1, lease_owner = NULL, lease_until = NULL WHERE lease_owner = ? AND status = 'running'", [
        owner,
      ])
    ).changes;
  }

  /**
   * Queues a failed execution again (a re-run) with its original event, the retry limit afresh.
   * `from: 'failed'` (the default): blocks that succeeded keep their outputs and are not called
   * again; `'start'`: every block runs again. `false` unless it was a failed execution of
   * `workflowId` (and of `userId`, when given).
   */
  async requeue(userId: string | undefined, executionId: string, workflowId: string, options: { from?: RerunFrom; now?: number } = {}): Promise<boolean> {
    return this.db.transaction((tx) => requeueFailed(tx, { executionId, workflowId, userId }, options.from ?? 'failed', options.now ?? Date.now()));
  }

  /**
   * The queue for /metrics: how many executions are queued (due or waiting for a retry), and the
   * earliest time one of the due ones became due (null when none is). One scan of executions_queue,
   * the partial index of queued rows only.
   */
  async queueStats(now: number): Promise<{ depth: number; oldestDueAt: number | null }> {
    const row = await this.db.get<{ depth: number | string; oldest: number | string | null }>(
      fixed("SELECT COUNT(*) AS depth, MIN(CASE WHEN next_attempt_at <= ? THEN next_attempt_at END) AS oldest FROM executions WHERE status = 'queued'"),
      [now],
    );
    return { depth: Number(row?.depth ?? 0), oldestDueAt: row?.oldest == null ? null : Number(row.oldest) };
  }

  async status(executionId: string): Promise<string | undefined> {
    return (await this.db.get<{ status: string }>('SELECT status FROM executions WHERE id = ?', [executionId]))?.status;
  }

  /**
   * What each execution reads before it runs, in one query for all of them: its installation
   * (undefined if it was removed), and its event with the user's username (undefined if either was
   * deleted).
   */
  async inputs(executions: Pick<ClaimedExecution, 'userId' | 'installationId' | 'eventId'>[]): Promise<ExecutionInputs[]> {
    if (executions.length === 0) return [];
    const [sql, params] =
      this.db.dialect === 'postgres'
        ? [INPUTS_POSTGRES, [executions.map((e) => e.userId), executions.map((e) => e.installationId), executions.map((e) => e.eventId)]]
        : [inputsSql(`VALUES ${executions.map(() => '(?, ?, ?, ?)').join(', ')}`), executions.flatMap((e, n) => [n, e.userId, e.installationId, e.eventId])];
    const rows = await this.db.all<
      InstallationRow & { n: number | string; has_installation: number | boolean; event_name: string | null; event_data: string | null; username: string | null }
    >(sql, params);
    const out: ExecutionInputs[] = executions.map(() => ({}));
    for (const row of rows) {
      out[Number(row.n)] = {
        installation: row.has_installation ? toInstallation(row) : undefined,
        event:
          row.event_name != null && row.username != null
            ? { name: row.event_name, data: row.event_data === null ? null : (JSON.parse(row.event_data) as unknown), username: row.username }
            : undefined,
      };
    }
    return out;
  }
}

/** The inputs of the executions `x(n, user_id, installation_id, event_id)` that `list` gives, `n` its place in the caller's list. */
const inputsSql = (list: string) =>
  `WITH x(n, user_id, installation_id, event_id) AS (${list})
   SELECT x.n, ${columnsOf('i')}, i.id IS NOT NULL AS has_installation,
     e.name AS event_name, e.data AS event_data, u.username
   FROM x
   LEFT JOIN installations i ON i.user_id = x.user_id AND i.id = x.installation_id
   LEFT JOIN events e ON e.id = x.event_id
   LEFT JOIN users u ON u.id = e.user_id`;
/**
 * PostgreSQL: the same, one text whatever the number of executions (arrays, numbered from 0 as the
 * SQLite list is), each row looked up by its key (LATERAL, kept apart by OFFSET 0). As plain joins,
 * a plan made while the tables were small (a new store, statistics not yet gathered) read the whole
 * events table by hash join on every claim, slower as it grew.
 */
const INPUTS_POSTGRES = fixed(`
  SELECT x.n - 1 AS n, ${columnsOf('i')}, i.id IS NOT NULL AS has_installation,
    e.name AS event_name, e.data AS event_data, e.username
  FROM unnest(?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS x(user_id, installation_id, event_id, n)
  LEFT JOIN LATERAL (SELECT ${INSTALLATION_COLUMNS} FROM installations WHERE installations.id = x.installation_id AND installations.user_id = x.user_id OFFSET 0) i ON true
  LEFT JOIN LATERAL (SELECT events.name, events.data, users.username FROM events JOIN users ON users.id = events.user_id WHERE events.id = x.event_id OFFSET 0) e ON true`);
