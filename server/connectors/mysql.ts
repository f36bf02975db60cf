import type { Socket } from 'node:net';
import mysql from 'mysql2/promise';
import { assertPublicHost } from '../engine/url-guard';
import { driverError, endSession, insertRowAction, serverCredential, serverDisplayName, serverFields, type SqlDialect } from './sql-destination';
import type { Connector, ConnectorContext } from './types';

/** Identifiers backquoted; `database.table` for a table in another database. */
const MYSQL: SqlDialect = { name: 'MySQL', container: 'database', quote: (identifier) => `\`${identifier}\`` };

// Errors that can heal by themselves: the network, the server's connection limit, locks, a server
// shutting down or killing the query. Names are mysql2's (MySQL's error table); MariaDB-only numbers
// have no name there, so they go by errno (1927 ER_CONNECTION_KILLED, 1969 ER_STATEMENT_TIMEOUT).
const RETRY_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_NORMAL_SHUTDOWN',
  'ER_SHUTDOWN_COMPLETE',
  'ER_QUERY_INTERRUPTED',
  'ER_QUERY_TIMEOUT',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'ER_NET_READ_ERROR',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_ERROR_ON_WRITE',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_OUT_OF_RESOURCES',
  'ER_OUTOFMEMORY',
  'ER_CANT_CREATE_THREAD',
  'ER_TOO_MANY_CONCURRENT_TRXS',
  'ER_LOCK_TABLE_FULL',
  'ER_SERVER_OFFLINE_MODE',
]);
const RETRY_ERRNOS = new Set([1927, 1969]);

function classify(err: unknown): Error {
  const e = err as { code?: string; errno?: number; sqlState?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  const retry =
    RETRY_CODES.has(code) ||
    RETRY_ERRNOS.has(e?.errno ?? 0) ||
    e?.sqlState?.startsWith('08') ||
    e?.sqlState === '40001' ||
    // Other client-side failures without a server answer (dropped socket…), but not a host that does not exist.
    (!e?.sqlState && code !== 'ENOTFOUND' && !code.startsWith('ER_') && !/^(HANDSHAKE|AUTH|MYSQL)_/.test(code));
  return driverError(MYSQL, err, retry, code);
}

/** mysql2's own `destroy()` only half-closes the socket, which frees nothing while the server keeps its side open: the socket itself is destroyed. */
function close(conn: mysql.Connection, failed: boolean): void {
  void endSession((conn as unknown as { connection: { stream: Socket } }).connection.stream, () => conn.end(), failed);
}

async function connect(ctx: Pick<ConnectorContext, 'credential' | 'settings'>): Promise<mysql.Connection> {
  const { host, port, database, user, password } = serverCredential(MYSQL, ctx, 3306);
  const address = await assertPublicHost(host, ctx.settings.allowPrivateUrls);
  try {
    const conn = await mysql.createConnection({
      host: address,
      port,
      database,
      user,
      password,
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
  auth: [{ type: 'apiKey', fields: serverFields(3306) }],
  /**
   * Connects as the account and runs `SELECT 1`: a wrong password, user or database is refused by
   * the server (ER_ACCESS_DENIED_ERROR, ER_BAD_DB_ERROR); a server that does not answer counts as down.
   */
  async test(ctx) {
    const conn = await connect(ctx);
    let failed = false;
    try {
      await conn.query({ sql: 'SELECT 1', timeout: 10_000 });
    } catch (err) {
      failed = true;
      throw classify(err);
    } finally {
      close(conn, failed);
    }
    return { displayName: serverDisplayName(serverCredential(MYSQL, ctx, 3306)) };
  },
  actions: {
    insertRow: insertRowAction(MYSQL, async ({ table, columns, values, onConflict }, ctx) => {
      // Not INSERT IGNORE: that also turns NOT NULL, type and foreign key errors into warnings and
      // stores coerced values. A no-op update on a duplicate key skips only what ON CONFLICT DO NOTHING skips.
      const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})${onConflict === 'ignore' ? ` ON DUPLICATE KEY UPDATE ${columns[0]} = ${columns[0]}` : ''}`;
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
        close(conn, failed);
      }
    }),
  },
};
