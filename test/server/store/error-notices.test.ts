import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser, startTestServer, storeKind, type TestServer } from '../../helpers/server';

// The error webhook's notices wait in the error log (server/store/logs.ts): each is taken for one
// try at a time, held while it is tried, and due again only when its next try is.
describe(`error webhook notices in the store (${storeKind})`, () => {
  let server: TestServer;
  let userId: string;
  beforeEach(async () => {
    server = await startTestServer();
    userId = await createUser(server, 'notices');
  });
  afterEach(() => server.close());

  const logs = () => server.services.store.logs;
  async function addErrors(count: number, noticeAt: number | null) {
    const db = server.services.store.db;
    for (let i = 0; i < count; i++) {
      await db.run('INSERT INTO errors (id, execution_id, user_id, workflow_id, block, message, occurred_at, notice_at) VALUES (?, NULL, ?, ?, ?, ?, ?, ?)', [
        `e${String(i).padStart(3, '0')}`,
        userId,
        'order-paid',
        'send',
        `failure ${i}`,
        1_000 + i,
        noticeAt,
      ]);
    }
  }

  it('hands each due notice to one of several claims made at once, and holds it for the lease', async () => {
    await addErrors(60, 5_000);
    const claims = await Promise.all(Array.from({ length: 6 }, () => logs().claimErrorNotices(20, 60_000, 10_000)));
    const ids = claims.flat().map((n) => n.id);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    // Held: nothing is due until the lease runs out, then all of it is, each on its second try.
    expect(await logs().claimErrorNotices(100, 60_000, 69_999)).toEqual([]);
    const again = await logs().claimErrorNotices(100, 60_000, 70_000);
    expect(again).toHaveLength(60);
    expect(new Set(again.map((n) => n.tries))).toEqual(new Set([2]));
  });

  it('returns the notice in the error webhook’s shape, and takes no notice that is not due or is done', async () => {
    await addErrors(1, 5_000);
    expect(await logs().claimErrorNotices(10, 1_000, 4_999)).toEqual([]);
    const [notice] = await logs().claimErrorNotices(10, 1_000, 5_000);
    expect(notice).toEqual({
      id: 'e000',
      tries: 1,
      data: { executionId: null, workflowId: 'order-paid', userId, block: 'send', message: 'failure 0', errorOccurredAt: new Date(1_000).toISOString() },
    });
    await logs().errorNoticeNext('e000', 8_000);
    expect(await logs().claimErrorNotices(10, 1_000, 7_999)).toEqual([]);
    expect((await logs().claimErrorNotices(10, 1_000, 8_000)).map((n) => n.tries)).toEqual([2]);
    await logs().errorNoticeNext('e000', null);
    expect(await logs().claimErrorNotices(10, 1_000, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });
});
