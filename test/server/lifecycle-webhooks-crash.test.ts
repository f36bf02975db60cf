import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHookSink, type HookSink } from '../helpers/hook-sink';
import { callApi, processStore, startProcess, streamingDefinitions, waitUntil, type RunningProcess } from '../helpers/process';
import { storeKind } from '../helpers/server';

const SECRET = `whsec_${Buffer.from('lifecycle-webhooks-crash-secret-').toString('base64')}`;

describe(`lifecycle webhooks across a kill -9 (${storeKind})`, () => {
  let hooks: HookSink;
  let store: Awaited<ReturnType<typeof processStore>>;
  const processes: RunningProcess[] = [];
  beforeEach(async () => {
    hooks = await startHookSink(SECRET);
    store = await processStore();
  });
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
    await hooks.close();
    await store.dispose();
  });

  /** Installs AcmeCo (no account needed) for a new user: one installation.created each. */
  async function installFor(url: string, username: string) {
    const userId = (await callApi(`${url}/users`, 'POST', { username })).body.userId as string;
    const start = await callApi(`${url}/headless/startInstallation`, 'POST', { userId, integrationId: 'acme' });
    const done = await callApi(`${url}/headless/completeInstallation`, 'POST', { userId, installationId: start.body.installationId, data: {} });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    return userId;
  }

  it('loses no message stored before a SIGKILL and sends none under two ids: those in flight come again with the same webhook-id', async () => {
    const env = {
      ...store.env,
      INTEGRATIONS_DIR: streamingDefinitions('http://127.0.0.1:9/unused'),
      ALLOY_ALLOW_PRIVATE_URLS: 'true',
      ALLOY_WEBHOOK_SECRET: SECRET,
      ALLOY_EVENTS_WEBHOOK_URL: `${hooks.url}/events`,
      WORKERS: 'on',
      // The killed process's hold on the messages it was sending runs out 2 s after it took them.
      EXECUTION_LEASE_MS: '2000',
      HTTP_TIMEOUT_MS: '60000',
      RETRY_SCHEDULE: '100,200,400',
    };
    let server = await startProcess('server/index.ts', env);
    processes.push(server);
    // The endpoint takes the requests and never answers: stored, sent, not acknowledged.
    hooks.holdAll();
    const users = [await installFor(server.url, 'ann'), await installFor(server.url, 'bob')];
    await waitUntil(
      () => hooks.requests.length >= 1,
      10_000,
      () => 'a request held before the kill',
      server,
    );
    // And two more stored while that is in flight: not sent yet when the process dies (a batch's
    // tries end before the next is taken).
    for (const userId of users) {
      const res = await callApi(`${server.url}/workflows/deactivate`, 'PUT', { userId, workflowId: 'order-paid' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
    const inFlight = new Set(hooks.requests.map((r) => r.id));
    await server.kill('SIGKILL');

    hooks.release();
    server = await startProcess('server/index.ts', env);
    processes.push(server);
    const log = async () => (await callApi(`${server.url}/webhook-deliveries`, 'GET')).body.data as Array<{ id: string; type: string; status: string }>;
    await waitUntil(
      async () => (await log()).every((m) => m.status === 'delivered'),
      15_000,
      () => 'every stored message delivered after the restart',
      server,
    );

    const stored = await log();
    expect(stored.map((m) => m.type).sort()).toEqual(['installation.created', 'installation.created', 'installation.updated', 'installation.updated']);
    const answered = hooks.verified().filter((r) => r.status === 200);
    // Every stored message arrived, each once acknowledged...
    expect(answered.map((r) => r.id).sort()).toEqual(stored.map((m) => m.id).sort());
    // ...those in flight at the kill twice, under their own id both times...
    for (const id of inFlight) expect(hooks.requests.filter((r) => r.id === id).map((r) => r.body)).toHaveLength(2);
    // ...and no change was told under two ids.
    const idsPerChange = new Map<string, Set<string>>();
    for (const r of hooks.requests) {
      const change = `${r.json.type} ${JSON.stringify(r.json.data)}`;
      idsPerChange.set(change, (idsPerChange.get(change) ?? new Set()).add(r.id));
    }
    expect([...idsPerChange.values()].map((ids) => ids.size)).toEqual([1, 1, 1, 1]);
  }, 60_000);
});
