import { afterEach, describe, expect, it } from 'vitest';
import { definitionsWith, vaultIntegration } from '../helpers/definitions';
import { addCredential, installFulfillment, installHeadless, installSlack } from '../helpers/flows';
import { createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';

const base = 'http://localhost';
const block = (name: string, id: string, type: string, icon: string) => ({ name, id, type, icon: `${base}/icons/${icon}` });

describe(`integrations, events and apps (${storeKind})`, () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  describe('GET /integrations', () => {
    it('lists every integration in the seed shape with the user’s installation state', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');

      const res = await server.request('GET', `/integrations?userId=${userId}`);

      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['data']);
      expect(res.body.data.map((i: any) => i.integrationId)).toEqual(['bigcommerce', 'hubspot', 'jira', 'netsuite', 'slack', 'stream-heartbeat']);
      expect(res.body.data[4]).toEqual({
        integrationId: 'slack',
        app: 'Slack',
        description: 'Post messages to your Slack workspace',
        installed: false,
        needsReconnect: false,
        connections: [],
        icon: `${base}/icons/slack.svg`,
        // 2025-09's keys beside 2024-03's (a superset answers both).
        primaryConnector: 'Slack',
        credentials: [],
        workflows: [
          {
            workflowId: 'slack-ticket-created',
            integrationId: 'slack',
            name: 'Post to Slack when a ticket is created',
            description: 'Sends a message to the channel you choose each time a support ticket is created in AcmeCo.',
            installed: false,
            version: 1,
            installedVersion: null,
            active: false,
            credentialId: null,
            trigger: { type: 'customEvent', event: 'Ticket Created' },
            blocks: [block('Custom Event', 'trigger', 'customEvent', 'app-event.svg'), block('Send message', 'post-message', 'slack', 'slack.svg')],
            connectors: [
              { name: 'Custom Event', id: 'trigger', connector: 'customEvent', icon: `${base}/icons/app-event.svg`, subtitle: 'Custom Event' },
              { name: 'Send message', id: 'post-message', connector: 'slack', icon: `${base}/icons/slack.svg`, subtitle: 'Send message' },
            ],
          },
        ],
      });
      // Every block of every workflow has exactly the seed's four keys.
      const blocks = res.body.data.flatMap((i: any) => i.workflows.flatMap((w: any) => w.blocks));
      expect(blocks).toHaveLength(18);
      for (const b of blocks) expect(Object.keys(b).sort()).toEqual(['icon', 'id', 'name', 'type']);
      // An app trigger is named after its connector.
      expect(res.body.data[0].workflows[0].blocks[0]).toEqual(block('BigCommerce Trigger', 'trigger', 'bigcommerceTrigger', 'bigcommerce.svg'));
      const heartbeat = res.body.data.find((i: any) => i.integrationId === 'stream-heartbeat').workflows[0];
      expect([heartbeat.trigger, heartbeat.blocks[0]]).toEqual([{ type: 'schedule' }, block('Schedule', 'trigger', 'schedule', 'schedule.svg')]);
    });

    it('marks the integration and the one installed workflow after an install, and follows deactivation', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      await installFulfillment(server, userId);

      const res = await server.request('GET', `/integrations?userId=${userId}`);
      const bigcommerce = res.body.data.find((i: any) => i.integrationId === 'bigcommerce');
      expect(bigcommerce.installed).toBe(true);
      expect(bigcommerce.workflows.map((w: any) => [w.workflowId, w.installed, w.installedVersion, w.active])).toEqual([
        ['bigcommerce-order-created', false, null, false],
        ['bigcommerce-fulfillment-updated', true, 1, true],
      ]);
      expect(res.body.data.filter((i: any) => i.installed).map((i: any) => i.integrationId)).toEqual(['bigcommerce']);

      await server.request('PUT', '/workflows/deactivate', { body: { userId, workflowId: 'bigcommerce-fulfillment-updated' } });
      const after = await server.request('GET', `/integrations?userId=${userId}`);
      const workflow = after.body.data[0].workflows[1];
      expect([workflow.installed, workflow.installedVersion, workflow.active]).toEqual([true, 1, false]);
    });

    it('shows one user’s installs to that user only', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      await installSlack(server, ann);

      const res = await server.request('GET', `/integrations?userId=${bob}`);
      expect(res.body.data.every((i: any) => !i.installed)).toBe(true);
    });

    it('accepts the username in place of the userId', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      await installSlack(server, userId);

      const res = await server.request('GET', '/integrations?userId=ann');
      expect(res.status).toBe(200);
      expect(res.body.data.find((i: any) => i.integrationId === 'slack').installed).toBe(true);
    });

    it('answers 400 naming userId when it is missing', async () => {
      server = await startTestServer();
      const res = await server.request('GET', '/integrations');
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'invalid_request', message: 'Invalid request: userId: required' });
      expect(res.body.error.details).toEqual([{ path: 'userId', message: 'required' }]);
    });

    it('answers 404 for an unknown user', async () => {
      server = await startTestServer();
      const res = await server.request('GET', '/integrations?userId=nobody');
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'not_found', message: 'No user with id or username "nobody"' });
    });

    it('refuses a request without the API key', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await server.request('GET', `/integrations?userId=${userId}`, { apiKey: null });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    });
  });

  describe('GET /integrations/:id', () => {
    it('describes the fields, the account forms and the user’s credentials without their secret', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const credentialId = await addCredential(server, userId, 'slack', { botToken: 'xoxb-very-secret' });
      await addCredential(server, userId, 'bigcommerce', { storeHash: 'abc', accessToken: 'bc-very-secret' });
      await installHeadless(server, userId, 'slack', { credentialId, data: { channel: 'C42' } });

      const res = await server.request('GET', `/integrations/slack?userId=${userId}`);

      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ integrationId: 'slack', app: 'Slack', installed: true, connector: 'slack', icon: `${base}/icons/slack.svg` });
      expect(res.body.data.auth.map((a: any) => a.type)).toEqual(['apiKey']);
      expect(res.body.data.auth[0].fields).toEqual([expect.objectContaining({ name: 'botToken', type: 'secret', required: true })]);
      // Only the Slack credential, and nothing of its secret.
      expect(res.body.data.credentials).toEqual([
        { credentialId, app: 'slack', displayName: 'Northwind Traders', status: 'healthy', lastError: null, lastErrorAt: null, inUse: true },
      ]);
      expect(JSON.stringify(res.body)).not.toContain('very-secret');
      expect(res.body.data.workflows).toHaveLength(1);
      expect(res.body.data.workflows[0]).toMatchObject({ workflowId: 'slack-ticket-created', installed: true, installedVersion: 1, active: true, config: { channel: 'C42' } });
      expect(res.body.data.workflows[0].fields).toEqual([
        {
          name: 'channel',
          label: 'Slack channel',
          type: 'select',
          required: true,
          description: 'The channel new tickets are posted to.',
          optionsSource: { connector: 'slack', source: 'channels' },
        },
      ]);
    });

    it('shows config null for a workflow the user has not installed', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await server.request('GET', `/integrations/netsuite?userId=${userId}`);
      expect(res.status).toBe(200);
      expect(res.body.data.installed).toBe(false);
      expect(res.body.data.credentials).toEqual([]);
      expect(res.body.data.workflows[0]).toMatchObject({ installed: false, config: null });
      expect(res.body.data.workflows[0].fields[0].options).toEqual([
        { label: 'US', value: '1' },
        { label: 'EU', value: '2' },
      ]);
    });

    it('redacts secret config values and lists no auth for an app without an account', async () => {
      server = await startTestServer({ definitions: () => definitionsWith([vaultIntegration]) });
      const userId = await createUser(server, 'ann');
      await installHeadless(server, userId, 'vault', { data: { url: 'https://vault.test', apiToken: 'tok-plaintext', region: 'eu' } });

      const res = await server.request('GET', `/integrations/vault?userId=${userId}`);

      expect(res.status).toBe(200);
      expect(res.body.data.auth).toEqual([]);
      expect(res.body.data.workflows[0].config).toEqual({ url: 'https://vault.test', apiToken: '[redacted]', region: 'eu' });
      expect(JSON.stringify(res.body)).not.toContain('tok-plaintext');
    });

    it('answers 404 listing the known integrations for an unknown one', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await server.request('GET', `/integrations/woocommerce?userId=${userId}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'not_found', message: 'No integration "woocommerce" (known: bigcommerce, hubspot, jira, netsuite, slack, stream-heartbeat)' });
    });

    it('answers 400 naming userId when it is missing', async () => {
      server = await startTestServer();
      const res = await server.request('GET', '/integrations/slack');
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'userId', message: 'required' }]);
    });
  });

  describe('GET /events', () => {
    it('lists the four demo events with their schema, JSON Schema and browser flag', async () => {
      server = await startTestServer();
      const res = await server.request('GET', '/events');

      expect(res.status).toBe(200);
      expect(res.body.data.map((e: any) => [e.event, e.browser, e.workflowIds])).toEqual([
        ['Fulfillment Updated', false, ['bigcommerce-fulfillment-updated']],
        ['Ticket Created', true, ['hubspot-ticket-deal', 'jira-ticket-issue', 'slack-ticket-created']],
        ['create_invoice', false, ['netsuite-create-invoice']],
        ['Order Created', false, ['order-lines']],
      ]);
      const invoice = res.body.data[2];
      expect(invoice.schema).toEqual({ id: 'String', invoiceNumber: 'String', invoiceAmount: 'Number' });
      expect(invoice.jsonSchema).toMatchObject({
        type: 'object',
        properties: { id: { type: 'string' }, invoiceNumber: { type: 'string' }, invoiceAmount: { type: 'number' } },
        required: ['id', 'invoiceNumber', 'invoiceAmount'],
      });
    });
  });
});
