import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import * as C from '../../server/domain/console/schemas';
import { lineDiff } from '../../server/domain/console/diff';
import { percentile } from '../../server/domain/console/overview';
import { buildDefinitions } from '../../server/definitions/load';
import type { Db } from '../../server/store/db';
import { BULK_WORKFLOWS, loadExecutions } from '../helpers/bulk-executions';
import { consoleRequest, signIn, type ConsoleSignIn } from '../helpers/console';
import { startCountingSink } from '../helpers/counting-sink';
import { acmeIntegration, demoIntegrations } from '../helpers/definitions';
import { addCredential, installHeadless } from '../helpers/flows';
import { startHookSink } from '../helpers/hook-sink';
import { createUser, startTestServer, storeKind, userToken, type TestServer } from '../helpers/server';

const SECRET_TOKEN = 'vault-token-5f1c9a7e3b2d';
const WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** AcmeCo's two-block workflow: `first` posts to /first with the secret setting, `second` to /second. */
const forwardWorkflow = (version = 1) => ({
  id: 'forward',
  name: 'Forward records',
  version,
  trigger: { type: 'customEvent', event: 'Record Saved', schema: { recordId: 'String' } },
  blocks: [
    {
      id: 'first',
      name: 'Store the record',
      connector: 'streamData',
      action: 'post',
      input: { url: '{{config.url}}/first', headers: { 'x-api-key': '{{config.apiToken}}' }, body: { recordId: '{{event.recordId}}', auth: '{{config.apiToken}}' } },
    },
    {
      id: 'second',
      connector: 'streamData',
      action: 'post',
      input: { url: '{{config.url}}/second', body: { recordId: '{{event.recordId}}', stored: '{{steps.first.output.status}}' } },
    },
    ...(version > 1 ? [{ id: 'third', connector: 'streamData', action: 'post', input: { url: '{{config.url}}/third', body: { recordId: '{{event.recordId}}' } } }] : []),
  ],
  fields: [
    { name: 'url', label: 'Vault URL', type: 'text', required: true },
    { name: 'apiToken', label: 'API token', type: 'secret', required: true },
  ],
});
const definitions = () => buildDefinitions([...demoIntegrations(), acmeIntegration([forwardWorkflow()])]);

type Res = Awaited<ReturnType<TestServer['request']>>;

/** The answer, checked against the contract's schema (docs/console.md). */
function answer<T extends z.ZodType>(res: Res, schema: T, status = 200): z.output<T> {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const parsed = schema.safeParse(res.body);
  expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
  return parsed.data as z.output<T>;
}

async function installForward(server: TestServer, username: string, url: string): Promise<string> {
  const userId = await createUser(server, username);
  const res = await server.request('POST', '/me/installations', {
    token: await userToken(server, userId),
    body: { integrationId: 'acme', config: { url, apiToken: SECRET_TOKEN } },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return userId;
}

/** Waits (polling the console, 25 ms apart, about 10 s at most) until `check` passes on the execution's page. */
async function executionUntil(server: TestServer, session: ConsoleSignIn, executionId: string, check: (e: z.output<typeof C.ExecutionDetail>) => boolean) {
  for (let i = 0; i < 400; i++) {
    const res = await consoleRequest(server, session, 'GET', `/console/api/executions/${executionId}`);
    if (res.status === 200 && check(res.body)) return answer(res, C.ExecutionDetail);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`execution ${executionId} never got there`);
}

describe(`console API (${storeKind})`, () => {
  let server: TestServer | undefined;
  let sink: Awaited<ReturnType<typeof startCountingSink>> | undefined;
  let hooks: Awaited<ReturnType<typeof startHookSink>> | undefined;
  afterEach(async () => {
    await server?.close();
    await sink?.close();
    await hooks?.close();
    server = sink = hooks = undefined;
  });

  it('shows a failed execution’s trigger, steps (secrets redacted) and error, re-runs it from the failed step once fixed, and lists its delivery', async () => {
    sink = await startCountingSink();
    hooks = await startHookSink(WEBHOOK_SECRET);
    sink.setDown('/second');
    server = await startTestServer({
      definitions,
      env: { WORKERS: 'on', RETRY_SCHEDULE: '10', ALLOY_ALLOW_PRIVATE_URLS: 'true', ALLOY_WEBHOOK_SECRET: WEBHOOK_SECRET, ALLOY_EVENTS_WEBHOOK_URL: `${hooks.url}/events` },
    });
    const userId = await installForward(server, 'ann', sink.url);
    const fired = await server.request('POST', '/run/event', { body: { event: 'Record Saved', userId, data: { recordId: 'R-1' } } });
    const executionId = fired.body.executionIds[0] as string;
    const session = await signIn(server);

    const failed = await executionUntil(server, session, executionId, (e) => e.status === 'failed');
    expect(failed).toMatchObject({
      workflowId: 'forward',
      workflowName: 'Forward records',
      userId,
      username: 'ann',
      attempts: 2,
      version: 1,
      canRerun: true,
      rerunFromFailed: true,
    });
    expect(failed.error).toMatch(/second.*HTTP 500.*gave up after 2 attempts/);
    expect(failed.trigger).toEqual({ event: 'Record Saved', data: { recordId: 'R-1' } });
    expect(failed.steps.map((s) => [s.blockId, s.attempt, s.status, s.reused])).toEqual([
      ['first', 1, 'succeeded', false],
      ['second', 1, 'failed', false],
      ['first', 2, 'succeeded', true],
      ['second', 2, 'failed', false],
    ]);
    const [first, second] = failed.steps;
    expect(first).toMatchObject({ name: 'Store the record', input: { headers: { 'x-api-key': '[redacted]' }, body: { recordId: 'R-1', auth: '[redacted]' } } });
    expect(second).toMatchObject({ name: 'Stream Data', error: expect.stringContaining('HTTP 500'), output: null });
    expect(first!.durationMs).toBe(Date.parse(first!.finishedAt!) - Date.parse(first!.startedAt));
    expect(JSON.stringify(failed)).not.toContain(SECRET_TOKEN);

    // It is in the failed list, and its execution.failed message in the lifecycle deliveries once sent.
    const failedList = answer(await consoleRequest(server, session, 'GET', '/console/api/executions?status=failed'), C.ExecutionsPage);
    expect(failedList.data.map((e) => e.executionId)).toEqual([executionId]);
    await expect.poll(() => hooks!.requests.filter((r) => r.json.type === 'execution.failed' && r.status === 200).length, { timeout: 10_000 }).toBe(1);
    const deliveries = await expect
      .poll(async () => answer(await consoleRequest(server!, session, 'GET', '/console/api/deliveries?stream=lifecycle'), C.DeliveriesPage), { timeout: 10_000 })
      .toSatisfy((page: z.output<typeof C.DeliveriesPage>) => page.data.some((d) => d.event === 'execution.failed' && d.status === 'delivered'));
    void deliveries;
    const delivered = answer(await consoleRequest(server, session, 'GET', '/console/api/deliveries?stream=lifecycle&status=delivered'), C.DeliveriesPage);
    expect(delivered.configured).toBe(true);
    expect(delivered.data.find((d) => d.event === 'execution.failed')).toMatchObject({
      stream: 'lifecycle',
      url: `${hooks.url}/events`,
      attempts: 1,
      lastStatus: 200,
      lastResponse: null,
    });

    // The cause is fixed; the re-run starts at the failed step: the first is not called again.
    sink.setDown('/second', false);
    const rerun = answer(await consoleRequest(server, session, 'POST', `/console/api/executions/${executionId}/rerun`, { from: 'failed' }), C.RerunResponse, 202);
    expect(rerun).toEqual({ executionId, status: 'queued' });
    const succeeded = await executionUntil(server, session, executionId, (e) => e.status === 'succeeded');
    expect(succeeded).toMatchObject({ canRerun: false, rerunFromFailed: false, error: null });
    expect(succeeded.steps.filter((s) => s.attempt === 3).map((s) => [s.blockId, s.status, s.reused, s.fromAttempt])).toEqual([
      ['first', 'succeeded', true, 1],
      ['second', 'succeeded', false, null],
    ]);
    expect(sink.calls('/first')).toBe(1);
    expect(sink.calls('/second')).toBe(3);
    // A second re-run of what succeeded is a conflict.
    const again = await consoleRequest(server, session, 'POST', `/console/api/executions/${executionId}/rerun`, { from: 'start' });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/succeeded/);
  });

  it('pages executions newest first by an opaque cursor, filtered by workflow, user, status and time; a bad filter or cursor is a 400 naming it', async () => {
    server = await startTestServer({ definitions });
    const session = await signIn(server);
    const now = Date.now();
    await loadExecutions(server.services.store.db, { executions: 30, users: 3, now: now - 60_000, spacingMs: 60_000 });
    const all = answer(await consoleRequest(server, session, 'GET', '/console/api/executions?limit=100'), C.ExecutionsPage);
    expect(all.data).toHaveLength(30);
    expect(all.nextCursor).toBeNull();
    const created = all.data.map((e) => Date.parse(e.createdAt));
    expect(created).toEqual([...created].sort((a, b) => b - a));

    // Paged by 7, the pages put together are the whole list, and the last one says it is the last.
    const paged: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: z.output<typeof C.ExecutionsPage> = answer(
        await consoleRequest(server, session, 'GET', `/console/api/executions?limit=7${cursor ? `&cursor=${cursor}` : ''}`),
        C.ExecutionsPage,
      );
      paged.push(...page.data.map((e) => e.executionId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(paged).toEqual(all.data.map((e) => e.executionId));
    expect(pages).toBe(5);

    const list = async (query: string) => answer(await consoleRequest(server!, session, 'GET', `/console/api/executions?limit=100&${query}`), C.ExecutionsPage).data;
    const expected = (keep: (e: (typeof all.data)[number]) => boolean) => all.data.filter(keep).map((e) => e.executionId);
    const [slack] = BULK_WORKFLOWS;
    expect((await list(`workflowId=${slack.workflowId}`)).map((e) => e.executionId)).toEqual(expected((e) => e.workflowId === slack.workflowId));
    expect((await list('userId=bulk-00000001')).map((e) => e.executionId)).toEqual(expected((e) => e.userId === 'bulk-user-00000001'));
    expect((await list(`userId=bulk-user-00000001&workflowId=${slack.workflowId}`)).map((e) => e.executionId)).toEqual(
      expected((e) => e.userId === 'bulk-user-00000001' && e.workflowId === slack.workflowId),
    );
    for (const status of ['succeeded', 'failed', 'skipped', 'queued'] as const) {
      expect(
        (await list(`status=${status}`)).map((e) => e.executionId),
        status,
      ).toEqual(expected((e) => e.status === status));
    }
    expect(expected((e) => e.status === 'failed').length).toBeGreaterThan(0);
    const from = new Date(now - 20 * 60_000).toISOString();
    const to = new Date(now - 10 * 60_000).toISOString();
    const window = await list(`from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(window.map((e) => e.executionId)).toEqual(expected((e) => e.createdAt >= from && e.createdAt < to));
    expect(window).toHaveLength(10);
    const failedOne = all.data.find((e) => e.status === 'failed')!;
    expect(failedOne).toMatchObject({ workflowName: expect.any(String), username: expect.stringMatching(/^bulk-/), error: expect.any(String), durationMs: expect.any(Number) });

    for (const [query, path] of [
      ['status=lost', 'status'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['from=yesterday', 'from'],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['cursor=%E2%9C%93', 'cursor'],
    ]) {
      const res = await consoleRequest(server, session, 'GET', `/console/api/executions?${query}`);
      expect(res.status, query).toBe(400);
      expect(
        res.body.error.details.map((d: { path: string }) => d.path),
        query,
      ).toEqual([path]);
    }
    expect((await consoleRequest(server, session, 'GET', '/console/api/executions?userId=nobody')).status).toBe(404);
    expect((await consoleRequest(server, session, 'GET', '/console/api/executions/nope')).status).toBe(404);
  });

  it('sums up the window: executions per bucket, success rate, p50 and p99, errors, per workflow and in all', async () => {
    server = await startTestServer({ definitions });
    const session = await signIn(server);
    const db = server.services.store.db;
    const userId = await createUser(server, 'ann');
    const at = Date.now() - 30 * 60_000;
    // Five runs half an hour ago: four succeeded, one failed; and one an hour and a half ago, outside the hour.
    const runs = [
      ['slack-ticket-created', 'succeeded', 100],
      ['slack-ticket-created', 'succeeded', 200],
      ['slack-ticket-created', 'failed', 300],
      ['jira-ticket-issue', 'succeeded', 400],
      ['jira-ticket-issue', 'succeeded', 10_000],
    ] as const;
    const insert = async (i: number, workflowId: string, status: string, duration: number, created: number) => {
      await db.run("INSERT INTO events (id, user_id, request_hash, name, data, source, response, received_at) VALUES (?, ?, '', 'Ticket Created', '{}', 'isv', '', ?)", [
        `ev-${i}`,
        userId,
        created,
      ]);
      await db.run(
        "INSERT INTO executions (id, event_id, user_id, installation_id, workflow_id, version, status, attempts, created_at, finished_at) VALUES (?, ?, ?, 'i', ?, 1, ?, 1, ?, ?)",
        [`x-${i}`, `ev-${i}`, userId, workflowId, status, created, created + duration],
      );
      if (status === 'failed') {
        await db.run("INSERT INTO errors (id, execution_id, user_id, workflow_id, block, message, occurred_at) VALUES (?, ?, ?, ?, 'post-message', 'HTTP 500', ?)", [
          `err-${i}`,
          `x-${i}`,
          userId,
          workflowId,
          created + duration,
        ]);
      }
    };
    for (const [i, [workflowId, status, duration]] of runs.entries()) await insert(i, workflowId, status, duration, at + i);
    await insert(9, 'slack-ticket-created', 'failed', 50, Date.now() - 90 * 60_000);

    const hour = answer(await consoleRequest(server, session, 'GET', '/console/api/overview?window=hour'), C.Overview);
    expect(hour).toMatchObject({ window: 'hour', bucketSeconds: 60 });
    expect(hour.series).toHaveLength(60);
    expect(hour.totals).toEqual({ executions: 5, successRate: 0.8, p50Ms: 300, p99Ms: 10_000, errors: 1 });
    const bucket = Math.floor((at - Date.parse(hour.from)) / 60_000);
    expect(hour.series[bucket]).toEqual({ t: new Date(Date.parse(hour.from) + bucket * 60_000).toISOString(), executions: 5, succeeded: 4, failed: 1, p50Ms: 300, p99Ms: 10_000 });
    expect(hour.series.reduce((n, p) => n + p.executions, 0)).toBe(5);
    expect(hour.byWorkflow).toEqual([
      { workflowId: 'slack-ticket-created', name: 'Post to Slack when a ticket is created', executions: 3, successRate: 2 / 3, p50Ms: 200, p99Ms: 300, errors: 1 },
      { workflowId: 'jira-ticket-issue', name: expect.any(String), executions: 2, successRate: 1, p50Ms: 400, p99Ms: 10_000, errors: 0 },
    ]);

    const day = answer(await consoleRequest(server, session, 'GET', '/console/api/overview?window=day&workflowId=slack-ticket-created'), C.Overview);
    expect(day.series).toHaveLength(96);
    expect(day.bucketSeconds).toBe(900);
    expect(day.totals).toEqual({ executions: 4, successRate: 0.5, p50Ms: 100, p99Ms: 300, errors: 2 });
    expect(day.byWorkflow.map((w) => w.workflowId)).toEqual(['slack-ticket-created']);
    const week = answer(await consoleRequest(server, session, 'GET', '/console/api/overview?window=week'), C.Overview);
    expect(week.series).toHaveLength(168);
    expect(Date.parse(week.to) - Date.parse(week.from)).toBe(168 * 3_600_000);
    const bad = await consoleRequest(server, session, 'GET', '/console/api/overview?window=month');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('window');
  });

  it('finds users by id or username prefix, and shows one user’s installations, connections and latest executions', async () => {
    server = await startTestServer({ definitions });
    const session = await signIn(server);
    for (const name of ['carol', 'carl', 'carmen', 'bob', 'car']) await createUser(server, name);
    const annId = await createUser(server, 'ann');
    const credentialId = await addCredential(server, annId, 'slack', { botToken: 'xoxb-ann' });
    await installHeadless(server, annId, 'slack', { credentialId, data: { channel: 'C123' } });

    const byPrefix = answer(await consoleRequest(server, session, 'GET', '/console/api/users?q=car&limit=2'), C.UsersPage);
    expect(byPrefix.data.map((u) => u.username)).toEqual(['car', 'carl']);
    const next = answer(await consoleRequest(server, session, 'GET', `/console/api/users?q=car&limit=2&cursor=${byPrefix.nextCursor}`), C.UsersPage);
    expect(next.data.map((u) => u.username)).toEqual(['carmen', 'carol']);
    expect(next.nextCursor).toBeNull();
    const byId = answer(await consoleRequest(server, session, 'GET', `/console/api/users?q=${annId}`), C.UsersPage);
    expect(byId.data).toEqual([{ userId: annId, username: 'ann', createdAt: expect.any(String), installations: 1 }]);
    expect(answer(await consoleRequest(server, session, 'GET', '/console/api/users'), C.UsersPage).data.map((u) => u.username)).toEqual([
      'ann',
      'bob',
      'car',
      'carl',
      'carmen',
      'carol',
    ]);
    expect(answer(await consoleRequest(server, session, 'GET', '/console/api/users?q=zed'), C.UsersPage).data).toEqual([]);

    const fired = await server.request('POST', '/run/event', {
      body: { event: 'Ticket Created', userId: annId, data: { ticketName: 'T', customerEmail: 'a@b.co', description: 'd' } },
    });
    expect(fired.body.executionIds).toHaveLength(1);
    const detail = answer(await consoleRequest(server, session, 'GET', '/console/api/users/ann'), C.UserDetail);
    expect(detail.user).toEqual({ userId: annId, username: 'ann', createdAt: expect.any(String) });
    expect(detail.installations).toEqual([
      {
        installationId: expect.any(String),
        workflowId: 'slack-ticket-created',
        workflowName: 'Post to Slack when a ticket is created',
        integrationId: 'slack',
        version: 1,
        active: true,
        connection: { credentialId, app: 'slack', displayName: expect.any(String), status: 'healthy', lastError: null },
      },
    ]);
    expect(detail.executions.map((e) => [e.executionId, e.status])).toEqual([[fired.body.executionIds[0], 'queued']]);

    // Its account deleted, the installation says so.
    expect((await server.request('DELETE', `/users/${annId}/credentials/${credentialId}`)).status).toBe(200);
    const after = answer(await consoleRequest(server, session, 'GET', `/console/api/users/${annId}`), C.UserDetail);
    expect(after.installations[0]!.connection).toEqual({ credentialId, app: 'slack', displayName: null, status: 'deleted', lastError: null });
    expect((await consoleRequest(server, session, 'GET', '/console/api/users/nobody')).status).toBe(404);
  });

  it('groups errors by workflow, block and message, and replays a group through the bulk replay after a dry-run count', async () => {
    server = await startTestServer({ definitions: () => buildDefinitions([acmeIntegration([forwardWorkflow()])]) });
    const session = await signIn(server);
    const { executions } = server.services.store;
    const userId = await installForward(server, 'ann', 'http://127.0.0.1:9');
    const plan = [
      { block: 'second', message: 'POST /second: HTTP 500', minutesAgo: 50 },
      { block: 'second', message: 'POST /second: HTTP 500', minutesAgo: 20 },
      { block: 'first', message: 'POST /first: HTTP 404', minutesAgo: 30 },
      { block: null, message: 'needs_reconnect: the account must be connected again', minutesAgo: 10 },
      { block: 'second', message: 'POST /second: HTTP 500', minutesAgo: 60 * 30 },
    ];
    for (let i = 0; i < plan.length; i++) await server.request('POST', '/run/event', { body: { event: 'Record Saved', userId, data: { recordId: 'R' } } });
    const claimed = await executions.claim('test-worker', 10, 60_000, Date.now() + 1000);
    expect(claimed).toHaveLength(plan.length);
    for (const [i, p] of plan.entries())
      expect(await executions.fail(claimed[i]!, 'test-worker', { block: p.block, message: p.message }, Date.now() - p.minutesAgo * 60_000)).toBe(true);

    const day = answer(await consoleRequest(server, session, 'GET', '/console/api/errors?window=day'), C.ErrorsPage);
    expect(day.data.map(({ blockId, message, count }) => ({ blockId, message, count }))).toEqual([
      { blockId: null, message: 'needs_reconnect: the account must be connected again', count: 1 },
      { blockId: 'second', message: 'POST /second: HTTP 500', count: 2 },
      { blockId: 'first', message: 'POST /first: HTTP 404', count: 1 },
    ]);
    const http500 = day.data[1]!;
    expect(http500).toMatchObject({ workflowId: 'forward', workflowName: 'Forward records' });
    expect(Date.now() - Date.parse(http500.firstSeen)).toBeGreaterThanOrEqual(50 * 60_000);
    expect(Date.now() - Date.parse(http500.lastSeen)).toBeLessThan(21 * 60_000);
    const week = answer(await consoleRequest(server, session, 'GET', '/console/api/errors?window=week&limit=1'), C.ErrorsPage);
    expect(week.data).toHaveLength(1);
    const rest = answer(await consoleRequest(server, session, 'GET', `/console/api/errors?window=week&limit=10&cursor=${week.nextCursor}`), C.ErrorsPage);
    expect([...week.data, ...rest.data].map((g) => g.count)).toEqual([1, 3, 1]);

    const dryRun = answer(await consoleRequest(server, session, 'POST', '/console/api/errors/replay', { groupId: http500.groupId, dryRun: true }), C.GroupReplayResponse);
    expect(dryRun).toEqual({ count: 2 });
    expect(await server.services.store.replays.running()).toBeUndefined();
    const replay = answer(await consoleRequest(server, session, 'POST', '/console/api/errors/replay', { groupId: http500.groupId, dryRun: false }), C.GroupReplayResponse, 202);
    expect(replay).toEqual({ count: 2, replayId: expect.any(String) });
    expect(await server.services.store.replays.get(replay.replayId!)).toMatchObject({
      status: 'running',
      total: 2,
      filter: { workflowId: 'forward', error: 'POST /second: HTTP 500' },
    });
    const second = await consoleRequest(server, session, 'POST', '/console/api/errors/replay', { groupId: day.data[2]!.groupId, dryRun: false });
    expect(second.status).toBe(409);
    const badGroup = await consoleRequest(server, session, 'POST', '/console/api/errors/replay', { groupId: 'bm9wZQ', dryRun: true });
    expect(badGroup.status).toBe(400);
    expect(badGroup.body.error.details).toEqual([{ path: 'groupId', message: 'not an error group' }]);
  });

  it('lists integrations with every released version and its installations, diffs two versions, and lists who is on one', async () => {
    server = await startTestServer({ definitions });
    const session = await signIn(server);
    await installForward(server, 'ann', 'http://127.0.0.1:9');
    await installForward(server, 'bob', 'http://127.0.0.1:9');
    // Version 2 released, as a restart with the changed file would.
    await server.services.store.versions.release(buildDefinitions([acmeIntegration([forwardWorkflow(2)])]).integrations);

    const list = answer(await consoleRequest(server, session, 'GET', '/console/api/definitions'), C.Definitions);
    const acme = list.data.find((i) => i.integrationId === 'acme')!;
    expect(acme.app).toBe('AcmeCo');
    expect(acme.workflows).toEqual([
      {
        workflowId: 'forward',
        name: 'Forward records',
        currentVersion: 1,
        versions: [
          { version: 1, releasedAt: expect.any(String), installations: 2 },
          { version: 2, releasedAt: expect.any(String), installations: 0 },
        ],
      },
    ]);
    expect(list.data.map((i) => i.integrationId)).toContain('slack');

    const diff = answer(await consoleRequest(server, session, 'GET', '/console/api/definitions/forward/diff?from=1&to=2'), C.Diff);
    expect(diff).toMatchObject({ workflowId: 'forward', from: 1, to: 2 });
    const changed = diff.lines.filter((l) => l.op !== ' ');
    expect(changed.filter((l) => l.op === '-').map((l) => l.text.trim())).toEqual(['"version": 1']);
    expect(changed.some((l) => l.op === '+' && l.text.includes('"id": "third"'))).toBe(true);
    expect(diff.lines.filter((l) => l.op !== '+').map((l) => l.text)).toEqual(
      JSON.stringify((await server.services.store.versions.get('forward', 1))!.definition, null, 2).split('\n'),
    );
    const missing = await consoleRequest(server, session, 'GET', '/console/api/definitions/forward/diff?from=1&to=7');
    expect(missing.status).toBe(404);
    expect(missing.body.error.details).toEqual([{ path: 'to', message: 'no such version' }]);
    expect((await consoleRequest(server, session, 'GET', '/console/api/definitions/forward/diff?from=one&to=2')).status).toBe(400);

    const onV1 = answer(await consoleRequest(server, session, 'GET', '/console/api/definitions/forward/versions/1/installations?limit=1'), C.VersionInstallationsPage);
    const more = answer(
      await consoleRequest(server, session, 'GET', `/console/api/definitions/forward/versions/1/installations?cursor=${onV1.nextCursor}`),
      C.VersionInstallationsPage,
    );
    expect([...onV1.data, ...more.data].map((i) => i.username).sort()).toEqual(['ann', 'bob']);
    expect(more.nextCursor).toBeNull();
    expect(answer(await consoleRequest(server, session, 'GET', '/console/api/definitions/forward/versions/2/installations'), C.VersionInstallationsPage).data).toEqual([]);
    // Past PostgreSQL's 32-bit INTEGER: a 400 naming the value, on both stores, not the database's overflow.
    for (const [version, message] of [
      ['99999999999999999999', 'must be a version number'],
      ['2147483648', 'must be at most 2147483647'],
    ]) {
      const huge = await consoleRequest(server, session, 'GET', `/console/api/definitions/forward/versions/${version}/installations`);
      expect(huge.status).toBe(400);
      expect(huge.body.error.details).toEqual([{ path: 'version', message }]);
    }
    const hugeDiff = await consoleRequest(server, session, 'GET', '/console/api/definitions/forward/diff?from=1&to=2147483648');
    expect(hugeDiff.status).toBe(400);
    expect(hugeDiff.body.error.details).toEqual([{ path: 'to', message: 'must be at most 2147483647' }]);
  });

  it('lists the error webhook’s notices and the lifecycle messages, and redelivers each under its own id; a stream without an endpoint is a 409', async () => {
    server = await startTestServer({
      definitions: () => buildDefinitions([acmeIntegration([forwardWorkflow()])]),
      env: { ALLOY_ERROR_WEBHOOK_URL: 'https://hooks.acme.example/alloy/errors?token=t0p', ALLOY_EVENTS_WEBHOOK_URL: 'https://hooks.acme.example/alloy/events' },
    });
    const session = await signIn(server);
    const { executions } = server.services.store;
    const userId = await installForward(server, 'ann', 'http://127.0.0.1:9');
    await installForward(server, 'bob', 'http://127.0.0.1:9');
    await server.request('POST', '/run/event', { body: { event: 'Record Saved', userId, data: { recordId: 'R' } } });
    const [claimed] = await executions.claim('test-worker', 10, 60_000, Date.now() + 1000);
    expect(await executions.fail(claimed!, 'test-worker', { block: 'second', message: 'HTTP 500' }, Date.now(), true)).toBe(true);

    const errors = answer(await consoleRequest(server, session, 'GET', '/console/api/deliveries?stream=errors'), C.DeliveriesPage);
    expect(errors.configured).toBe(true);
    expect(errors.data).toEqual([
      {
        deliveryId: expect.stringMatching(/^err_/),
        stream: 'errors',
        event: 'workflow.error',
        url: 'https://hooks.acme.example/alloy/errors',
        status: 'pending',
        attempts: 0,
        lastStatus: null,
        lastResponse: null,
        createdAt: expect.any(String),
        lastAttemptAt: null,
        nextAttemptAt: expect.any(String),
      },
    ]);
    // A try was made (and failed); redelivery makes it due now with its tries counted afresh.
    const [notice] = await server.services.store.logs.claimErrorNotices(10, 60_000);
    expect(notice!.tries).toBe(1);
    const redelivered = answer(await consoleRequest(server, session, 'POST', `/console/api/deliveries/${errors.data[0]!.deliveryId}/redeliver`), C.RedeliverResponse, 202);
    expect(redelivered).toEqual({ deliveryId: errors.data[0]!.deliveryId, status: 'pending' });
    const [again] = await server.services.store.logs.claimErrorNotices(10, 60_000);
    expect(again).toMatchObject({ id: notice!.id, tries: 1 });

    const lifecycle = answer(await consoleRequest(server, session, 'GET', '/console/api/deliveries?stream=lifecycle&limit=1'), C.DeliveriesPage);
    expect(lifecycle.data[0]).toMatchObject({ stream: 'lifecycle', event: 'installation.created', status: 'pending', attempts: 0, url: 'https://hooks.acme.example/alloy/events' });
    const older = answer(await consoleRequest(server, session, 'GET', `/console/api/deliveries?stream=lifecycle&cursor=${lifecycle.nextCursor}`), C.DeliveriesPage);
    expect(older.data.map((d) => d.event)).toEqual(['installation.created']);
    expect(older.nextCursor).toBeNull();
    expect(older.data[0]!.deliveryId).not.toBe(lifecycle.data[0]!.deliveryId);
    expect(answer(await consoleRequest(server, session, 'GET', '/console/api/deliveries?stream=lifecycle&status=failed'), C.DeliveriesPage).data).toEqual([]);
    // The endpoint refuses the oldest for good: it is failed, with the answer; redelivered, pending again.
    const { webhookMessages } = server.services.store;
    const [taken] = await webhookMessages.claim('https://hooks.acme.example/alloy/events', 1, 60_000);
    expect(taken!.id).toBe(older.data[0]!.deliveryId);
    await webhookMessages.recordTry(
      taken!,
      { delivered: false, status: 410, error: 'HTTP 410: gone', retryAt: null },
      { url: 'https://hooks.acme.example/alloy/events', disableAfterMs: 86_400_000 },
    );
    const refusedOnes = answer(await consoleRequest(server, session, 'GET', '/console/api/deliveries?stream=lifecycle&status=failed'), C.DeliveriesPage);
    expect(refusedOnes.data).toEqual([
      { ...older.data[0]!, status: 'failed', attempts: 1, lastStatus: 410, lastResponse: 'HTTP 410: gone', lastAttemptAt: expect.any(String), nextAttemptAt: null },
    ]);
    expect((await consoleRequest(server, session, 'POST', `/console/api/deliveries/${taken!.id}/redeliver`)).status).toBe(202);
    expect(await webhookMessages.find(taken!.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await consoleRequest(server, session, 'POST', '/console/api/deliveries/msg_nope/redeliver')).status).toBe(404);
    expect((await consoleRequest(server, session, 'GET', '/console/api/deliveries')).body.error.details[0].path).toBe('stream');
    await server.close();

    server = await startTestServer({ definitions: () => buildDefinitions([acmeIntegration([forwardWorkflow()])]) });
    const off = await signIn(server);
    expect(answer(await consoleRequest(server, off, 'GET', '/console/api/deliveries?stream=errors'), C.DeliveriesPage)).toEqual({ data: [], nextCursor: null, configured: false });
    const refused = await consoleRequest(server, off, 'POST', `/console/api/deliveries/${errors.data[0]!.deliveryId}/redeliver`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.details).toEqual([{ path: 'ALLOY_ERROR_WEBHOOK_URL', message: 'not set' }]);
  });
});

describe(`console API under random input (${storeKind})`, () => {
  /** Each console route, with the query keys it reads; `:x` segments are filled at random. */
  const ROUTES: Array<[method: string, path: string, keys: string[]]> = [
    ['GET', '/console/api/session', []],
    ['GET', '/console/api/overview', ['window', 'workflowId']],
    ['GET', '/console/api/executions', ['workflowId', 'userId', 'status', 'from', 'to', 'cursor', 'limit']],
    ['GET', '/console/api/executions/:x', []],
    ['POST', '/console/api/executions/:x/rerun', []],
    ['GET', '/console/api/users', ['q', 'cursor', 'limit']],
    ['GET', '/console/api/users/:x', []],
    ['GET', '/console/api/errors', ['workflowId', 'window', 'cursor', 'limit']],
    ['POST', '/console/api/errors/replay', []],
    ['GET', '/console/api/definitions', []],
    ['GET', '/console/api/definitions/:x/diff', ['from', 'to']],
    ['GET', '/console/api/definitions/:x/versions/:x/installations', ['cursor', 'limit']],
    ['GET', '/console/api/deliveries', ['stream', 'status', 'cursor', 'limit']],
    ['POST', '/console/api/deliveries/:x/redeliver', []],
    ['POST', '/console/session', []],
  ];
  const NEAR = [
    '',
    '0',
    '-1',
    '1',
    '2',
    '100',
    '101',
    '1e400',
    'NaN',
    '99999999999999999999',
    'week',
    'failed',
    'errors',
    'lifecycle',
    'slack-ticket-created',
    'bulk-user-00000001',
    'err_x',
    'msg_x',
  ];
  const RAW = ['%00', 'a%00b', '%ED%A0%80', '%FF%FE', '%', '%zz', '..', "'%20OR%201%3D1--", 'WyIiXQ', 'WzEsIngiXQ', 'WzFlMzAwLCJ4Il0', 'WyJcdTAwMDAiXQ'];
  const value = fc.oneof(fc.constantFrom(...NEAR).map(encodeURIComponent), fc.constantFrom(...RAW), fc.string({ maxLength: 40 }).map(encodeURIComponent));
  const body = fc.oneof(
    fc.constant(undefined),
    fc.jsonValue({ maxDepth: 3 }),
    fc.record({ from: fc.constantFrom('start', 'failed', 'middle', 1) }),
    fc.record({ groupId: fc.oneof(fc.string(), fc.constantFrom(...RAW)), dryRun: fc.oneof(fc.boolean(), fc.constant('yes')) }),
    fc.record({ apiKey: fc.oneof(fc.string(), fc.integer()) }),
  );

  it('answers any query, path segment and body on its routes without a 5xx, in the error shape', async () => {
    const server = await startTestServer({ definitions });
    try {
      await loadExecutions(server.services.store.db, { executions: 40, users: 4, spacingMs: 60_000 });
      const session = await signIn(server);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...ROUTES),
          fc.array(fc.tuple(fc.nat(), value), { maxLength: 4 }),
          fc.array(value, { minLength: 2, maxLength: 2 }),
          body,
          async ([method, path, keys], query, segments, json) => {
            let n = 0;
            const url =
              path.replace(/:x/g, () => segments[n++]!) + (query.length ? `?${query.map(([k, v]) => `${keys[k % Math.max(1, keys.length)] ?? 'x'}=${v}`).join('&')}` : '');
            const res = await consoleRequest(server, session, method, url, method === 'GET' ? undefined : json);
            expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)?.slice(0, 300)}`).toBeLessThan(500);
            if (res.status >= 400) {
              expect(Object.keys(res.body), `${method} ${url}`).toEqual(['error', 'message']);
              expect(JSON.stringify(res.body)).not.toMatch(/\bat \S+:\d+:\d+/);
            }
          },
        ),
        { numRuns: 400 },
      );
    } finally {
      await server.close();
    }
  }, 120_000);
});

describe('console helpers', () => {
  it('diffs lines by their longest common subsequence', () => {
    expect(lineDiff(['a', 'b', 'c', 'd'], ['a', 'c', 'x', 'd'])).toEqual([
      { op: ' ', text: 'a' },
      { op: '-', text: 'b' },
      { op: ' ', text: 'c' },
      { op: '+', text: 'x' },
      { op: ' ', text: 'd' },
    ]);
    expect(lineDiff([], ['a'])).toEqual([{ op: '+', text: 'a' }]);
    expect(lineDiff(['a'], [])).toEqual([{ op: '-', text: 'a' }]);
    expect(lineDiff(['same'], ['same'])).toEqual([{ op: ' ', text: 'same' }]);
    // Every line of both is there once, in order.
    const before = 'the quick brown fox jumps over the lazy dog'.split(' ');
    const after = 'a quick red fox leaps over the dog today'.split(' ');
    const diff = lineDiff(before, after);
    expect(diff.filter((l) => l.op !== '+').map((l) => l.text)).toEqual(before);
    expect(diff.filter((l) => l.op !== '-').map((l) => l.text)).toEqual(after);
    expect(diff.filter((l) => l.op === ' ').map((l) => l.text)).toEqual(['quick', 'fox', 'over', 'the', 'dog']);
  });

  it('takes the nearest-rank percentile', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(
      percentile(
        Array.from({ length: 200 }, (_, i) => i + 1),
        99,
      ),
    ).toBe(198);
  });
});

/** Every query the store runs while `fn` does, with its parameters (the queries run as they would). */
async function statementsOf(db: Db, fn: () => Promise<unknown>): Promise<Array<{ sql: string; params: readonly unknown[] }>> {
  const seen: Array<{ sql: string; params: readonly unknown[] }> = [];
  const all = db.all.bind(db);
  const get = db.get.bind(db);
  const spies = [
    vi.spyOn(db, 'all').mockImplementation(async (sql, params = []) => (seen.push({ sql, params }), all(sql, params)) as never),
    vi.spyOn(db, 'get').mockImplementation(async (sql, params = []) => (seen.push({ sql, params }), get(sql, params)) as never),
  ];
  try {
    await fn();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return seen;
}

/** The tables a list walks; none may be read whole. */
const LARGE_TABLES = ['executions', 'events', 'errors', 'steps', 'webhook_messages', 'users', 'installations'];

/** What in a statement's plan reads a large table whole (or sorts what an index could have handed in order): empty when it reads by index only. */
async function fullReads(db: Db, sql: string, params: readonly unknown[]): Promise<string[]> {
  // A page of a list (LIMIT last) must come in its index's order; grouped rows, a few rows of one
  // entity (an execution's steps), and the in-flight sets read whole by choice (INDEXED BY) are sorted.
  const paged = /LIMIT \?\s*$/.test(sql) && !/\bGROUP BY\b/i.test(sql) && !/INDEXED BY/.test(sql);
  if (db.dialect === 'sqlite') {
    const plan = await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params);
    return plan
      .map((p) => p.detail)
      .filter((d) => (/^SCAN /.test(d) && !/USING (COVERING )?INDEX/.test(d) && !/CONSTANT ROW/.test(d)) || (paged && /TEMP B-TREE FOR (RIGHT PART OF )?ORDER BY/.test(d)));
  }
  const [row] = await db.all<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
  const found: string[] = [];
  const walk = (node: { 'Node Type': string; 'Relation Name'?: string; Plans?: unknown[] }) => {
    if (node['Node Type'] === 'Seq Scan' && LARGE_TABLES.includes(node['Relation Name'] ?? '')) found.push(`Seq Scan on ${node['Relation Name']}`);
    for (const child of node.Plans ?? []) walk(child as typeof node);
  };
  const plan = (typeof row!['QUERY PLAN'] === 'string' ? JSON.parse(row!['QUERY PLAN']) : row!['QUERY PLAN']) as Array<{ Plan: Parameters<typeof walk>[0] }>;
  walk(plan[0]!.Plan);
  return found;
}

describe(`console lists at 100,000 executions (${storeKind})`, () => {
  let server: TestServer;
  let session: ConsoleSignIn;
  let pageTwo: string;
  let usersPageTwo: string;
  const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString();

  /**
   * Each list as the console asks for it: first pages, filters, a second page. The week's
   * aggregates (`whole`) read every execution loaded (100,000 in the week): for those a sequential
   * read is the better plan, and PostgreSQL takes it; their day windows are planned by index.
   */
  const lists = (): Array<[name: string, url: string, whole?: 'whole table']> => [
    ['executions', '/console/api/executions'],
    ['executions, page 2', `/console/api/executions?cursor=${pageTwo}`],
    ['executions, failed', '/console/api/executions?status=failed'],
    ['executions, queued', '/console/api/executions?status=queued'],
    ['executions, running', '/console/api/executions?status=running'],
    ['executions, skipped', '/console/api/executions?status=skipped'],
    ['executions, by workflow', '/console/api/executions?workflowId=slack-ticket-created'],
    ['executions, by workflow, failed', '/console/api/executions?workflowId=slack-ticket-created&status=failed'],
    ['executions, by user', '/console/api/executions?userId=bulk-user-00000042'],
    ['executions, by user and workflow', '/console/api/executions?userId=bulk-user-00000042&workflowId=hubspot-ticket-deal'],
    ['executions, one day', `/console/api/executions?from=${encodeURIComponent(day(3))}&to=${encodeURIComponent(day(2))}`],
    ['execution', '/console/api/executions/bulk-x-00050000'],
    ['users', '/console/api/users'],
    ['users, page 2', `/console/api/users?cursor=${usersPageTwo}`],
    ['users, by prefix', '/console/api/users?q=bulk-000004'],
    ['users, by id', '/console/api/users?q=bulk-user-00000042'],
    ['user', '/console/api/users/bulk-user-00000042'],
    ['errors, day', '/console/api/errors?window=day'],
    ['errors, day, by workflow', '/console/api/errors?window=day&workflowId=jira-ticket-issue'],
    ['errors, week', '/console/api/errors?window=week', 'whole table'],
    ['deliveries, errors', '/console/api/deliveries?stream=errors'],
    ['deliveries, errors, pending', '/console/api/deliveries?stream=errors&status=pending'],
    ['deliveries, lifecycle', '/console/api/deliveries?stream=lifecycle'],
    ['deliveries, lifecycle, failed', '/console/api/deliveries?stream=lifecycle&status=failed'],
    ['installations on a version', '/console/api/definitions/slack-ticket-created/versions/1/installations'],
    ['overview, hour', '/console/api/overview?window=hour'],
    ['overview, day', '/console/api/overview?window=day'],
    ['overview, day, one workflow', '/console/api/overview?window=day&workflowId=jira-ticket-issue'],
    ['overview, week', '/console/api/overview?window=week', 'whole table'],
    ['overview, week, one workflow', '/console/api/overview?window=week&workflowId=jira-ticket-issue', 'whole table'],
  ];

  beforeAll(async () => {
    server = await startTestServer();
    const started = performance.now();
    await loadExecutions(server.services.store.db);
    console.log(`loaded 100,000 executions into ${storeKind} in ${Math.round(performance.now() - started)} ms`);
    session = await signIn(server);
    pageTwo = (await consoleRequest(server, session, 'GET', '/console/api/executions')).body.nextCursor;
    usersPageTwo = (await consoleRequest(server, session, 'GET', '/console/api/users')).body.nextCursor;
  }, 120_000);
  afterAll(() => server?.close());

  it('reads every list through an index: no full read of a large table, no sort an index could spare', async () => {
    const db = server.services.store.db;
    const problems: string[] = [];
    for (const [name, url, whole] of lists()) {
      if (whole) continue;
      let res: Res | undefined;
      const statements = await statementsOf(db, async () => (res = await consoleRequest(server, session, 'GET', url!)));
      expect(res!.status, `${name}: ${JSON.stringify(res!.body).slice(0, 300)}`).toBe(200);
      for (const { sql, params } of statements) {
        if (!/^\s*(WITH|SELECT)\b/i.test(sql)) continue;
        for (const read of await fullReads(db, sql, params)) problems.push(`${name}: ${read} in ${sql.replace(/\s+/g, ' ').slice(0, 160)}`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
