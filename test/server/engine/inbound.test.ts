import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDefinitions } from '../../../server/definitions/load';
import { startSink } from '../../../demo/fakes/sink';
import { createUser, startTestServer, storeKind, userToken, type TestServer } from '../../helpers/server';

function definitions(sinkUrl: string) {
  return buildDefinitions([
    // Slack's connector does not subscribe to its app's events (no `webhooks`): its app trigger is
    // URL-only, the URL given to Slack by hand (BigCommerce's subscribes: test/server/triggers/app-bigcommerce.test.ts).
    {
      id: 'slack',
      app: 'Slack',
      connector: 'slack',
      icon: '/icons/slack.svg',
      workflows: [
        {
          id: 'order-created',
          name: 'When a message is posted in Slack, create a new record in AcmeCo',
          version: 1,
          trigger: { type: 'app', connector: 'slack', event: 'message.channels' },
          blocks: [
            { id: 'stream', connector: 'streamData', action: 'post', input: { url: `${sinkUrl}/acmeco`, body: { text: '{{event.event.text}}', team: '{{event.team_id}}' } } },
          ],
        },
        {
          id: 'order-archive',
          name: 'Archive each Slack message',
          version: 1,
          trigger: { type: 'app', connector: 'slack', event: 'message.channels' },
          blocks: [{ id: 'stream', connector: 'streamData', action: 'post', input: { url: `${sinkUrl}/archive`, body: { text: '{{event.event.text}}' } } }],
        },
        {
          id: 'order-note',
          name: 'Send a note for an order',
          version: 1,
          trigger: { type: 'customEvent', event: 'Order Note', schema: { orderId: 'Number', note: 'String' } },
          blocks: [{ id: 'stream', connector: 'streamData', action: 'post', input: { url: `${sinkUrl}/notes`, body: '{{event}}' } }],
        },
      ],
    },
  ]);
}

// Slack's Events API callback for a message posted in a channel.
const messagePosted = {
  type: 'event_callback',
  team_id: 'T0ACME',
  event: { type: 'message', channel: 'C0GENERAL', user: 'U0ANN', text: 'Order 250 is in', ts: '1561479335.000100' },
  event_id: 'Ev0MSG250',
  event_time: 1561479335,
};

describe(`inbound triggers (${storeKind})`, () => {
  let server: TestServer;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let userId: string;
  let webhookUrl: string;
  let archiveUrl: string;

  beforeEach(async () => {
    sink = await startSink();
    server = await startTestServer({ env: { WORKERS: 'on', ALLOY_ALLOW_PRIVATE_URLS: 'true' }, definitions: () => definitions(sink.url) });
    userId = await createUser(server, 'merchant');
    const token = await userToken(server, userId);
    const credential = await server.request('POST', '/me/credentials', { token, body: { app: 'slack', data: { botToken: 'xoxb-test' } } });
    const install = await server.request('POST', '/me/installations', { token, body: { integrationId: 'slack', credentialId: credential.body.credentialId, config: {} } });
    expect(install.status).toBe(201);
    webhookUrl = install.body.installations.find((i: any) => i.workflowId === 'order-created').webhookUrl;
    archiveUrl = install.body.installations.find((i: any) => i.workflowId === 'order-archive').webhookUrl;
    expect(install.body.installations.find((i: any) => i.workflowId === 'order-note').webhookUrl).toBeNull();
  });
  afterEach(async () => {
    await server.close();
    await sink.close();
  });

  it('gives each installation of an app-triggered workflow its own unguessable webhook URL', () => {
    expect(webhookUrl).toMatch(/^http:\/\/localhost\/hooks\/[A-Za-z0-9_-]{43}$/);
  });

  it('runs the workflow with what the app posts to the installation’s URL, for an app trigger without webhook subscriptions', async () => {
    const path = new URL(webhookUrl).pathname;
    const res = await server.request('POST', path, { apiKey: null, body: messagePosted });
    expect(res.status).toBe(202);
    expect(res.body.executionIds).toHaveLength(1);
    const [delivery] = await sink.waitFor(1);
    expect(delivery!.json).toEqual({ text: 'Order 250 is in', team: 'T0ACME' });
    // Nothing was asked of Slack.
    const installation = await server.services.store.installations.find(userId, 'order-created');
    expect(await server.services.store.subscriptions.ofInstallation(installation!.installationId)).toEqual([]);
  });

  it('runs each of a user’s webhook URLs sent the same webhook-id (one message fanned out), and answers a redelivery to one with its first answer', async () => {
    const send = (url: string) => server.request('POST', new URL(url).pathname, { apiKey: null, body: messagePosted, headers: { 'webhook-id': 'msg_2ZbQk1' } });
    const first = await send(webhookUrl);
    const second = await send(archiveUrl);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect(second.body.executionIds).toHaveLength(1);
    expect(second.body.executionIds).not.toEqual(first.body.executionIds);
    const again = await send(webhookUrl);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.executionIds).toEqual(first.body.executionIds);
    const deliveries = await sink.waitFor(2);
    expect(deliveries.map((d) => d.path).sort()).toEqual(['/acmeco', '/archive']);
  });

  it('answers 404 for a webhook URL that belongs to no installation', async () => {
    const res = await server.request('POST', '/hooks/not-a-real-token', { apiKey: null, body: messagePosted });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('runs one installed workflow through POST /run/workflow, checking the data against its schema', async () => {
    const bad = await server.request('POST', '/run/workflow', { body: { userId, workflowId: 'order-note', data: { orderId: 'x', note: 'hi' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([{ path: 'data.orderId', message: expect.stringMatching(/number/) }]);
    const ok = await server.request('POST', '/run/workflow', { body: { userId, workflowId: 'order-note', data: { orderId: 7, note: 'hi' } } });
    expect(ok.status).toBe(200);
    expect(ok.body.executionIds).toHaveLength(1);
    const [delivery] = await sink.waitFor(1);
    expect(delivery!.json).toEqual({ orderId: 7, note: 'hi' });
  });

  it('refuses to run a deactivated workflow', async () => {
    await server.request('PUT', '/workflows/deactivate', { body: { userId, workflowId: 'order-note' } });
    const res = await server.request('POST', '/run/workflow', { body: { userId, workflowId: 'order-note', data: { orderId: 7, note: 'hi' } } });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/deactivated/);
  });
});
