import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlConnector } from '../../../server/connectors/mysql';
import { NonRetriableError, RetryAfterError } from '../../../server/engine/errors';
import { connectorContext, connectorHttp, thrown } from '../../helpers/connector';
import { startHalfOpenRelay } from '../../helpers/tcp-proxy';

// A real MariaDB (or MySQL) on this machine (CI starts it): 127.0.0.1:3306, user root, empty
// password. Each run works in a database of its own and drops it afterwards. Not reachable → fail.
const database = `d_${randomBytes(6).toString('hex')}`;
const server = { host: '127.0.0.1', port: '3306', database, user: 'root', password: '' };
const http = connectorHttp();
let admin: mysql.Connection;

const context = (credential: Record<string, string> = server, allowPrivateUrls = true) => connectorContext({ http, credential, allowPrivateUrls, deliveryId: 'e1_b1' });

const action = mysqlConnector.actions.insertRow!;
const insertRow = (input: unknown, ctx = context()) => action.run(action.input.parse(input), ctx);

const rows = async (sql: string) => (await admin.query(sql))[0] as Record<string, unknown>[];

beforeAll(async () => {
  admin = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '', connectTimeout: 5000 }).catch((err: Error) => {
    throw new Error(`MariaDB is not reachable at 127.0.0.1:3306 as root with an empty password (${err.message}). Start the service: these tests need it and do not skip.`);
  });
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.query(`USE ${database}`);
  await admin.query('CREATE TABLE people (id VARCHAR(20) PRIMARY KEY, name VARCHAR(100) NOT NULL, age INT, active BOOLEAN, note TEXT, profile JSON, tags JSON)');
  await admin.query('CREATE TABLE orders (id INT AUTO_INCREMENT PRIMARY KEY, ref VARCHAR(20) NOT NULL UNIQUE, total DECIMAL(10,2))');
  await admin.query('CREATE TABLE deliveries (delivery_id VARCHAR(40) PRIMARY KEY, attempt INT)');
  await admin.query('CREATE TABLE x (id INT)');
});

afterAll(async () => {
  await admin?.query(`DROP DATABASE IF EXISTS ${database}`).catch(() => {});
  await admin?.end();
});

describe('MySQL insertRow', () => {
  it('inserts text, number, boolean, null and JSON values and they read back as sent', async () => {
    const out = await insertRow({
      table: 'people',
      row: { id: 'p1', name: "O'Brien; DROP TABLE x --", age: 42, active: true, note: null, profile: { plan: 'pro', seats: [1, 2] }, tags: ['a', 'b'] },
    });
    expect(out).toEqual({ inserted: 1 });
    const [row] = await rows("SELECT id, name, age, active, note, profile, tags FROM people WHERE id = 'p1'");
    // MariaDB's JSON is LONGTEXT with a JSON check, so it reads back as text; MySQL's reads back parsed.
    const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
    expect({ ...row, profile: json(row!.profile), tags: json(row!.tags) }).toEqual({
      id: 'p1',
      name: "O'Brien; DROP TABLE x --",
      age: 42,
      active: 1,
      note: null,
      profile: { plan: 'pro', seats: [1, 2] },
      tags: ['a', 'b'],
    });
  });

  it('returns the auto-increment id of the new row, and accepts a database-qualified table', async () => {
    const out = await insertRow({ table: `${database}.orders`, row: { ref: 'o1', total: 9.5 } });
    expect(out).toEqual({ inserted: 1, insertId: expect.any(Number) });
    expect(await rows(`SELECT id, ref, total FROM orders WHERE ref = 'o1'`)).toEqual([{ id: (out as { insertId: number }).insertId, ref: 'o1', total: '9.50' }]);
  });

  it('fails without retrying when the table does not exist, with the database message', async () => {
    const err = await thrown(() => insertRow({ table: 'nope', row: { id: 1 } }));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/Table '\w+\.nope' doesn't exist/);
    expect(err.message).toMatch(/ER_NO_SUCH_TABLE/);
  });

  it('fails without retrying on an unknown column, with the database message', async () => {
    const err = await thrown(() => insertRow({ table: 'people', row: { id: 'p9', name: 'n', shoe: 44 } }));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/Unknown column 'shoe'/);
  });

  it('fails without retrying on a unique violation, with the database message', async () => {
    await insertRow({ table: 'deliveries', row: { delivery_id: 'dup', attempt: 1 } });
    const err = await thrown(() => insertRow({ table: 'deliveries', row: { delivery_id: 'dup', attempt: 2 } }));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/Duplicate entry 'dup' for key 'PRIMARY'/);
    expect(err.message).toMatch(/ER_DUP_ENTRY/);
  });

  it('fails without retrying on a NOT NULL violation or a value of the wrong type', async () => {
    const notNull = await thrown(() => insertRow({ table: 'people', row: { id: 'p2', name: null } }));
    expect(notNull).toBeInstanceOf(NonRetriableError);
    expect(notNull.message).toMatch(/Column 'name' cannot be null/);
    const badType = await thrown(() => insertRow({ table: 'people', row: { id: 'p3', name: 'n', age: 'forty' } }));
    expect(badType).toBeInstanceOf(NonRetriableError);
    expect(badType.message).toMatch(/Incorrect integer value/);
  });

  it('with onConflict ignore, a repeated insert reports inserted 0 and keeps the first row', async () => {
    const row = { delivery_id: 'e1_b1', attempt: 1 };
    await expect(insertRow({ table: 'deliveries', row, onConflict: 'ignore' })).resolves.toEqual({ inserted: 1 });
    await expect(insertRow({ table: 'deliveries', row: { ...row, attempt: 2 }, onConflict: 'ignore' })).resolves.toEqual({ inserted: 0 });
    expect(await rows("SELECT attempt FROM deliveries WHERE delivery_id = 'e1_b1'")).toEqual([{ attempt: 1 }]);
  });

  it('with onConflict ignore, still fails on a NOT NULL violation instead of storing an empty string', async () => {
    const err = await thrown(() => insertRow({ table: 'people', row: { id: 'p4', name: null }, onConflict: 'ignore' }));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(await rows("SELECT * FROM people WHERE id = 'p4'")).toEqual([]);
  });

  it.each([
    ['a table name with SQL in it', { table: 'x; DROP TABLE x', row: { id: 1 } }],
    ['a table name with a backquote', { table: 'x` (id) VALUES (1); DROP TABLE x; --', row: { id: 1 } }],
    ['three name parts', { table: `a.${database}.x`, row: { id: 1 } }],
    ['a column name with SQL in it', { table: 'x', row: { 'id) VALUES (1); DROP TABLE x; --': 1 } }],
    ['a column name starting with a digit', { table: 'x', row: { '1id': 1 } }],
    ['no columns', { table: 'x', row: {} }],
  ])('refuses %s without retrying and runs nothing', async (_what, input) => {
    // Port 1 would answer "connection refused" (retryable): a NonRetriableError shows nothing was tried.
    const err = await thrown(() => insertRow(input, context({ ...server, port: '1' })));
    expect(err).toBeInstanceOf(NonRetriableError);
    const withServer = await thrown(() => insertRow(input));
    expect(withServer).toBeInstanceOf(NonRetriableError);
    expect(await rows('SELECT count(*) AS n FROM x')).toEqual([{ n: 0 }]);
  });

  it('fails without retrying for a wrong password or an unknown database', async () => {
    const password = await thrown(() => insertRow({ table: 'x', row: { id: 1 } }, context({ ...server, password: 'wrong' })));
    expect(password).toBeInstanceOf(NonRetriableError);
    expect(password.message).toMatch(/Access denied for user 'root'/);
    expect(password.message).toMatch(/ER_ACCESS_DENIED_ERROR/);
    const db = await thrown(() => insertRow({ table: 'x', row: { id: 1 } }, context({ ...server, database: 'no_such_db_x' })));
    expect(db).toBeInstanceOf(NonRetriableError);
    expect(db.message).toMatch(/Unknown database 'no_such_db_x'/);
    expect(db.message).toMatch(/ER_BAD_DB_ERROR/);
  });

  it('retries when the connection is refused', async () => {
    const err = await thrown(() => insertRow({ table: 'x', row: { id: 1 } }, context({ ...server, port: '1' })));
    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('retries the insert that loses a deadlock, while the other one lands', async () => {
    // InnoDB's documented deadlock: while a transaction holds a new key, two inserts of the same key
    // wait for a shared lock; when it rolls back, both hold the shared lock and want the exclusive one.
    const holder = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '', database });
    try {
      await holder.query('START TRANSACTION');
      await holder.query("INSERT INTO deliveries (delivery_id) VALUES ('contended')");
      const attempts = [1, 2].map((attempt) =>
        insertRow({ table: 'deliveries', row: { delivery_id: 'contended', attempt } }).then(
          (ok) => ok,
          (err: Error) => err,
        ),
      );
      let waiting = 0;
      for (let i = 0; i < 100 && waiting < 2; i++) {
        await new Promise((r) => setTimeout(r, 50));
        [{ waiting } = { waiting: 0 }] = (await rows(
          `SELECT count(*) AS waiting FROM information_schema.PROCESSLIST WHERE db = '${database}' AND info LIKE 'INSERT INTO \`deliveries\`%'`,
        )) as { waiting: number }[];
      }
      expect(waiting).toBe(2);
      await holder.query('ROLLBACK');
      const results = await Promise.all(attempts);
      expect(results).toContainEqual({ inserted: 1 });
      const lost = results.find((r) => r instanceof Error) as Error;
      expect(lost).toBeInstanceOf(RetryAfterError);
      expect(lost.message).toMatch(/ER_LOCK_DEADLOCK/);
    } finally {
      await holder.end();
    }
  });

  it('closes its sockets after an insert and after a failed one, even when the server never closes its side', async () => {
    // The client must close each socket itself (not only half-close it), or every insert leaves one open.
    const relay = await startHalfOpenRelay({ host: server.host, port: Number(server.port) });
    try {
      const viaRelay = context({ ...server, port: String(relay.port) });
      expect(await insertRow({ table: 'x', row: { id: 7 } }, viaRelay)).toEqual({ inserted: 1 });
      expect(await thrown(() => insertRow({ table: 'nope', row: { id: 7 } }, viaRelay))).toBeInstanceOf(NonRetriableError);
      expect(relay.clientClosed).toHaveLength(2);
      const closed = await Promise.race([Promise.all(relay.clientClosed).then(() => true), new Promise((r) => setTimeout(() => r(false), 4_000))]);
      expect(closed).toBe(true);
    } finally {
      relay.close();
    }
  });

  it('refuses 127.0.0.1 when private addresses are not allowed, naming ALLOY_ALLOW_PRIVATE_URLS', async () => {
    const err = await thrown(() => insertRow({ table: 'x', row: { id: 1 } }, context(server, false)));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/private address \(127\.0\.0\.1\)/);
    expect(err.message).toMatch(/ALLOY_ALLOW_PRIVATE_URLS=true/);
  });
});
