// Alloy's credential operations, each sent as its reference page's example request
// (docs.runalloy.com/reference/embedded/<operation>), with our ids in place of the page's; every
// documented response key is asserted with its documented type.
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../demo/fakes/slack';
import { createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';

/** The pages' own header: the version they document. */
const VERSION = { 'x-api-version': '2025-09' };
const CLIENT = { clientId: 'client-123', clientSecret: 'client-secret-456' };

describe(`Alloy's credential operations, verbatim (${storeKind})`, () => {
  let server: TestServer;
  let provider: FakeSlack | undefined;
  afterEach(async () => {
    await server.close();
    await provider?.close();
    provider = undefined;
  });
  const get = (url: string) => server.request('GET', url, { headers: VERSION });

  it('credential-medata-by-app: GET /metadata/credentials/{credentialName} answers data.{ connector, name, icon, isOauth, properties[] }', async () => {
    server = await startTestServer();
    const res = await get('/metadata/credentials/bigcommerce');
    expect(res.status).toBe(200);
    const data = res.body.data;
    expect(data).toMatchObject({ connector: 'bigcommerce', name: 'bigcommerce', icon: expect.any(String), isOauth: false });
    expect(data.properties.length).toBeGreaterThan(0);
    for (const p of data.properties) {
      expect(p).toEqual(expect.objectContaining({ name: expect.any(String), displayName: expect.any(String), description: expect.any(String) }));
    }
    expect(data.properties.map((p: { name: string }) => p.name)).toEqual(['storeHash', 'accessToken']);
    // The 2024-03 guide's path, with its version prefix.
    expect((await server.request('GET', '/2024-03/metadata/credentials/bigcommerce')).body.data.name).toBe('bigcommerce');
  });

  it('get-credential-metadata: GET /metadata/credentials answers data[].{ connector, icon, isOauth, properties[].{ name, displayName } }', async () => {
    server = await startTestServer();
    const res = await get('/metadata/credentials');
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeGreaterThan(0);
    for (const m of res.body.data) {
      expect(m).toEqual(expect.objectContaining({ connector: expect.any(String), icon: expect.any(String), isOauth: expect.any(Boolean), properties: expect.any(Array) }));
      for (const p of m.properties) expect(p).toEqual(expect.objectContaining({ name: expect.any(String), displayName: expect.any(String) }));
    }
  });

  it('list apps (headless guide): GET /2023-12/apps answers data[].{ name, icon, type[] }; GET /2024-03/metadata/apps adds oauth', async () => {
    server = await startTestServer();
    const apps = await server.request('GET', '/2023-12/apps');
    expect(apps.status).toBe(200);
    for (const app of apps.body.data) expect(app).toEqual(expect.objectContaining({ name: expect.any(String), icon: expect.any(String), type: expect.any(Array) }));
    expect(apps.body.data[0]).toMatchObject({ name: 'slack', type: ['action'] });
    const metadata = await server.request('GET', '/2024-03/metadata/apps');
    expect(metadata.status).toBe(200);
    for (const app of metadata.body.data)
      expect(app).toEqual(expect.objectContaining({ name: expect.any(String), icon: expect.any(String), oauth: expect.any(Boolean), type: expect.any(Array) }));
  });

  it('create-a-credential: POST /headless/credentials with the page’s body answers { success: true, credentialId }', async () => {
    server = await startTestServer();
    const userId = await createUser(server, 'ann');
    // The page's NetSuite example, with our NetSuite form's keys (GET /metadata/credentials/netsuite).
    const res = await server.request('POST', '/headless/credentials', {
      headers: VERSION,
      body: { userId, credential: { type: 'netsuite', data: { accountId: '1234567', consumerKey: 'XXX', consumerSecret: 'XXX', tokenId: 'XXX', tokenSecret: 'XXX' } } },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ success: true, credentialId: expect.any(String) });
  });

  it('list-user-credentials: GET /credentials/users/{userId} answers data[].{ credentialId, type, name, createdAt, updatedAt }', async () => {
    server = await startTestServer();
    const userId = await createUser(server, 'ann');
    const created = await server.request('POST', '/headless/credentials', { body: { userId, credential: { type: 'slack', data: { botToken: 'xoxb-1' } } } });
    const res = await get(`/credentials/users/${userId}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([
      expect.objectContaining({ credentialId: created.body.credentialId, type: 'slack', name: expect.any(String), createdAt: expect.any(String), updatedAt: expect.any(String) }),
    ]);
    expect(Number.isNaN(Date.parse(res.body.data[0].updatedAt))).toBe(false);
  });

  it('delete-a-credential: DELETE /users/{userId}/credentials/{credentialId} answers { success: true }', async () => {
    server = await startTestServer();
    const userId = await createUser(server, 'ann');
    const created = await server.request('POST', '/headless/credentials', { body: { userId, credential: { type: 'slack', data: { botToken: 'xoxb-1' } } } });
    const res = await server.request('DELETE', `/users/${userId}/credentials/${created.body.credentialId}`, { headers: VERSION });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect((await get(`/credentials/users/${userId}`)).body.data).toEqual([]);
  });

  it('generate-oauth-link: GET /headless/oauthUrl?userId&app answers { oauthUrl }, and credentialName is taken for app', async () => {
    provider = await startFakeSlack({ oauth: { ...CLIENT, expiresIn: 3600 } });
    server = await startTestServer({
      env: { SLACK_CLIENT_ID: CLIENT.clientId, SLACK_CLIENT_SECRET: CLIENT.clientSecret, SLACK_OAUTH_URL: provider.authorizeUrl, SLACK_API_URL: provider.url },
    });
    const userId = await createUser(server, 'ann');
    const res = await get(`/headless/oauthUrl?userId=${userId}&app=slack`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ oauthUrl: expect.stringMatching(/^http:\/\/localhost\/oauth\/link\//) }));
    const older = await get(`/headless/oauthUrl?userId=${userId}&credentialName=slack`);
    expect(older.status).toBe(200);
    expect(older.body.oauthUrl).not.toBe(res.body.oauthUrl);
  });
});
