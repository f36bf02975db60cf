import type { Db } from '../../server/store/db';

/** The message of the error a refused write fails with. */
export const REFUSED = 'refused by the test';

/** A write a trigger can refuse: INSERT (OLD is not there) or UPDATE. */
export type Write = 'INSERT' | 'UPDATE';

export interface Refusal {
  /** How many writes the database refused so far (until `lift`). */
  count(): Promise<number>;
  /** Lets such writes through again; calling it again does nothing. */
  lift(): Promise<void>;
}

let made = 0;
/** A trigger's name no other in this process or another test file uses (each PostgreSQL test server also has a schema of its own). */
const uniqueName = (what: string, table: string) => `${what}_${table}_${process.pid}_${++made}`;

/**
 * Makes the database refuse the `write`s of `table` whose rows match `when` (an SQL condition over
 * NEW, and OLD for an UPDATE, read alike by SQLite and PostgreSQL): the next `times` of them, or
 * every one until lifted. A trigger fails the statement with REFUSED, as a database refuses a value
 * it cannot hold: an ordinary error, not an outage. The refused row is left as it was (on SQLite,
 * rows the same statement wrote before it are kept: refuse writes of one row).
 * @example const refusal = await refuseWrites(db, 'UPDATE', 'executions', "NEW.status = 'succeeded'", { times: 1 })
 */
export async function refuseWrites(db: Db, write: Write, table: string, when: string, options: { times?: number } = {}): Promise<Refusal> {
  const name = uniqueName('refuse', table);
  const times = options.times ?? Number.MAX_SAFE_INTEGER;
  let lifted = false;
  if (db.dialect === 'sqlite') {
    // RAISE(FAIL) keeps what the statement did before it, the count included; ABORT would undo it.
    await db.exec(`
      CREATE TABLE ${name}_count (n INTEGER NOT NULL);
      INSERT INTO ${name}_count VALUES (0);
      CREATE TRIGGER ${name} BEFORE ${write} ON ${table} FOR EACH ROW WHEN (${when}) AND (SELECT n FROM ${name}_count) < ${times}
      BEGIN
        UPDATE ${name}_count SET n = n + 1;
        SELECT RAISE(FAIL, '${REFUSED}');
      END;`);
    return {
      count: async () => Number((await db.get<{ n: number }>(`SELECT n FROM ${name}_count`))!.n),
      async lift() {
        if (lifted) return;
        lifted = true;
        await db.exec(`DROP TRIGGER ${name}; DROP TABLE ${name}_count;`);
      },
    };
  }
  // A sequence counts outside the transaction, which the exception rolls back.
  await db.exec(`
    CREATE SEQUENCE ${name}_count;
    CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF nextval('${name}_count') <= ${times} THEN RAISE EXCEPTION '${REFUSED}'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER ${name} BEFORE ${write} ON ${table} FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION ${name}();`);
  return {
    async count() {
      const row = await db.get<{ n: number }>(`SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM ${name}_count`);
      return Math.min(Number(row!.n), times);
    },
    async lift() {
      if (lifted) return;
      lifted = true;
      await db.exec(`DROP TRIGGER ${name} ON ${table}; DROP FUNCTION ${name}(); DROP SEQUENCE ${name}_count;`);
    },
  };
}

/**
 * Takes writes away from the store, for real, until `restore()`, as an outage does to each store:
 * on PostgreSQL, every `write` of `table` matching `when` kills the backend that runs it
 * (pg_terminate_backend), so the query fails as in a restart (57P01, its connection gone); SQLite's
 * one connection cannot be cut off a table at a time, so it turns read-only (query_only) and
 * every write fails with SQLITE_READONLY, as on a disk remounted read-only. Reads go on.
 */
export async function cutOffWrites(db: Db, write: Write, table: string, when: string): Promise<{ restore(): Promise<void> }> {
  let restored = false;
  if (db.dialect === 'sqlite') {
    await db.exec('PRAGMA query_only = ON');
    return {
      async restore() {
        if (restored) return;
        restored = true;
        await db.exec('PRAGMA query_only = OFF');
      },
    };
  }
  const name = uniqueName('cut_off', table);
  await db.exec(`
    CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_terminate_backend(pg_backend_pid());
      RETURN NEW;
    END $$;
    CREATE TRIGGER ${name} BEFORE ${write} ON ${table} FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION ${name}();`);
  return {
    async restore() {
      if (restored) return;
      restored = true;
      await db.exec(`DROP TRIGGER ${name} ON ${table}; DROP FUNCTION ${name}();`);
    },
  };
}
