import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, storeKind, type TestServer } from '../../helpers/server';

// Deleting a row (retention, GDPR, a user's deletion) checks or cascades to the rows that refer
// to it. Neither database indexes a foreign key's own column, and without an index it scans the
// whole child table for every row deleted: every foreign key must lead some index.
describe(`every foreign key is indexed on its referring side (${storeKind})`, () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** Each foreign key as `table(column, …)`, and the leading columns of each index of the table. */
  async function schema(s: TestServer): Promise<{ keys: { table: string; columns: string[] }[]; indexes: Map<string, string[][]> }> {
    const db = s.services.store.db;
    const keys: { table: string; columns: string[] }[] = [];
    const indexes = new Map<string, string[][]>();
    if (db.dialect === 'sqlite') {
      const tables = await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
      for (const { name } of tables) {
        const fks = await db.all<{ id: number; seq: number; from: string }>(`SELECT id, seq, "from" FROM pragma_foreign_key_list('${name}') ORDER BY id, seq`);
        for (const id of new Set(fks.map((f) => f.id))) keys.push({ table: name, columns: fks.filter((f) => f.id === id).map((f) => f.from) });
        const list = await db.all<{ name: string }>(`SELECT name FROM pragma_index_list('${name}')`);
        const columns: string[][] = [];
        for (const index of list) columns.push((await db.all<{ name: string }>(`SELECT name FROM pragma_index_info('${index.name}') ORDER BY seqno`)).map((c) => c.name));
        indexes.set(name, columns);
      }
    } else {
      const fks = await db.all<{ table: string; columns: string[] }>(
        `SELECT c.conrelid::regclass::text AS table, array_agg(a.attname::text ORDER BY k.n) AS columns
         FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
         JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
         WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace GROUP BY c.oid, c.conrelid`,
      );
      keys.push(...fks);
      const idx = await db.all<{ table: string; columns: string[] }>(
        `SELECT i.indrelid::regclass::text AS table, array_agg(a.attname::text ORDER BY k.n) AS columns
         FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid AND t.relnamespace = current_schema()::regnamespace
         CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE i.indpred IS NULL GROUP BY i.indexrelid, i.indrelid`,
      );
      for (const { table, columns } of idx) indexes.set(table, [...(indexes.get(table) ?? []), columns]);
    }
    return { keys, indexes };
  }

  it('has an index whose first columns are the key, for each foreign key of each table', async () => {
    server = await startTestServer();
    const { keys, indexes } = await schema(server);
    expect(keys.length).toBeGreaterThan(5);
    const unindexed = keys.filter(({ table, columns }) => !(indexes.get(table) ?? []).some((index) => columns.every((c, i) => index[i] === c)));
    expect(unindexed).toEqual([]);
  });
});
