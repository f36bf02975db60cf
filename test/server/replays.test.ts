import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDefinitions } from '../../server/definitions/load';
import { startCountingSink } from '../helpers/counting-sink';
import { acmeIntegration } from '../helpers/definitions';
import { createUser, startTestServer, storeKind, userToken, waitForExecution, type TestServer } from '../helpers/server';
import { twoStepIntegration } from '../helpers/two-step';

/** The two-step workflow, and a one-block one on another event. */
const definitions = (url: string) =>
  buildDefinitions([
    acmeIntegration([
      ...twoStepIntegration(url).workflows,
      {
        id: 'refund',
        name: 'Refunds',
        version: 1,
        trigger: { type: 'customEvent', event: 'Order Refunded', schema: { orderId: 'String' } },
        blocks: [{ id: 'send', connector: 'streamData', action: 'post', input: { url: `${url}/refund`, body: { order: '{{event.orderId}}' } } }],
      },
    ]),
  ]);

async function installAcme(server: TestServer, username: string): Promise<string> {
  const userId = await createUser(server, username);
  const install = await server.request('POST', '/me/installations', { token: await userToken(server, userId), body: { integrationId: 'acme', config: {} } });
  expect(install.status).toBe(201);
  return userId;
}

const T0 = Date.parse('2024-05-01T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

describe(`bulk replay: counting and the replay job (${storeKind})`, () => {
  // Workers off: the executions fail where the test says, when it says, with the error it says.
  let server: TestServer;
  let ann: string;
  let bob: string;
  /** The failed executions by name. */
  const failed: Record<string, string> = {};

  beforeEach(async () => {
    server = await startTestServer({ definitions: () => definitions('http://127.0.0.1:9') });
    ann = await installAcme(server, 'ann');
    bob = await installAcme(server, 'bob');
    const fire = async (userId: string, event: string) =>
      (await server.request('POST', '/run/event', { body: { event, userId, data: { orderId: 'x' } } })).body.executionIds[0] as string;
    const plan = [
      { name: 'annPaid1', userId: ann, event: 'Order Paid', message: 'Block "second": POST /second: HTTP 500', minutes: 0 },
      { name: 'annPaid2', userId: ann, event: 'Order Paid', message: 'needs_reconnect: the account must be connected again', minutes: 10 },
      { name: 'bobPaid', userId: bob, event: 'Order Paid', message: 'Block "second": POST /second: HTTP 500', minutes: 20 },
      { name: 'annRefund', userId: ann, event: 'Order Refunded', message: 'needs_reconnect: the account must be connected again', minutes: 30 },
      { name: 'annOk', userId: ann, event: 'Order Refunded', message: null, minutes: 40 },
    ];
    const ids: string[] = [];
    for (const p of plan) ids.push(await fire(p.userId, p.event));
    const { executions } = server.services.store;
    const claimed = await executions.claim('test-worker', 10, 60_000, Date.now() + 1000);
    expect(claimed).toHaveLength(plan.length);
    for (const [i, p] of plan.entries()) {
      const c = claimed.find((x) => x.executionId === ids[i])!;
      if (p.message === null) expect(await executions.succeed(c.executionId, 'test-worker')).toBe(true);
      else expect(await executions.fail(c, 'test-worker', { block: 'second', message: p.message }, T0 + p.minutes * 60_000)).toBe(true);
      failed[p.name] = c.executionId;
    }
  });
  afterEach(async () => {
    await server.close();
  });

  const count = async (filter: Record<string, unknown>) => {
    const res = await server.request('POST', '/executions/replay', { body: { filter, dryRun: true } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.count as number;
  };

  it('counts, in a dry run, the failed executions each filter field selects, and changes nothing', async () => {
    expect(await count({})).toBe(4);
    expect(await count({ workflowId: 'two-step' })).toBe(3);
    expect(await count({ workflowId: 'refund' })).toBe(1);
    expect(await count({ userId: ann })).toBe(3);
    expect(await count({ userId: 'bob' })).toBe(1);
    expect(await count({ error: 'needs_reconnect' })).toBe(2);
    expect(await count({ error: 'HTTP 500' })).toBe(2);
    expect(await count({ error: 'NEEDS_RECONNECT' })).toBe(0);
    expect(await count({ from: at(10) })).toBe(3);
    expect(await count({ to: at(10) })).toBe(1);
    expect(await count({ from: at(5), to: at(25) })).toBe(2);
    expect(await count({ workflowId: 'two-step', userId: 'ann', error: 'needs_reconnect' })).toBe(1);
    const statuses = await server.services.store.db.all<{ status: string }>("SELECT status FROM executions WHERE status = 'failed'");
    expect(statuses).toHaveLength(4);
    expect(await server.services.store.db.all('SELECT id FROM replays')).toEqual([]);
  });

  it('makes a replay of the executions the filter selects and requeues them in batches, each once, as re-runs', async () => {
    const res = await server.request('POST', '/executions/replay', { body: { filter: { userId: 'ann' } } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ dryRun: false, status: 'running', total: 3, requeued: 0, skipped: 0, remaining: 3, filter: { userId: ann }, from: 'failed' });
    const { replayId } = res.body;
    const { replays, executions } = server.services.store;

    // A batch of two, then the last one: a batch never exceeds its limit.
    expect(await replays.advance('p1', 2, 60_000)).toEqual({ replayId, requeued: 2, skipped: 0, done: false });
    expect((await server.request('GET', `/executions/replay/${replayId}`)).body).toMatchObject({ status: 'running', total: 3, requeued: 2, remaining: 1 });
    // Another process cannot take the replay while the first holds its lease.
    expect(await replays.advance('p2', 2, 60_000)).toBeUndefined();
    // One of ann's was re-run by hand meanwhile: the replay leaves it.
    const stillFailed = [];
    for (const id of [failed.annPaid1, failed.annPaid2, failed.annRefund]) if ((await executions.status(id!)) === 'failed') stillFailed.push(id!);
    expect(stillFailed).toHaveLength(1);
    expect(await executions.requeue(undefined, stillFailed[0]!, stillFailed[0] === failed.annRefund ? 'refund' : 'two-step')).toBe(true);
    expect(await replays.advance('p1', 2, 60_000)).toEqual({ replayId, requeued: 0, skipped: 1, done: true });

    const progress = (await server.request('GET', `/executions/replay/${replayId}`)).body;
    expect(progress).toMatchObject({ status: 'done', total: 3, requeued: 2, skipped: 1, remaining: 0, finishedAt: expect.any(String) });
    const rows = await server.services.store.db.all<{ id: string; status: string }>('SELECT id, status FROM executions ORDER BY id');
    const queued = rows.filter((r) => r.status === 'queued').map((r) => r.id);
    expect(queued.sort()).toEqual([failed.annPaid1, failed.annPaid2, failed.annRefund].sort());
    expect(rows.find((r) => r.id === failed.bobPaid)!.status).toBe('failed');
    const reruns = await server.services.store.db.all<{ execution_id: string; replay_id: string | null }>('SELECT execution_id, replay_id FROM execution_reruns');
    expect(reruns).toHaveLength(3);
    expect(reruns.filter((r) => r.replay_id === replayId)).toHaveLength(2);
    expect(await replays.advance('p1', 2, 60_000)).toBeUndefined();
  });

  it('lets another process take a replay over once its holder’s lease ran out', async () => {
    const { replayId } = (await server.request('POST', '/executions/replay', { body: { filter: {} } })).body;
    const { replays } = server.services.store;
    expect(await replays.advance('p1', 1, 1000)).toMatchObject({ replayId, requeued: 1 });
    expect(await replays.advance('p2', 1, 1000)).toBeUndefined();
    expect(await replays.advance('p2', 10, 1000, Date.now() + 1001)).toEqual({ replayId, requeued: 3, skipped: 0, done: true });
  });

  it('requeues each execution once when processes and a re-run by hand race for them', async () => {
    const { replayId, total } = (await server.request('POST', '/executions/replay', { body: { filter: {}, from: 'start' } })).body;
    expect(total).toBe(4);
    const { replays, db } = server.services.store;
    // Two processes at once (the lease already ran out for each), and a re-run of one of them by hand.
    const future = Date.now() + 10 * 60_000;
    for (let round = 0; round < 10; round++) {
      await Promise.all([
        replays.advance(`p1`, 1, 1000, future + round * 2000),
        replays.advance(`p2`, 1, 1000, future + round * 2000),
        server.request('POST', `/workflows/two-step/rerun/${failed.bobPaid}`),
      ]);
    }
    const progress = (await server.request('GET', `/executions/replay/${replayId}`)).body;
    expect(progress).toMatchObject({ status: 'done', total: 4 });
    expect(progress.requeued + progress.skipped).toBe(4);
    const reruns = await db.all<{ execution_id: string; n: number }>('SELECT execution_id, COUNT(*) AS n FROM execution_reruns GROUP BY execution_id');
    expect(reruns).toHaveLength(4);
    expect(reruns.every((r) => Number(r.n) === 1)).toBe(true);
    expect(await db.all("SELECT id FROM executions WHERE status = 'failed'")).toEqual([]);
    expect((await db.all<{ mode: string }>('SELECT mode FROM execution_reruns WHERE replay_id IS NOT NULL')).every((r) => r.mode === 'start')).toBe(true);
  });

  it('runs one replay at a time: a second is a 409 naming the first, until it is cancelled', async () => {
    const first = await server.request('POST', '/executions/replay', { body: { filter: { workflowId: 'refund' } } });
    expect(first.status).toBe(202);
    const second = await server.request('POST', '/executions/replay', { body: { filter: { workflowId: 'two-step' } } });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'conflict', message: expect.stringContaining(first.body.replayId) });
    // A dry run is not a replay: it still counts.
    expect(await count({ workflowId: 'two-step' })).toBe(3);

    const cancelled = await server.request('POST', `/executions/replay/${first.body.replayId}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', requeued: 0, remaining: 0 });
    expect(await server.services.store.replays.advance('p1', 10, 60_000)).toBeUndefined();
    expect((await server.request('POST', `/executions/replay/${first.body.replayId}/cancel`)).status).toBe(200);
    const third = await server.request('POST', '/executions/replay', { body: { filter: { workflowId: 'two-step' } } });
    expect(third.status).toBe(202);
    expect(third.body.total).toBe(3);
  });

  it('finishes at once a replay the filter gives nothing to', async () => {
    const res = await server.request('POST', '/executions/replay', { body: { filter: { error: 'no such error' } } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'done', total: 0, remaining: 0, finishedAt: expect.any(String) });
    expect((await server.request('POST', `/executions/replay/${res.body.replayId}/cancel`)).status).toBe(409);
  });

  it('deletes finished replays past the log retention, and keeps a running one', async () => {
    const done = await server.request('POST', '/executions/replay', { body: { filter: { error: 'no such error' } } });
    const running = await server.request('POST', '/executions/replay', { body: { filter: {} } });
    expect(running.body.status).toBe('running');
    const replays = server.services.store.replays;
    expect(await replays.deleteFinishedBefore(Date.now() - 60_000)).toBe(0);
    expect(await replays.deleteFinishedBefore(Date.now() + 60_000)).toBe(1);
    expect((await server.request('GET', `/executions/replay/${done.body.replayId}`)).status).toBe(404);
    expect((await server.request('GET', `/executions/replay/${running.body.replayId}`)).body.status).toBe('running');
  });

  it('answers 400 naming the field for a bad filter, dryRun or from, and 404 for an unknown workflow, user or replay', async () => {
    const bad = async (body: unknown, path: string, message?: string) => {
      const res = await server.request('POST', '/executions/replay', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
      if (message) expect(res.body.error.details.find((d: { path: string }) => d.path === path).message).toBe(message);
    };
    await bad({}, 'filter');
    await bad({ filter: { workflow: 'two-step' } }, 'filter', 'unknown filter field: workflow');
    await bad({ filter: { from: 'yesterday' } }, 'filter.from', 'must be an ISO 8601 time such as 2024-05-01T12:00:00Z');
    await bad({ filter: { from: at(20), to: at(10) } }, 'filter.to', 'must be after from');
    await bad({ filter: { error: '' } }, 'filter.error');
    await bad({ filter: {}, dryRun: 'yes' }, 'dryRun');
    await bad({ filter: {}, from: 'middle' }, 'from', 'must be "failed" or "start"');
    await bad({ filter: {}, dryrun: true }, '(root)');

    const workflow = await server.request('POST', '/executions/replay', { body: { filter: { workflowId: 'nope' } } });
    expect(workflow.status).toBe(404);
    expect(workflow.body.error.details).toEqual([{ path: 'filter.workflowId', message: 'no such workflow' }]);
    expect((await server.request('POST', '/executions/replay', { body: { filter: { userId: 'nobody' } } })).status).toBe(404);
    expect((await server.request('GET', '/executions/replay/nope')).status).toBe(404);
    expect(await server.services.store.db.all('SELECT id FROM replays')).toEqual([]);
  });

  it('is in the OpenAPI document with its body schema', async () => {
    const doc = (await server.request('GET', '/openapi.json')).body;
    const op = doc.paths['/executions/replay'].post;
    expect(op.operationId).toBe('replayExecutions');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['202', '400', '409']));
    expect(JSON.stringify(op.requestBody.content['application/json'].schema)).toContain('dryRun');
    expect(doc.paths['/executions/replay/{replayId}'].get.operationId).toBe('getReplay');
  });
});

describe(`bulk replay through the workers (${storeKind})`, () => {
  let server: TestServer;
  let sink: Awaited<ReturnType<typeof startCountingSink>>;

  beforeEach(async () => {
    sink = await startCountingSink();
    server = await startTestServer({
      env: { WORKERS: 'on', RETRY_SCHEDULE: '10', ALLOY_ALLOW_PRIVATE_URLS: 'true', REPLAY_RATE_PER_SECOND: '50' },
      definitions: () => definitions(sink.url),
    });
  });
  afterEach(async () => {
    await server.close();
    await sink.close();
  });

  it('requeues exactly the matching failed executions, shows its progress to done, and they deliver once the destination recovers', async () => {
    const ann = await installAcme(server, 'ann');
    const bob = await installAcme(server, 'bob');
    sink.setDown('/second');
    const run = async (userId: string, orderId: string) => {
      const res = await server.request('POST', '/run/event', { body: { event: 'Order Paid', userId, data: { orderId } } });
      const executionId = res.body.executionIds[0] as string;
      await waitForExecution(server, userId, 'two-step', executionId, 'failed');
      return executionId;
    };
    const annRuns = [await run(ann, 'A-1'), await run(ann, 'A-2'), await run(ann, 'A-3')];
    const bobRun = await run(bob, 'B-1');
    expect(sink.calls('/first')).toBe(4);

    expect((await server.request('POST', '/executions/replay', { body: { filter: { workflowId: 'two-step', userId: 'ann' }, dryRun: true } })).body).toEqual({
      dryRun: true,
      count: 3,
    });
    sink.setDown('/second', false);
    const res = await server.request('POST', '/executions/replay', { body: { filter: { workflowId: 'two-step', userId: 'ann' } } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ replayId: expect.any(String), total: 3 });

    let progress;
    for (let i = 0; i < 400; i++) {
      progress = (await server.request('GET', `/executions/replay/${res.body.replayId}`)).body;
      if (progress.status === 'done') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(progress).toMatchObject({ status: 'done', total: 3, requeued: 3, skipped: 0, remaining: 0 });
    for (const id of annRuns) {
      const done = await waitForExecution(server, ann, 'two-step', id, 'succeeded');
      expect(done.reruns).toEqual([{ attempt: 3, from: 'failed', replayId: res.body.replayId, requestedAt: expect.any(String) }]);
      expect(done.steps.find((s: { attempt: number; blockId: string }) => s.attempt === 3 && s.blockId === 'first')).toMatchObject({ reused: true, fromAttempt: 1 });
    }
    // Re-runs from the failed block: the first block was not called again; bob's was not replayed.
    expect(sink.calls('/first')).toBe(4);
    expect(sink.calls('/second')).toBe(4 * 2 + 3);
    const bobs = (await server.request('GET', `/workflows/two-step/logs?userId=${bob}`)).body.data;
    expect(bobs.find((e: { executionId: string }) => e.executionId === bobRun)).toMatchObject({ status: 'failed', reruns: [] });
  });
});
