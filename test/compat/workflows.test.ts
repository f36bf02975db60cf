import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUserWithSlack, installSlack, ticket } from '../helpers/flows';
import { createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';

const SLACK = 'slack-ticket-created';
const SLACK_NAME = 'Post to Slack when a ticket is created';

describe(`workflows, as Alloy's reference writes them (${storeKind})`, () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(() => server.close());

  // find-a-workflow: GET /workflows/{workflowId}?userId -> { data: { workflowId, name, createdAt, updatedAt, installed, active, version, integrationId, connectors[] } }
  it('find-a-workflow: answers { data } with connectors[{ connectorName, connectorId, connector, icon }]', async () => {
    const userId = await createUserWithSlack(server, 'ann');
    const res = await server.request('GET', `/workflows/${SLACK}?userId=${userId}`, { headers: { 'x-api-version': '2025-09' } });
    expect(res.status).toBe(200);
    const d = res.body.data;
    expect(d).toMatchObject({ workflowId: SLACK, name: SLACK_NAME, installed: true, active: true, version: 1, integrationId: 'slack' });
    for (const key of ['createdAt', 'updatedAt']) expect(d[key]).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(d.connectors).toEqual([
      { connectorName: 'Custom Event', connectorId: 'trigger', connector: 'customEvent', icon: expect.stringMatching(/^http/) },
      { connectorName: 'Send message', connectorId: 'post-message', connector: 'slack', icon: expect.stringMatching(/^http/) },
    ]);
  });

  // activate-a-workflow / deactivate-a-workflow: PUT { userId, workflowName | workflowId }
  it('activate-a-workflow and deactivate-a-workflow take the workflow by name; activate answers { activated: true }', async () => {
    const userId = await createUserWithSlack(server, 'ann');
    const off = await server.request('PUT', '/workflows/deactivate', { body: { userId, workflowName: SLACK_NAME } });
    expect(off.status).toBe(200);
    expect((await server.request('GET', `/workflows/${SLACK}?userId=${userId}`)).body.data.active).toBe(false);
    const on = await server.request('PUT', '/workflows/activate', { body: { userId, workflowName: SLACK_NAME, workflowId: SLACK } });
    expect(on.status).toBe(200);
    expect(on.body.activated).toBe(true);
    expect((await server.request('GET', `/workflows/${SLACK}?userId=${userId}`)).body.data.active).toBe(true);
  });

  it('answers 404 naming workflowName for a name no workflow has, and 400 when neither is given', async () => {
    const userId = await createUserWithSlack(server, 'ann');
    const unknown = await server.request('PUT', '/workflows/activate', { body: { userId, workflowName: 'Nope' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.details).toEqual([{ path: 'workflowName', message: 'no workflow has this name' }]);
    const neither = await server.request('PUT', '/workflows/activate', { body: { userId } });
    expect(neither.status).toBe(400);
    expect(neither.body.error.details).toEqual([{ path: 'workflowId', message: 'give workflowId or workflowName' }]);
  });

  // run-workflow: POST /run/workflow { workflowName | workflowId, userId, data } -> { message: "success" }
  it('run-workflow: runs by workflowName and answers { message: "success" }', async () => {
    const userId = await createUserWithSlack(server, 'ann');
    const res = await server.request('POST', '/run/workflow', { body: { workflowName: SLACK_NAME, userId, data: ticket } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ message: 'success', executionIds: [expect.any(String)] });
  });

  // list-users-by-workflowid: data[].{ username, fullName, userId, workflowActive, installedVersion, installedAt }
  it('list-users-by-workflowid: names each user with workflowActive and fullName', async () => {
    const res0 = await server.request('POST', '/users', { body: { username: 'alexmcvar@runalloy.com', fullName: 'Alex McVarish' } });
    await installSlack(server, res0.body.userId);
    const res = await server.request('GET', `/workflows/${SLACK}/users`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      expect.objectContaining({
        username: 'alexmcvar@runalloy.com',
        fullName: 'Alex McVarish',
        userId: res0.body.userId,
        workflowActive: true,
        installedVersion: 1,
        installedAt: expect.any(String),
      }),
    ]);
  });

  // get-workflow-analytics: { totalAppActions, totalWorkflowRuns, totalErrors }
  it('get-workflow-analytics: answers the three documented counts as numbers', async () => {
    await createUser(server, 'ann');
    const res = await server.request('GET', `/workflows/${SLACK}/analytics`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ totalAppActions: 0, totalWorkflowRuns: 0, totalErrors: 0 });
  });
});
