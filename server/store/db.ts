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
  /** PostgreSQL: this process's connection pool now (the /metrics gauges); absent on SQLite, one connection. */
  poolStats?(): { inUse: number; size: number; waiting: number };
  /** Runs a script of several statements (migrations). */
  exec(script: string): Promise<void>;
  close(): Promise<void>;
}

const fixedTexts = new Set<string>();

/**
 * Marks SQL run often whose text is one of a bounded set (no list of `?` that grows with the
 * input), so that PostgreSQL prepares it once per connection, with one generic plan, instead of
 * parsing and planning it at every call. Only for statements whose best plan does not depend on
 * their values (by key lookups, inserts, updates by id), and never with `SELECT *` or
 * `RETURNING *` (a prepared statement fails once a migration adds a column). Returns the text
 * unchanged. (SQLite caches every statement by text anyway.)
 */
export function fixed(sql: string): string {
  fixedTexts.add(sql);
  return sql;
}

export const isFixed = (sql: string): boolean => fixedTexts.has(sql);

/**
 * The largest value of an INTEGER column on both stores (PostgreSQL's is 32-bit; SQLite's would
 * take more). A number from a request or a definition compared with or written to one is checked
 * against it first: past it PostgreSQL fails the statement.
 */
export const SQL_INTEGER_MAX = 2_147_483_647;

/** The first `width` columns of the rows, one array per column: PostgreSQL's `unnest` of a batch. */
export function columns(rows: unknown[][], width: number): unknown[][] {
  const out: unknown[][] = Array.from({ length: width }, () => []);
  for (const row of rows) for (let c = 0; c < width; c++) out[c]!.push(row[c]);
  return out;
}
