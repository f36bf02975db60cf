import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSink } from '../../../demo/fakes/sink';
import { buildDefinitions, DefinitionError, loadDefinitions } from '../../../server/definitions/load';
import { NETSUITE_ACCOUNT, startFakeNetSuite, type FakeNetSuite } from '../../fakes/netsuite';
import { addCredential, countRows, installHeadless } from '../../helpers/flows';
import { invoiceSyncIntegration, testClock } from '../../helpers/poll';
import { createUser, startTestServer, storeKind, type TestServer } from '../../helpers/server';

const T0 = Date.parse('2031-03-03T08:00:00.000Z');
const MINUTE = 60_000;

interface PollEvent {
  source: string;
  key: string;
  version: string;
  record: Record<string, string>;
}

describe(`the poll trigger (${storeKind})`, () => {
  let server: TestServer;
  let netsuite: FakeNetSuite;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let clock: ReturnType<typeof testClock>;
  let userId: string;

  beforeEach(async () => {
    netsuite = await startFakeNetSuite();
    sink = await startSink();
    clock = testClock(T0);
    server = await startTestServer({
      env: { WORKERS: 'on', ALLOY_TEST_CLOCK_FILE: clock.file, ALLOY_ALLOW_PRIVATE_URLS: 'true', NETSUITE_API_URL: netsuite.url },
      definitions: () => buildDefinitions([invoiceSyncIntegration(`${sink.url}/invoices`)]),
    });
    userId = await createUser(server, 'ann');
  });
  afterEach(async () => {
    await server.close();
    await sink.close();
    await netsuite.close();
    clock.dispose();
  });

  const install = async () => {
    const credentialId = await addCredential(server, userId, 'netsuite', { ...NETSUITE_ACCOUNT });
    await installHeadless(server, userId, 'netsuite-sync', { credentialId });
    return (await server.services.store.installations.find(userId, 'invoice-sync'))!.installationId;
  };
  /** One round of the poller at the clock's time, awaited: what it does is in the store when this resolves. */
  const tick = () => server.services.engine.runners.get('poll')!.tick();
  const events = async () =>
    (await server.services.store.db.all<{ data: string; name: string }>("SELECT name, data FROM events WHERE source = 'poll' ORDER BY received_at, id")).map((e) => ({
      name: e.name,
      ...(JSON.parse(e.data) as PollEvent),
    }));
  const emitted = async () => (await events()).map((e) => `${e.key}@${e.version}`).sort();
  const state = async (installationId: string) => (await server.services.store.polls.state(installationId))!;
  /** The cursor each SuiteQL request started from, as its WHERE clause says. */
  const cursors = () => netsuite.suiteqlRequests.map((r) => /CustInvc'(.*) ORDER BY/.exec(r.q)![1]!.trim());

  it('emits every existing invoice once on the first round, then only the new and the changed ones', async () => {
    const [a, b, c, d] = ['08:00:01', '08:00:02', '08:00:03', '08:00:04'].map((t) => netsuite.addInvoice(`2031-03-03 ${t}`));
    const installationId = await install();
    await tick();
    expect(await emitted()).toEqual([a, b, c, d].map((i) => `${i!.id}@${i!.lastmodified}`).sort());
    expect((await events()).find((e) => e.key === String(a!.id))).toEqual({
      name: 'poll:invoice-sync',
      source: 'netsuite.invoices',
      key: String(a!.id),
      version: '2031-03-03 08:00:01',
      record: { id: String(a!.id), tranid: a!.tranid, entity: '42', trandate: '2031-03-03', foreigntotal: '100', currency: '1', status: 'A', lastmodified: '2031-03-03 08:00:01' },
    });
    expect(await countRows(server, 'executions', 'installation_id = ?', [installationId])).toBe(4);
    expect((await state(installationId)).dueAt).toBe(T0 + 5 * MINUTE);

    // Not due yet: nothing is read.
    const requests = netsuite.suiteqlRequests.length;
    clock.advance(5 * MINUTE - 1);
    await tick();
    expect(netsuite.suiteqlRequests).toHaveLength(requests);

    // One invoice changed, one new: each emitted once; the round reads back a minute (it re-reads
    // the ones it had seen) and drops the versions it already emitted.
    netsuite.changeInvoice(b!.id, '2031-03-03 08:04:00', { status: 'B' });
    const e = netsuite.addInvoice('2031-03-03 08:04:30');
    clock.advance(1);
    await tick();
    expect(cursors()[requests]).toBe("AND lastmodifieddate >= TO_TIMESTAMP('2031-03-03 07:59:04', 'YYYY-MM-DD HH24:MI:SS')");
    expect(await emitted()).toEqual([...[a, b, c, d].map((i) => `${i!.id}@${i!.lastmodified}`), `${b!.id}@2031-03-03 08:00:02`, `${e.id}@${e.lastmodified}`].sort());
    clock.advance(5 * MINUTE);
    await tick();
    expect(await events()).toHaveLength(6);

    // Each run is an execution of the workflow like any other: it streams the record.
    await sink.waitFor(6);
    const streamed = sink.deliveries.map((d) => d.json as PollEvent);
    expect(streamed.map((s) => `${s.key}@${s.version}`).sort()).toEqual(await emitted());
    expect(streamed.find((s) => s.key === String(b!.id) && s.version === '2031-03-03 08:04:00')!.record.status).toBe('B');
  });

  it('reads a long list page by page in one round, from a keyset cursor, each invoice once even where a page ends inside one second', async () => {
    // Eight invoices, four of them in the same second across the boundary of the first two pages.
    const invoices = ['08:00:01', '08:00:02', '08:00:05', '08:00:05', '08:00:05', '08:00:05', '08:00:06', '08:00:07'].map((t) => netsuite.addInvoice(`2031-03-03 ${t}`));
    const installationId = await install();
    await tick();

    expect(await emitted()).toEqual(invoices.map((i) => `${i.id}@${i.lastmodified}`).sort());
    const [, , third, , , sixth] = invoices;
    expect(cursors()).toEqual([
      '',
      `AND (lastmodifieddate > TO_TIMESTAMP('2031-03-03 08:00:05', 'YYYY-MM-DD HH24:MI:SS') OR (lastmodifieddate = TO_TIMESTAMP('2031-03-03 08:00:05', 'YYYY-MM-DD HH24:MI:SS') AND id > ${third!.id}))`,
      `AND (lastmodifieddate > TO_TIMESTAMP('2031-03-03 08:00:05', 'YYYY-MM-DD HH24:MI:SS') OR (lastmodifieddate = TO_TIMESTAMP('2031-03-03 08:00:05', 'YYYY-MM-DD HH24:MI:SS') AND id > ${sixth!.id}))`,
    ]);
    for (const r of netsuite.suiteqlRequests) expect(r).toMatchObject({ limit: 3, offset: 0, prefer: 'transient' });
    expect(netsuite.rejections).toEqual([]);
    expect(JSON.parse((await state(installationId)).checkpoint!)).toEqual({ at: '2031-03-03 07:59:07', id: null });
  });

  it('goes on from its checkpoint after a restart, emitting nothing twice', async () => {
    const [a, b] = [netsuite.addInvoice('2031-03-03 08:00:01'), netsuite.addInvoice('2031-03-03 08:00:02')];
    const installationId = await install();
    await tick();
    const before = await state(installationId);

    await server.restart();
    expect(await state(installationId)).toEqual(before);
    const c = netsuite.addInvoice('2031-03-03 08:03:00');
    clock.advance(5 * MINUTE);
    await tick();

    expect(await emitted()).toEqual([a, b, c].map((i) => `${i.id}@${i.lastmodified}`).sort());
    expect(cursors().at(-1)).toBe("AND lastmodifieddate >= TO_TIMESTAMP('2031-03-03 07:59:02', 'YYYY-MM-DD HH24:MI:SS')");
  });

  it('emits no version twice even once retention has deleted its run and its event', async () => {
    netsuite.addInvoice('2031-03-03 08:00:01');
    const b = netsuite.addInvoice('2031-03-03 08:00:02');
    await install();
    await tick();
    await vi.waitFor(async () => expect(await countRows(server, 'executions', "status = 'succeeded'")).toBe(2), { timeout: 10_000 });
    expect((await server.services.store.logs.deleteOlderThan(Date.now() + 1)).events).toBe(2);

    // The next round reads both again (it reads back a minute): only the changed one runs.
    netsuite.changeInvoice(b.id, '2031-03-03 08:03:00');
    clock.advance(5 * MINUTE);
    await tick();
    expect(await emitted()).toEqual([`${b.id}@2031-03-03 08:03:00`]);
    expect(cursors().at(-1)).toBe("AND lastmodifieddate >= TO_TIMESTAMP('2031-03-03 07:59:02', 'YYYY-MM-DD HH24:MI:SS')");
  });

  it('records a failing NetSuite on the poll, keeps the checkpoint, and reads what it missed at the next interval', async () => {
    netsuite.addInvoice('2031-03-03 08:00:01');
    const installationId = await install();
    await tick();
    const checkpoint = (await state(installationId)).checkpoint;

    // Down for a round.
    const later = [netsuite.addInvoice('2031-03-03 08:02:00'), netsuite.addInvoice('2031-03-03 08:02:01'), netsuite.addInvoice('2031-03-03 08:02:02')];
    netsuite.failSuiteQL(1, 503);
    clock.advance(5 * MINUTE);
    await tick();
    expect(await state(installationId)).toMatchObject({
      checkpoint,
      dueAt: T0 + 10 * MINUTE,
      leaseOwner: null,
      lastError: 'NetSuite: HTTP 503 SERVICE_UNAVAILABLE The service is temporarily unavailable.',
      lastErrorAt: T0 + 5 * MINUTE,
    });
    expect(await events()).toHaveLength(1);

    // Throttled on the second page (429, Retry-After 15 minutes): the first page is kept, and the next round waits as asked.
    netsuite.failSuiteQL(1, 429, { after: 1, headers: { 'retry-after': '900' } });
    clock.advance(5 * MINUTE);
    await tick();
    expect(await events()).toHaveLength(3);
    expect(await state(installationId)).toMatchObject({ dueAt: T0 + 25 * MINUTE, lastError: expect.stringMatching(/^NetSuite: HTTP 429 CONCURRENCY_LIMIT_EXCEEDED/) });

    clock.set(T0 + 25 * MINUTE);
    await tick();
    expect(await emitted()).toEqual([netsuite.transactions[0]!, ...later].map((i) => `${i.id}@${i.lastmodified}`).sort());
    expect(await state(installationId)).toMatchObject({ lastError: null, lastErrorAt: null, lastPolledAt: T0 + 25 * MINUTE, dueAt: T0 + 30 * MINUTE });
  });

  it('pauses with the installation and, resumed, emits what changed meanwhile from its checkpoint', async () => {
    const a = netsuite.addInvoice('2031-03-03 08:00:01');
    const installationId = await install();
    await tick();
    expect((await server.request('PUT', '/workflows/deactivate', { body: { userId, workflowId: 'invoice-sync' } })).status).toBe(200);
    expect((await state(installationId)).dueAt).toBeNull();

    netsuite.changeInvoice(a.id, '2031-03-03 08:07:00');
    const requests = netsuite.suiteqlRequests.length;
    clock.advance(10 * MINUTE);
    await tick();
    expect(netsuite.suiteqlRequests).toHaveLength(requests);

    expect((await server.request('PUT', '/workflows/activate', { body: { userId, workflowId: 'invoice-sync' } })).status).toBe(200);
    await tick();
    expect(await emitted()).toEqual([`${a.id}@2031-03-03 08:00:01`, `${a.id}@2031-03-03 08:07:00`]);

    expect((await server.request('DELETE', `/workflows/invoice-sync?userId=${userId}`)).status).toBe(200);
    expect(await countRows(server, 'poll_states')).toBe(0);
    expect(await countRows(server, 'poll_records')).toBe(0);
  });

  it('shows the trigger as a NetSuite block and gives the installation no URL', async () => {
    const credentialId = await addCredential(server, userId, 'netsuite', { ...NETSUITE_ACCOUNT });
    const installed = await installHeadless(server, userId, 'netsuite-sync', { credentialId });
    const workflow = (await server.request('GET', `/workflows/invoice-sync?userId=${userId}`)).body.data;
    expect(workflow.trigger).toEqual({ type: 'poll' });
    expect(workflow.blocks[0]).toEqual({ name: 'NetSuite: New or changed invoices', id: 'trigger', type: 'poll', icon: expect.stringMatching(/\/icons\/netsuite\.svg$/) });
    expect(JSON.stringify(installed)).not.toContain('/hooks/');
  });
});

describe('poll definitions', () => {
  const load = (trigger: Record<string, unknown>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-defs-'));
    const file = path.join(dir, 'netsuite.json');
    fs.writeFileSync(file, JSON.stringify(invoiceSyncIntegration('https://example.com/invoices', trigger)));
    try {
      loadDefinitions(dir);
    } catch (err) {
      if (err instanceof DefinitionError) return { err, file };
      throw err;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    throw new Error('expected a DefinitionError');
  };

  it('refuses an unknown connector, naming the file, the path and the reason', () => {
    const { err, file } = load({ connector: 'netsuit' });
    expect(err.file).toBe(file);
    expect(err.path).toEqual(['workflows', 0, 'trigger', 'connector']);
    expect(err.reason).toMatch(/^no connector "netsuit" \(known: slack, bigcommerce, netsuite, /);
    expect(err.message).toBe(`${file}: workflows.0.trigger.connector: ${err.reason}`);
  });

  it('refuses a list source the connector does not have, saying which it has', () => {
    const { err, file } = load({ source: 'orders' });
    expect(err.message).toBe(`${file}: workflows.0.trigger.source: NetSuite has no list source "orders" (it has: invoices)`);
    expect(load({ connector: 'slack', source: 'messages' }).err.reason).toBe('Slack has no list source "messages" (it has none)');
  });

  it("refuses parameters the list source does not take, and an interval out of bounds, at each one's path", () => {
    expect(load({ params: { pageSize: 5000 } }).err.message).toMatch(/workflows\.0\.trigger\.params\.pageSize: Too big: expected number to be <=1000$/);
    expect(load({ params: { since: 'yesterday' } }).err.path).toEqual(['workflows', 0, 'trigger', 'params', 'since']);
    expect(load({ params: { sinse: '2031-01-01' } }).err.reason).toMatch(/Unrecognized key: "sinse"/);
    expect(load({ intervalSeconds: 10 }).err.message).toMatch(/workflows\.0\.trigger\.intervalSeconds: must be at least 60 seconds$/);
    expect(load({ intervalSeconds: 90_000 }).err.reason).toBe('must be at most 86400 seconds (a day)');
  });

  it('polls every five minutes with the source’s default parameters unless told otherwise', () => {
    const integration = invoiceSyncIntegration('https://example.com/invoices');
    const { trigger } = integration.workflows[0]!;
    delete (trigger as Record<string, unknown>).intervalSeconds;
    delete (trigger as Record<string, unknown>).params;
    const loaded = buildDefinitions([integration]).workflow('invoice-sync')!.workflow.trigger;
    expect(loaded).toEqual({ type: 'poll', connector: 'netsuite', source: 'invoices', intervalSeconds: 300, params: {} });
  });
});
