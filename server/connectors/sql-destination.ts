import type { Socket } from 'node:net';
import { z } from 'zod';
import { NonRetriableError, RetryAfterError } from '../engine/errors';
import { defineAction, type ConnectorAction, type ConnectorContext, type CredentialField } from './types';

/**
 * What the SQL destinations (PostgreSQL, MySQL) share: the account form, how a credential is read,
 * the shape of their errors, and the insertRow action up to the SQL (identifier checks, value
 * preparation). Quoting, placeholders, the driver and which errors may heal stay with each connector.
 */

/**
 * How long a database gets to close its side of the connection once the session ends before the
 * socket is destroyed: a server (or a proxy) that never does must not hold a worker slot or a socket.
 */
const CLOSE_TIMEOUT_MS = 1_000;

/**
 * Ends a session and frees its socket. After a failure the socket may be mid-answer: it is
 * destroyed at once, not handed a polite goodbye behind that answer. Otherwise `end()` says
 * goodbye (Terminate, QUIT), and the socket is destroyed CLOSE_TIMEOUT_MS later in any case, a
 * no-op once the server has closed it: a driver may leave the closing to the server, which may
 * never do it. Resolves when `end()` settles or that time is up, whichever comes first.
 */
export function endSession(socket: Socket, end: () => Promise<unknown>, failed = false): Promise<void> {
  if (failed) {
    socket.destroy();
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    setTimeout(() => (socket.destroy(), resolve()), CLOSE_TIMEOUT_MS).unref();
    end().then(
      () => resolve(),
      () => (socket.destroy(), resolve()),
    );
  });
}

export interface SqlDialect {
  /** The database's name as errors start with it: `MySQL`, `PostgreSQL`. */
  name: string;
  /** What the part before the dot of `x.table` is: `database`, `schema`. */
  container: string;
  /** Quotes one identifier already checked to be letters, digits, `_` and `$`. */
  quote(identifier: string): string;
}

/** The account form of a database server; `port` shows the server's default port. */
export function serverFields(defaultPort: number): CredentialField[] {
  return [
    { name: 'host', label: 'Host', type: 'text', required: true, placeholder: 'db.example.com' },
    { name: 'port', label: 'Port', type: 'text', required: false, placeholder: String(defaultPort) },
    { name: 'database', label: 'Database', type: 'text', required: true },
    { name: 'user', label: 'User', type: 'text', required: true },
    { name: 'password', label: 'Password', type: 'secret', required: false },
  ];
}

/** The server a credential names, checked; the host is not yet resolved nor checked to be public. */
export function serverCredential(dialect: SqlDialect, ctx: Pick<ConnectorContext, 'credential'>, defaultPort: number) {
  const c = ctx.credential ?? {};
  const host = c.host?.trim();
  if (!host || !c.database?.trim() || !c.user?.trim()) throw new NonRetriableError(`${dialect.name}: the credential needs a host, a database and a user; reconnect the account`);
  const port = c.port?.trim() ? Number(c.port.trim()) : defaultPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NonRetriableError(`${dialect.name}: port "${c.port}" is not a port number`);
  return { host, port, database: c.database.trim(), user: c.user.trim(), password: c.password ?? '' };
}

/**
 * How a database account is named where it is listed: `user@host:port/database`, as the credential
 * gives them (no password), so two accounts on one server tell apart.
 */
export function serverDisplayName(server: { host: string; port: number; database: string; user: string }): string {
  return `${server.user}@${server.host}:${server.port}/${server.database}`;
}

/**
 * A driver's error as the engine's: `<name>: <message> (<code>)`, retried later when `retry`,
 * failed for good otherwise; the driver's error is kept as the cause.
 */
export function driverError(dialect: SqlDialect, err: unknown, retry: boolean, code?: string): Error {
  const message = `${dialect.name}: ${(err as { message?: string })?.message ?? String(err)}${code ? ` (${code})` : ''}`;
  return retry ? new RetryAfterError(message, undefined, { cause: err }) : new NonRetriableError(message, { cause: err });
}

/** An insertRow checked and prepared: table and columns quoted, values as parameters in column order. */
export interface RowInsert {
  table: string;
  columns: string[];
  values: SqlParam[];
  onConflict: 'error' | 'ignore';
}

/** The insertRow action: its input checked and prepared here, then `insert` runs it on the database. */
export function insertRowAction(dialect: SqlDialect, insert: (row: RowInsert, ctx: ConnectorContext) => Promise<unknown>): ConnectorAction {
  return defineAction({
    description: 'Insert one row into a table; onConflict "ignore" skips a row whose unique key already exists',
    input: z.object({
      table: z.string().min(1),
      row: z.record(z.string(), z.unknown()),
      onConflict: z.enum(['error', 'ignore']).default('error'),
    }),
    async run(input, ctx) {
      const table = quoteTable(dialect, input.table);
      const { columns, values } = rowParts(dialect, input.row);
      return insert({ table, columns, values, onConflict: input.onConflict }, ctx);
    },
  });
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** `container.table` or `table`, each part checked, then quoted: never a value spliced into SQL. */
function quoteTable(dialect: SqlDialect, table: string): string {
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw new NonRetriableError(`${dialect.name}: "${table}" is not a valid table name (${dialect.container}.table, letters, digits, _ and $)`);
  }
  return parts.map((p) => dialect.quote(p)).join('.');
}

function quoteColumn(dialect: SqlDialect, column: string): string {
  if (!IDENTIFIER.test(column)) throw new NonRetriableError(`${dialect.name}: "${column}" is not a valid column name (letters, digits, _ and $)`);
  return dialect.quote(column);
}

export type SqlParam = string | number | bigint | boolean | null;

/** Objects and arrays go in as JSON text (pg would turn arrays into Postgres array literals). */
function toParam(v: unknown): SqlParam {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}

/** A row's columns, checked and quoted, and its values as parameters, in the same order. */
function rowParts(dialect: SqlDialect, row: Record<string, unknown>): { columns: string[]; values: SqlParam[] } {
  const columns = Object.keys(row).map((c) => quoteColumn(dialect, c));
  if (columns.length === 0) throw new NonRetriableError(`${dialect.name}: the row has no columns`);
  return { columns, values: Object.values(row).map(toParam) };
}
