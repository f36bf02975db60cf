import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addCredential } from '../helpers/flows';
import { createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';

const expectBlocks = (blocks: unknown[]) => {
  for (const b of blocks) expect(b).toEqual({ name: expect.any(String), id: expect.any(String), type: expect.any(String), icon: expect.any(String) });
};

describe(`integrations, as Alloy's reference writes them (${storeKind})`, () => {
  let server: TestServer;
  let userId: string;
  beforeEach(async () => {
    server = await startTestServer();
    userId = await createUser(server, 'ann');
  });
  afterEach(() => server.close());

  // list-integrations (2024-03): data[].{ integrationId, app, installed, icon, workflows[].{ workflowId, name, installed, version, installedVersion, active, blocks[] } }
  it('list-integrations 2024-03: every documented key with its type', async () => {
    const res = await server.request('GET', `/2024-03/integrations?userId=${userId}`);
    expect(res.status).toBe(200);
    for (const i of res.body.data) {
      expect(i).toMatchObject({ integrationId: expect.any(String), app: expect.any(String), installed: expect.any(Boolean), icon: expect.any(String) });
      for (const w of i.workflows) {
        expect(w).toMatchObject({
          workflowId: expect.any(String),
          name: expect.any(String),
          installed: expect.any(Boolean),
          version: expect.any(Number),
          active: expect.any(Boolean),
        });
        expect('installedVersion' in w).toBe(true);
        expectBlocks(w.blocks);
      }
    }
  });

  // list-integrations (2025-09): data[].{ integrationId, description, primaryConnector, installed, icon, workflows[].{ …, connectors[] }, credentials[] }
  it('list-integrations 2025-09: primaryConnector, connectors[] and the user’s credentials[]', async () => {
    const credentialId = await addCredential(server, userId, 'slack', { botToken: 'xoxb-1' });
    const res = await server.request('GET', `/integrations?userId=${userId}`, { headers: { 'x-api-version': '2025-09' } });
    expect(res.status).toBe(200);
    for (const i of res.body.data) {
      expect(i).toMatchObject({
        integrationId: expect.any(String),
        description: expect.any(String),
        primaryConnector: expect.any(String),
        installed: expect.any(Boolean),
        icon: expect.any(String),
      });
      expect(Array.isArray(i.credentials)).toBe(true);
      for (const w of i.workflows) {
        expect(w).toMatchObject({
          workflowId: expect.any(String),
          name: expect.any(String),
          installed: expect.any(Boolean),
          active: expect.any(Boolean),
          version: expect.any(Number),
        });
        for (const c of w.connectors)
          expect(c).toEqual({ name: expect.any(String), id: expect.any(String), connector: expect.any(String), icon: expect.any(String), subtitle: expect.any(String) });
      }
    }
    const slack = res.body.data.find((i: any) => i.integrationId === 'slack');
    expect(slack).toMatchObject({ primaryConnector: 'Slack', credentials: [credentialId] });
  });

  // get-an-integration: GET /integrations/{integrationId or app name}?userId -> { data: { integrationId, app, installed, icon, workflows[] } }
  it('get-an-integration: wraps the integration in { data }, by id and by app name', async () => {
    for (const named of ['slack', 'Slack']) {
      const res = await server.request('GET', `/integrations/${named}?userId=${userId}`);
      expect(res.status, named).toBe(200);
      expect(res.body.data).toMatchObject({ integrationId: 'slack', app: 'Slack', installed: false, icon: expect.any(String) });
      for (const w of res.body.data.workflows) expectBlocks(w.blocks);
    }
  });
});
