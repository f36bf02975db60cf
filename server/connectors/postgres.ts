import { isIP, type Socket } from 'node:net';
import pg from 'pg';
import { NonRetriableError } from '../engine/errors';
import { assertPublicHost } from '../engine/url-guard';
import { driverError, endSession, insertRowAction, serverCredential, serverDisplayName, serverFields, type SqlDialect } from './sql-destination';
import type { Connector, ConnectorContext } from './types';

/** Identifiers double-quoted; `schema.table` for a table outside the search path. */
const POSTGRES: SqlDialect = { name: 'PostgreSQL', container: 'schema', quote: (identifier) => `"${identifier}"` };

// SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html) that can heal by
// themselves: connection exceptions, insufficient resources, operator intervention (shutdown,
// statement timeout), system errors; plus serialization failure, deadlock, lock not available.
const RETRY_CLASSES = new Set(['08', '53', '57', '58', 'XX']);
const RETRY_CODES = new Set(['40001', '40P01', '40003', '55P03']);
// Client errors without a SQLSTATE that will not heal: the server refuses TLS, or SCRAM failed
// (no password given, or the server's signature does not match).
const PERMANENT_CLIENT = /does not support SSL|SASL/i;

/** `end()` waits for the server to close its side, which a server may never do: endSession bounds that wait. */
function close(client: pg.Client): Promise<void> {
  return endSession((client as unknown as { connection: { stream: Socket } }).connection.stream, () => client.end());
}

function classify(err: unknown): Error {
  const e = err as { code?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^[0-9A-Z]{5}$/.test(code)) return driverError(POSTGRES, err, RETRY_CLASSES.has(code.slice(0, 2)) || RETRY_CODES.has(code), `SQLSTATE ${code}`);
  if (code === 'ENOTFOUND' || PERMANENT_CLIENT.test(e?.message ?? '')) return driverError(POSTGRES, err, false);
  // ECONNREFUSED, ETIMEDOUT, ECONNRESET, EHOSTUNREACH, connect/query timeouts, dropped connections.
  return driverError(POSTGRES, err, true);
}

async function connect(ctx: Pick<ConnectorContext, 'credential' | 'settings'>): Promise<pg.Client> {
  const { host, port, database, user, password } = serverCredential(POSTGRES, ctx, 5432);
  const c = ctx.credential ?? {};
  const sslMode = (c.ssl ?? '').trim().toLowerCase();
  if (sslMode !== '' && sslMode !== 'require') throw new NonRetriableError(`PostgreSQL: ssl must be "require" or empty, not "${c.ssl}"`);
  const address = await assertPublicHost(host, ctx.settings.allowPrivateUrls);
  const client = new pg.Client({
    host: address,
    port,
    database,
    user,
    password,
    // libpq's sslmode=require: encrypted, certificate not verified; SNI keeps the host's name.
    ssl: sslMode === 'require' ? { rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }) } : false,
    connectionTimeoutMillis: 5_000,
    query_timeout: 10_000,
    statement_timeout: 10_000,
    application_name: 'alloy-embedded-kit',
  });
  // A connection that drops while idle emits 'error'; the next call on it fails and says why.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await close(client);
    throw classify(err);
  }
  return client;
}

/** PostgreSQL (and compatibles: Neon, Supabase, RDS, Aurora…): the end user's own database. */
export const postgres: Connector = {
  id: 'postgres',
  name: 'PostgreSQL',
  icon: '/icons/postgres.svg',
  auth: [
    {
      type: 'apiKey',
      fields: [
        ...serverFields(5432),
        {
          name: 'ssl',
          label: 'SSL',
          type: 'text',
          required: false,
          placeholder: 'require',
          description: '"require" to encrypt the connection (certificate not verified, like libpq sslmode=require); empty for none.',
        },
      ],
    },
  ],
  /**
   * Connects as the account and runs `SELECT 1`: a wrong password, user or database is refused by
   * the server (SQLSTATE 28…, 3D000); a server that does not answer counts as down.
   */
  async test(ctx) {
    const client = await connect(ctx);
    try {
      await client.query('SELECT 1');
    } catch (err) {
      throw classify(err);
    } finally {
      await close(client);
    }
    return { displayName: serverDisplayName(serverCredential(POSTGRES, ctx, 5432)) };
  },
  actions: {
    insertRow: insertRowAction(POSTGRES, async ({ table, columns, values, onConflict }, ctx) => {
      const sql = `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})${onConflict === 'ignore' ? ' ON CONFLICT DO NOTHING' : ''}`;
      const client = await connect(ctx);
      try {
        const res = await client.query(sql, values);
        return { inserted: res.rowCount ?? 0 };
      } catch (err) {
        throw classify(err);
      } finally {
        await close(client);
      }
    }),
  },
};
