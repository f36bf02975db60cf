import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../demo/fakes/slack';
import { addCredential, installSlack, ticket } from '../helpers/flows';
import { createUser, startTestServer, storeKind, userToken, waitForExecution, type TestServer } from '../helpers/server';

const base = 'http://localhost';
const CLIENT = { clientId: 'client-123', clientSecret: 'client-secret-456' };

describe(`apps, credential metadata and a user's credentials (${storeKind})`, () => {
  let server: TestServer | undefined;
  let provider: FakeSlack | undefined;
  afterEach(async () => {
    await server?.close();
    await provider?.close();
    server = undefined;
    provider = undefined;
  });

  describe('GET /apps', () => {
    it('lists the connectors with absolute icon URLs and their auth types', async () => {
      server = await startTestServer();
      const res = await server.request('GET', '/apps');
      expect(res.status).toBe(200);
      // The demo's apps are there (the list grows with the connectors).
      expect(res.body.data.slice(0, 4)).toEqual([
        { name: 'slack', icon: `${base}/icons/slack.svg`, type: ['action'], oauth: false, app: 'slack', displayName: 'Slack', authTypes: ['apiKey'] },
        { name: 'bigcommerce', icon: `${base}/icons/bigcommerce.svg`, type: ['action'], oauth: false, app: 'bigcommerce', displayName: 'BigCommerce', authTypes: ['apiKey'] },
        { name: 'netsuite', icon: `${base}/icons/netsuite.svg`, type: ['action'], oauth: false, app: 'netsuite', displayName: 'NetSuite', authTypes: ['apiKey'] },
        { name: 'streamData', icon: `${base}/icons/stream-data.svg`, type: ['action'], oauth: false, app: 'streamData', displayName: 'Stream Data', authTypes: [] },
      ]);
      for (const app of res.body.data) expect(app.icon).toMatch(/^http:\/\/localhost\/icons\/[\w-]+\.svg$/);
      expect((await server.request('GET', '/metadata/apps')).body).toEqual(res.body);
    });

    it('offers OAuth for an app only when the server has a client for it', async () => {
      server = await startTestServer({ env: { SLACK_CLIENT_ID: 'id', SLACK_CLIENT_SECRET: 'secret' } });
      const apps = await server.request('GET', '/apps');
      expect(apps.body.data[0]).toMatchObject({ app: 'slack', oauth: true, authTypes: ['apiKey', 'oauth2'] });
      const metadata = await server.request('GET', '/metadata/credentials/slack');
      expect(metadata.body.data.auth.map((a: any) => a.type)).toEqual(['apiKey', 'oauth2']);
      // OAuth offered: the properties are the OAuth link's extra parameters, of which Slack has none.
      expect(metadata.body.data).toMatchObject({ isOauth: true, properties: [] });
    });
  });

  describe('GET /metadata/credentials/:app', () => {
    it('describes the Slack credential form: its properties are the keys of credential.data', async () => {
      server = await startTestServer();
      const res = await server.request('GET', '/metadata/credentials/slack');
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ connector: 'slack', name: 'slack', app: 'slack', displayName: 'Slack', isOauth: false, icon: `${base}/icons/slack.svg` });
      expect(res.body.data.properties).toEqual([{ name: 'botToken', displayName: 'Bot token', description: 'From your Slack app: OAuth & Permissions → Bot User OAuth Token.' }]);
      expect(res.body.data.auth[0]).toEqual({
        type: 'apiKey',
        fields: [
          {
            name: 'botToken',
            label: 'Bot token',
            type: 'secret',
            required: true,
            placeholder: 'xoxb-…',
            description: 'From your Slack app: OAuth & Permissions → Bot User OAuth Token.',
          },
        ],
      });
      // The properties, as credential.data, make a credential.
      const userId = await createUser(server, 'ann');
      const data = Object.fromEntries(res.body.data.properties.map((p: { name: string }) => [p.name, 'xoxb-1']));
      expect((await server.request('POST', '/headless/credentials', { body: { userId, credential: { type: 'slack', data } } })).status).toBe(201);
    });

    it('answers 404 listing the known apps for an unknown one', async () => {
      server = await startTestServer();
      const res = await server.request('GET', '/metadata/credentials/woocommerce');
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'not_found', message: expect.stringMatching(/^No app "woocommerce" \(known: slack, bigcommerce, netsuite, streamData\b/) });
    });

    it('lists every app that takes an account at GET /metadata/credentials, and none that needs none', async () => {
      server = await startTestServer();
      const res = await server.request('GET', '/metadata/credentials');
      expect(res.status).toBe(200);
      const names = res.body.data.map((m: { connector: string }) => m.connector);
      expect(names.slice(0, 3)).toEqual(['slack', 'bigcommerce', 'netsuite']);
      expect(names).not.toContain('streamData');
    });

    it('answers the same at GET /credentials/:app (the Node SDK’s getCredential), and 404 there for an unknown app', async () => {
      server = await startTestServer();
      const metadata = await server.request('GET', '/metadata/credentials/bigcommerce');
      const sdkPath = await server.request('GET', '/2023-01/credentials/bigcommerce');
      expect(sdkPath.status).toBe(200);
      expect(sdkPath.body).toEqual(metadata.body);
      const unknown = await server.request('GET', '/credentials/woocommerce');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.message).toMatch(/^No app "woocommerce"/);
    });
  });

  describe('GET /credentials/users/:userId and DELETE /users/:userId/credentials/:credentialId', () => {
    it('lists a user’s credentials without their secrets, and nobody else’s', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      const slack = await addCredential(server, ann, 'slack', { botToken: 'xoxb-secret-ann' });
      await addCredential(server, bob, 'slack', { botToken: 'xoxb-secret-bob' });

      const res = await server.request('GET', '/credentials/users/ann');

      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([
        {
          credentialId: slack,
          type: 'slack',
          name: 'Slack (API key)',
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
          app: 'slack',
          authType: 'apiKey',
          status: 'healthy',
          displayName: 'Northwind Traders',
          lastError: null,
          lastErrorAt: null,
          expiresAt: null,
        },
      ]);
      expect(JSON.stringify(res.body)).not.toContain('xoxb-secret');
      expect((await server.request('GET', '/credentials/users/nobody')).status).toBe(404);
    });

    it('deletes a credential installations use: they show needsReconnect, and their next execution fails at once with credential_deleted', async () => {
      provider = await startFakeSlack();
      server = await startTestServer({ env: { WORKERS: 'on', RETRY_SCHEDULE: '20,20', SLACK_API_URL: provider.url } });
      const userId = await createUser(server, 'ann');
      const installed = await installSlack(server, userId, 'C0GENERAL');
      const credentialId = installed.installations[0].credentialIds[0];

      const deleted = await server.request('DELETE', `/users/${userId}/credentials/${credentialId}`);

      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({ success: true });
      expect((await server.request('GET', `/credentials/users/${userId}`)).body.data).toEqual([]);
      const installations = await server.request('GET', `/installations?userId=${userId}`);
      expect(installations.body.data).toEqual([expect.objectContaining({ credentialIds: { slack: credentialId }, needsReconnect: true })]);
      const token = await userToken(server, userId);
      expect((await server.request('GET', '/me/integrations/slack', { token })).body.needsReconnect).toBe(true);
      const listed = (await server.request('GET', `/integrations?userId=${userId}`)).body.data;
      expect(listed.find((i: any) => i.integrationId === 'slack').needsReconnect).toBe(true);

      const run = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
      expect(run.status).toBe(200);
      const execution = await waitForExecution(server, userId, 'slack-ticket-created', run.body.executionIds[0], 'failed');
      expect(execution.error).toBe('credential_deleted: the account this installation used was deleted; the user must connect one again');
      expect(execution.attempts).toBe(1);
      expect(provider.messages).toEqual([]);
    });

    it('answers 404 for another user’s credential and deletes nothing', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      const bobs = await addCredential(server, bob, 'slack', { botToken: 'xoxb-bob' });
      const res = await server.request('DELETE', `/users/${ann}/credentials/${bobs}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'not_found', message: `No credential "${bobs}" for this user` });
      expect((await server.request('GET', `/credentials/users/${bob}`)).body.data).toHaveLength(1);
    });
  });

  describe('GET /headless/oauthUrl', () => {
    const withOAuth = async () => {
      provider = await startFakeSlack({ oauth: { ...CLIENT, expiresIn: 3600 } });
      server = await startTestServer({
        env: { SLACK_CLIENT_ID: CLIENT.clientId, SLACK_CLIENT_SECRET: CLIENT.clientSecret, SLACK_OAUTH_URL: provider.authorizeUrl, SLACK_API_URL: provider.url },
      });
      return createUser(server, 'ann');
    };
    const open = (link: string, headers: Record<string, string> = {}) => server!.request('GET', new URL(link).pathname, { apiKey: null, headers });

    it('mints a link that works once: a second opening is refused and binds nothing', async () => {
      const userId = await withOAuth();
      const res = await server!.request('GET', `/headless/oauthUrl?userId=${userId}&app=slack`);
      expect(res.status).toBe(200);
      expect(res.body.oauthUrl).toMatch(/^http:\/\/localhost\/oauth\/link\/link_[\w-]{43}$/);

      const first = await open(res.body.oauthUrl);
      expect(first.status).toBe(303);
      const authorize = new URL(first.headers.get('location')!);
      expect(authorize.origin + authorize.pathname).toBe(provider!.authorizeUrl);
      // The browser is bound under a new state, which the link does not carry.
      expect(first.headers.get('set-cookie')).toBe(`alloy_oauth=${authorize.searchParams.get('state')}; Max-Age=600; Path=/oauth/; HttpOnly; SameSite=Lax`);
      expect(res.body.oauthUrl).not.toContain(authorize.searchParams.get('state'));

      const second = await open(res.body.oauthUrl);
      expect(second.status).toBe(400);
      expect(second.body).toMatch(/expired or was already used/);
      expect(second.headers.get('set-cookie')).toBeNull();
    });

    it('is refused once its 10 minutes are over', async () => {
      const userId = await withOAuth();
      const res = await server!.request('GET', `/headless/oauthUrl?userId=${userId}&app=slack`);
      await server!.services.store.db.run('UPDATE oauth_states SET expires_at = ?', [Date.now() - 1]);
      const opened = await open(res.body.oauthUrl);
      expect(opened.status).toBe(400);
      expect(opened.body).toMatch(/expired or was already used/);
    });

    it('keeps the popup’s begin page and the link apart: neither token works at the other', async () => {
      const userId = await withOAuth();
      const link = (await server!.request('GET', `/headless/oauthUrl?userId=${userId}&app=slack`)).body.oauthUrl as string;
      const token = link.split('/').at(-1)!;
      // A link token at the popup's begin page: no page started it, so no Origin can continue it.
      const begun = await server!.request('POST', `/oauth/begin?state=${token}`, { apiKey: null, headers: { origin: 'http://localhost' } });
      expect(begun.status).toBe(403);
      // A popup's state opened as a link would skip begin's Origin check: it is not a link.
      const started = await server!.request('POST', '/me/oauth/slack/start', { token: await userToken(server!, userId), body: { origin: 'http://localhost' } });
      const state = new URL(started.body.beginUrl).searchParams.get('state')!;
      const opened = await server!.request('GET', `/oauth/link/${state}`, { apiKey: null });
      expect(opened.status).toBe(400);
      expect(opened.headers.get('set-cookie')).toBeNull();
    });

    it('answers 400 naming app when neither app nor credentialName is given, and 404 for an app without OAuth', async () => {
      const userId = await withOAuth();
      const none = await server!.request('GET', `/headless/oauthUrl?userId=${userId}`);
      expect(none.status).toBe(400);
      expect(none.body.error.details).toEqual([{ path: 'app', message: 'required' }]);
      const bigcommerce = await server!.request('GET', `/headless/oauthUrl?userId=${userId}&credentialName=bigcommerce`);
      expect(bigcommerce.status).toBe(404);
      expect(bigcommerce.body.error).toEqual({ code: 'not_found', message: 'BigCommerce has no OAuth connection' });
    });
  });

  describe('GET /users/:userId/credentials/:credentialName (the Node SDK’s OAuth redirect)', () => {
    const withOAuth = async () => {
      provider = await startFakeSlack({ oauth: { ...CLIENT, expiresIn: 3600 } });
      server = await startTestServer({
        env: { SLACK_CLIENT_ID: CLIENT.clientId, SLACK_CLIENT_SECRET: CLIENT.clientSecret, SLACK_OAUTH_URL: provider.authorizeUrl, SLACK_API_URL: provider.url },
      });
      return createUser(server, 'ann');
    };

    it('mints the same single-use link as GET /headless/oauthUrl, for the user named in the path (by id or username)', async () => {
      const userId = await withOAuth();
      const res = await server!.request('GET', `/2023-01/users/ann/credentials/slack?credentialName=slack`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ oauthUrl: expect.stringMatching(/^http:\/\/localhost\/oauth\/link\/link_[\w-]{43}$/), expiresAt: expect.any(String) });
      const first = await server!.request('GET', new URL(res.body.oauthUrl).pathname, { apiKey: null });
      expect(first.status).toBe(303);
      expect(new URL(first.headers.get('location')!).searchParams.get('client_id')).toBe(CLIENT.clientId);
      const second = await server!.request('GET', new URL(res.body.oauthUrl).pathname, { apiKey: null });
      expect(second.status).toBe(400);
      // The link is the user's: the credential it makes is theirs (GET /credentials/users/:userId), checked end to end in test/compat/alloy-node.test.ts.
      expect((await server!.request('GET', `/credentials/users/${userId}`)).body.data).toEqual([]);
    });

    it('answers 404 for an unknown user, an unknown app and an app without OAuth, and 401 without the API key', async () => {
      const userId = await withOAuth();
      const nobody = await server!.request('GET', '/users/nobody/credentials/slack');
      expect(nobody.status).toBe(404);
      expect(nobody.body.error).toEqual({ code: 'not_found', message: 'No user with id or username "nobody"' });
      const unknown = await server!.request('GET', `/users/${userId}/credentials/woocommerce`);
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.message).toMatch(/^No app "woocommerce"/);
      const bigcommerce = await server!.request('GET', `/users/${userId}/credentials/bigcommerce`);
      expect(bigcommerce.status).toBe(404);
      expect(bigcommerce.body.error).toEqual({ code: 'not_found', message: 'BigCommerce has no OAuth connection' });
      expect((await server!.request('GET', `/users/${userId}/credentials/slack`, { apiKey: null })).status).toBe(401);
    });
  });
});
