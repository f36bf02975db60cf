import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isStoreUnavailable } from '../../../server/errors';
import { createUser, startTestServer, storeKind, type TestServer } from '../../helpers/server';
import { captureLogs } from '../../helpers/logs';

const TICKET = { ticketName: 'T-1', customerEmail: 'a@b.c', description: 'printer on fire' };

// A store that is reachable but cannot take a write (disk full, an I/O error) is unavailable for
// now, as an unreachable one is: 503 with Retry-After, said in the log, and back by itself.
describe(`the store out of space (${storeKind})`, () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await server.close();
  });

  it.skipIf(storeKind !== 'sqlite')("answers 503 with Retry-After while SQLite's disk is full, logs it once, loses no answered event, and recovers by itself", async () => {
    const userId = await createUser(server, 'gregg');
    const logs = captureLogs();
    const db = server.services.store.db;
    // The database may not grow past the pages it has: the next write that needs a page fails with SQLITE_FULL.
    const [{ page_count }] = (await db.all('PRAGMA page_count')) as [{ page_count: number }];
    await db.exec(`PRAGMA max_page_count = ${page_count}`);

    const answered: string[] = [];
    let full: Awaited<ReturnType<TestServer['request']>> | undefined;
    for (let i = 0; i < 2000 && !full; i++) {
      const res = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: { ...TICKET, description: `${i} ${'x'.repeat(500)}` } } });
      if (res.status === 200) answered.push(res.body.eventId);
      else full = res;
    }
    expect(full?.status).toBe(503);
    expect(full?.body).toEqual({ error: { code: 'unavailable', message: 'The store is unavailable; try again shortly' }, message: 'The store is unavailable; try again shortly' });
    expect(full?.headers.get('retry-after')).toBe('5');
    const again = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: { ...TICKET, description: 'y'.repeat(5000) } } });
    expect(again.status).toBe(503);
    // Said once for the outage, with SQLite's own words, not once per request.
    expect(logs.messages('warn').filter((w) => /store unavailable/.test(w))).toEqual([expect.stringMatching(/database or disk is full/)]);

    await db.exec('PRAGMA max_page_count = 1073741823');
    const back = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: TICKET } });
    expect(back.status).toBe(200);
    const stored = new Set(((await db.all('SELECT id FROM events')) as { id: string }[]).map((r) => r.id));
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.every((id) => stored.has(id))).toBe(true);
    expect(stored.size).toBe(answered.length + 1);
  });

  it.skipIf(storeKind !== 'postgres')("takes PostgreSQL's out-of-resources errors (disk full, out of memory: class 53) for the store being unavailable", async () => {
    // A query over its temp-file limit fails with 53400 (configuration_limit_exceeded), of the same class as 53100 disk_full.
    const err = await server.services.store.db
      .transaction(async (tx) => {
        await tx.run("SET LOCAL work_mem = '64kB'");
        await tx.run("SET LOCAL temp_file_limit = '64kB'");
        await tx.all('SELECT g FROM generate_series(1, 100000) AS g ORDER BY g DESC');
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((err as { code?: string }).code).toBe('53400');
    expect(isStoreUnavailable(err)).toBe(true);
  });
});
