import pg from 'pg';
import { isFixed, type Db, type SqlExecutor } from './db';
import { storeError } from '../observability/metrics';
import { logger } from '../observability/log';

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

// Socket errors and SQLSTATEs that say the database cannot be reached right now (stopped,
// restarting, out of connections, network cut), as opposed to a query it refused.
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01' /* admin_shutdown */,
  '57P02' /* crash_shutdown */,
  '57P03' /* cannot_connect_now */,
  '53300' /* too_many_connections */,
]);
// What pg and pg-pool throw, without a code, when a connection drops, times out or cannot be made.
const UNREACHABLE_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|timeout expired|Query read timeout|Client has encountered a connection error|Client was closed)/;

/** Whether `err` (or its cause) says the database is unreachable, rather than that the SQL failed. */
export function isConnectionError(err: unknown): boolean {
  let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && typeof e === 'object' && depth < 4; depth++, e = e.cause as typeof e) {
    if (typeof e.code === 'string' && (UNREACHABLE_CODES.has(e.code) || e.code.startsWith('08')) /* connection_exception */) return true;
    if (typeof e.message === 'string' && UNREACHABLE_MESSAGES.test(e.message)) return true;
  }
  return false;
}

/**
 * SQLSTATE classes of a database that is reachable but cannot do the work now: 53 insufficient
 * resources (disk full, out of memory, a resource limit), 58 system error (an I/O error).
 */
const OUT_OF_RESOURCES = /^5[38][0-9A-Z]{3}$/;

/**
 * Tags a connection error, or a database out of resources, with `storeUnavailable`, so the API
 * answers it with a 503 and Retry-After (server/errors.ts) and the worker waits instead of logging
 * every poll.
 */
function tagged(err: unknown): unknown {
  if (!err || typeof err !== 'object') return err;
  const code = (err as { code?: unknown }).code;
  if (isConnectionError(err) || (typeof code === 'string' && OUT_OF_RESOURCES.test(code))) (err as { storeUnavailable?: boolean }).storeUnavailable = true;
  return err;
}

/** Names of the prepared statements of `fixed` texts, the same on every connection. */
const names = new Map<string, string>();
function nameOf(sql: string): string {
  let name = names.get(sql);
  if (name === undefined) names.set(sql, (name = `alloy_${names.size + 1}`));
  return name;
}

async function query(client: pg.Pool | pg.PoolClient, sql: string, params: readonly unknown[]) {
  try {
    // A fixed text is parsed once per connection (and its plan cached by PostgreSQL); others each time.
    if (isFixed(sql)) return await client.query({ name: nameOf(sql), text: toPg(sql), values: params as unknown[] });
    return await client.query(toPg(sql), params as unknown[]);
  } catch (err) {
    throw storeError(tagged(err));
  }
}

function executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
  return {
    all: async <T>(sql: string, params: readonly unknown[] = []) => (await query(client, sql, params)).rows as T[],
    get: async <T>(sql: string, params: readonly unknown[] = []) => (await query(client, sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params: readonly unknown[] = []) => ({ changes: (await query(client, sql, params)).rowCount ?? 0 }),
  };
}

/** The NOTIFY channel of new executions: one per schema, as several stores may share a database. */
export const WORK_CHANNEL = "'alloy_work_' || current_schema()";

/** PostgreSQL through a `pg` pool; several server and worker processes share one database. */
export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly direct: SqlExecutor;

  private lostLogged = 0;
  private readonly connection: pg.ClientConfig;
  private readonly workListeners = new Set<() => void>();
  private listener?: pg.Client;
  private closed = false;

  /**
   * `connectTimeoutMs` bounds the wait for a connection (a new one, or a free one of the pool),
   * `queryTimeoutMs` the wait for a query's answer, so a request never hangs on a database that
   * stopped answering: it fails, and the API answers 503.
   */
  constructor(connectionString: string, options: { schema?: string; max?: number; connectTimeoutMs?: number; queryTimeoutMs?: number } = {}) {
    this.connection = {
      connectionString,
      types,
      options: options.schema ? `-c search_path=${options.schema}` : undefined,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      query_timeout: options.queryTimeoutMs ?? 30_000,
      keepAlive: true,
    };
    this.pool = new pg.Pool({
      ...this.connection,
      max: options.max ?? 10,
      // The `fixed` statements are lookups by key and inserts: one generic plan, made once per
      // connection, serves every call (left to choose, PostgreSQL plans `= ANY(?)` anew each time).
      // Set on each new connection before its first query (the pool waits for this hook), not in
      // the connection's options, which a DATABASE_URL with `?options=` replaces.
      onConnect: async (client) => {
        await client.query('SET plan_cache_mode = force_generic_plan').catch(() => undefined);
      },
    });
    // An idle client losing its connection (server restart) must not crash the process; the
    // next query gets a fresh connection or a 503. A restart drops every idle connection at once:
    // one line says so, not one per connection.
    this.pool.on('error', (err) => {
      const now = Date.now();
      if (now - this.lostLogged > 10_000) {
        this.lostLogged = now;
        logger.warn(`postgres: connection lost (${err.message}); queries get a new one when the database answers again`);
      }
    });
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
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw storeError(tagged(err));
    }
    // A checked-out client whose connection drops emits 'error': unheard, that would crash the
    // process. The query in flight fails with it anyway; keep it to drop the client on release.
    let lost: Error | undefined;
    const onError = (err: Error) => {
      lost = err;
    };
    client.on('error', onError);
    const tx = executor(client);
    try {
      await tx.run('BEGIN');
      const value = await fn(tx);
      await tx.run('COMMIT');
      return value;
    } catch (err) {
      // On a dead or stuck connection a ROLLBACK would only wait; dropping the connection rolls back.
      if (!lost && !isConnectionError(err)) {
        await client.query('ROLLBACK').catch((e: Error) => {
          lost = e;
        });
      } else lost ??= err as Error;
      throw err;
    } finally {
      client.off('error', onError);
      // Released with an error, the pool closes the connection instead of reusing it.
      client.release(lost);
    }
  }

  onNewWork(listener: () => void): () => void {
    this.workListeners.add(listener);
    if (!this.listener) void this.listen();
    return () => this.workListeners.delete(listener);
  }

  /**
   * One connection of its own LISTENs on the schema's channel (server/store/events.ts notifies it
   * in the commit that queues executions). If it drops, it connects again; until then the
   * workers' polling still finds the work.
   */
  private async listen(delayMs = 0): Promise<void> {
    if (this.closed) return;
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs).unref());
    if (this.closed) return;
    const client = new pg.Client(this.connection);
    this.listener = client;
    const retry = () => {
      if (this.listener !== client) return;
      this.listener = undefined;
      void client.end().catch(() => undefined);
      if (!this.closed && this.workListeners.size > 0) void this.listen(Math.min(5000, Math.max(500, delayMs * 2)));
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', () => {
      for (const listener of this.workListeners) listener();
    });
    try {
      await client.connect();
      const { rows } = await client.query<{ channel: string }>(`SELECT ${WORK_CHANNEL} AS channel`);
      await client.query(`LISTEN "${rows[0]!.channel.replaceAll('"', '""')}"`);
    } catch {
      retry();
    }
  }

  async exec(script: string): Promise<void> {
    // A script of several statements (a schema change on a big table) may take long: no query timeout.
    try {
      await this.pool.query({ text: script, query_timeout: 24 * 60 * 60 * 1000 } as pg.QueryConfig);
    } catch (err) {
      throw storeError(tagged(err));
    }
  }

  poolStats() {
    return { inUse: this.pool.totalCount - this.pool.idleCount, size: this.pool.options.max, waiting: this.pool.waitingCount };
  }

  async close(): Promise<void> {
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}
