import { afterEach, describe, expect, it } from 'vitest';
import type { Dispatcher } from '../../server/store/events';
import type { ClaimedExecution } from '../../server/store/executions';
import { createUserWithSlack, ticket } from '../helpers/flows';
import { until } from '../helpers/paced-sink';
import { startTestServer, storeKind, type TestServer } from '../helpers/server';

// A worker in the process takes new executions as they are recorded (server/store/events.ts,
// Dispatcher): written already claimed by it, handed over once committed, the rest queued.
describe(`new executions handed straight to the local worker (${storeKind})`, () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A dispatcher with `room` slots that records what it is handed. */
  function fakeDispatcher(room: number) {
    const handed: { executions: ClaimedExecution[]; reserved: number }[] = [];
    const dispatcher: Dispatcher & { room: number; handed: typeof handed } = {
      owner: 'worker-test',
      leaseMs: 60_000,
      room,
      handed,
      reserve(count) {
        const granted = Math.min(count, this.room);
        this.room -= granted;
        return granted;
      },
      dispatched(executions, reserved) {
        handed.push({ executions, reserved });
        this.room += reserved - executions.length;
      },
    };
    return dispatcher;
  }

  const rowsOf = (s: TestServer) =>
    s.services.store.db.all<{ id: string; status: string; attempts: number; lease_owner: string | null; lease_until: number | null; started_at: number | null }>(
      'SELECT id, status, attempts, lease_owner, lease_until, started_at FROM executions ORDER BY id',
    );

  it('records as many as the worker has room for as claimed by it (attempt 1, leased), queues the rest, and hands over only once committed', async () => {
    server = await startTestServer();
    const userId = await createUserWithSlack(server, 'ann');
    const dispatcher = fakeDispatcher(1);
    server.services.store.events.dispatchTo(dispatcher);
    const input = { userId, name: 'Ticket Created', data: ticket, source: 'isv' as const, requestHash: '' };
    const before = Date.now();

    // Two events in one batch, room for one execution.
    const results = await Promise.all([server.services.store.events.accept(input), server.services.store.events.accept(input)]);

    expect(results.map((r) => (r.kind === 'accepted' ? r.queued : r.kind))).toEqual([0, 1]);
    const taken = results[0]!.kind === 'accepted' ? results[0]!.response.executionIds[0]! : '';
    const rows = await rowsOf(server);
    const running = rows.find((r) => r.id === taken)!;
    expect(running).toMatchObject({ status: 'running', attempts: 1, lease_owner: 'worker-test' });
    expect(Number(running.lease_until)).toBeGreaterThanOrEqual(before + 60_000);
    expect(Number(running.started_at)).toBeGreaterThanOrEqual(before);
    expect(rows.find((r) => r.id !== taken)).toMatchObject({ status: 'queued', attempts: 0, lease_owner: null, lease_until: null });
    // One handover for the batch, after its commit, with what a claim would have returned, and
    // the inputs its run would read back (so it does not).
    const eventId = results[0]!.kind === 'accepted' ? results[0]!.response.eventId : '';
    const installationId = (await server.services.store.installations.list(userId))[0]!.installationId;
    const [inputs] = await server.services.store.executions.inputs([{ userId, installationId, eventId }]);
    expect(inputs!.installation?.installationId).toBe(installationId);
    expect(inputs!.event).toEqual({ name: 'Ticket Created', data: ticket, username: 'ann' });
    expect(dispatcher.handed).toEqual([
      {
        reserved: 1,
        executions: [{ executionId: taken, eventId, userId, installationId, workflowId: 'slack-ticket-created', version: 1, attempt: 1, attemptInRun: 1, hasSteps: false, inputs }],
      },
    ]);
    expect(dispatcher.room).toBe(0);
  });

  it('gives the slots back when the batch records nothing new (a repeat) or fails', async () => {
    server = await startTestServer();
    const userId = await createUserWithSlack(server, 'ann');
    const events = server.services.store.events;
    const input = { userId, name: 'Ticket Created', data: ticket, source: 'isv' as const, requestHash: 'h', idempotencyKey: 'k-1' };
    expect((await events.accept(input)).kind).toBe('accepted');

    const dispatcher = fakeDispatcher(5);
    events.dispatchTo(dispatcher);
    expect((await events.accept(input)).kind).toBe('repeat');
    expect(dispatcher.handed).toEqual([{ executions: [], reserved: 1 }]);
    expect(dispatcher.room).toBe(5);

    // A batch whose write throws.
    const failing = { ...input, idempotencyKey: undefined };
    const write = server.services.store.db;
    const original = write.dialect === 'postgres' ? write.all.bind(write) : write.transaction.bind(write);
    if (write.dialect === 'postgres') (write as { all: unknown }).all = async () => Promise.reject(new Error('induced'));
    else (write as { transaction: unknown }).transaction = async () => Promise.reject(new Error('induced'));
    try {
      await expect(events.accept(failing)).rejects.toThrow('induced');
    } finally {
      if (write.dialect === 'postgres') (write as { all: unknown }).all = original;
      else (write as { transaction: unknown }).transaction = original;
    }
    expect(dispatcher.room).toBe(5);
    expect(await rowsOf(server)).toHaveLength(1);
  });

  it('with a worker in the process, runs an event accepted while it is idle without queueing it', async () => {
    server = await startTestServer({ env: { WORKERS: 'on' } });
    const userId = await createUserWithSlack(server, 'ann');
    // Until its first claim has found the queue empty, the worker takes no new execution (work
    // from before a start goes first): wait until it would hold a slot, and give the slot back.
    const worker = server.services.engine.worker!;
    await until(() => {
      const granted = worker.reserve(1);
      worker.dispatched([], granted);
      return granted === 1;
    }, "the worker's first claim");
    const answer = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    expect(answer.status).toBe(200);
    const [executionId] = answer.body.executionIds as string[];
    // Recorded in the event's commit as claimed by this process's worker: never queued.
    const row = (await rowsOf(server)).find((r) => r.id === executionId)!;
    expect(row.attempts).toBe(1);
    expect(row.started_at).not.toBeNull();
    expect(row.status).not.toBe('queued');
  });

  it('starts one execution per listener in installation order, claims the first ones the worker has room for, and answers a repeat with the same ids', async () => {
    server = await startTestServer();
    const userId = await createUserWithSlack(server, 'ann');
    const db = server.services.store.db;
    const slack = (await server.services.store.installations.list(userId))[0]!;
    // A second workflow on the same event, installed after the first; and a third, deactivated.
    const now = Date.now();
    for (const [workflowId, active] of [
      ['second-listener', 1],
      ['inactive-listener', 0],
    ] as const) {
      await db.run('INSERT INTO workflow_versions (workflow_id, version, integration_id, definition, hash, trigger_key, released_at) VALUES (?, 1, ?, ?, ?, ?, ?)', [
        workflowId,
        'slack',
        '{}',
        workflowId,
        'Ticket Created',
        now,
      ]);
      await db.run(
        'INSERT INTO installations (id, user_id, integration_id, workflow_id, version, config, credential_ids, active, webhook_token, installed_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, NULL, ?, ?)',
        [`inst-${workflowId}`, userId, 'slack', workflowId, '{}', '[]', active, now + 1, now + 1],
      );
    }
    const dispatcher = fakeDispatcher(3);
    server.services.store.events.dispatchTo(dispatcher);
    const input = (key: string) => ({ userId: 'ann', byUsername: true, name: 'Ticket Created', data: ticket, source: 'isv' as const, requestHash: 'h', idempotencyKey: key });

    const results = await Promise.all([server.services.store.events.accept(input('a')), server.services.store.events.accept(input('b'))]);
    const handed = dispatcher.handed.flatMap((h) => h.executions);

    const responses = results.map((r) => (r.kind === 'accepted' ? r.response : undefined));
    const ids = responses.flatMap((r) => r!.executionIds);
    expect(ids).toHaveLength(4);
    expect(new Set([...ids, ...responses.map((r) => r!.eventId)]).size).toBe(6);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{24}$/);
    const rows = await db.all<{ id: string; event_id: string; installation_id: string; status: string }>('SELECT id, event_id, installation_id, status FROM executions');
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const response of responses) {
      expect(response!.executionIds.map((id) => byId.get(id)?.installation_id)).toEqual([slack.installationId, 'inst-second-listener']);
      for (const id of response!.executionIds) expect(byId.get(id)?.event_id).toBe(response!.eventId);
    }
    // The worker had room for three: every execution it was handed is recorded as its, the others queued.
    expect(handed.map((e) => e.executionId).sort()).toEqual(
      rows
        .filter((r) => r.status === 'running')
        .map((r) => r.id)
        .sort(),
    );
    expect(handed).toHaveLength(3);
    expect(rows.filter((r) => r.status === 'queued')).toHaveLength(1);
    for (const e of handed) expect(e.inputs.event).toEqual({ name: 'Ticket Created', data: ticket, username: 'ann' });

    // A repeat of a key answers what the first answer said, from what was stored with it.
    const repeat = await server.services.store.events.accept(input('b'));
    expect(repeat).toEqual({ kind: 'repeat', response: responses[1] });
  });
});
