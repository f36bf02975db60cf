import { afterEach, describe, expect, it, vi } from 'vitest';
import { startSink } from '../../demo/fakes/sink';
import type { Definitions } from '../../server/definitions/load';
import { definitionsWith, demoWorkflow, orderStreamIntegration } from '../helpers/definitions';
import { addCredential, countRows, installHeadless } from '../helpers/flows';
import { startHookSink, type HookRequest, type HookSink } from '../helpers/hook-sink';
import { createUser, startTestServer, storeKind, userToken, waitForExecution, type TestServer } from '../helpers/server';

const SECRET = `whsec_${Buffer.from('lifecycle-webhooks-test-secret-0').toString('base64')}`;
const SLACK = 'slack-ticket-created';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const DAY = 86_400_000;

/** Waits for `check` to pass: the sender looks for due messages every second when nothing wakes it. */
const eventually = <T>(check: () => T | Promise<T>) => vi.waitFor(check, { timeout: 8000, interval: 25 });

describe(`lifecycle webhooks (${storeKind})`, () => {
  let server: TestServer | undefined;
  let hooks: HookSink;
  let orders: Awaited<ReturnType<typeof startSink>>;
  let definitions: Definitions;
  const hookUrl = () => `${hooks.url}/alloy/events`;

  async function start(env: Record<string, string> = {}) {
    hooks = await startHookSink(SECRET);
    orders = await startSink();
    definitions = definitionsWith([orderStreamIntegration(`${orders.url}/orders`)]);
    const merged: Record<string, string> = {
      WORKERS: 'on',
      RETRY_SCHEDULE: '50,50,50',
      ALLOY_ALLOW_PRIVATE_URLS: 'true',
      ALLOY_WEBHOOK_SECRET: SECRET,
      ALLOY_EVENTS_WEBHOOK_URL: hookUrl(),
      ...env,
    };
    // A variable given as '' is left unset.
    server = await startTestServer({ env: Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== '')), definitions: () => definitions });
    return server;
  }

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await hooks?.close();
    await orders?.close();
  });

  /** Waits until `count` messages of `type` were taken (2xx), and returns every request of that type, verified. */
  async function received(type: string, count = 1): Promise<HookRequest[]> {
    await eventually(() => expect(hooks.verified(type).filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(count));
    return hooks.verified(type).filter((r) => r.status === 200);
  }

  const delivery = async (id: string) => (await server!.request('GET', `/webhook-deliveries/${id}`)).body;

  async function installSlack(userId: string, channel = 'C123') {
    const credentialId = await addCredential(server!, userId, 'slack', { botToken: `xoxb-${userId}` });
    await installHeadless(server!, userId, 'slack', { credentialId, data: { channel } });
    const installation = await server!.services.store.installations.find(userId, SLACK);
    return { credentialId, installationId: installation!.installationId };
  }

  it('sends installation.created and credential.created as { type, timestamp, data }, signed, under a msg_ id the delivery log shows', async () => {
    await start();
    const userId = await createUser(server!, 'ann');
    const { credentialId, installationId } = await installSlack(userId);

    const [created] = await received('installation.created');
    expect(Object.keys(created!.json)).toEqual(['type', 'timestamp', 'data']);
    expect(created!.json).toEqual({
      type: 'installation.created',
      timestamp: expect.stringMatching(ISO),
      data: { userId, installationId, integrationId: 'slack', workflowId: SLACK, version: 1, active: true, credentialIds: [credentialId] },
    });
    expect(created!.id).toMatch(/^msg_\w+$/);
    expect(created!.headers['content-type']).toBe('application/json');
    const [credential] = await received('credential.created');
    expect(credential!.json.data).toMatchObject({ userId, credentialId, app: 'slack', status: 'healthy', lastError: null, lastErrorAt: null });

    await eventually(async () => expect((await delivery(created!.id)).status).toBe('delivered'));
    expect(await delivery(created!.id)).toEqual({
      id: created!.id,
      type: 'installation.created',
      status: 'delivered',
      attempts: 1,
      lastResponseCode: 200,
      lastError: null,
      lastAttemptAt: expect.stringMatching(ISO),
      nextAttemptAt: null,
      createdAt: created!.json.timestamp,
      data: created!.json.data,
    });
  });

  it('sends installation.updated for a reinstall, a deactivation, an activation, a reconfiguration, deactivate-workflows and an upgrade; none for a no-op', async () => {
    await start();
    const userId = await createUser(server!, 'ann');
    const { installationId } = await installSlack(userId);
    await received('installation.created');
    const token = await userToken(server!, userId);
    const ok = (res: { status: number; body: unknown }) => expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);

    await installHeadless(server!, userId, 'slack', { data: { channel: 'C42' } }); // reinstall
    ok(await server!.request('PUT', '/workflows/deactivate', { body: { userId, workflowId: SLACK } }));
    ok(await server!.request('PUT', '/workflows/deactivate', { body: { userId, workflowId: SLACK } })); // already inactive: nothing changed
    ok(await server!.request('PUT', '/workflows/activate', { body: { userId, workflowId: SLACK } }));
    ok(await server!.request('PUT', `/me/installations/${installationId}`, { token, body: { config: { channel: 'C7' } } }));
    ok(await server!.request('PUT', `/users/${userId}/deactivate-workflows`));

    // Ids of one process sort in the order the messages were stored.
    const updates = (await received('installation.updated', 5)).sort((a, b) => a.id.localeCompare(b.id));
    expect(updates.map((u) => u.json.data.active)).toEqual([true, false, true, true, false]);
    expect(new Set(updates.map((u) => u.json.data.installationId))).toEqual(new Set([installationId]));

    definitions = definitionsWith([orderStreamIntegration(`${orders.url}/orders`)], (demo) => {
      const workflow = demoWorkflow(demo, SLACK);
      workflow.version = 2;
      workflow.blocks[0].input.text = 'v2: {{event.ticketName}}';
    });
    await server!.restart();
    ok(await server!.request('PUT', `/workflows/${SLACK}/upgrade`, { body: { userId } }));
    const upgraded = (await received('installation.updated', 6)).find((u) => u.json.data.version === 2);
    expect(upgraded!.json.data).toMatchObject({ installationId, version: 2, active: false });
    expect(hooks.verified('installation.updated')).toHaveLength(6);
  });

  it('sends installation.deleted when the ISV uninstalls a workflow and when the user does', async () => {
    await start();
    const userId = await createUser(server!, 'ann');
    const slack = await installSlack(userId);
    await installHeadless(server!, userId, 'acme');
    const acme = await server!.services.store.installations.find(userId, 'order-paid');

    expect((await server!.request('DELETE', `/workflows/${SLACK}?userId=${userId}`)).status).toBe(200);
    const token = await userToken(server!, userId);
    expect((await server!.request('DELETE', `/me/installations/${acme!.installationId}`, { token })).status).toBe(200);

    const deleted = await received('installation.deleted', 2);
    expect(deleted.map((d) => d.json.data).sort((a, b) => a.workflowId.localeCompare(b.workflowId))).toEqual([
      { userId, installationId: acme!.installationId, integrationId: 'acme', workflowId: 'order-paid', version: 1, active: true, credentialIds: [] },
      { userId, installationId: slack.installationId, integrationId: 'slack', workflowId: SLACK, version: 1, active: true, credentialIds: [slack.credentialId] },
    ]);
  });

  it('sends credential.deleted, status "deleted", when the ISV deletes a credential and when the user does', async () => {
    await start();
    const userId = await createUser(server!, 'ann');
    const byIsv = await addCredential(server!, userId, 'slack', { botToken: 'xoxb-one' });
    const byUser = await addCredential(server!, userId, 'slack', { botToken: 'xoxb-two' });

    expect((await server!.request('DELETE', `/users/${userId}/credentials/${byIsv}`)).status).toBe(200);
    expect((await server!.request('DELETE', `/me/credentials/${byUser}`, { token: await userToken(server!, userId) })).status).toBe(200);

    const deleted = await received('credential.deleted', 2);
    expect(deleted.map((d) => d.json.data.credentialId).sort()).toEqual([byIsv, byUser].sort());
    for (const d of deleted) expect(d.json.data).toMatchObject({ userId, app: 'slack', status: 'deleted' });
  });

  it('sends credential.recovered when a credential that needed reconnecting is connected again', async () => {
    await start();
    const userId = await createUser(server!, 'ann');
    const credentialId = await addCredential(server!, userId, 'slack', { botToken: 'xoxb-old' });
    // The OAuth refresh marks it so when the app refuses it; here the store is set as that leaves it.
    await server!.services.store.db.run("UPDATE credentials SET status = 'needs_reconnect', last_error = 'invalid_grant' WHERE id = ?", [credentialId]);

    const res = await server!.request('PUT', `/me/credentials/${credentialId}`, { token: await userToken(server!, userId), body: { data: { botToken: 'xoxb-fresh' } } });

    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [recovered] = await received('credential.recovered');
    expect(recovered!.json.data).toMatchObject({ userId, credentialId, app: 'slack', status: 'healthy', lastError: null });
  });

  it('sends execution.failed, beside the error log entry, when an execution fails for good', async () => {
    await start();
    const userId = await createUser(server!, 'ann');
    await installHeadless(server!, userId, 'acme');
    orders.failNext(1, 400);

    const run = await server!.request('POST', '/run/event', { body: { event: 'Order Paid', userId, data: { orderId: 'o-1' } } });
    const [executionId] = run.body.executionIds as string[];
    await waitForExecution(server!, userId, 'order-paid', executionId!, 'failed');

    const [failed] = await received('execution.failed');
    expect(failed!.json.data).toEqual({
      userId,
      workflowId: 'order-paid',
      executionId,
      block: 'send',
      message: expect.stringMatching(/HTTP 400/),
      occurredAt: expect.stringMatching(ISO),
    });
    const errors = await server!.request('GET', `/workflows/order-paid/errors?userId=${userId}`);
    expect(errors.body.data[0]).toMatchObject({ executionId, message: failed!.json.data.message, errorOccurredAt: failed!.json.data.occurredAt });
  });

  it('tells of each installation and credential a deleted user took with them', async () => {
    await start();
    const userId = await createUser(server!, 'ann');
    const { credentialId, installationId } = await installSlack(userId);

    expect((await server!.request('DELETE', `/users/${userId}`)).status).toBe(200);

    const [installation] = await received('installation.deleted');
    expect(installation!.json.data).toMatchObject({ userId, installationId });
    const [credential] = await received('credential.deleted');
    expect(credential!.json.data).toMatchObject({ userId, credentialId, status: 'deleted' });
  });

  it('tries again on RETRY_SCHEDULE after 500s, under one webhook-id, and logs the tries', async () => {
    await start();
    hooks.answerNext(500, 500);
    const userId = await createUser(server!, 'ann');
    await addCredential(server!, userId, 'slack', { botToken: 'xoxb-ann' });

    await received('credential.created');
    const tries = hooks.verified('credential.created');
    expect(tries.map((t) => t.status)).toEqual([500, 500, 200]);
    expect(new Set(tries.map((t) => t.id)).size).toBe(1);
    await eventually(async () => expect(await delivery(tries[0]!.id)).toMatchObject({ status: 'delivered', attempts: 3, lastResponseCode: 200, lastError: null }));
  });

  it('fails a message the endpoint answers 410 without trying again, and redelivers it under the same id on request', async () => {
    await start();
    hooks.answerNext(410);
    const userId = await createUser(server!, 'ann');
    await addCredential(server!, userId, 'slack', { botToken: 'xoxb-one' });
    await eventually(() => expect(hooks.requests).toHaveLength(1));
    const id = hooks.requests[0]!.id;
    await eventually(async () =>
      expect(await delivery(id)).toMatchObject({ status: 'failed', attempts: 1, lastResponseCode: 410, lastError: expect.stringMatching(/HTTP 410/), nextAttemptAt: null }),
    );
    // A message stored after the failure was recorded is due after any retry of it would be: once it arrived, none came.
    await addCredential(server!, userId, 'slack', { botToken: 'xoxb-two' });
    await received('credential.created', 1);
    expect(hooks.requests.filter((r) => r.id === id)).toHaveLength(1);

    const redelivered = await server!.request('POST', `/webhook-deliveries/${id}/redeliver`);

    expect(redelivered.status).toBe(202);
    expect(redelivered.body).toMatchObject({ id, status: 'pending', attempts: 0 });
    await eventually(() => expect(hooks.requests.filter((r) => r.id === id && r.status === 200)).toHaveLength(1));
    const again = hooks.verified('credential.created').filter((r) => r.id === id);
    expect(again.map((r) => r.body)).toEqual([again[0]!.body, again[0]!.body]);
    await eventually(async () => expect(await delivery(id)).toMatchObject({ status: 'delivered', attempts: 1, lastResponseCode: 200 }));
  });

  it('pages the delivery log newest first, filtered by status and type, and answers 404 for an unknown message', async () => {
    await start();
    const userId = await createUser(server!, 'ann');
    for (const n of [1, 2, 3]) await addCredential(server!, userId, 'slack', { botToken: `xoxb-${n}` });
    await installHeadless(server!, userId, 'acme');
    await received('credential.created', 3);
    await received('installation.created');
    await eventually(async () => expect((await server!.request('GET', '/webhook-deliveries?status=delivered')).body.data).toHaveLength(4));

    const first = await server!.request('GET', '/webhook-deliveries?type=credential.created&limit=2');
    const second = await server!.request('GET', `/webhook-deliveries?type=credential.created&limit=2&cursor=${first.body.nextCursor}`);

    const created = hooks
      .verified('credential.created')
      .map((r) => r.id)
      .sort()
      .reverse();
    expect([...first.body.data, ...second.body.data].map((m: { id: string }) => m.id)).toEqual(created);
    expect(second.body.nextCursor).toBeNull();
    expect((await server!.request('GET', '/webhook-deliveries?status=failed')).body).toEqual({ data: [], nextCursor: null });
    const bad = await server!.request('GET', '/webhook-deliveries?status=lost');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('status');
    for (const [method, path] of [
      ['GET', '/webhook-deliveries/msg_nope'],
      ['POST', '/webhook-deliveries/msg_nope/redeliver'],
    ] as const) {
      const res = await server!.request(method, path);
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: 'not_found', message: 'No webhook message "msg_nope"' });
    }
  });

  it('disables the endpoint after ALLOY_EVENTS_WEBHOOK_DISABLE_AFTER_DAYS of failures, keeps new messages unsent, says so in /health, and sends them once enabled', async () => {
    await start({ ALLOY_EVENTS_WEBHOOK_DISABLE_AFTER_DAYS: '5' });
    const userId = await createUser(server!, 'ann');
    hooks.answerNext(503, 503, 503, 503);
    await addCredential(server!, userId, 'slack', { botToken: 'xoxb-one' });
    await eventually(async () => expect((await server!.request('GET', '/webhook-deliveries?status=failed')).body.data).toHaveLength(1));
    const failing = await server!.request('GET', '/webhook-endpoint');
    expect(failing.body).toEqual({ url: hookUrl(), status: 'enabled', failingSince: expect.stringMatching(ISO), disabledAt: null, disableAfterDays: 5, pending: 0 });

    // Six days of failing, without waiting them: the endpoint's first failure moved back in the store.
    await server!.services.store.db.run('UPDATE webhook_endpoints SET failing_since = ? WHERE url = ?', [Date.now() - 6 * DAY, hookUrl()]);
    hooks.answerNext(503);
    await addCredential(server!, userId, 'slack', { botToken: 'xoxb-two' });
    await eventually(async () => expect((await server!.request('GET', '/webhook-endpoint')).body.status).toBe('disabled'));
    const health = await server!.request('GET', '/health', { apiKey: null });
    expect(health.body).toEqual({ ok: true, eventsWebhook: { status: 'disabled', disabledAt: expect.stringMatching(ISO) } });

    await addCredential(server!, userId, 'slack', { botToken: 'xoxb-three' });
    const held = (await server!.request('GET', '/webhook-deliveries?status=pending')).body.data;
    expect(held.map((m: { attempts: number }) => m.attempts).sort()).toEqual([0, 1]);
    expect(await server!.services.store.webhookMessages.claim(hookUrl(), 20, 60_000)).toEqual([]);
    const sentBefore = hooks.requests.length;
    expect((await server!.request('GET', '/webhook-endpoint')).body).toMatchObject({ status: 'disabled', pending: 2 });

    const enabled = await server!.request('POST', '/webhook-endpoint/enable');

    expect(enabled.body).toMatchObject({ status: 'enabled', failingSince: null, disabledAt: null });
    await eventually(() => expect(hooks.requests.slice(sentBefore).filter((r) => r.status === 200)).toHaveLength(2));
    expect(new Set(hooks.requests.slice(sentBefore).map((r) => r.id))).toEqual(new Set(held.map((m: { id: string }) => m.id)));
    expect((await server!.request('GET', '/health', { apiKey: null })).body).toEqual({ ok: true, eventsWebhook: { status: 'enabled', disabledAt: null } });
  });

  it('takes each due message once when two claims run at once (several processes on PostgreSQL)', async () => {
    await start({ WORKERS: 'off' });
    const messages = server!.services.store.webhookMessages;
    for (let i = 0; i < 30; i++) await messages.enqueue('credential.created', { n: i });

    const [a, b] = await Promise.all([messages.claim(hookUrl(), 20, 60_000), messages.claim(hookUrl(), 20, 60_000)]);

    const ids = [...a, ...b].map((m) => m.id);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    expect(await messages.claim(hookUrl(), 20, 60_000)).toEqual([]);
  });

  it('deletes sent and failed messages past the log retention, and keeps pending ones', async () => {
    await start({ WORKERS: 'off' });
    const messages = server!.services.store.webhookMessages;
    const old = Date.now() - 90 * DAY;
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await messages.enqueueIn(server!.services.store.db, 'credential.created', { n: i }, old));
    await server!.services.store.db.run("UPDATE webhook_messages SET status = 'delivered', next_at = NULL WHERE id = ?", [ids[0]]);
    await server!.services.store.db.run("UPDATE webhook_messages SET status = 'failed', next_at = NULL WHERE id = ?", [ids[1]]);

    expect(await messages.deleteOlderThan(Date.now() - 60 * DAY)).toBe(2);
    expect((await server!.request('GET', '/webhook-deliveries')).body.data.map((m: { id: string }) => m.id)).toEqual([ids[2]]);
  });

  it('without ALLOY_EVENTS_WEBHOOK_URL stores nothing, and its routes answer 409 saying to set it', async () => {
    await start({ ALLOY_EVENTS_WEBHOOK_URL: '' });
    const userId = await createUser(server!, 'ann');
    await addCredential(server!, userId, 'slack', { botToken: 'xoxb-ann' });

    expect(await countRows(server!, 'webhook_messages')).toBe(0);
    for (const [method, path] of [
      ['GET', '/webhook-deliveries'],
      ['GET', '/webhook-deliveries/msg_x'],
      ['POST', '/webhook-deliveries/msg_x/redeliver'],
      ['GET', '/webhook-endpoint'],
      ['POST', '/webhook-endpoint/enable'],
    ] as const) {
      const res = await server!.request(method, path);
      expect(res.status, `${method} ${path}`).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'conflict', message: expect.stringContaining('set ALLOY_EVENTS_WEBHOOK_URL') });
    }
    expect((await server!.request('GET', '/health', { apiKey: null })).body).toEqual({ ok: true });
  });
});
