import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeBigCommerce, type FakeBigCommerce } from '../../../demo/fakes/bigcommerce';
import { startSink } from '../../../demo/fakes/sink';
import { SECRET_HEADER } from '../../../server/connectors/bigcommerce-webhooks';
import { checkConnectors } from '../../../server/connectors/check';
import { buildDefinitions, DefinitionError } from '../../../server/definitions/load';
import { Subscriber } from '../../../server/engine/subscriber';
import { addCredential, countRows, installHeadless, untilBlockedBy } from '../../helpers/flows';
import { captureLogs } from '../../helpers/logs';
import { startPublicUrl } from '../../helpers/public-url';
import { createUser, startTestServer, storeKind, waitForExecution, type TestServer } from '../../helpers/server';

const STORE = { storeHash: 'abc123', accessToken: 'bc-token' };
const LINES = [
  { name: 'AcmeCo mug', sku: 'MUG-01', quantity: 2, price: 12 },
  { name: 'AcmeCo T-shirt (M)', sku: 'TEE-M', quantity: 1, price: 25 },
];

/** BigCommerce, with one workflow: each new order streams a few of its fields, fetched from the store, to `sinkUrl`. */
const integration = (sinkUrl: string, trigger: Record<string, unknown> = { type: 'app', connector: 'bigcommerce', event: 'store/order/created' }, version = 1) => ({
  id: 'bigcommerce',
  app: 'BigCommerce',
  connector: 'bigcommerce',
  icon: '/icons/bigcommerce.svg',
  workflows: [
    {
      id: 'order-created',
      name: 'Send each new BigCommerce order to AcmeCo',
      version,
      trigger,
      blocks: [
        {
          id: 'send',
          connector: 'streamData',
          action: 'post',
          input: {
            url: `${sinkUrl}/orders`,
            body: {
              orderId: '{{event.order.id}}',
              total: '{{event.order.total_inc_tax}}',
              email: '{{event.order.billing_address.email}}',
              firstSku: '{{event.products[0].sku}}',
              lines: '{{event.order.items_total}}',
              scope: '{{event.payload.scope}}',
            },
          },
        },
      ],
    },
  ],
});

/** A clock file the engine reads (ALLOY_TEST_CLOCK_FILE). */
function testClock(startIso: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-clock-'));
  const file = path.join(dir, 'now');
  let now = Date.parse(startIso);
  fs.writeFileSync(file, String(now));
  return {
    file,
    now: () => now,
    advance: (ms: number) => fs.writeFileSync(file, String((now += ms))),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

describe(`the app trigger with BigCommerce (${storeKind})`, () => {
  let fake: FakeBigCommerce;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let publicUrl: Awaited<ReturnType<typeof startPublicUrl>>;
  let clock: ReturnType<typeof testClock>;
  let server: TestServer;
  let userId: string;
  let credentialId: string;
  /** The released workflow: a test changes it, then restarts the server. */
  let release: { trigger?: Record<string, unknown>; version: number };

  /** The subscription runner, stopped: each test drives it with `tick()` at the clock's time, and what it did is in the store and the fake once that resolves. */
  const runner = () => server.services.engine.runners.get('app')!;
  const tick = () => runner().tick();
  const start = async () => {
    server = await startTestServer({
      env: {
        WORKERS: 'on',
        RETRY_SCHEDULE: '20,20',
        ALLOY_TEST_CLOCK_FILE: clock.file,
        ALLOY_ALLOW_PRIVATE_URLS: 'true',
        BIGCOMMERCE_API_URL: fake.url,
        PUBLIC_URL: publicUrl.url,
      },
      definitions: () => buildDefinitions([integration(sink.url, release.trigger, release.version)]),
    });
    await runner().stop();
  };
  const install = async () => {
    await installHeadless(server, userId, 'bigcommerce', { credentialId });
    await tick();
  };
  const installationId = async () => (await server.services.store.installations.find(userId, 'order-created'))!.installationId;
  const subscriptions = async (id?: string) => server.services.store.subscriptions.ofInstallation(id ?? (await installationId()));
  const hooks = () => [...fake.hooks.values()];
  const calls = (method: string, pathname: string) => fake.requests.filter((r) => r.method === method && r.path === pathname).length;

  beforeEach(async () => {
    fake = await startFakeBigCommerce();
    sink = await startSink();
    publicUrl = await startPublicUrl(() => server);
    clock = testClock('2031-03-03T08:00:00.000Z');
    release = { version: 1 };
    await start();
    userId = await createUser(server, 'merchant');
    credentialId = await addCredential(server, userId, 'bigcommerce', STORE);
  });
  afterEach(async () => {
    await server.close();
    await Promise.all([fake.close(), sink.close(), publicUrl.close()]);
    clock.dispose();
    vi.restoreAllMocks();
  });

  it('subscribes the installation’s own URL at the store on install, with a secret header that only the subscription knows', async () => {
    await install();
    const installations = (await server.request('GET', `/installations?userId=${userId}`)).body.data;
    const { webhookUrl } = installations.find((i: { workflowId: string }) => i.workflowId === 'order-created');
    expect(webhookUrl).toMatch(new RegExp(`^${publicUrl.url}/hooks/[\\w-]{43}$`));
    const [hook, ...more] = hooks();
    expect(more).toEqual([]);
    expect(hook).toMatchObject({ store_hash: 'abc123', scope: 'store/order/created', destination: webhookUrl, is_active: true });
    const secret = hook!.headers[SECRET_HEADER]!;
    expect(secret).toMatch(/^[\w-]{43}$/);

    const [subscription] = await subscriptions();
    expect(subscription).toMatchObject({ status: 'subscribed', remoteId: String(hook!.id), destination: webhookUrl, attempts: 0, lastError: null, nextAt: null });
    // Kept encrypted at rest, and opened with the server's key.
    expect(subscription!.secret).not.toContain(secret);
    expect(server.services.vault.decrypt(subscription!.secret!)).toBe(secret);

    // Done is done: another round asks the store nothing.
    const asked = fake.requests.length;
    await tick();
    expect(fake.requests.length).toBe(asked);
    expect(calls('POST', '/stores/abc123/v3/hooks')).toBe(1);
  });

  it('runs the workflow with the order and its products fetched from the store when the store sends store/order/created, after a restart too', async () => {
    await install();
    // The secret survives a restart: the new process verifies the delivery with it.
    await server.restart();
    await runner().stop();
    const { order, deliveries } = await fake.createOrder('abc123', LINES, { email: 'avery@example.com' });
    expect(deliveries.map((d) => d.status)).toEqual([202]);
    const [delivery] = await sink.waitFor(1);
    expect(delivery!.json).toEqual({ orderId: order.id, total: '49.0000', email: 'avery@example.com', firstSku: 'MUG-01', lines: 3, scope: 'store/order/created' });

    // The fetch is the run's first step, "trigger": what the blocks saw as `event`.
    const executionId = JSON.parse(deliveries[0]!.answer).executionIds[0];
    await waitForExecution(server, userId, 'order-created', executionId, 'succeeded');
    const steps = await server.services.store.db.all<{ block_id: string; output: string; started_at: number; finished_at: number }>(
      'SELECT block_id, output, started_at, finished_at FROM steps WHERE execution_id = ?',
      [executionId],
    );
    const trigger = steps.find((s) => s.block_id === 'trigger')!;
    const send = steps.find((s) => s.block_id === 'send')!;
    expect(Number(trigger.finished_at)).toBeLessThanOrEqual(Number(send.started_at));
    expect(JSON.parse(trigger.output)).toMatchObject({
      order: { id: order.id, status: 'Awaiting Fulfillment', items_total: 3, products: { resource: `/orders/${order.id}/products` } },
      products: [
        { order_id: order.id, sku: 'MUG-01', quantity: 2, total_inc_tax: '24.0000' },
        { order_id: order.id, sku: 'TEE-M', quantity: 1 },
      ],
      // (The store hash is part of the account: redacted in what the log keeps.)
      payload: { scope: 'store/order/created', data: { type: 'order', id: order.id }, producer: 'stores/[redacted]', hash: expect.stringMatching(/^[0-9a-f]{40}$/) },
    });
  });

  it('refuses a delivery with a missing or wrong secret with a 401 naming the header, and records nothing', async () => {
    await install();
    const [hook] = hooks();
    const secret = hook!.headers[SECRET_HEADER]!;
    const hookPath = new URL(hook!.destination).pathname;
    const payload = {
      scope: 'store/order/created',
      store_id: '1025646',
      data: { type: 'order', id: 100 },
      hash: 'dd70c0976e06b67aaf671e73f49dcb79230ebf9d',
      created_at: 1561479335,
      producer: 'stores/abc123',
    };
    const wrong: Array<Record<string, string>> = [{}, { [SECRET_HEADER]: '' }, { [SECRET_HEADER]: 'not-the-secret' }, { [SECRET_HEADER]: `${secret}x` }];
    for (const headers of wrong) {
      const res = await server.request('POST', hookPath, { apiKey: null, body: payload, headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body.error).toMatchObject({ code: 'unauthorized', details: [{ path: SECRET_HEADER, message: expect.stringMatching(/missing or not/) }] });
      expect(res.body.error.message).toContain(SECRET_HEADER);
    }
    expect(await countRows(server, 'events')).toBe(0);
    expect(await countRows(server, 'executions')).toBe(0);

    const ok = await server.request('POST', hookPath, { apiKey: null, body: payload, headers: { [SECRET_HEADER]: secret } });
    expect(ok.status).toBe(202);
    expect(await countRows(server, 'events')).toBe(1);
  });

  it('runs a redelivery of the same payload (same hash) once: the second answer is the first', async () => {
    await install();
    const { deliveries } = await fake.createOrder('abc123', LINES);
    const again = await fake.redeliver(deliveries[0]!);
    expect([deliveries[0]!.status, again.status]).toEqual([202, 202]);
    expect(JSON.parse(again.answer)).toEqual(JSON.parse(deliveries[0]!.answer));
    const executionId = JSON.parse(again.answer).executionIds[0];
    await waitForExecution(server, userId, 'order-created', executionId, 'succeeded');
    expect(await countRows(server, 'executions')).toBe(1);
    expect(sink.deliveries).toHaveLength(1);
  });

  it('fetches the order once: a retry of the run reuses its trigger step', async () => {
    await install();
    sink.failNext(1, 503);
    const { order, deliveries } = await fake.createOrder('abc123', LINES);
    const executionId = JSON.parse(deliveries[0]!.answer).executionIds[0];
    await waitForExecution(server, userId, 'order-created', executionId, 'succeeded');
    expect(await countRows(server, 'steps', 'execution_id = ? AND block_id = ?', [executionId, 'send'])).toBe(2);
    expect(await countRows(server, 'steps', 'execution_id = ? AND block_id = ?', [executionId, 'trigger'])).toBe(1);
    expect(calls('GET', `/stores/abc123/v2/orders/${order.id}`)).toBe(1);
    expect(calls('GET', `/stores/abc123/v2/orders/${order.id}/products`)).toBe(1);
  });

  it('fails the run at its trigger step, without retrying, when the order the delivery points at is gone', async () => {
    await install();
    const [hook] = hooks();
    const payload = {
      scope: 'store/order/created',
      store_id: '1025646',
      data: { type: 'order', id: 999 },
      hash: 'f'.repeat(40),
      created_at: 1561479335,
      producer: 'stores/abc123',
    };
    const res = await server.request('POST', new URL(hook!.destination).pathname, { apiKey: null, body: payload, headers: { [SECRET_HEADER]: hook!.headers[SECRET_HEADER]! } });
    expect(res.status).toBe(202);
    const failed = await waitForExecution(server, userId, 'order-created', res.body.executionIds[0], 'failed');
    expect(JSON.stringify(failed)).toContain('BigCommerce: order 999: HTTP 404 The requested resource was not found.');
    const errors = (await server.request('GET', `/workflows/order-created/errors?userId=${userId}`)).body.data;
    expect(errors).toHaveLength(1);
    expect(calls('GET', '/stores/abc123/v2/orders/999')).toBe(1);
    expect(sink.deliveries).toEqual([]);
  });

  it('removes the hook at the store when the workflow is deactivated, and subscribes again with the same secret when it is reactivated', async () => {
    await install();
    const [hook] = hooks();
    expect((await server.request('PUT', '/workflows/deactivate', { body: { userId, workflowId: 'order-created' } })).status).toBe(200);
    expect(await subscriptions()).toMatchObject([{ desired: 'unsubscribed', status: 'unsubscribing', remoteId: String(hook!.id) }]);
    await tick();
    expect(hooks()).toEqual([]);
    expect(calls('DELETE', `/stores/abc123/v3/hooks/${hook!.id}`)).toBe(1);
    expect(await subscriptions()).toMatchObject([{ status: 'unsubscribed', remoteId: null }]);
    expect((await fake.createOrder('abc123', LINES)).deliveries).toEqual([]);

    expect((await server.request('PUT', '/workflows/activate', { body: { userId, workflowId: 'order-created' } })).status).toBe(200);
    await tick();
    const [again, ...more] = hooks();
    expect(more).toEqual([]);
    expect(again).toMatchObject({ destination: hook!.destination, headers: hook!.headers });
    expect(await subscriptions()).toMatchObject([{ status: 'subscribed', remoteId: String(again!.id) }]);
  });

  it('removes the hook at the store when the workflow is uninstalled, keeping the subscription until it is gone', async () => {
    await install();
    const id = await installationId();
    const [hook] = hooks();
    expect((await server.request('DELETE', `/workflows/order-created?userId=${userId}`)).status).toBe(200);
    expect(await server.services.store.installations.find(userId, 'order-created')).toBeUndefined();
    expect(await subscriptions(id)).toMatchObject([{ retired: true, status: 'unsubscribing', remoteId: String(hook!.id) }]);
    await tick();
    expect(hooks()).toEqual([]);
    expect(calls('DELETE', `/stores/abc123/v3/hooks/${hook!.id}`)).toBe(1);
    expect(await subscriptions(id)).toEqual([]);
  });

  it('counts a hook the store no longer has (a 404) as removed', async () => {
    await install();
    const id = await installationId();
    const [hook] = hooks();
    fake.hooks.delete(hook!.id);
    expect((await server.request('DELETE', `/workflows/order-created?userId=${userId}`)).status).toBe(200);
    await tick();
    expect(calls('DELETE', `/stores/abc123/v3/hooks/${hook!.id}`)).toBe(1);
    expect(await subscriptions(id)).toEqual([]);
  });

  it('subscribes once when two runners (two processes) take the same subscription at once', async () => {
    await installHeadless(server, userId, 'bigcommerce', { credentialId });
    const { store, engine } = server.services;
    const other = new Subscriber({ store, now: engine.now, wake: () => {}, pollMs: 60_000, apps: engine.deps });
    await Promise.all([tick(), other.tick(), tick(), other.tick()]);
    expect(hooks()).toHaveLength(1);
    expect(calls('POST', '/stores/abc123/v3/hooks')).toBe(1);
    expect(await subscriptions()).toMatchObject([{ status: 'subscribed', remoteId: String(hooks()[0]!.id) }]);
  });

  it('tries a subscribe the store could not take (it is down) again later on the engine’s clock, keeping the last error meanwhile', async () => {
    const logs = captureLogs();
    fake.state.unavailable = true;
    await install();
    expect(hooks()).toEqual([]);
    const [failed] = await subscriptions();
    // The store's Retry-After (30 s) is longer than the first delay (10 s).
    expect(failed).toMatchObject({ status: 'subscribing', remoteId: null, attempts: 1, nextAt: clock.now() + 30_000 });
    expect(failed!.lastError).toMatch(/^BigCommerce: listing webhooks: HTTP 503 Service Unavailable/);
    expect(logs.messages('warn')).toContainEqual(
      expect.stringMatching(/subscribing installation \S+ to bigcommerce store\/order\/created failed .*; trying again at 2031-03-03T08:00:30.000Z/),
    );

    fake.state.unavailable = false;
    clock.advance(29_999);
    await tick();
    expect(hooks()).toEqual([]);
    clock.advance(1);
    await tick();
    expect(hooks()).toHaveLength(1);
    expect(await subscriptions()).toMatchObject([{ status: 'subscribed', attempts: 0, lastError: null, nextAt: null }]);
  });

  it('gives up at once on a subscribe the store refuses (a 401), saying why, and tries again when the workflow is deactivated and activated', async () => {
    captureLogs();
    fake.state.acceptToken = () => false;
    await install();
    const [refused] = await subscriptions();
    expect(refused).toMatchObject({ status: 'failed', attempts: 1, nextAt: null });
    expect(refused!.lastError).toMatch(/^BigCommerce: listing webhooks: HTTP 401 You are not authorized/);

    fake.state.acceptToken = (storeHash, token) => storeHash === STORE.storeHash && token === STORE.accessToken;
    for (const action of ['deactivate', 'activate']) {
      expect((await server.request('PUT', `/workflows/${action}`, { body: { userId, workflowId: 'order-created' } })).status).toBe(200);
      await tick();
    }
    expect(hooks()).toHaveLength(1);
    expect(await subscriptions()).toMatchObject([{ status: 'subscribed', lastError: null }]);
  });

  it('subscribes installations made before subscriptions were kept, taking over a hook the store already sends to their URL', async () => {
    captureLogs();
    await install();
    const [hook] = hooks();
    // As a server that knew nothing of subscriptions left them (or one whose answer from the store was lost).
    await server.services.store.db.run('DELETE FROM app_subscriptions');
    await server.restart();
    await runner().stop();
    await tick();
    expect(hooks()).toEqual([{ ...hook, headers: { [SECRET_HEADER]: expect.stringMatching(/^[\w-]{43}$/) }, updated_at: expect.any(Number) }]);
    expect(hooks()[0]!.headers[SECRET_HEADER]).not.toBe(hook!.headers[SECRET_HEADER]);
    expect(calls('POST', '/stores/abc123/v3/hooks')).toBe(1);
    expect(calls('PUT', `/stores/abc123/v3/hooks/${hook!.id}`)).toBe(1);
    expect(await subscriptions()).toMatchObject([{ status: 'subscribed', remoteId: String(hook!.id), destination: hook!.destination }]);
  });

  it('does not subscribe, at another process’s first round, an installation that an upgrade moves off the app trigger', async () => {
    await installHeadless(server, userId, 'bigcommerce', { credentialId });
    const id = await installationId();
    release = { trigger: { type: 'webhook' }, version: 2 };
    await server.restart();
    await runner().stop();
    // Installed before subscriptions were kept (the restarted runner's first round may have subscribed it: that is forgotten too).
    await server.services.store.db.run('DELETE FROM app_subscriptions');
    fake.hooks.clear();
    const posted = calls('POST', '/stores/abc123/v3/hooks');
    const { store, engine } = server.services;
    const other = new Subscriber({ store, now: engine.now, wake: () => {}, pollMs: 60_000, apps: engine.deps });

    // Its first round plans what has no subscription while the upgrade is between its write and its commit.
    let round: Promise<void> | undefined;
    await store.installations.setVersion(userId, 'order-created', 2, async (tx) => {
      let settled = false;
      round = other.tick().finally(() => (settled = true));
      await untilBlockedBy(server, tx, 'the round to end or wait for the upgrade', () => settled);
    });
    await round;
    await tick();
    expect(await subscriptions(id)).toEqual([]);
    expect(hooks()).toEqual([]);
    expect(calls('POST', '/stores/abc123/v3/hooks')).toBe(posted);
  });

  it('moves each subscription to the server’s new public URL, removing the one to the old URL', async () => {
    captureLogs();
    await install();
    const [hook] = hooks();
    const moved = await startPublicUrl(() => server);
    try {
      server.services.engine.deps.settings.selfUrl = moved.url;
      await tick();
      const [again, ...more] = hooks();
      expect(more).toEqual([]);
      expect(again).toMatchObject({ destination: hook!.destination.replace(publicUrl.url, moved.url), headers: hook!.headers });
      expect(calls('DELETE', `/stores/abc123/v3/hooks/${hook!.id}`)).toBe(1);
      expect(await subscriptions()).toMatchObject([{ status: 'subscribed', remoteId: String(again!.id), destination: again!.destination }]);
      const { deliveries } = await fake.createOrder('abc123', LINES);
      expect(deliveries.map((d) => [d.destination, d.status])).toEqual([[again!.destination, 202]]);
    } finally {
      await moved.close();
    }
  });

  it('refuses an app trigger for an event or a connector the connector does not support, naming the file, the path and the reason', () => {
    const load = (trigger: Record<string, unknown>) => () => buildDefinitions([integration('http://127.0.0.1:9', trigger)], ['bigcommerce.json']);
    expect(load({ type: 'app', connector: 'bigcommerce', event: 'store/order/deleted' })).toThrow(DefinitionError);
    expect(load({ type: 'app', connector: 'bigcommerce', event: 'store/order/deleted' })).toThrow(
      'bigcommerce.json: workflows.0.trigger.event: BigCommerce sends no webhook event "store/order/deleted" (it sends: store/order/created, store/order/updated, store/order/statusUpdated)',
    );
    expect(load({ type: 'app', connector: 'woocommerce', event: 'orders/create' })).toThrow(
      /^bigcommerce\.json: workflows\.0\.trigger\.connector: no connector "woocommerce" \(known: .*bigcommerce/,
    );
    // A connector without webhooks takes any event: its URL is all there is.
    expect(load({ type: 'app', connector: 'netsuite', event: 'customer.created' })).not.toThrow();
  });

  it('refuses an app trigger that subscribes with another app than the integration connects', () => {
    const slackApp = { ...integration('http://127.0.0.1:9'), id: 'slack-orders', app: 'Slack', connector: 'slack' };
    expect(() => checkConnectors(buildDefinitions([slackApp]))).toThrow(
      'Integration "slack-orders", workflow "order-created": the app trigger works with a BigCommerce account, but the installation\'s account is Slack\'s (connector "slack")',
    );
    // URL-only: the account is not used, any app's events may come to it.
    expect(() =>
      checkConnectors(buildDefinitions([{ ...slackApp, workflows: slackApp.workflows.map((w) => ({ ...w, trigger: { type: 'app', connector: 'netsuite', event: 'x' } })) }])),
    ).not.toThrow();
  });
});
