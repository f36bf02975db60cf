/**
 * The one seam between the store and a database: SQL with `?` placeholders, rows as plain
 * objects, and transactions. SQLite (embedded default) and PostgreSQL (scale-out) implement it;
 * everything above it is written once.
 */
export interface SqlExecutor {
  all<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  run(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
}

export interface Db extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Calls `listener` whenever any process sharing this store commits new executions (PostgreSQL
   * LISTEN/NOTIFY), so scaled-out workers start at once instead of at their next poll. Absent on
   * SQLite: one process, woken directly. Returns the unsubscribe.
   */
  onNewWork?(listener: () => void): () => void;
  /** Runs a script of several statements (migrations). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}
