import { isIP } from 'node:net';
import pg from 'pg';
import { z } from 'zod';
import { NonRetriableError, RetryAfterError } from '../engine/errors';
import { assertPublicHost } from '../engine/url-guard';
import { defineAction, type Connector, type ConnectorContext } from './types';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** `schema.table` or `table`, each part checked, double-quoted: never a value spliced into SQL. */
function quoteTable(table: string): string {
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) throw new NonRetriableError(`PostgreSQL: "${table}" is not a valid table name (schema.table, letters, digits, _ and $)`);
  return parts.map((p) => `"${p}"`).join('.');
}

function quoteColumn(column: string): string {
  if (!IDENTIFIER.test(column)) throw new NonRetriableError(`PostgreSQL: "${column}" is not a valid column name (letters, digits, _ and $)`);
  return `"${column}"`;
}

/** Objects and arrays go in as JSON text (pg would turn arrays into Postgres array literals). */
function toParam(v: unknown): string | number | bigint | boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

// SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html) that can heal by
// themselves: connection exceptions, insufficient resources, operator intervention (shutdown,
// statement timeout), system errors; plus serialization failure, deadlock, lock not available.
const RETRY_CLASSES = new Set(['08', '53', '57', '58', 'XX']);
const RETRY_CODES = new Set(['40001', '40P01', '40003', '55P03']);
// Client errors without a SQLSTATE that will not heal: the server refuses TLS, or SCRAM failed
// (no password given, or the server's signature does not match).
const PERMANENT_CLIENT = /does not support SSL|SASL/i;

function classify(err: unknown): Error {
  const e = err as { code?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = `PostgreSQL: ${e?.message ?? String(err)}${/^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : ''}`;
  if (/^[0-9A-Z]{5}$/.test(code)) {
    const retry = RETRY_CLASSES.has(code.slice(0, 2)) || RETRY_CODES.has(code);
    return retry ? new RetryAfterError(message, undefined, { cause: err }) : new NonRetriableError(message, { cause: err });
  }
  if (code === 'ENOTFOUND' || PERMANENT_CLIENT.test(e?.message ?? '')) return new NonRetriableError(message, { cause: err });
  // ECONNREFUSED, ETIMEDOUT, ECONNRESET, EHOSTUNREACH, connect/query timeouts, dropped connections.
  return new RetryAfterError(message, undefined, { cause: err });
}

async function connect(ctx: ConnectorContext): Promise<pg.Client> {
  const c = ctx.credential ?? {};
  const host = c.host?.trim();
  if (!host || !c.database?.trim() || !c.user?.trim()) throw new NonRetriableError('PostgreSQL: the credential needs a host, a database and a user; reconnect the account');
  const port = c.port?.trim() ? Number(c.port.trim()) : 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NonRetriableError(`PostgreSQL: port "${c.port}" is not a port number`);
  const sslMode = (c.ssl ?? '').trim().toLowerCase();
  if (sslMode !== '' && sslMode !== 'require') throw new NonRetriableError(`PostgreSQL: ssl must be "require" or empty, not "${c.ssl}"`);
  const address = await assertPublicHost(host, ctx.settings.allowPrivateUrls);
  const client = new pg.Client({
    host: address,
    port,
    database: c.database.trim(),
    user: c.user.trim(),
    password: c.password ?? '',
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
    await client.end().catch(() => {});
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
        { name: 'host', label: 'Host', type: 'text', required: true, placeholder: 'db.example.com' },
        { name: 'port', label: 'Port', type: 'text', required: false, placeholder: '5432' },
        { name: 'database', label: 'Database', type: 'text', required: true },
        { name: 'user', label: 'User', type: 'text', required: true },
        { name: 'password', label: 'Password', type: 'secret', required: false },
        { name: 'ssl', label: 'SSL', type: 'text', required: false, placeholder: 'require', description: '"require" to encrypt the connection (certificate not verified, like libpq sslmode=require); empty for none.' },
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
        const columns = Object.keys(input.row);
        if (columns.length === 0) throw new NonRetriableError('PostgreSQL: the row has no columns');
        const sql = `INSERT INTO ${table} (${columns.map(quoteColumn).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})${input.onConflict === 'ignore' ? ' ON CONFLICT DO NOTHING' : ''}`;
        const values = columns.map((col) => toParam(input.row[col]));
        const client = await connect(ctx);
        try {
          const res = await client.query(sql, values);
          return { inserted: res.rowCount ?? 0 };
        } catch (err) {
          throw classify(err);
        } finally {
          await client.end().catch(() => {});
        }
      },
    }),
  },
};
