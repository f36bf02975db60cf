import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeIntegration, definitionsWith } from '../helpers/definitions';
import { installHeadless } from '../helpers/flows';
import { PROCESS_API_KEY, processStore, root, startProcess, waitUntil, type RunningProcess } from '../helpers/process';
import { createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';

/** AcmeCo with an "Order Paid" workflow and one started by its inbound webhook; nothing runs them here (workers off). */
const acme = acmeIntegration([
  {
    id: 'order-paid',
    name: 'Stream paid orders',
    version: 1,
    trigger: { type: 'customEvent', event: 'Order Paid', schema: { orderId: 'String' } },
    blocks: [{ id: 'send', connector: 'streamData', action: 'post', input: { url: 'http://127.0.0.1:9/orders', body: { orderId: '{{event.orderId}}' } } }],
  },
  {
    id: 'hooked',
    name: 'Forward webhooks',
    version: 1,
    trigger: { type: 'webhook' },
    blocks: [{ id: 'send', connector: 'streamData', action: 'post', input: { url: 'http://127.0.0.1:9/hooked', body: { n: '{{event.n}}' } } }],
  },
]);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe(`request ids (${storeKind})`, () => {
  let server: TestServer;
  let userId: string;
  let hookPath: string;
  beforeAll(async () => {
    server = await startTestServer({ definitions: () => definitionsWith([acme]) });
    userId = await createUser(server, 'traced');
    await installHeadless(server, userId, 'acme');
    const installations = (await server.request('GET', `/installations?userId=${userId}`)).body.data;
    hookPath = new URL(installations.find((i: { workflowId: string }) => i.workflowId === 'hooked').webhookUrl).pathname;
  });
  afterAll(() => server.close());

  /** The execution as GET /workflows/:id/logs shows it. */
  const logOf = async (workflowId: string, executionId: string) =>
    (await server.request('GET', `/workflows/${workflowId}/logs?userId=${userId}`)).body.data.find((e: { executionId: string }) => e.executionId === executionId);

  it('echoes an acceptable X-Request-Id, and makes one when there is none or it is not acceptable', async () => {
    const given = 'edge-7f3a:trace=42/span_9';
    expect((await server.request('GET', '/health/live', { headers: { 'X-Request-Id': given } })).headers.get('x-request-id')).toBe(given);
    expect((await server.request('GET', '/health/live', { headers: { 'X-Request-Id': 'x'.repeat(128) } })).headers.get('x-request-id')).toBe('x'.repeat(128));
    for (const refused of ['x'.repeat(129), 'two words', 'tab\there', 'café', '']) {
      const echoed = (await server.request('GET', '/health/live', { headers: { 'X-Request-Id': refused } })).headers.get('x-request-id');
      expect(echoed, JSON.stringify(refused)).toMatch(UUID);
    }
    const made = (await server.request('GET', '/health/live')).headers.get('x-request-id');
    expect(made).toMatch(UUID);
    // Every answer carries one: refusals and answers the routes make themselves too.
    expect((await server.request('GET', '/nowhere')).headers.get('x-request-id')).toMatch(UUID);
    expect((await server.request('GET', '/users', { apiKey: 'wrong-key-0123456789abcdef' })).headers.get('x-request-id')).toMatch(UUID);
    expect((await server.request('GET', '/favicon.ico', { apiKey: null })).headers.get('x-request-id')).toMatch(UUID);
  });

  it('lands in the log of the executions the request started: POST /run/event', async () => {
    const res = await server.request('POST', '/run/event', {
      headers: { 'X-Request-Id': 'req-run-event-1' },
      body: { event: 'Order Paid', userId, data: { orderId: 'o-1' } },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-run-event-1');
    expect(await logOf('order-paid', res.body.executionIds[0])).toMatchObject({ requestId: 'req-run-event-1', status: 'queued' });

    // Without one, the id the server made: the one its answer gave.
    const unnamed = await server.request('POST', '/run/event', { body: { event: 'Order Paid', userId, data: { orderId: 'o-2' } } });
    expect((await logOf('order-paid', unnamed.body.executionIds[0])).requestId).toBe(unnamed.headers.get('x-request-id'));
  });

  it('lands in the log of the executions an inbound webhook started, and a repeat keeps the first request’s', async () => {
    const res = await server.request('POST', hookPath, { apiKey: null, headers: { 'X-Request-Id': 'req-hook-1', 'Idempotency-Key': 'delivery-1' }, body: { n: 1 } });
    expect(res.status).toBe(202);
    const [executionId] = res.body.executionIds;
    expect(await logOf('hooked', executionId)).toMatchObject({ requestId: 'req-hook-1' });
    // The sender's redelivery: nothing new runs, and the execution still names the request that started it.
    const again = await server.request('POST', hookPath, { apiKey: null, headers: { 'X-Request-Id': 'req-hook-2', 'Idempotency-Key': 'delivery-1' }, body: { n: 1 } });
    expect(again.body.executionIds).toEqual([executionId]);
    expect(await logOf('hooked', executionId)).toMatchObject({ requestId: 'req-hook-1' });
  });

  it('is in the OpenAPI description of the execution logs', async () => {
    const doc = (await server.request('GET', '/openapi.json', { apiKey: null })).body;
    const execution = doc.paths['/workflows/{workflowId}/logs'].get.responses['200'].content['application/json'].schema;
    const text = JSON.stringify(execution);
    expect(text).toContain('requestId');
  });
});

describe('the server’s log', () => {
  it('goes through the one logger: no console call is left in server/', () => {
    const files = fs.readdirSync(path.join(root, 'server'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const calls = files.flatMap((file) =>
      fs
        .readFileSync(path.join(root, 'server', file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (/\bconsole\.(log|info|warn|error|debug|trace)\(/.test(line) ? [`server/${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(calls).toEqual([]);
  });
});

describe(`a server process’s log (${storeKind})`, () => {
  let store: Awaited<ReturnType<typeof processStore>>;
  let server: RunningProcess;
  let definitionsDir: string;
  beforeAll(async () => {
    store = await processStore();
    definitionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-defs-'));
    fs.writeFileSync(path.join(definitionsDir, 'acme.json'), JSON.stringify(acme));
    server = await startProcess('server/index.ts', { ...store.env, WORKERS: 'off', LOG_LEVEL: 'debug', INTEGRATIONS_DIR: definitionsDir });
  });
  afterAll(async () => {
    await server.kill();
    await store.dispose();
    fs.rmSync(definitionsDir, { recursive: true, force: true });
  });

  /** The JSON lines the process wrote on stdout and stderr so far (every line is one). */
  const lines = () =>
    server
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, any>);

  it('is JSON lines, the start banner one of them when stdout is not a terminal', () => {
    const banner = lines().find((l) => /^Alloy Embedded Kit listening on http:\/\/\S+ — store: /.test(l.msg));
    expect(banner).toMatchObject({ level: 'info', pid: server.child.pid, url: server.url.replace('127.0.0.1', 'localhost') });
    expect(banner!.details).toEqual(expect.arrayContaining([expect.stringMatching(/^integrations: acme \(from /), expect.stringMatching(/^API reference: /)]));
    expect(Date.parse(banner!.time)).not.toBeNaN();
  });

  it('has a line per request at debug, with its id, the route pattern (never the path) and the status; the id is the one the execution’s log shows', async () => {
    const call = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${url}`, {
        method,
        headers: { authorization: `bearer ${PROCESS_API_KEY}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (res) => ({ status: res.status, headers: res.headers, body: (await res.json()) as any }));
    const { userId } = (await call('POST', '/users', { username: 'logged' })).body;
    const start = await call('POST', '/headless/startInstallation', { userId, integrationId: 'acme' });
    await call('POST', '/headless/completeInstallation', { userId, installationId: start.body.installationId, data: {} });

    const sent = await call('POST', '/run/event', { event: 'Order Paid', userId, data: { orderId: 'o-1' } }, { 'X-Request-Id': 'proc-req-1' });
    expect(sent.status).toBe(200);
    const logs = await call('GET', `/workflows/order-paid/logs?userId=${userId}`);
    expect(logs.body.data[0]).toMatchObject({ executionId: sent.body.executionIds[0], requestId: 'proc-req-1' });

    // Each line is written as its request ends, asynchronously: wait for it.
    const lineOf = async (reqId: string) => {
      await waitUntil(
        () => lines().some((l) => l.reqId === reqId),
        5000,
        () => `the request line of ${reqId}`,
        server,
      );
      return lines().find((l) => l.reqId === reqId);
    };
    expect(await lineOf('proc-req-1')).toMatchObject({ level: 'debug', method: 'POST', route: '/run/event', status: 200, msg: 'POST /run/event 200' });
    expect(await lineOf(logs.headers.get('x-request-id')!)).toMatchObject({ route: '/workflows/:workflowId/logs', status: 200 });
    // Ids (and webhook tokens) in paths stay out of the log: a user's id only shows as the route's parameter.
    const user = await call('GET', `/users/${userId}`);
    expect(await lineOf(user.headers.get('x-request-id')!)).toMatchObject({ route: '/users/:userId', status: 200 });
    expect(lines().filter((l) => JSON.stringify(l).includes(userId))).toEqual([]);
  });
});
