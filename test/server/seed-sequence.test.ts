import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';

// The Alloy Quick Start, step by step, with only host and key changed (and the /2023-12 prefix kept).
describe(`the seed's curl sequence (${storeKind})`, () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(() => server.close());

  it('creates a user, mints a token, lists integrations, installs headlessly, runs an event and shows its log', async () => {
    const created = await server.request('POST', '/2023-12/users', { body: { username: 'gregg' } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ userId: expect.stringMatching(/^[0-9a-f]{24}$/) });
    const userId = created.body.userId;

    const token = await server.request('GET', `/2023-12/user/${userId}/token`);
    expect(token.status).toBe(200);
    expect(token.body.token.split('.')).toHaveLength(3);

    const list = await server.request('GET', `/2023-12/integrations?userId=${userId}`);
    expect(list.status).toBe(200);
    const bigcommerce = list.body.data.find((i: any) => i.app === 'BigCommerce');
    expect(bigcommerce).toMatchObject({ integrationId: 'bigcommerce', installed: false, icon: expect.stringMatching(/^http/) });
    expect(bigcommerce.workflows[0]).toEqual(
      expect.objectContaining({ workflowId: expect.any(String), name: expect.any(String), installed: false, version: 1, installedVersion: null, active: false }),
    );
    expect(bigcommerce.workflows[0].blocks[0]).toEqual({ name: expect.any(String), id: expect.any(String), type: expect.any(String), icon: expect.any(String) });

    const credential = await server.request('POST', '/2023-12/headless/credentials', {
      body: { userId, credential: { type: 'bigcommerce', data: { storeHash: 'abc123', accessToken: 'secret-token' } } },
    });
    expect(credential.status).toBe(201);
    const start = await server.request('POST', '/2023-12/headless/startInstallation', {
      body: { userId, integrationId: 'bigcommerce', workflowIds: ['bigcommerce-fulfillment-updated'], credentialId: credential.body.credentialId },
    });
    expect(start.status).toBe(200);
    expect(start.body.workflows[0].fields.map((f: any) => f.name)).toEqual(['staffNote']);
    const complete = await server.request('POST', '/2023-12/headless/completeInstallation', {
      body: { userId, installationId: start.body.installationId, data: { staffNote: 'Updated by AcmeCo' } },
    });
    expect(complete.status).toBe(200);
    expect(complete.body).toMatchObject({ success: true, workflowIds: ['bigcommerce-fulfillment-updated'] });

    const run = await server.request('POST', '/2023-12/run/event', {
      headers: { accept: 'application/json' },
      body: { event: 'Fulfillment Updated', userId, data: { orderId: '123', status: 'FULFILLED' } },
    });
    expect(run.status).toBe(200);
    expect(run.body).toEqual({ message: 'Event successfully triggered', eventId: expect.any(String), executionIds: [expect.any(String)] });

    const logs = await server.request('GET', `/2023-12/workflows/bigcommerce-fulfillment-updated/logs?userId=${userId}`);
    expect(logs.status).toBe(200);
    expect(logs.body.data).toHaveLength(1);
    expect(logs.body.data[0]).toMatchObject({ executionId: run.body.executionIds[0], event: 'Fulfillment Updated', status: 'queued' });

    const errors = await server.request('GET', '/2023-12/workflows/bigcommerce-fulfillment-updated/errors');
    expect(errors.body).toEqual({ data: [] });

    const deactivate = await server.request('PUT', '/2023-12/workflows/deactivate', { body: { userId, workflowId: 'bigcommerce-fulfillment-updated' } });
    expect(deactivate.body).toEqual({ success: true });
    const gdpr = await server.request('DELETE', `/2023-12/users/${userId}/logs`);
    expect(gdpr.body).toEqual({ message: 'Success', success: true, deleted: { executions: 1, errors: 0, events: 1 } });
  });

  it('keeps an accepted event and its executions across a restart', async () => {
    const userId = await createUser(server, 'restart-user');
    const cred = await server.request('POST', '/headless/credentials', { body: { userId, credential: { type: 'slack', data: { botToken: 'xoxb-1' } } } });
    const start = await server.request('POST', '/headless/startInstallation', { body: { userId, integrationId: 'slack', credentialId: cred.body.credentialId } });
    await server.request('POST', '/headless/completeInstallation', { body: { userId, installationId: start.body.installationId, data: { channel: 'C123' } } });
    const run = await server.request('POST', '/run/event', {
      body: { event: 'Ticket Created', userId, data: { ticketName: 'T', customerEmail: 'a@b.c', description: 'd' } },
    });
    expect(run.body.executionIds).toHaveLength(1);

    await server.restart();

    const logs = await server.request('GET', `/workflows/slack-ticket-created/logs?userId=${userId}`);
    expect(logs.body.data.map((e: any) => e.executionId)).toEqual(run.body.executionIds);
    expect(logs.body.data[0].eventId).toBe(run.body.eventId);
  });
});
