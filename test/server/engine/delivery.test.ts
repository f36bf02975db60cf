import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildDefinitions } from '../../../server/definitions/load';
import { verifyWebhook } from '../../../server/engine/webhook-signature';
import { startSink } from '../../../demo/fakes/sink';
import { acmeIntegration } from '../../helpers/definitions';
import { createUser, startTestServer, storeKind, type TestServer, waitForExecution } from '../../helpers/server';
import { captureLogs } from '../../helpers/logs';

const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

/** An integration whose workflows stream to the sink: one block, or two chained blocks. */
function definitions(sinkUrl: string) {
  return buildDefinitions([
    acmeIntegration([
      {
        id: 'order-paid',
        name: 'Stream paid orders',
        version: 1,
        trigger: { type: 'customEvent', event: 'Order Paid', schema: { orderId: 'String', amount: 'Number', apiKey: 'String?' } },
        blocks: [
          {
            id: 'notify',
            connector: 'streamData',
            action: 'post',
            input: {
              url: `${sinkUrl}/orders`,
              body: { order: '{{event.orderId}}', amount: '{{event.amount}}', who: '{{user.username}}', region: '{{config.region}}' },
              headers: { 'x-api-key': '{{config.apiKey}}' },
            },
          },
          {
            id: 'confirm',
            connector: 'streamData',
            action: 'post',
            input: { url: `${sinkUrl}/confirm`, body: { previous: '{{steps.notify.output.status}}' } },
          },
        ],
        fields: [
          { name: 'region', label: 'Region', type: 'text', default: 'eu' },
          { name: 'apiKey', label: 'API key', type: 'secret', required: true },
        ],
      },
      {
        id: 'broken-mapping',
        name: 'Maps a field that does not exist',
        version: 1,
        trigger: { type: 'customEvent', event: 'Order Refunded', schema: { orderId: 'String' } },
        blocks: [{ id: 'send', connector: 'streamData', action: 'post', input: { url: `${sinkUrl}/x`, body: '{{event.orderNumber}}' } }],
      },
    ]),
  ]);
}

describe(`delivery through the engine (${storeKind})`, () => {
  let server: TestServer;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let errorSink: Awaited<ReturnType<typeof startSink>>;
  let userId: string;

  beforeEach(async () => {
    sink = await startSink();
    errorSink = await startSink();
    server = await startTestServer({
      env: {
        WORKERS: 'on',
        RETRY_SCHEDULE: '30,30,30',
        ALLOY_ALLOW_PRIVATE_URLS: 'true',
        ALLOY_WEBHOOK_SECRET: SECRET,
        ALLOY_ERROR_WEBHOOK_URL: `${errorSink.url}/errors`,
      },
      definitions: () => definitions(sink.url),
    });
    userId = await createUser(server, 'streamer');
    const install = await server.request('POST', '/me/installations', {
      token: (await server.request('GET', `/users/${userId}/token`)).body.token,
      body: { integrationId: 'acme', config: { apiKey: 'sk_live_supersecret' } },
    });
    expect(install.status).toBe(201);
  });
  afterEach(async () => {
    await server.close();
    await sink.close();
    await errorSink.close();
  });

  const run = (event: string, data: Record<string, unknown>) => server.request('POST', '/run/event', { body: { event, userId, data } });
  const waitForStatus = (workflowId: string, executionId: string, status: string) => waitForExecution(server, userId, workflowId, executionId, status);
  /** The error webhook's notices as the store holds them: when each is due again (null: none is), its tries and the last answer's status. */
  const notices = async () =>
    (
      await server.services.store.db.all<{ notice_at: number | string | null; notice_tries: number | string; notice_last_status: number | string | null }>(
        'SELECT notice_at, notice_tries, notice_last_status FROM errors WHERE notice_at IS NOT NULL OR notice_tries > 0',
      )
    ).map((n) => ({
      dueAt: n.notice_at === null ? null : Number(n.notice_at),
      tries: Number(n.notice_tries),
      lastStatus: n.notice_last_status === null ? null : Number(n.notice_last_status),
    }));

  it('delivers the mapped data, signed, with a delivery id that names the execution and the block', async () => {
    const res = await run('Order Paid', { orderId: 'A-1', amount: 42 });
    const [executionId] = res.body.executionIds;
    const [first, second] = await sink.waitFor(2);
    expect(first!.path).toBe('/orders');
    expect(first!.json).toEqual({ order: 'A-1', amount: 42, who: 'streamer', region: 'eu' });
    expect(first!.headers['webhook-id']).toBe(`${executionId}_notify`);
    expect(first!.headers['x-api-key']).toBe('sk_live_supersecret');
    expect(verifyWebhook(SECRET, first!.headers as Record<string, string>, first!.body)).toBe(true);
    expect(second!.json).toEqual({ previous: 200 });
    const execution = await waitForStatus('order-paid', executionId, 'succeeded');
    expect(execution.attempts).toBe(1);
    expect(execution.steps.map((s: any) => s.blockId)).toEqual(['notify', 'confirm']);
  });

  it('never shows a secret setting in the execution log', async () => {
    const res = await run('Order Paid', { orderId: 'A-2', amount: 1 });
    const execution = await waitForStatus('order-paid', res.body.executionIds[0], 'succeeded');
    const text = JSON.stringify(execution);
    expect(text).not.toContain('sk_live_supersecret');
    expect(execution.steps[0].input.headers['x-api-key']).toBe('[redacted]');
  });

  it('retries a destination that fails twice, then delivers once with three attempts logged', async () => {
    sink.failNext(1, 503);
    sink.failNext(1, 0);
    const res = await run('Order Paid', { orderId: 'A-3', amount: 3 });
    const execution = await waitForStatus('order-paid', res.body.executionIds[0], 'succeeded');
    expect(execution.attempts).toBe(3);
    const notify = execution.steps.filter((s: any) => s.blockId === 'notify');
    expect(notify.map((s: any) => s.attempt)).toEqual([1, 2, 3]);
    expect(notify[0].error).toMatch(/HTTP 503/);
    expect(notify[1].error).toBeTruthy();
    expect(notify[2].error).toBeNull();
    expect(sink.deliveries.filter((d) => d.path === '/orders')).toHaveLength(1);
  });

  it('does not repeat a block that succeeded when a later block is retried', async () => {
    sink.failNext(1, 502, undefined, '/confirm');
    const res = await run('Order Paid', { orderId: 'A-4', amount: 4 });
    const executionId = res.body.executionIds[0];
    const execution = await waitForStatus('order-paid', executionId, 'succeeded');
    expect(execution.attempts).toBe(2);
    expect(sink.deliveries.filter((d) => d.headers['webhook-id'] === `${executionId}_notify`)).toHaveLength(1);
    expect(sink.deliveries.filter((d) => d.headers['webhook-id'] === `${executionId}_confirm`)).toHaveLength(1);
    // The retry lists the block it did not call as reused, with the attempt whose output it took.
    expect(execution.steps.map((s: any) => `${s.blockId}#${s.attempt}${s.reused ? ` reused from #${s.fromAttempt}` : ''}`)).toEqual([
      'notify#1',
      'confirm#1',
      'notify#2 reused from #1',
      'confirm#2',
    ]);
  });

  it('fails for good on a non-retriable answer, logs the error and streams it signed to the error webhook', async () => {
    sink.failNext(1, 400);
    const res = await run('Order Paid', { orderId: 'A-5', amount: 5 });
    const executionId = res.body.executionIds[0];
    const execution = await waitForStatus('order-paid', executionId, 'failed');
    expect(execution.attempts).toBe(1);
    const errors = await server.request('GET', `/workflows/order-paid/errors?userId=${userId}`);
    expect(errors.body.data[0]).toMatchObject({ workflowId: 'order-paid', block: 'notify', executionId, userId, message: expect.stringMatching(/HTTP 400/) });
    const [delivery] = await errorSink.waitFor(1);
    expect(verifyWebhook(SECRET, delivery!.headers as Record<string, string>, delivery!.body)).toBe(true);
    expect(delivery!.json).toMatchObject({ type: 'workflow.error', data: { executionId, workflowId: 'order-paid', block: 'notify' } });
  });

  it('tries the error webhook again on RETRY_SCHEDULE until it takes the notice, under one webhook-id', async () => {
    sink.failNext(1, 400);
    errorSink.failNext(1, 503);
    errorSink.failNext(1, 0); // then the connection is reset
    const res = await run('Order Paid', { orderId: 'A-8', amount: 8 });
    const [executionId] = res.body.executionIds;
    const [delivery] = await errorSink.waitFor(1);
    expect(delivery!.headers['webhook-id']).toMatch(/^err_\w+$/);
    expect(delivery!.json).toMatchObject({ type: 'workflow.error', data: { executionId, block: 'notify' } });
    // Taken: no further try is due in the store (a notice is sent only while one is), so none comes.
    await vi.waitFor(async () => expect(await notices()).toEqual([{ dueAt: null, tries: 3, lastStatus: 200 }]), { timeout: 5000 });
    expect(errorSink.deliveries).toHaveLength(1);
  });

  it('gives the error webhook notice up once RETRY_SCHEDULE is used up, and says so', async () => {
    const logs = captureLogs();
    try {
      sink.failNext(1, 400);
      errorSink.failNext(4, 503); // the first try and the schedule's 3 retries
      await run('Order Paid', { orderId: 'A-9', amount: 9 });
      await vi.waitFor(() => expect(logs.messages('warn').join('\n')).toMatch(/error webhook: giving up on err_\w+ after 4 tries \(.*503/), { timeout: 5000 });
      // Given up: no fifth try is due in the store.
      await vi.waitFor(async () => expect(await notices()).toEqual([{ dueAt: null, tries: 4, lastStatus: 503 }]), { timeout: 5000 });
      expect(errorSink.deliveries).toEqual([]);
    } finally {
      logs.restore();
    }
  });

  it('sends a different webhook-id for each failure of an execution run again by hand', async () => {
    sink.failNext(1, 400);
    const res = await run('Order Paid', { orderId: 'A-10', amount: 10 });
    const [executionId] = res.body.executionIds;
    await waitForStatus('order-paid', executionId, 'failed');
    await errorSink.waitFor(1);
    sink.failNext(1, 400);
    expect((await server.request('POST', `/workflows/order-paid/rerun/${executionId}`)).status).toBe(200);
    const [first, second] = await errorSink.waitFor(2);
    expect(second!.json).toMatchObject({ data: { executionId } });
    expect(second!.headers['webhook-id']).not.toBe(first!.headers['webhook-id']);
  });

  it('gives up after the retry schedule when the destination keeps failing', async () => {
    sink.failNext(4, 503);
    const res = await run('Order Paid', { orderId: 'A-6', amount: 6 });
    const execution = await waitForStatus('order-paid', res.body.executionIds[0], 'failed');
    expect(execution.attempts).toBe(4);
    expect(execution.error).toMatch(/gave up after 4 attempts/);
  });

  it('fails a block whose mapping names a missing field, saying which block and path', async () => {
    const res = await run('Order Refunded', { orderId: 'R-1' });
    const execution = await waitForStatus('broken-mapping', res.body.executionIds[0], 'failed');
    expect(execution.error).toBe('Block "send": "{{event.orderNumber}}" has no value: event has no "orderNumber" (available: orderId)');
    expect(execution.attempts).toBe(1);
  });

  it('re-runs a failed execution with its original input', async () => {
    sink.failNext(1, 400);
    const res = await run('Order Paid', { orderId: 'A-7', amount: 7 });
    const executionId = res.body.executionIds[0];
    await waitForStatus('order-paid', executionId, 'failed');
    const rerun = await server.request('POST', `/workflows/order-paid/rerun/${executionId}`);
    expect(rerun.body).toEqual({ success: true, executionId, status: 'queued' });
    await waitForStatus('order-paid', executionId, 'succeeded');
    expect(sink.deliveries.find((d) => d.headers['webhook-id'] === `${executionId}_notify`)!.json).toMatchObject({ order: 'A-7', amount: 7 });
    const again = await server.request('POST', `/workflows/order-paid/rerun/${executionId}`);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/is succeeded/);
  });
});
