import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from '../../server/store';
import { callApi, processStore, startProcess, streamingDefinitions, waitUntil, type RunningProcess } from '../helpers/process';
import { storeKind } from '../helpers/server';

const SHUTDOWN_TIMEOUT_MS = 3000;

/**
 * A Stream Data destination that answers "fast-" orders a second after they arrive (in flight at
 * the SIGTERM, done within the grace) and holds "slow-" ones unanswered (still running when the
 * grace ends) until `holdSlow` is turned off. Records each delivery's `webhook-id` (`<executionId>_send`).
 */
async function startDestination() {
  const received: { executionId: string; orderId: string }[] = [];
  const state = { holdSlow: true };
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const orderId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { orderId: string }).orderId;
      received.push({ executionId: String(req.headers['webhook-id']).replace(/_send$/, ''), orderId });
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      open.add(res);
      res.on('close', () => open.delete(res));
      if (orderId.startsWith('slow-') && state.holdSlow) return;
      setTimeout(answer, orderId.startsWith('fast-') ? 1000 : 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Resolves with the exit code and how long after `from` the process exited. */
const exited = (proc: RunningProcess, from: number) =>
  new Promise<{ code: number | null; ms: number }>((resolve) => {
    if (proc.child.exitCode !== null) return resolve({ code: proc.child.exitCode, ms: Date.now() - from });
    proc.child.once('exit', (code) => resolve({ code, ms: Date.now() - from }));
  });

/**
 * Asks `url` for /health/ready until the process exits; the statuses it answered meanwhile. The
 * first may come before the process has handled the signal: what counts is that it answered 503 and
 * never anything else after its first 503.
 */
async function readyWhileAlive(url: string, proc: RunningProcess): Promise<number[]> {
  const statuses: number[] = [];
  while (proc.child.exitCode === null && proc.child.signalCode === null) {
    try {
      statuses.push((await fetch(`${url}/health/ready`)).status);
    } catch {
      // The process exited between the check and the call.
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return statuses;
}

/** 503 from some point until the process exited, never ready again in between. */
function expectDownUntilExit(statuses: number[]): void {
  const down = statuses.indexOf(503);
  expect(down, `readiness answered ${statuses.join(', ')}`).toBeGreaterThanOrEqual(0);
  expect(
    statuses.slice(down).every((s) => s === 503),
    `readiness answered ${statuses.join(', ')}`,
  ).toBe(true);
}

describe(`graceful shutdown (${storeKind})`, () => {
  let destination: Awaited<ReturnType<typeof startDestination>>;
  let store: Awaited<ReturnType<typeof processStore>>;
  const processes: RunningProcess[] = [];
  beforeEach(async () => {
    destination = await startDestination();
    store = await processStore();
  });
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
    await destination.close();
    await store.dispose();
  });

  const env = () => ({
    ...store.env,
    INTEGRATIONS_DIR: streamingDefinitions(destination.url),
    ALLOY_ALLOW_PRIVATE_URLS: 'true',
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    METRICS_PORT: '0',
    // Held calls must still be waiting when the grace ends (not timed out), and a lease must not run
    // out during the test: what runs again ran again because it was given back, not because it lapsed.
    HTTP_TIMEOUT_MS: '60000',
    EXECUTION_LEASE_MS: '60000',
  });

  const start = (entry: 'server/index.ts' | 'server/worker.ts', more: Record<string, string>) => startProcess(entry, { ...env(), ...more }).then((p) => (processes.push(p), p));
  const adminUrl = (proc: RunningProcess) => proc.output().match(/(http:\/\/[^\s",]+)\/metrics/)![1]!;

  /** Creates a user with the order workflow and fires `orderIds`; the execution of each, by order id. */
  async function fire(url: string, orderIds: string[]): Promise<Map<string, string>> {
    const userId = (await callApi(`${url}/users`, 'POST', { username: 'shut' })).body.userId as string;
    const begun = await callApi(`${url}/headless/startInstallation`, 'POST', { userId, integrationId: 'acme' });
    expect((await callApi(`${url}/headless/completeInstallation`, 'POST', { userId, installationId: begun.body.installationId, data: {} })).status).toBe(200);
    const executions = new Map<string, string>();
    for (const orderId of orderIds) {
      const res = await callApi(`${url}/run/event`, 'POST', { event: 'Order Paid', userId, data: { orderId } });
      expect(res.status).toBe(200);
      executions.set(orderId, res.body.executionIds[0]);
    }
    return executions;
  }

  /** The executions' rows, read from the store once the processes are gone. */
  async function rows(): Promise<Map<string, { status: string; attempts: number; lease_owner: string | null }>> {
    const opened = await openStore(
      storeKind === 'postgres' ? { kind: 'postgres', url: store.env.DATABASE_URL! } : { kind: 'sqlite', file: path.join(store.env.DATA_DIR!, 'alloy.sqlite') },
    );
    try {
      const all = await opened.db.all<{ id: string; status: string; attempts: number; lease_owner: string | null }>('SELECT id, status, attempts, lease_owner FROM executions');
      return new Map(all.map((r) => [r.id, { status: r.status, attempts: Number(r.attempts), lease_owner: r.lease_owner }]));
    } finally {
      await opened.close();
    }
  }

  const fast = ['fast-1', 'fast-2', 'fast-3'];
  const slow = ['slow-1', 'slow-2', 'slow-3'];

  it('on SIGTERM answers 503 to readiness, stops accepting, lets running executions finish, gives back the rest at once, and exits 0 within SHUTDOWN_TIMEOUT_MS', async () => {
    const server = await start('server/index.ts', { WORKERS: 'on' });
    const admin = adminUrl(server);
    expect((await fetch(`${admin}/health/ready`)).status).toBe(200);
    const executions = await fire(server.url, [...fast, ...slow]);
    // All six are in flight at the destination: the fast ones answered within a second, the slow ones not at all.
    await waitUntil(
      () => destination.received.length === 6,
      10_000,
      () => `${destination.received.length} of 6 deliveries in flight`,
      server,
    );

    const signalled = Date.now();
    const exit = exited(server, signalled);
    server.child.kill('SIGTERM');
    const probed = readyWhileAlive(admin, server);
    await waitUntil(
      async () => (await fetch(`${admin}/health/ready`)).status === 503,
      2000,
      () => 'readiness to answer 503 once shutting down',
    );
    // The API's port takes no new connection while the executions finish.
    await expect(fetch(`${server.url}/health/live`)).rejects.toThrow();
    const { code, ms } = await exit;
    expect(code, server.output().slice(-2000)).toBe(0);
    expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expectDownUntilExit(await probed);

    // Finished or given back, none lost: the fast ones succeeded during the grace, the slow ones are
    // queued again with no lease and the attempt not counted.
    const after = await rows();
    for (const orderId of fast) expect(after.get(executions.get(orderId)!), orderId).toMatchObject({ status: 'succeeded' });
    for (const orderId of slow) expect(after.get(executions.get(orderId)!), orderId).toEqual({ status: 'queued', attempts: 0, lease_owner: null });
    expect(server.output()).toMatch(/worker: gave back 3 execution\(s\) still running/);
    expect(server.output()).toMatch(/"msg":"shutdown: done"/);

    // Another process takes them at once (the lease they had would have lasted a minute).
    destination.state.holdSlow = false;
    const next = await start('server/index.ts', { WORKERS: 'on' });
    const restarted = Date.now();
    await waitUntil(
      async () => {
        const logs = await callApi(`${next.url}/workflows/order-paid/logs?limit=100`, 'GET');
        return slow.every((orderId) => logs.body.data.find((e: { executionId: string }) => e.executionId === executions.get(orderId))?.status === 'succeeded');
      },
      10_000,
      () => 'the given-back executions to succeed in the next process',
      next,
    );
    expect(Date.now() - restarted).toBeLessThan(10_000);
    // Every execution reached the destination; the slow ones twice (at least once: their first call was cut off).
    for (const orderId of [...fast, ...slow]) expect(destination.received.some((r) => r.orderId === orderId)).toBe(true);
  }, 60_000);

  it('stops a worker process the same way: readiness 503 on its port, running executions given back, exit 0 in time', async () => {
    const api = await start('server/index.ts', { WORKERS: 'off' });
    const executions = await fire(api.url, slow);
    const worker = await start('server/worker.ts', {});
    const admin = adminUrl(worker);
    await waitUntil(
      () => destination.received.length === 3,
      10_000,
      () => `${destination.received.length} of 3 deliveries in flight`,
      worker,
    );
    const signalled = Date.now();
    const exit = exited(worker, signalled);
    worker.child.kill('SIGTERM');
    const statuses = await readyWhileAlive(admin, worker);
    const { code, ms } = await exit;
    expect(code, worker.output().slice(-2000)).toBe(0);
    expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expectDownUntilExit(statuses);
    await api.kill();
    const after = await rows();
    for (const orderId of slow) expect(after.get(executions.get(orderId)!), orderId).toEqual({ status: 'queued', attempts: 0, lease_owner: null });
  }, 60_000);
});
