import type { Db, SqlExecutor } from '../../server/store/db';

export interface RecordedStatement {
  sql: string;
  params: readonly unknown[];
  /** The rows a `run` changed. */
  changes?: number;
}

/**
 * `db` as the store's repositories take it (server/store/db.ts, the seam between the store and a
 * database), recording each statement run through it, in transactions too, with what `run`
 * changed. Nothing is stubbed: a repository made on it runs its own SQL on the real database, and
 * the test reads which statements that took.
 * @example const recorded = recordingDb(store.db); await new Logs(recorded.db).deleteOlderThan(cutoff)
 */
export function recordingDb(db: Db): { db: Db; statements: RecordedStatement[] } {
  const statements: RecordedStatement[] = [];
  const recording = (executor: SqlExecutor): SqlExecutor => ({
    all: <T>(sql: string, params: readonly unknown[] = []) => (statements.push({ sql, params }), executor.all<T>(sql, params)),
    get: <T>(sql: string, params: readonly unknown[] = []) => (statements.push({ sql, params }), executor.get<T>(sql, params)),
    run: async (sql: string, params: readonly unknown[] = []) => {
      const statement: RecordedStatement = { sql, params };
      statements.push(statement);
      const result = await executor.run(sql, params);
      statement.changes = result.changes;
      return result;
    },
  });
  return {
    statements,
    db: {
      ...recording(db),
      dialect: db.dialect,
      transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) => db.transaction((tx) => fn(recording(tx))),
      exec: (script) => (statements.push({ sql: script, params: [] }), db.exec(script)),
      close: () => db.close(),
    },
  };
}
