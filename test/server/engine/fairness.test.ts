import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config';
import { buildDefinitions } from '../../../server/definitions/load';
import { Worker } from '../../../server/engine/worker';
import { openStore, type Store } from '../../../server/store';
import type { Dispatcher } from '../../../server/store/events';
import type { ClaimedExecution } from '../../../server/store/executions';
import { acmeIntegration } from '../../helpers/definitions';
import { installHeadless } from '../../helpers/flows';
import { startPacedSink, until } from '../../helpers/paced-sink';
import { createUser, startTestServer, storeKind, type TestServer } from '../../helpers/server';

/** AcmeCo streaming each "Order Paid" to the sink, saying whose it is (`who`: the username). */
const definitions = (sinkUrl: string) =>
  buildDefinitions([
    acmeIntegration([
      {
        id: 'order-paid',
        name: 'Stream paid orders',
        version: 1,
        trigger: { type: 'customEvent', event: 'Order Paid', schema: { orderId: 'String' } },
        blocks: [{ id: 'send', connector: 'streamData', action: 'post', input: { url: `${sinkUrl}/orders`, body: { who: '{{user.username}}', orderId: '{{event.orderId}}' } } }],
      },
    ]),
  ]);

// One user's backlog must not hold up another's work: claims take users in turns, and no user runs
// more than USER_CONCURRENCY executions at once, counted across every worker on the store.
describe(`fairness between users (${storeKind})`, () => {
  let server: TestServer | undefined;
  let sink: Awaited<ReturnType<typeof startPacedSink>> | undefined;
  const stores: Store[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await server?.close();
    await sink?.close();
    server = sink = undefined;
  });

  async function start(delayMs: number, env: Record<string, string> = {}) {
    sink = await startPacedSink(delayMs);
    server = await startTestServer({ env: { ALLOY_ALLOW_PRIVATE_URLS: 'true', ...env }, definitions: () => definitions(sink!.url) });
    return { server, sink };
  }
  async function install(s: TestServer, username: string) {
    const userId = await createUser(s, username);
    await installHeadless(s, userId, 'acme');
    return userId;
  }
  /** `n` events of one user, sent 500 at a time (the store records those that come together in one commit). */
  async function fire(s: TestServer, userId: string, n: number) {
    for (let sent = 0; sent < n; sent += 500) {
      const answers = await Promise.all(
        Array.from({ length: Math.min(500, n - sent) }, (_, i) => s.request('POST', '/run/event', { body: { event: 'Order Paid', userId, data: { orderId: `o-${sent + i}` } } })),
      );
      for (const a of answers) expect(a.status).toBe(200);
    }
  }
  /**
   * On PostgreSQL, the server's store opened again, with a pool of its own, as another process
   * would. SQLite's store is one process's (a second connection in the same process would block
   * it while the first is in a transaction): there, the same store.
   */
  async function sameStore(s: TestServer): Promise<Store> {
    if (storeKind === 'sqlite') return s.services.store;
    const row = await s.services.store.db.get<{ schema: string }>('SELECT current_schema() AS schema');
    const store = await openStore({ kind: 'postgres', url: process.env.TEST_DATABASE_URL!, schema: row!.schema, maxConnections: 4 });
    stores.push(store);
    return store;
  }

  it('runs no more than USER_CONCURRENCY of a user’s executions at once, counted across two workers on one store', async () => {
    const { server, sink } = await start(40);
    const ann = await install(server, 'ann');
    const bob = await install(server, 'bob');
    await fire(server, ann, 30);
    await fire(server, bob, 10);
    const deps = server.services.engine.deps;
    // Each worker alone would let a user have 4 (its slots); together 8. The limit is 3 in all.
    const options = { concurrency: 4, userConcurrency: 3, leaseMs: 60_000, pollMs: 20 };
    const workers = [new Worker(deps, options), new Worker({ ...deps, store: await sameStore(server) }, options)];
    for (const w of workers) w.start();

    await until(() => sink.received('ann') === 30 && sink.received('bob') === 10, 'every delivery arrived');
    await Promise.all(workers.map((w) => w.stop()));

    expect(sink.most('ann')).toBe(3);
    expect(sink.most('bob')).toBeLessThanOrEqual(3);
    const rows = await server.services.store.db.all<{ status: string; n: number | string }>('SELECT status, COUNT(*) AS n FROM executions GROUP BY status');
    expect(rows.map((r) => [r.status, Number(r.n)])).toEqual([['succeeded', 40]]);
  });

  it('claims a user’s next execution as soon as one of theirs ends, not at the next poll', async () => {
    const { server, sink } = await start(5);
    const ann = await install(server, 'ann');
    await fire(server, ann, 12);
    // A poll a minute away: only an execution that ends can make the worker claim again.
    const worker = new Worker(server.services.engine.deps, { concurrency: 6, userConcurrency: 2, leaseMs: 60_000, pollMs: 60_000 });
    worker.start();
    await until(() => sink.received('ann') === 12, 'every delivery arrived');
    await worker.stop();
    expect(sink.most('ann')).toBe(2);
  });

  it('hands an idle worker no more of a user’s new executions than the user has room for, and queues the rest', async () => {
    const { server } = await start(0);
    const ann = await install(server, 'ann');
    const handed: ClaimedExecution[] = [];
    // A worker with 10 free slots (a stand-in: it only records what it is handed).
    const dispatcher: Dispatcher = {
      owner: 'worker-test',
      leaseMs: 60_000,
      userConcurrency: 2,
      reserve: (count) => Math.min(count, 10),
      dispatched: (executions) => void handed.push(...executions),
    };
    server.services.store.events.dispatchTo(dispatcher);
    const input = { userId: ann, name: 'Order Paid', data: { orderId: 'o-1' }, source: 'isv' as const, requestHash: '' };

    // One handed over (and still running), then five more at once: room for one of them.
    await server.services.store.events.accept(input);
    const results = await Promise.all(Array.from({ length: 5 }, () => server.services.store.events.accept(input)));

    expect(handed).toHaveLength(2);
    expect(results.reduce((n, r) => n + (r.kind === 'accepted' ? r.queued : 0), 0)).toBe(4);
    const rows = await server.services.store.db.all<{ status: string; n: number | string }>('SELECT status, COUNT(*) AS n FROM executions GROUP BY status ORDER BY status');
    expect(rows.map((r) => [r.status, Number(r.n)])).toEqual([
      ['queued', 4],
      ['running', 2],
    ]);
  });

  it('passes over a user at the limit in a claim and says work was held back, then takes it once one of theirs ends', async () => {
    const { server } = await start(0);
    const ann = await install(server, 'ann');
    const bob = await install(server, 'bob');
    await fire(server, ann, 4);
    const { executions } = server.services.store;
    const now = Date.now() + 1000;
    const first = await executions.claim('w1', 4, 60_000, now, 2);
    // Stopped by her limit, not by the claim's size: more of hers wait.
    expect(first.map((c) => c.userId)).toEqual([ann, ann]);
    expect(first.heldBack).toBe(true);
    await fire(server, bob, 1);

    const second = await executions.claim('w2', 4, 60_000, now, 2);

    // Four slots free in the second claim: ann is at her limit, bob gets his one.
    expect(second.map((c) => c.userId)).toEqual([bob]);
    expect(second.heldBack).toBe(true);
    expect(await executions.succeed(first[0]!.executionId, 'w1', undefined, now)).toBe(true);
    const third = await executions.claim('w2', 4, 60_000, now, 2);
    expect(third.map((c) => c.userId)).toEqual([ann]);
  });

  // The figure: B's event starts within about one of A's executions, however long A's queue.
  // By default (USER_CONCURRENCY = WORKER_CONCURRENCY) only the claims' turns between users keep
  // B's wait short; with a lower limit (half the worker) B finds a free slot at once.
  it.each([
    ['taking turns alone (the default: USER_CONCURRENCY = WORKER_CONCURRENCY)', undefined],
    ['USER_CONCURRENCY at half the worker', '4'],
  ])('starts one user’s event before more than a worker’s worth of another user’s 5,000 queued ones: %s', async (_, userConcurrency) => {
    const { server } = await start(3, { WORKERS: 'on', WORKER_CONCURRENCY: '8', ...(userConcurrency ? { USER_CONCURRENCY: userConcurrency } : {}) });
    const a = await install(server, 'flood');
    const b = await install(server, 'single');
    await fire(server, a, 5000);
    const sent = await server.request('POST', '/run/event', { body: { event: 'Order Paid', userId: b, data: { orderId: 'b-1' } } });
    const bId = sent.body.executionIds[0] as string;
    const db = server.services.store.db;
    await until(async () => (await db.get<{ started_at: number | null }>('SELECT started_at FROM executions WHERE id = ?', [bId]))?.started_at != null, 'B started');

    const bRow = (await db.get<{ created_at: number | string; started_at: number | string }>('SELECT created_at, started_at FROM executions WHERE id = ?', [bId]))!;
    const count = async (where: string, params: unknown[]) =>
      Number((await db.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM executions WHERE user_id = ? AND ${where}`, [a, ...params]))!.n);
    const aheadOfB = await count('started_at >= ? AND started_at < ?', [bRow.created_at, bRow.started_at]);
    const notStarted = await count('(started_at IS NULL OR started_at > ?)', [bRow.started_at]);

    // A's flood was still there when B started…
    expect(notStarted).toBeGreaterThan(1000);
    // …and at most a worker's slots' worth of A's started between B's accept and B's start (plus a claim's rounding).
    expect(aheadOfB).toBeLessThanOrEqual(8 + 2);
  });

  it('caps no user by default (turns alone share the slots), and refuses a limit under 1', () => {
    const base = { NODE_ENV: 'test', WORKERS: 'off' };
    expect(loadConfig({ ...base, WORKER_CONCURRENCY: '9' }).userConcurrency).toBeUndefined();
    expect(loadConfig({ ...base, USER_CONCURRENCY: '20' }).userConcurrency).toBe(20);
    expect(() => loadConfig({ ...base, USER_CONCURRENCY: '0' })).toThrow(/USER_CONCURRENCY: at least 1 execution/);
    expect(() => loadConfig({ ...base, USER_CONCURRENCY: '2.5' })).toThrow(/USER_CONCURRENCY: must be a whole number/);
  });
});
