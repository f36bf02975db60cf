import mysql from 'mysql2/promise';
import { z } from 'zod';
import { NonRetriableError, RetryAfterError } from '../engine/errors';
import { assertPublicHost } from '../engine/url-guard';
import { defineAction, type Connector, type ConnectorContext } from './types';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** `database.table` or `table`, each part checked, backquoted: never a value spliced into SQL. */
function quoteTable(table: string): string {
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) throw new NonRetriableError(`MySQL: "${table}" is not a valid table name (database.table, letters, digits, _ and $)`);
  return parts.map((p) => `\`${p}\``).join('.');
}

function quoteColumn(column: string): string {
  if (!IDENTIFIER.test(column)) throw new NonRetriableError(`MySQL: "${column}" is not a valid column name (letters, digits, _ and $)`);
  return `\`${column}\``;
}

/** Objects and arrays go in as JSON text. */
function toParam(v: unknown): string | number | bigint | boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

// Errors that can heal by themselves: the network, the server's connection limit, locks, a server
// shutting down or killing the query. Names are mysql2's (MySQL's error table); MariaDB-only numbers
// have no name there, so they go by errno (1927 ER_CONNECTION_KILLED, 1969 ER_STATEMENT_TIMEOUT).
const RETRY_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR', 'ER_TOO_MANY_USER_CONNECTIONS', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT',
  'ER_SERVER_SHUTDOWN', 'ER_NORMAL_SHUTDOWN', 'ER_SHUTDOWN_COMPLETE', 'ER_QUERY_INTERRUPTED', 'ER_QUERY_TIMEOUT',
  'ER_CLIENT_INTERACTION_TIMEOUT', 'ER_NET_READ_ERROR', 'ER_NET_READ_INTERRUPTED', 'ER_NET_ERROR_ON_WRITE',
  'ER_NET_WRITE_INTERRUPTED', 'ER_OUT_OF_RESOURCES', 'ER_OUTOFMEMORY', 'ER_CANT_CREATE_THREAD',
  'ER_TOO_MANY_CONCURRENT_TRXS', 'ER_LOCK_TABLE_FULL', 'ER_SERVER_OFFLINE_MODE',
]);
const RETRY_ERRNOS = new Set([1927, 1969]);

function classify(err: unknown): Error {
  const e = err as { code?: string; errno?: number; sqlState?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = `MySQL: ${e?.message ?? String(err)}${code ? ` (${code})` : ''}`;
  const retry =
    RETRY_CODES.has(code) || RETRY_ERRNOS.has(e?.errno ?? 0) || e?.sqlState?.startsWith('08') || e?.sqlState === '40001'
      // Other client-side failures without a server answer (dropped socket…), but not a host that does not exist.
      || (!e?.sqlState && code !== 'ENOTFOUND' && !code.startsWith('ER_') && !/^(HANDSHAKE|AUTH|MYSQL)_/.test(code));
  return retry ? new RetryAfterError(message, undefined, { cause: err }) : new NonRetriableError(message, { cause: err });
}

async function connect(ctx: ConnectorContext): Promise<mysql.Connection> {
  const c = ctx.credential ?? {};
  const host = c.host?.trim();
  if (!host || !c.database?.trim() || !c.user?.trim()) throw new NonRetriableError('MySQL: the credential needs a host, a database and a user; reconnect the account');
  const port = c.port?.trim() ? Number(c.port.trim()) : 3306;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NonRetriableError(`MySQL: port "${c.port}" is not a port number`);
  const address = await assertPublicHost(host, ctx.settings.allowPrivateUrls);
  try {
    const conn = await mysql.createConnection({
      host: address,
      port,
      database: c.database.trim(),
      user: c.user.trim(),
      password: c.password ?? '',
      connectTimeout: 5_000,
      supportBigNumbers: true,
      // Without FOUND_ROWS, affectedRows is 0 when ON DUPLICATE KEY UPDATE changed nothing.
      flags: ['-FOUND_ROWS'],
    });
    // A connection that drops while idle emits 'error'; the next call on it fails and says why.
    conn.on('error', () => {});
    return conn;
  } catch (err) {
    throw classify(err);
  }
}

/** MySQL and MariaDB (and compatibles: PlanetScale, Aurora MySQL…): the end user's own database. */
export const mysqlConnector: Connector = {
  id: 'mysql',
  name: 'MySQL',
  icon: '/icons/mysql.svg',
  auth: [
    {
      type: 'apiKey',
      fields: [
        { name: 'host', label: 'Host', type: 'text', required: true, placeholder: 'db.example.com' },
        { name: 'port', label: 'Port', type: 'text', required: false, placeholder: '3306' },
        { name: 'database', label: 'Database', type: 'text', required: true },
        { name: 'user', label: 'User', type: 'text', required: true },
        { name: 'password', label: 'Password', type: 'secret', required: false },
      ],
    },
  ],
  actions: {
    insertRow: defineAction({
      description: 'Insert one row into a table; onConflict "ignore" skips a row whose unique key already exists',
      input: z.object({
        table: z.string().min(1),
        row: z.record(z.string(), z.unknown()),
        onConflict: z.enum(['error', 'ignore']).default('error'),
      }),
      async run(input, ctx) {
        const table = quoteTable(input.table);
        const columns = Object.keys(input.row).map(quoteColumn);
        if (columns.length === 0) throw new NonRetriableError('MySQL: the row has no columns');
        // Not INSERT IGNORE: that also turns NOT NULL, type and foreign key errors into warnings and
        // stores coerced values. A no-op update on a duplicate key skips only what ON CONFLICT DO NOTHING skips.
        const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})${input.onConflict === 'ignore' ? ` ON DUPLICATE KEY UPDATE ${columns[0]} = ${columns[0]}` : ''}`;
        const values = Object.values(input.row).map(toParam);
        const conn = await connect(ctx);
        let failed = false;
        try {
          const [res] = await conn.execute<mysql.ResultSetHeader>({ sql, timeout: 10_000 }, values);
          const inserted = res.affectedRows === 1 ? 1 : 0;
          return inserted && res.insertId ? { inserted, insertId: res.insertId } : { inserted };
        } catch (err) {
          failed = true;
          throw classify(err);
        } finally {
          // After a failure the socket may be mid-answer: drop it rather than queue a polite QUIT behind it.
          if (failed) conn.destroy();
          else await conn.end().catch(() => conn.destroy());
        }
      },
    }),
  },
};
