import { fixed, type Db } from './db';

/** Who takes a turn: one step of one execution (a forEach item's step is a step of its own). */
export interface TurnHolder {
  executionId: string;
  stepId: string;
}

/**
 * The statements, for one dialect. Times are epoch milliseconds of the time each statement runs
 * (`now`): PostgreSQL's clock, read in the statement, so a turn is measured from when it was
 * taken, not from before the wait for a pooled connection, and processes on several machines
 * share one clock; SQLite runs in process, where that is Date.now(). Answers are durations from
 * that moment, so callers never compare their clock with the store's. A `now` given (tests) is
 * used instead.
 */
function statements(dialect: Db['dialect']) {
  const pg = dialect === 'postgres';
  /** Now, from its one parameter (null on PostgreSQL: the statement's clock). */
  const now = pg ? 'COALESCE(?::bigint, (extract(epoch from clock_timestamp()) * 1000)::bigint)' : '?';
  return {
    /**
     * Takes the next turn: `free_at` (when the next call may start) moves on by `everyMs` from
     * itself, or from now when that is past. One statement, atomic in both databases (the row's lock
     * on PostgreSQL), so of several processes taking turns at once each gets its own. Answers the
     * turn (`at`) and the statement's `now`. Parameters: now, key, everyMs ×3 (SQLite: key, now, everyMs, now, everyMs, everyMs, now).
     */
    takeTurn: fixed(
      pg
        ? `WITH t AS (SELECT ${now} AS now)
           INSERT INTO throttles (throttle_key, free_at) SELECT ?, t.now + ?::bigint FROM t
           ON CONFLICT (throttle_key) DO UPDATE SET free_at = GREATEST(throttles.free_at, (SELECT now FROM t)) + ?::bigint
           RETURNING free_at - ?::bigint AS at, (SELECT now FROM t) AS now`
        : `INSERT INTO throttles (throttle_key, free_at) VALUES (?, ? + ?)
           ON CONFLICT (throttle_key) DO UPDATE SET free_at = MAX(throttles.free_at, ?) + ?
           RETURNING free_at - ? AS at, ? AS now`,
    ),
    /** Holds a key for a while from now, never shortening a longer hold. Parameters: key, now, forMs. */
    hold: fixed(`INSERT INTO throttles (throttle_key, free_at) VALUES (?, ${now} + ?)
      ON CONFLICT (throttle_key) DO UPDATE SET free_at = excluded.free_at WHERE throttles.free_at < excluded.free_at`),
    /** How long a key is still held (negative: it is not). Parameters: now, key. */
    heldFor: fixed(`SELECT free_at - ${now} AS held_ms FROM throttles WHERE throttle_key = ?`),
    /** A holder's reserved turn and the wait for it. Parameters: now, execution, step, key. */
    reserved: fixed(`SELECT slot_at AS at, slot_at - ${now} AS wait FROM throttle_reservations WHERE execution_id = ? AND step_id = ? AND throttle_key = ?`),
    unreserve: fixed('DELETE FROM throttle_reservations WHERE execution_id = ? AND step_id = ?'),
    reserve: fixed(`INSERT INTO throttle_reservations (execution_id, step_id, throttle_key, slot_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (execution_id, step_id) DO UPDATE SET throttle_key = excluded.throttle_key, slot_at = excluded.slot_at`),
  };
}

/**
 * Throttles and holds shared by every process on the store (server/engine/throttle.ts decides
 * what to do with them): per key, the time from which it is free.
 */
export class Throttles {
  private readonly sql: ReturnType<typeof statements>;

  constructor(private readonly db: Db) {
    this.sql = statements(db.dialect);
  }

  /**
   * Deletes the keys free since before `cutoff`: a turn or hold in the past changes nothing (a turn
   * is taken from now), so only the rows of channels and accounts not used lately go. Answers how many.
   */
  async deleteFreeBefore(cutoff: number): Promise<number> {
    return (await this.db.run('DELETE FROM throttles WHERE free_at < ?', [cutoff])).changes;
  }

  /** The `now` parameter: given (tests), else SQLite's Date.now() or PostgreSQL's own clock (null). */
  private now(given: number | undefined): number | null {
    return given ?? (this.db.dialect === 'postgres' ? null : Date.now());
  }

  /**
   * Milliseconds until `holder`'s turn of the throttle `key` (one call every `everyMs`): 0 or less
   * is now. A turn more than `soonMs` away is reserved for the holder, so that when it comes back
   * for it (having given its worker slot back meanwhile) it gets the same turn instead of taking
   * another at the end of the line. A holder back after its reserved turn has passed lost it (the
   * next turn may be in use: calling now would be too close to it) and takes a new one.
   */
  async takeTurn(key: string, everyMs: number, holder: TurnHolder, soonMs: number, now?: number): Promise<number> {
    const reserved = await this.db.get<{ wait: number | string }>(this.sql.reserved, [this.now(now), holder.executionId, holder.stepId, key]);
    if (reserved) {
      const wait = Number(reserved.wait);
      if (wait > soonMs) return wait;
      await this.db.run(this.sql.unreserve, [holder.executionId, holder.stepId]);
      if (wait >= 0) return wait;
    }
    const t = this.now(now);
    const params = this.db.dialect === 'postgres' ? [t, key, everyMs, everyMs, everyMs] : [key, t, everyMs, t, everyMs, everyMs, t];
    const row = (await this.db.get<{ at: number | string; now: number | string }>(this.sql.takeTurn, params))!;
    const wait = Number(row.at) - Number(row.now);
    if (wait > soonMs) await this.db.run(this.sql.reserve, [holder.executionId, holder.stepId, key, Number(row.at)]);
    return wait;
  }

  /** Holds `key` for `forMs` from now (a 429's Retry-After), or longer if it already was. */
  async hold(key: string, forMs: number, now?: number): Promise<void> {
    await this.db.run(this.sql.hold, [key, this.now(now), forMs]);
  }

  /** Milliseconds `key` is still held, if it is. */
  async heldFor(key: string, now?: number): Promise<number | undefined> {
    const row = await this.db.get<{ held_ms: number | string }>(this.sql.heldFor, [this.now(now), key]);
    const left = row === undefined ? 0 : Number(row.held_ms);
    return left > 0 ? left : undefined;
  }
}
