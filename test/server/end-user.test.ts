import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack } from '../../demo/fakes/slack';
import { definitionsWith, vaultIntegration } from '../helpers/definitions';
import { addCredential, countRows, installSlack, ticket } from '../helpers/flows';
import { approveAtOnce, connectThroughOAuth } from '../helpers/oauth';
import { cutOffWrites } from '../helpers/refuse-writes';
import { createUser, startTestServer, storeKind, userToken, type TestServer } from '../helpers/server';

describe(`end-user (widget) routes (${storeKind})`, () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** A server, a user and that user's token. */
  async function setup(options: Parameters<typeof startTestServer>[0] = {}) {
    server = await startTestServer(options);
    const userId = await createUser(server, 'ann');
    const token = await userToken(server, userId);
    const me = (method: string, url: string, body?: unknown) => server!.request(method, url, { token, body });
    return { s: server, userId, token, me };
  }

  const storedConfig = async (s: TestServer, installationId: string) => {
    const row = await s.services.store.db.get<{ config: string }>('SELECT config FROM installations WHERE id = ?', [installationId]);
    return JSON.parse(row!.config) as Record<string, any>;
  };

  describe('reading', () => {
    it('lists the integrations with the token user’s installation state', async () => {
      const { s, userId, me } = await setup();
      await installSlack(s, userId);
      const other = await createUser(s, 'bob');
      await installSlack(s, other);

      const res = await me('GET', '/me/integrations');

      expect(res.status).toBe(200);
      const isv = await s.request('GET', `/integrations?userId=${userId}`);
      // The ISV's list is the widget's plus the keys Alloy's 2025-09 pages add.
      const withoutVendorKeys = ({ primaryConnector: _p, credentials: _c, workflows, ...rest }: any) => ({
        ...rest,
        workflows: workflows.map(({ connectors: _w, ...w }: any) => w),
      });
      expect(res.body).toEqual({ data: isv.body.data.map(withoutVendorKeys) });
      expect(res.body.data.map((i: any) => [i.integrationId, i.installed])).toEqual([
        ['bigcommerce', false],
        ['hubspot', false],
        ['jira', false],
        ['netsuite', false],
        ['slack', true],
        ['stream-heartbeat', false],
      ]);
    });

    it('describes one integration with the user’s own credentials only', async () => {
      const { s, userId, me } = await setup();
      const mine = await addCredential(s, userId, 'slack', { botToken: 'xoxb-mine-secret' });
      const bob = await createUser(s, 'bob');
      await addCredential(s, bob, 'slack', { botToken: 'xoxb-bob' });

      const res = await me('GET', '/me/integrations/slack');

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ integrationId: 'slack', connector: 'slack', installed: false });
      expect(res.body.credentials).toEqual([
        { credentialId: mine, app: 'slack', displayName: 'Northwind Traders', status: 'healthy', lastError: null, lastErrorAt: null, inUse: false },
      ]);
      expect(res.body.workflows[0]).toMatchObject({ workflowId: 'slack-ticket-created', config: null, fields: [expect.objectContaining({ name: 'channel' })] });
      expect(JSON.stringify(res.body)).not.toContain('mine-secret');
    });

    it('answers 404 for an unknown integration', async () => {
      const { me } = await setup();
      const res = await me('GET', '/me/integrations/woocommerce');
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'not_found', message: 'No integration "woocommerce" (known: bigcommerce, hubspot, jira, netsuite, slack, stream-heartbeat)' });
    });

    it('answers 401 without a user token, and for the ISV API key', async () => {
      server = await startTestServer();
      const none = await server.request('GET', '/me/integrations', { apiKey: null });
      expect(none.status).toBe(401);
      expect(none.body.error).toEqual({ code: 'unauthorized', message: 'Send the user token as "Authorization: Bearer USER_TOKEN"' });
      const apiKey = await server.request('GET', '/me/integrations');
      expect(apiKey.status).toBe(401);
      expect(apiKey.body.error.code).toBe('unauthorized');
    });
  });

  describe('POST /me/credentials', () => {
    it('stores a credential for the token user, encrypted', async () => {
      const { s, userId, me } = await setup();
      const res = await me('POST', '/me/credentials', { app: 'slack', data: { botToken: 'xoxb-widget-secret' } });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ credentialId: expect.any(String), displayName: 'Northwind Traders' });
      const row = await s.services.store.db.get<{ user_id: string; secret: string }>('SELECT user_id, secret FROM credentials WHERE id = ?', [res.body.credentialId]);
      expect(row!.user_id).toBe(userId);
      expect(row!.secret).not.toContain('xoxb-widget-secret');
    });

    it('answers 400 naming data.botToken for bad data and 404 naming app for an unknown app', async () => {
      const { me } = await setup();
      const bad = await me('POST', '/me/credentials', { app: 'slack', data: {} });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toEqual({
        code: 'invalid_request',
        message: 'Invalid Slack credential: data.botToken: required',
        details: [{ path: 'data.botToken', message: 'required' }],
      });
      const unknown = await me('POST', '/me/credentials', { app: 'woocommerce', data: {} });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.details).toEqual([{ path: 'app', message: 'unknown app' }]);
    });
  });

  describe('POST /me/installations', () => {
    it('installs an integration with 201 and the installation', async () => {
      const { s, userId, me } = await setup();
      const credentialId = await addCredential(s, userId, 'slack', { botToken: 'xoxb-1' });

      const res = await me('POST', '/me/installations', { integrationId: 'slack', credentialId, config: { channel: 'C7' } });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        success: true,
        installationId: res.body.installations[0].installationId,
        workflowIds: ['slack-ticket-created'],
        installations: [
          expect.objectContaining({ userId, workflowId: 'slack-ticket-created', version: 1, active: true, config: { channel: 'C7' }, credentialIds: [credentialId] }),
        ],
        // Slack's block posts to Slack, not to a URL the user chooses: no signing secret to hand over.
        signingSecrets: [],
      });
      const listed = await me('GET', '/me/installations');
      expect(listed.body.data.map((i: any) => i.installationId)).toEqual([res.body.installationId]);
    });

    it('answers 400 naming config.channel when a required field is missing', async () => {
      const { s, userId, me } = await setup();
      const credentialId = await addCredential(s, userId, 'slack', { botToken: 'xoxb-1' });
      const res = await me('POST', '/me/installations', { integrationId: 'slack', credentialId, config: {} });
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({
        code: 'invalid_request',
        message: expect.stringMatching(/^Invalid configuration for "Post to Slack when a ticket is created": config\.channel: /),
        details: [{ path: 'config.channel', message: 'required' }],
      });
      expect(await countRows(s, 'installations')).toBe(0);
    });

    it('answers 400 naming config.subsidiary for a value that is not an option', async () => {
      const { s, userId, me } = await setup();
      await addCredential(s, userId, 'netsuite', { accountId: 'A', consumerKey: 'k', consumerSecret: 's', tokenId: 't', tokenSecret: 'ts' });
      const res = await me('POST', '/me/installations', { integrationId: 'netsuite', config: { subsidiary: 'US' } });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'config.subsidiary', message: expect.stringContaining('"1"|"2"') }]);
    });

    it('answers 400 naming credentialId when the app needs an account and none is connected', async () => {
      const { me } = await setup();
      const res = await me('POST', '/me/installations', { integrationId: 'slack', config: { channel: 'C7' } });
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({
        code: 'invalid_request',
        message: 'Connect a Slack account first: credentialId is required',
        details: [{ path: 'credentialId', message: 'required' }],
      });
    });

    it('answers 404 for another user’s credential', async () => {
      const { s, me } = await setup();
      const bob = await createUser(s, 'bob');
      const bobs = await addCredential(s, bob, 'slack', { botToken: 'xoxb-bob' });
      const res = await me('POST', '/me/installations', { integrationId: 'slack', credentialId: bobs, config: { channel: 'C7' } });
      expect(res.status).toBe(404);
      expect(res.body.error.details).toEqual([{ path: 'credentialId', message: 'not found' }]);
    });

    it('installs an integration that needs no account without a credential', async () => {
      const { me } = await setup({ definitions: () => definitionsWith([vaultIntegration]) });
      const res = await me('POST', '/me/installations', { integrationId: 'vault', config: { url: 'https://v.test', apiToken: 'tok-1' } });
      expect(res.status).toBe(201);
      expect(res.body.installations[0]).toMatchObject({ credentialIds: [], config: { url: 'https://v.test', apiToken: '[redacted]' } });
    });
  });

  describe('changing an installation', () => {
    it('reconfigures an installation, keeping its id', async () => {
      const { s, userId, me } = await setup();
      const installed = await installSlack(s, userId, 'C1');

      const res = await me('PUT', `/me/installations/${installed.installationId}`, { config: { channel: 'C2' } });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        installationId: installed.installationId,
        workflowId: 'slack-ticket-created',
        config: { channel: 'C2' },
        credentialIds: installed.installations[0].credentialIds,
      });
      expect((await storedConfig(s, installed.installationId)).channel).toBe('C2');
    });

    it('answers 400 naming the field when a reconfiguration is invalid, and keeps the old configuration', async () => {
      const { s, userId, me } = await setup();
      const installed = await installSlack(s, userId, 'C1');
      const res = await me('PUT', `/me/installations/${installed.installationId}`, { config: { channel: '' } });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'config.channel', message: 'choose an option' }]);
      expect((await storedConfig(s, installed.installationId)).channel).toBe('C1');
    });

    it('keeps a stored secret sent back as "[redacted]" or left out, and replaces it when a new value is sent', async () => {
      const { s, me } = await setup({ definitions: () => definitionsWith([vaultIntegration]) });
      const installed = await me('POST', '/me/installations', { integrationId: 'vault', config: { url: 'https://a.test', apiToken: 'tok-original', region: 'us' } });
      const id = installed.body.installationId;
      const token = async () => s.services.vault.decrypt((await storedConfig(s, id)).apiToken.$secret);

      // What the widget shows is what it sends back.
      const shown = (await me('GET', '/me/integrations/vault')).body.workflows[0].config;
      expect(shown).toEqual({ url: 'https://a.test', apiToken: '[redacted]', region: 'us' });
      const echoed = await me('PUT', `/me/installations/${id}`, { config: { ...shown, url: 'https://b.test' } });
      expect(echoed.status).toBe(200);
      expect(echoed.body.config).toEqual({ url: 'https://b.test', apiToken: '[redacted]', region: 'us' });
      expect(await token()).toBe('tok-original');

      const omitted = await me('PUT', `/me/installations/${id}`, { config: { url: 'https://c.test' } });
      expect(omitted.status).toBe(200);
      expect(omitted.body.config).toEqual({ url: 'https://c.test', apiToken: '[redacted]' });
      expect(await token()).toBe('tok-original');

      const rotated = await me('PUT', `/me/installations/${id}`, { config: { url: 'https://c.test', apiToken: 'tok-rotated' } });
      expect(rotated.status).toBe(200);
      expect(await token()).toBe('tok-rotated');
      expect(JSON.stringify(await storedConfig(s, id))).not.toContain('tok-');
    });

    it('keeps a stored secret on a reinstall through POST /me/installations', async () => {
      const { s, me } = await setup({ definitions: () => definitionsWith([vaultIntegration]) });
      const first = await me('POST', '/me/installations', { integrationId: 'vault', config: { url: 'https://a.test', apiToken: 'tok-original' } });
      const again = await me('POST', '/me/installations', { integrationId: 'vault', config: { url: 'https://b.test', apiToken: '[redacted]' } });
      expect(again.status).toBe(201);
      expect(again.body.installationId).toBe(first.body.installationId);
      const stored = await storedConfig(s, first.body.installationId);
      expect(s.services.vault.decrypt(stored.apiToken.$secret)).toBe('tok-original');
      expect(stored.url).toBe('https://b.test');
    });

    it('deactivates and activates an installation: events skip it while it is inactive', async () => {
      const { s, userId, me } = await setup();
      const installed = await installSlack(s, userId);
      const id = installed.installationId;
      const run = () => s.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });

      const off = await me('PUT', `/me/installations/${id}/deactivate`);
      expect(off.status).toBe(200);
      expect(off.body).toEqual({ success: true });
      expect((await me('GET', '/me/installations')).body.data[0].active).toBe(false);
      expect((await run()).body.executionIds).toEqual([]);

      const on = await me('PUT', `/me/installations/${id}/activate`);
      expect(on.body).toEqual({ success: true });
      expect((await me('GET', '/me/installations')).body.data[0].active).toBe(true);
      expect((await run()).body.executionIds).toHaveLength(1);
    });

    it('keeps a paused installation paused when it is reconfigured; a reinstall activates it', async () => {
      const { s, userId, me } = await setup();
      const installed = await installSlack(s, userId, 'C1');
      const id = installed.installationId;
      await me('PUT', `/me/installations/${id}/deactivate`);

      const reconfigured = await me('PUT', `/me/installations/${id}`, { config: { channel: 'C2' } });

      expect(reconfigured.status).toBe(200);
      expect(reconfigured.body).toMatchObject({ installationId: id, active: false, config: { channel: 'C2' } });
      expect((await s.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } })).body.executionIds).toEqual([]);

      const reinstalled = await me('POST', '/me/installations', { integrationId: 'slack', config: { channel: 'C3' } });
      expect(reinstalled.body.installations[0]).toMatchObject({ installationId: id, active: true, config: { channel: 'C3' } });
    });

    it('uninstalls an installation, then answers 404 for it', async () => {
      const { s, userId, me } = await setup();
      const installed = await installSlack(s, userId);

      const res = await me('DELETE', `/me/installations/${installed.installationId}`);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true });
      expect((await me('GET', '/me/installations')).body.data).toEqual([]);
      const again = await me('DELETE', `/me/installations/${installed.installationId}`);
      expect(again.status).toBe(404);
      expect(again.body.error).toEqual({ code: 'not_found', message: `No installation "${installed.installationId}"` });
    });

    it('answers 404 for every change to another user’s installation, and leaves it alone', async () => {
      const { s, me } = await setup();
      const bob = await createUser(s, 'bob');
      const bobs = await installSlack(s, bob, 'C-bob');
      const id = bobs.installationId;

      const attempts = [
        await me('PUT', `/me/installations/${id}`, { config: { channel: 'C-ann' } }),
        await me('PUT', `/me/installations/${id}/deactivate`),
        await me('DELETE', `/me/installations/${id}`),
      ];

      for (const res of attempts) {
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
      const still = await s.request('GET', `/installations?userId=${bob}`);
      expect(still.body.data).toEqual([expect.objectContaining({ installationId: id, active: true, config: { channel: 'C-bob' } })]);
    });
  });

  describe('GET /me/options/:connector/:source', () => {
    it('answers 503 with Retry-After when the store is unavailable, and 502 only when the app fails', async () => {
      const oauth = { clientId: 'client-123', clientSecret: 'client-secret-456', expiresIn: 30 };
      const slack = await startFakeSlack({ oauth });
      slack.channels = [{ id: 'C1', name: 'support' }];
      try {
        const env = { SLACK_API_URL: slack.url, SLACK_OAUTH_URL: slack.authorizeUrl, SLACK_CLIENT_ID: oauth.clientId, SLACK_CLIENT_SECRET: oauth.clientSecret };
        const { s, userId, token, me } = await setup({ env });
        // An OAuth account whose token expires within the refresh margin: loading its options first
        // claims the refresh, a write to the store inside the load, where the store fails here.
        const credentialId = await connectThroughOAuth((method, url, options) => s.request(method, url, options), { token, app: 'slack', approve: approveAtOnce });
        const url = `/me/options/slack/channels?credentialId=${credentialId}`;

        // PostgreSQL's connection is killed under that write, as in a restart; SQLite turns read-only.
        const outage = await cutOffWrites(s.services.store.db, 'UPDATE', 'credentials', "NEW.status = 'refreshing'");
        const down = await me('GET', url);
        await outage.restore();
        expect(down.status).toBe(503);
        expect(down.body.error.code).toBe('unavailable');
        expect(down.headers.get('retry-after')).toBe('5');
        expect(JSON.stringify(down.body)).not.toMatch(/terminating connection|readonly database/);
        expect(slack.grants).toEqual(['authorization_code']);

        expect((await me('GET', url)).body).toEqual({ data: [{ label: '#support', value: 'C1' }] });
        expect(slack.grants).toEqual(['authorization_code', 'refresh_token']);

        // Slack refusing the connection (ECONNREFUSED, like a store error's code) is still the app's
        // failure. Another credential: the first one's options are cached for a minute.
        const other = await addCredential(s, userId, 'slack', { botToken: 'xoxb-other' });
        await slack.close();
        const app = await me('GET', `/me/options/slack/channels?credentialId=${other}`);
        expect(app.status).toBe(502);
        expect(app.body.error.code).toBe('upstream_error');
        expect(app.body.error.message).toMatch(/Could not load the options from Slack: .*connection refused/);
      } finally {
        await slack.close().catch(() => undefined);
      }
    });
  });

  describe('CORS', () => {
    const preflight = (s: TestServer) =>
      s.request('OPTIONS', '/me/integrations', {
        apiKey: null,
        headers: { origin: 'https://app.acme.test', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });

    it('answers a preflight from any origin in development', async () => {
      server = await startTestServer();
      const res = await preflight(server);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.acme.test');
      expect(res.headers.get('access-control-allow-methods')).toContain('PUT');
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    });

    it('allows no other origin than ALLOY_ALLOWED_ORIGINS lists', async () => {
      server = await startTestServer({ env: { ALLOY_ALLOWED_ORIGINS: 'https://other.test' } });
      const res = await preflight(server);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const listed = await server.request('OPTIONS', '/me/integrations', {
        apiKey: null,
        headers: { origin: 'https://other.test', 'access-control-request-method': 'GET' },
      });
      expect(listed.headers.get('access-control-allow-origin')).toBe('https://other.test');
    });

    it('sends no CORS headers on the ISV API', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      // Not /integrations: alloy-frontend calls that with a user token (test/server/browser-sdk.test.ts).
      const res = await server.request('GET', `/users/${userId}`, { headers: { origin: 'https://app.acme.test' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
