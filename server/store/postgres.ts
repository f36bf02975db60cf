import pg from 'pg';
import type { Db, SqlExecutor } from './db';

// BIGINT columns hold epoch milliseconds, well inside Number's exact range.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** Rewrites `?` placeholders to PostgreSQL's `$1, $2…` (our SQL never has a literal `?`). */
const rewritten = new Map<string, string>();
function toPg(sql: string): string {
  let out = rewritten.get(sql);
  if (out === undefined) {
    let n = 0;
    out = sql.replace(/\?/g, () => `$${++n}`);
    rewritten.set(sql, out);
  }
  return out;
}

function executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    all: async <T>(sql: string, params: readonly unknown[] = []) =>
      (await client.query(toPg(sql), params as unknown[])).rows as T[],
    get: async <T>(sql: string, params: readonly unknown[] = []) =>
      (await client.query(toPg(sql), params as unknown[])).rows[0] as T | undefined,
    run: async (sql: string, params: readonly unknown[] = []) => ({
      changes: (await client.query(toPg(sql), params as unknown[])).rowCount ?? 0,
    }),
  };
}

/** PostgreSQL through a `pg` pool; several server and worker processes share one database. */
export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly direct: SqlExecutor;

  constructor(connectionString: string, options: { schema?: string; max?: number } = {}) {
    this.pool = new pg.Pool({
      connectionString,
      max: options.max ?? 10,
      types,
      options: options.schema ? `-c search_path=${options.schema}` : undefined,
    });
    // An idle client losing its connection (server restart) must not crash the process;
    // the next query gets a fresh connection or a 503.
    this.pool.on('error', (err) => console.warn(`postgres: idle connection lost (${err.message})`));
    this.direct = executor(this.pool);
  }

  all<T>(sql: string, params?: readonly unknown[]) {
    return this.direct.all<T>(sql, params);
  }
  get<T>(sql: string, params?: readonly unknown[]) {
    return this.direct.get<T>(sql, params);
  }
  run(sql: string, params?: readonly unknown[]) {
    return this.direct.run(sql, params);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const value = await fn(executor(client));
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async exec(script: string): Promise<void> {
    await this.pool.query(script);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
