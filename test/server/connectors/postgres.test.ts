import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgres } from '../../../server/connectors/postgres';
import { NonRetriableError, RetryAfterError } from '../../../server/engine/errors';
import { connectorContext, connectorHttp, thrown } from '../../helpers/connector';
import { startHalfOpenRelay } from '../../helpers/tcp-proxy';

// A real PostgreSQL on this machine (CI starts it): 127.0.0.1:5432, user postgres, trust auth,
// database `test`. Each run works in a schema of its own and drops it afterwards.
const server = { host: '127.0.0.1', port: '5432', database: 'test', user: 'postgres', password: '' };
const schema = `d_${randomBytes(6).toString('hex')}`;
const http = connectorHttp();
const admin = new pg.Client({ host: server.host, port: Number(server.port), database: server.database, user: server.user });

const context = (credential: Record<string, string> = server, allowPrivateUrls = true) => connectorContext({ http, credential, allowPrivateUrls, deliveryId: 'e1_b1' });

const action = postgres.actions.insertRow!;
const insertRow = (input: unknown, ctx = context()) => action.run(action.input.parse(input), ctx);

const rows = async (sql: string) => (await admin.query(sql)).rows;

beforeAll(async () => {
  await admin.connect().catch((err: Error) => {
    throw new Error(`PostgreSQL is not reachable at 127.0.0.1:5432 (user postgres, database test): ${err.message}. Start the service.`);
  });
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.people (id text PRIMARY KEY, name text NOT NULL, age int, active boolean, note text, profile jsonb, tags jsonb)`);
  await admin.query(`CREATE TABLE ${schema}."Orders" ("orderId" text PRIMARY KEY, total numeric)`);
  await admin.query(`CREATE TABLE ${schema}.deliveries (delivery_id text PRIMARY KEY, attempt int)`);
  await admin.query(`CREATE TABLE ${schema}.x (id int)`);
});

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
  await admin.end();
});

describe('PostgreSQL insertRow', () => {
  it('inserts text, number, boolean, null and JSON values and they read back as sent', async () => {
    const out = await insertRow({
      table: `${schema}.people`,
      row: { id: 'p1', name: "O'Brien; DROP TABLE x --", age: 42, active: true, note: null, profile: { plan: 'pro', seats: [1, 2] }, tags: ['a', 'b'] },
    });
    expect(out).toEqual({ inserted: 1 });
    expect(await rows(`SELECT * FROM ${schema}.people WHERE id = 'p1'`)).toEqual([
      { id: 'p1', name: "O'Brien; DROP TABLE x --", age: 42, active: true, note: null, profile: { plan: 'pro', seats: [1, 2] }, tags: ['a', 'b'] },
    ]);
  });

  it('inserts into a schema-qualified table, keeping the case of quoted names', async () => {
    await expect(insertRow({ table: `${schema}.Orders`, row: { orderId: 'o1', total: 9.5 } })).resolves.toEqual({ inserted: 1 });
    expect(await rows(`SELECT "orderId", total FROM ${schema}."Orders"`)).toEqual([{ orderId: 'o1', total: '9.5' }]);
  });

  it('fails without retrying when the table does not exist, with the database message', async () => {
    const err = await thrown(() => insertRow({ table: `${schema}.nope`, row: { id: 1 } }));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/relation "d_\w+\.nope" does not exist/);
    expect(err.message).toMatch(/42P01/);
  });

  it('fails without retrying on an unknown column, with the database message', async () => {
    const err = await thrown(() => insertRow({ table: `${schema}.people`, row: { id: 'p9', name: 'n', shoe: 44 } }));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/column "shoe" of relation "people" does not exist/);
  });

  it('fails without retrying on a unique violation, with the database message', async () => {
    await insertRow({ table: `${schema}.deliveries`, row: { delivery_id: 'dup', attempt: 1 } });
    const err = await thrown(() => insertRow({ table: `${schema}.deliveries`, row: { delivery_id: 'dup', attempt: 2 } }));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/duplicate key value violates unique constraint "deliveries_pkey"/);
  });

  it('fails without retrying on a NOT NULL violation or a value of the wrong type', async () => {
    const notNull = await thrown(() => insertRow({ table: `${schema}.people`, row: { id: 'p2', name: null } }));
    expect(notNull).toBeInstanceOf(NonRetriableError);
    expect(notNull.message).toMatch(/null value in column "name"/);
    const badType = await thrown(() => insertRow({ table: `${schema}.people`, row: { id: 'p3', name: 'n', age: 'forty' } }));
    expect(badType).toBeInstanceOf(NonRetriableError);
    expect(badType.message).toMatch(/invalid input syntax for type integer/);
  });

  it('with onConflict ignore, a repeated insert reports inserted 0 and keeps the first row', async () => {
    const row = { delivery_id: 'e1_b1', attempt: 1 };
    await expect(insertRow({ table: `${schema}.deliveries`, row, onConflict: 'ignore' })).resolves.toEqual({ inserted: 1 });
    await expect(insertRow({ table: `${schema}.deliveries`, row: { ...row, attempt: 2 }, onConflict: 'ignore' })).resolves.toEqual({ inserted: 0 });
    expect(await rows(`SELECT attempt FROM ${schema}.deliveries WHERE delivery_id = 'e1_b1'`)).toEqual([{ attempt: 1 }]);
  });

  it('with onConflict ignore, still fails on a NOT NULL violation', async () => {
    const err = await thrown(() => insertRow({ table: `${schema}.people`, row: { id: 'p4', name: null }, onConflict: 'ignore' }));
    expect(err).toBeInstanceOf(NonRetriableError);
  });

  it.each([
    ['a table name with SQL in it', { table: 'x; DROP TABLE x', row: { id: 1 } }],
    ['a table name with a quote', { table: 'x" (id) VALUES (1); DROP TABLE x; --', row: { id: 1 } }],
    ['three name parts', { table: `test.${schema}.x`, row: { id: 1 } }],
    ['a column name with SQL in it', { table: `${schema}.x`, row: { 'id) VALUES (1); DROP TABLE x; --': 1 } }],
    ['a column name starting with a digit', { table: `${schema}.x`, row: { '1id': 1 } }],
    ['no columns', { table: `${schema}.x`, row: {} }],
  ])('refuses %s without retrying and runs nothing', async (_what, input) => {
    // Port 1 would answer "connection refused" (retryable): a NonRetriableError shows nothing was tried.
    const err = await thrown(() => insertRow(input, context({ ...server, port: '1' })));
    expect(err).toBeInstanceOf(NonRetriableError);
    const withServer = await thrown(() => insertRow(input));
    expect(withServer).toBeInstanceOf(NonRetriableError);
    expect(await rows(`SELECT count(*)::int AS n FROM ${schema}.x`)).toEqual([{ n: 0 }]);
  });

  it('fails without retrying for an unknown user or an unknown database', async () => {
    const user = await thrown(() => insertRow({ table: `${schema}.x`, row: { id: 1 } }, context({ ...server, user: 'no_such_role_x' })));
    expect(user).toBeInstanceOf(NonRetriableError);
    expect(user.message).toMatch(/role "no_such_role_x" does not exist/);
    const db = await thrown(() => insertRow({ table: `${schema}.x`, row: { id: 1 } }, context({ ...server, database: 'no_such_db_x' })));
    expect(db).toBeInstanceOf(NonRetriableError);
    expect(db.message).toMatch(/database "no_such_db_x" does not exist/);
  });

  it('with ssl "require", encrypts when the server offers TLS and fails without retrying when it does not', async () => {
    const [{ ssl }] = await rows('SHOW ssl');
    const attempt = () => insertRow({ table: `${schema}.deliveries`, row: { delivery_id: 'over-tls' } }, context({ ...server, ssl: 'require' }));
    if (ssl === 'on') await expect(attempt()).resolves.toEqual({ inserted: 1 });
    else {
      const err = await thrown(attempt);
      expect(err).toBeInstanceOf(NonRetriableError);
      expect(err.message).toMatch(/does not support SSL/);
    }
    const mode = await thrown(() => insertRow({ table: `${schema}.x`, row: { id: 1 } }, context({ ...server, ssl: 'verify-ca' })));
    expect(mode).toBeInstanceOf(NonRetriableError);
    expect(mode.message).toMatch(/ssl must be "require" or empty/);
  });

  it('retries when the connection is refused', async () => {
    const err = await thrown(() => insertRow({ table: `${schema}.x`, row: { id: 1 } }, context({ ...server, port: '1' })));
    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('retries when the server ends the connection mid-insert (SQLSTATE 57P01)', async () => {
    const holder = new pg.Client({ host: server.host, port: Number(server.port), database: server.database, user: server.user });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`INSERT INTO ${schema}.deliveries (delivery_id) VALUES ('locked')`);
      const pending = thrown(() => insertRow({ table: `${schema}.deliveries`, row: { delivery_id: 'locked' } }));
      let pid: number | undefined;
      for (let i = 0; i < 100 && !pid; i++) {
        await new Promise((r) => setTimeout(r, 50));
        [{ pid } = { pid: undefined }] = await rows(
          `SELECT pid FROM pg_stat_activity WHERE application_name = 'alloy-embedded-kit' AND wait_event_type = 'Lock' AND query LIKE '%${schema}%'`,
        );
      }
      expect(pid).toBeTypeOf('number');
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      const err = await pending;
      expect(err).toBeInstanceOf(RetryAfterError);
      expect(err.message).toMatch(/57P01/);
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }
  });

  it('does not wait for a server that never closes its side of the connection after the insert', async () => {
    const relay = await startHalfOpenRelay({ host: server.host, port: Number(server.port) });
    try {
      const started = Date.now();
      const result = await insertRow({ table: `${schema}.x`, row: { id: 7 } }, context({ ...server, port: String(relay.port) }));
      expect(result).toEqual({ inserted: 1 });
      // Without a bound on the close, this waited for ever: a worker slot held until the process stopped.
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      relay.close();
    }
  });

  it('refuses 127.0.0.1 when private addresses are not allowed, naming ALLOY_ALLOW_PRIVATE_URLS', async () => {
    const err = await thrown(() => insertRow({ table: `${schema}.x`, row: { id: 1 } }, context(server, false)));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/private address \(127\.0\.0\.1\)/);
    expect(err.message).toMatch(/ALLOY_ALLOW_PRIVATE_URLS=true/);
  });
});
