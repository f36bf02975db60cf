import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSink, type Delivery } from '../../../demo/fakes/sink';
import { NETSUITE_ACCOUNT, startFakeNetSuite, type FakeNetSuite, type FakeTransaction } from '../../fakes/netsuite';
import { invoiceSyncIntegration, testClock } from '../../helpers/poll';
import { callApi, processStore, startProcess, waitUntil, type RunningProcess } from '../../helpers/process';
import { storeKind } from '../../helpers/server';

const T0 = Date.parse('2031-03-03T08:00:00.000Z');
const MINUTE = 60_000;

// Real processes on one store: a server that runs no executions, and worker processes, each with
// its poller reading the same polls; they read one clock file (ALLOY_TEST_CLOCK_FILE). NetSuite and
// the destination the workflow streams each run's event to are fakes in this process.
describe(`the poll trigger across processes (${storeKind})`, () => {
  let netsuite: FakeNetSuite;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let clock: ReturnType<typeof testClock>;
  let store: Awaited<ReturnType<typeof processStore>>;
  let definitionsDir: string;
  let env: Record<string, string>;
  let server: RunningProcess;
  const workers: RunningProcess[] = [];

  beforeAll(async () => {
    netsuite = await startFakeNetSuite();
    sink = await startSink();
    clock = testClock(T0);
    store = await processStore();
    definitionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-defs-'));
    fs.writeFileSync(path.join(definitionsDir, 'netsuite.json'), JSON.stringify(invoiceSyncIntegration(`${sink.url}/invoices`)));
    env = {
      ...store.env,
      NODE_ENV: 'test',
      ALLOY_ENCRYPTION_KEY: 'ef'.repeat(32),
      ALLOY_TEST_CLOCK_FILE: clock.file,
      ALLOY_ALLOW_PRIVATE_URLS: 'true',
      INTEGRATIONS_DIR: definitionsDir,
      NETSUITE_API_URL: netsuite.url,
      // Runs a killed worker had claimed are claimed again after two seconds, not a minute.
      EXECUTION_LEASE_MS: '2000',
    };
    server = await startProcess('server/index.ts', { ...env, WORKERS: 'off' });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([server, ...workers].map((p) => p?.kill('SIGKILL')));
    await store?.dispose();
    await sink?.close();
    await netsuite?.close();
    clock?.dispose();
    if (definitionsDir) fs.rmSync(definitionsDir, { recursive: true, force: true });
  });

  const startWorker = async () => {
    const worker = await startProcess('server/worker.ts', env);
    workers.push(worker);
    return worker;
  };
  /** A user with the workflow installed on the fake's account; its poll is due at once. */
  const installFor = async (username: string) => {
    const userId = (await callApi(`${server.url}/users`, 'POST', { username })).body.userId as string;
    const credential = await callApi(`${server.url}/headless/credentials`, 'POST', { userId, credential: { type: 'netsuite', data: NETSUITE_ACCOUNT } });
    expect(credential.status, JSON.stringify(credential.body)).toBe(201);
    const start = await callApi(`${server.url}/headless/startInstallation`, 'POST', { userId, integrationId: 'netsuite-sync', credentialId: credential.body.credentialId });
    const done = await callApi(`${server.url}/headless/completeInstallation`, 'POST', { userId, installationId: start.body.installationId, data: {} });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    return userId;
  };
  const runs = async (userId: string) => (await callApi(`${server.url}/workflows/invoice-sync/logs?userId=${userId}&limit=1000`, 'GET')).body.data as Array<{ status: string }>;
  const versions = (invoices: FakeTransaction[]) => invoices.map((i) => `${i.id}@${i.lastmodified}`).sort();
  /** The runs each record version got, as the destination saw them (a run delivered again keeps its webhook-id). */
  const runsByVersion = (deliveries: Delivery[]) => {
    const by = new Map<string, Set<string>>();
    for (const d of deliveries) {
      const { key, version } = d.json as { key: string; version: string };
      by.set(`${key}@${version}`, (by.get(`${key}@${version}`) ?? new Set()).add(String(d.headers['webhook-id'])));
    }
    return by;
  };
  /** Waits until the destination got a run of each version of `expected` and every run succeeded; then each version had exactly one run. */
  const expectOneRunEach = async (userId: string, expected: string[], deliveries: () => Delivery[]) => {
    const missing = () => expected.filter((v) => !runsByVersion(deliveries()).has(v));
    await waitUntil(
      () => missing().length === 0,
      30_000,
      () => `never delivered: ${missing().join(', ')}`,
    );
    await waitUntil(
      async () => (await runs(userId)).every((r) => r.status === 'succeeded'),
      30_000,
      () => 'the runs never all succeeded',
    );
    const by = runsByVersion(deliveries());
    expect([...by.keys()].sort()).toEqual(expected);
    for (const [version, ids] of by) expect(ids.size, `runs of ${version}`).toBe(1);
    expect(await runs(userId)).toHaveLength(expected.length);
  };

  it('delivers every record exactly once when a worker is killed with -9 in the middle of a round', async () => {
    // Eight invoices: three pages of three. NetSuite hangs on the second page.
    const invoices = Array.from({ length: 8 }, (_, i) => netsuite.addInvoice(`2031-03-03 07:5${i}:00`));
    const secondPage = netsuite.holdSuiteQL(1);
    const userId = await installFor('ann');
    const first = await startWorker();
    await secondPage.arrived; // the first page is committed before the second is asked for
    await first.kill('SIGKILL');
    secondPage.release();
    const runsBefore = await runs(userId);
    expect(runsBefore).toHaveLength(3);

    // Another worker takes the round once the killed one's lease has run out (by the engine's clock),
    // and goes on after the first page: it reads no page it had committed.
    await startWorker();
    clock.set(T0 + 6 * MINUTE);
    await expectOneRunEach(userId, versions(invoices), () => sink.deliveries);
    expect(netsuite.suiteqlRequests[2]!.q).toContain(`id > ${invoices[2]!.id}))`);
    expect(netsuite.suiteqlRequests).toHaveLength(4);
    expect((await callApi(`${server.url}/workflows/invoice-sync?userId=${userId}`, 'DELETE')).status).toBe(200);
  }, 90_000);

  it('emits each record version once with two workers polling the same installations round after round', async () => {
    await startWorker(); // beside the one that took over above
    const from = sink.deliveries.length;
    const userId = await installFor('bob');
    const expected = versions(netsuite.transactions);
    await waitUntil(
      async () => (await runs(userId)).length >= expected.length,
      30_000,
      () => 'the first round never emitted',
    );
    // Each round: two invoices change, one is new; the poll reads three pages or more.
    for (let round = 1; round <= 3; round++) {
      const changed = netsuite.transactions.slice(round, round + 2);
      const minute = String(5 + round * 5).padStart(2, '0');
      changed.forEach((t, i) => netsuite.changeInvoice(t.id, `2031-03-03 08:${minute}:0${i}`));
      netsuite.addInvoice(`2031-03-03 08:${minute}:30`);
      expected.push(...versions([...changed, netsuite.transactions.at(-1)!]));
      clock.advance(5 * MINUTE);
      await waitUntil(
        async () => (await runs(userId)).length >= expected.length,
        30_000,
        () => `round ${round} never emitted`,
      );
    }
    // A later round's run says every earlier one is committed: what is there now is all there is.
    const last = netsuite.addInvoice('2031-03-03 08:40:00');
    expected.push(...versions([last]));
    clock.advance(5 * MINUTE);
    await expectOneRunEach(userId, expected.sort(), () => sink.deliveries.slice(from));
    for (const worker of workers) expect(worker.output()).not.toMatch(/poller: cannot/);
  }, 90_000);
});
