// Alloy's headless installation, each operation sent as its reference page's example request
// (docs.runalloy.com/reference/embedded/<operation>) with our ids in place of the page's, every
// documented response key asserted with its type; then the whole flow of the headless guide
// (docs.runalloy.com/embedded/headless-mode), for an API-key app and for an OAuth app.
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../demo/fakes/slack';
import { ticket } from '../helpers/flows';
import { startTestServer, storeKind, waitForExecution, type TestServer } from '../helpers/server';

const VERSION = { 'x-api-version': '2025-09' };
const CLIENT = { clientId: 'client-123', clientSecret: 'client-secret-456' };

/** start-installation's documented answer: installationId and data[].{ workflowId, app, blockId, fields[].{ name, displayName, type, required } }. */
function expectStartShape(body: any) {
  expect(body.installationId).toEqual(expect.any(String));
  expect(body.data.length).toBeGreaterThan(0);
  for (const block of body.data) {
    expect(block).toEqual(expect.objectContaining({ workflowId: expect.any(String), app: expect.any(String), blockId: expect.any(String), fields: expect.any(Array) }));
    for (const field of block.fields) {
      expect(field).toEqual(expect.objectContaining({ name: expect.any(String), displayName: expect.any(String), type: expect.any(String), required: expect.any(Boolean) }));
    }
  }
}

/** get-all-installations' documented item: installationId, integrationId, userId, formData[], credentialIds {}, workflowIds[], installedAt, enabled. */
function expectInstallationShape(item: any) {
  expect(item).toEqual(
    expect.objectContaining({
      installationId: expect.any(String),
      integrationId: expect.any(String),
      userId: expect.any(String),
      formData: expect.any(Array),
      credentialIds: expect.any(Object),
      workflowIds: expect.any(Array),
      installedAt: expect.any(String),
      enabled: expect.any(Boolean),
    }),
  );
  expect(Array.isArray(item.credentialIds)).toBe(false);
  for (const id of Object.values(item.credentialIds)) expect(id).toEqual(expect.any(String));
}

/** Fills every field of start's form: the values the user typed in the ISV's own UI. */
const fill = (form: any[], values: Record<string, unknown>) =>
  form.map((b) => ({
    workflowId: b.workflowId,
    blockId: b.blockId,
    fields: b.fields.filter((f: any) => f.name in values).map((f: any) => ({ name: f.name, value: values[f.name] })),
  }));

describe(`Alloy's headless installation, verbatim (${storeKind})`, () => {
  let server: TestServer;
  let provider: FakeSlack | undefined;
  afterEach(async () => {
    await server.close();
    await provider?.close();
    provider = undefined;
  });
  const post = (url: string, body: unknown) => server.request('POST', url, { body, headers: VERSION });
  const newUser = async () => (await server.request('POST', '/users/', { headers: VERSION })).body.userId as string;
  const slackCredential = async (userId: string) =>
    (await post('/headless/credentials', { userId, credential: { type: 'slack', data: { botToken: 'xoxb-1' } } })).body.credentialId as string;

  it('start-installation: the page’s body with credentialIds and workflowIds answers installationId and the form', async () => {
    server = await startTestServer();
    const userId = await newUser();
    const credentialId = await slackCredential(userId);
    const res = await post('/headless/startInstallation', { userId, integrationId: 'slack', credentialIds: [credentialId], workflowIds: ['slack-ticket-created'] });
    expect(res.status).toBe(200);
    expectStartShape(res.body);
    expect(res.body.data).toEqual([
      expect.objectContaining({
        workflowId: 'slack-ticket-created',
        app: 'slack',
        blockId: 'config',
        fields: [expect.objectContaining({ name: 'channel', displayName: 'Slack channel', type: 'string', required: true })],
      }),
    ]);
  });

  it('complete-installation: the page’s body (no userId) answers { message: "Installation completed successfully" }', async () => {
    server = await startTestServer();
    const userId = await newUser();
    await slackCredential(userId);
    const started = await post('/headless/startInstallation', { userId, integrationId: 'slack' });
    const res = await post('/headless/completeInstallation', {
      installationId: started.body.installationId,
      data: [{ workflowId: 'slack-ticket-created', blockId: started.body.data[0].blockId, fields: [{ name: 'channel', value: 'C123' }] }],
    });
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('Installation completed successfully');
    expect(res.body.installations[0]).toMatchObject({ userId, config: { channel: 'C123' } });
  });

  it('complete-installation: a workflow that is not in the installation is a 400 naming it, and nothing is installed', async () => {
    server = await startTestServer();
    const userId = await newUser();
    await slackCredential(userId);
    const started = await post('/headless/startInstallation', { userId, integrationId: 'slack' });
    const res = await post('/headless/completeInstallation', {
      installationId: started.body.installationId,
      data: [{ workflowId: 'bigcommerce-order-created', blockId: 'config', fields: [] }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'data.0.workflowId', message: 'not part of this installation' }]);
    expect((await server.request('GET', `/installations?userId=${userId}`)).body.data).toEqual([]);
  });

  it('edit-installation: the page’s body answers data.{ installationId, integrationId, userId, formData, credentialIds, workflowIds, installedData, installedAt }', async () => {
    server = await startTestServer();
    const userId = await newUser();
    const credentialId = await slackCredential(userId);
    const started = await post('/headless/startInstallation', { userId, integrationId: 'slack' });
    await post('/headless/completeInstallation', { installationId: started.body.installationId, data: fill(started.body.data, { channel: 'C123' }) });

    const res = await post('/headless/editInstallation', { userId, integrationId: 'slack', credentialIds: [credentialId], installationId: started.body.installationId });

    expect(res.status).toBe(200);
    const data = res.body.data;
    expect(data).toEqual(
      expect.objectContaining({
        installationId: started.body.installationId,
        integrationId: 'slack',
        userId,
        formData: expect.any(Array),
        credentialIds: { slack: credentialId },
        workflowIds: ['slack-ticket-created'],
        installedData: [{ workflowId: 'slack-ticket-created', blockId: 'config', fields: [{ name: 'channel', value: 'C123' }] }],
        installedAt: expect.any(String),
      }),
    );
    // Completed with the same id, the edit changes the installation, which keeps its id.
    const done = await post('/headless/completeInstallation', { installationId: data.installationId, data: fill(data.formData, { channel: 'C999' }) });
    expect(done.status).toBe(200);
    expect(done.body.installations[0]).toMatchObject({ installationId: started.body.installationId, config: { channel: 'C999' } });
  });

  it('get-all-installations: GET /installations with no query answers the whole account’s data[]', async () => {
    server = await startTestServer();
    for (const channel of ['C1', 'C2']) {
      const userId = await newUser();
      await slackCredential(userId);
      const started = await post('/headless/startInstallation', { userId, integrationId: 'slack' });
      await post('/headless/completeInstallation', { installationId: started.body.installationId, data: fill(started.body.data, { channel }) });
    }
    const res = await server.request('GET', '/installations', { headers: VERSION });
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(2);
    for (const item of res.body.data) expectInstallationShape(item);
    expect(res.body.data[0]).toMatchObject({ credentialIds: { slack: expect.any(String) }, workflowIds: ['slack-ticket-created'], enabled: true, needsReconnect: false });
  });

  it('runs the headless guide end to end for an API-key app (Slack bot token), in vendor shapes only', async () => {
    provider = await startFakeSlack();
    server = await startTestServer({ env: { WORKERS: 'on', SLACK_API_URL: provider.url } });
    const userId = await newUser();
    // The account form, from the metadata; its properties are the credential's data keys.
    const metadata = await server.request('GET', '/metadata/credentials/slack', { headers: VERSION });
    expect(metadata.body.data.isOauth).toBe(false);
    const data = Object.fromEntries(metadata.body.data.properties.map((p: { name: string }) => [p.name, 'xoxb-typed-by-user']));
    const created = await post('/headless/credentials', { userId, credential: { type: 'slack', data } });
    expect(created.body).toEqual({ success: true, credentialId: expect.any(String) });
    expect((await server.request('GET', `/credentials/users/${userId}`)).body.data.map((c: any) => c.credentialId)).toEqual([created.body.credentialId]);
    // No credentialIds: the user's one credential is found.
    const started = await post('/headless/startInstallation', { userId, integrationId: 'slack' });
    expectStartShape(started.body);
    const channel = provider.channels[0]!.id;
    const completed = await post('/headless/completeInstallation', { installationId: started.body.installationId, data: fill(started.body.data, { channel }) });
    expect(completed.body.message).toBe('Installation completed successfully');
    const installations = await server.request('GET', '/installations');
    expectInstallationShape(installations.body.data[0]);
    expect(installations.body.data[0].credentialIds).toEqual({ slack: created.body.credentialId });

    const run = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    await waitForExecution(server, userId, 'slack-ticket-created', run.body.executionIds[0], 'succeeded');
    expect(provider.messages).toEqual([expect.objectContaining({ channel, token: 'xoxb-typed-by-user' })]);
  });

  it('runs the headless guide end to end for an OAuth app (Slack OAuth): the link, opened by the browser, completes into a credential', async () => {
    provider = await startFakeSlack({ oauth: { ...CLIENT, expiresIn: 3600 } });
    server = await startTestServer({
      env: { WORKERS: 'on', SLACK_CLIENT_ID: CLIENT.clientId, SLACK_CLIENT_SECRET: CLIENT.clientSecret, SLACK_OAUTH_URL: provider.authorizeUrl, SLACK_API_URL: provider.url },
    });
    const userId = await newUser();
    expect((await server.request('GET', '/metadata/credentials/slack', { headers: VERSION })).body.data).toMatchObject({ isOauth: true, properties: [] });
    const link = await server.request('GET', `/headless/oauthUrl?userId=${userId}&app=slack`, { headers: VERSION });
    expect(link.body.oauthUrl).toEqual(expect.any(String));

    // The user's browser: opens the link, goes to the provider, approves, comes back with the cookie.
    const opened = await server.request('GET', new URL(link.body.oauthUrl).pathname, { apiKey: null });
    expect(opened.status).toBe(303);
    const cookie = opened.headers.get('set-cookie')!.split(';')[0]!;
    const back = new URL((await fetch(opened.headers.get('location')!, { redirect: 'manual' })).headers.get('location')!);
    const page = await server.request('GET', `${back.pathname}${back.search}`, { apiKey: null, headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Connected. You can close this window.');

    const credentials = await server.request('GET', `/credentials/users/${userId}`, { headers: VERSION });
    expect(credentials.body.data).toEqual([expect.objectContaining({ type: 'slack', authType: 'oauth2' })]);
    const credentialId = credentials.body.data[0].credentialId;
    const started = await post('/headless/startInstallation', { userId, integrationId: 'slack', credentialIds: [credentialId] });
    const channel = provider.channels[0]!.id;
    const completed = await post('/headless/completeInstallation', { installationId: started.body.installationId, data: fill(started.body.data, { channel }) });
    expect(completed.body.message).toBe('Installation completed successfully');

    const run = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    await waitForExecution(server, userId, 'slack-ticket-created', run.body.executionIds[0], 'succeeded');
    expect(provider.messages).toHaveLength(1);
    expect(provider.isOAuthToken(provider.messages[0]!.token)).toBe(true);
  });
});
