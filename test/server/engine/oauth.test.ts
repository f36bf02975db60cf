import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../../demo/fakes/slack';
import { createUser, startTestServer, storeKind, userToken, type TestServer } from '../../helpers/server';

const CLIENT = { clientId: 'client-123', clientSecret: 'client-secret-456' };
const ORIGIN = 'https://app.acme.test';

describe(`OAuth 2.0 connections (${storeKind})`, () => {
  let provider: FakeSlack;
  let server: TestServer;
  let userId: string;
  let token: string;

  const start = async (expiresIn: number | string) => {
    provider = await startFakeSlack({ oauth: { ...CLIENT, expiresIn } });
    provider.channels = [{ id: 'C1', name: 'support' }];
    server = await startTestServer({
      env: {
        WORKERS: 'on',
        RETRY_SCHEDULE: '20,20',
        SLACK_CLIENT_ID: CLIENT.clientId,
        SLACK_CLIENT_SECRET: CLIENT.clientSecret,
        SLACK_OAUTH_URL: provider.authorizeUrl,
        SLACK_API_URL: provider.url,
      },
    });
    userId = await createUser(server, 'oauth-user');
    token = await userToken(server, userId);
  };
  beforeEach(() => undefined);
  afterEach(async () => {
    await server.close();
    await provider.close();
  });

  /** Plays the popup: start, follow the provider's redirect, load the callback page. */
  const connect = async () => {
    const started = await server.request('POST', '/me/oauth/slack/start', { token, body: { origin: `${ORIGIN}/settings` } });
    expect(started.status).toBe(200);
    const authorize = new URL(started.body.authorizeUrl);
    const redirect = await fetch(authorize, { redirect: 'manual' });
    const back = new URL(redirect.headers.get('location')!);
    const callback = await server.request('GET', `${back.pathname}${back.search}`, { apiKey: null });
    return { authorize, back, callback };
  };
  const credentialIdOf = (html: string) => html.match(/"credentialId":"([0-9a-f]+)"/)?.[1];
  const installSlack = (credentialId: string) => server.request('POST', '/me/installations', { token, body: { integrationId: 'slack', credentialId, config: { channel: 'C1' } } });
  const ticketCreated = () => server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: { ticketName: 'T', customerEmail: 'a@b.co', description: 'd' } } });

  it('connects through the popup with PKCE and state, and hands the credential to the opener only', async () => {
    await start(3600);
    const { authorize, back, callback } = await connect();
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('client_id')).toBe(CLIENT.clientId);
    expect(authorize.searchParams.get('scope')).toBe('chat:write,channels:read,groups:read');
    expect(authorize.searchParams.get('redirect_uri')).toBe('http://localhost/oauth/callback');
    expect(callback.status).toBe(200);
    expect(callback.body).toContain(`"${ORIGIN}"`);
    expect(callback.body).toMatch(/"type":"alloy:oauth","success":true,"app":"slack"/);
    expect(callback.body).not.toMatch(/xoxe/);
    const credentialId = credentialIdOf(callback.body)!;
    const detail = await server.request('GET', `/me/integrations/slack`, { token });
    expect(detail.body.credentials).toEqual([{ credentialId, app: 'slack', status: 'ok' }]);

    const replay = await server.request('GET', `${back.pathname}${back.search}`, { apiKey: null });
    expect(replay.status).toBe(400);
    expect(replay.body).toMatch(/expired or was already used/);
  });

  it('shows the app’s refusal of the code, but only a request id for an unexpected error, which it logs once', async () => {
    await start(3600);
    const started = async () => {
      const res = await server.request('POST', '/me/oauth/slack/start', { token, body: { origin: ORIGIN } });
      return new URL((await fetch(res.body.authorizeUrl, { redirect: 'manual' })).headers.get('location')!);
    };
    const refused = await started();
    refused.searchParams.set('code', 'not-a-code-slack-issued');
    const page = await server.request('GET', `${refused.pathname}${refused.search}`, { apiKey: null });
    expect(page.status).toBe(502);
    expect(page.body).toContain('Could not connect: Slack token endpoint: invalid_code');

    const back = await started();
    vi.spyOn(server.services.store.credentials, 'create').mockRejectedValueOnce(new Error('SQLITE_CONSTRAINT: UNIQUE constraint failed: credentials.secret'));
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const failed = await server.request('GET', `${back.pathname}${back.search}`, { apiKey: null });
      expect(failed.status).toBe(500);
      expect(failed.body).not.toMatch(/SQLITE|constraint|credentials\.secret/);
      const requestId = failed.body.match(/Could not connect: Internal error \(request id ([0-9a-f-]{36})\)/)?.[1];
      expect(requestId, failed.body).toBeDefined();
      expect(logged).toHaveBeenCalledTimes(1);
      expect(logged.mock.calls[0]![0]).toBe(`[${requestId}] GET /oauth/callback`);
      expect((logged.mock.calls[0]![1] as Error).message).toMatch(/^SQLITE_CONSTRAINT/);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('refuses an origin that is not allowed', async () => {
    await start(3600);
    await server.close();
    server = await startTestServer({ env: { SLACK_CLIENT_ID: 'a', SLACK_CLIENT_SECRET: 'b', ALLOY_ALLOWED_ORIGINS: 'https://only.test' } });
    const other = await userToken(server, await createUser(server, 'o'));
    const res = await server.request('POST', '/me/oauth/slack/start', { token: other, body: { origin: ORIGIN } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'origin', message: 'not allowed' }]);
  });

  it('always allows the server’s own origin (the hosted install page) in production, where no other origin is listed', async () => {
    await start(3600);
    await server.close();
    const production = {
      NODE_ENV: 'production',
      ALLOY_ENCRYPTION_KEY: 'ab'.repeat(32),
      ALLOY_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
      SLACK_CLIENT_ID: CLIENT.clientId,
      SLACK_CLIENT_SECRET: CLIENT.clientSecret,
      SLACK_OAUTH_URL: provider.authorizeUrl,
      SLACK_API_URL: provider.url,
    };
    const startFrom = async (origin: string) => {
      const user = await userToken(server, await createUser(server, `p-${Math.random().toString(36).slice(2)}`));
      return server.request('POST', '/me/oauth/slack/start', { token: user, body: { origin } });
    };

    // PUBLIC_URL unset: the request's own origin (the test requests go to http://localhost).
    server = await startTestServer({ env: production });
    expect(server.services.config.allowedOrigins).toEqual([]);
    const own = await startFrom('http://localhost/install/slack');
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    const back = new URL((await fetch(own.body.authorizeUrl, { redirect: 'manual' })).headers.get('location')!);
    const callback = await server.request('GET', `${back.pathname}${back.search}`, { apiKey: null });
    expect(callback.status).toBe(200);
    expect(callback.body).toContain('"success":true');
    expect(callback.body).toContain('"http://localhost")');
    expect((await startFrom(ORIGIN)).status).toBe(400);
    await server.close();

    // PUBLIC_URL set: its origin, and no longer the origin the request came in on.
    server = await startTestServer({ env: { ...production, PUBLIC_URL: 'https://integrations.acme.test/alloy' } });
    expect((await startFrom('https://integrations.acme.test/install/slack')).status).toBe(200);
    const other = await startFrom('http://localhost/install/slack');
    expect(other.status).toBe(400);
    expect(other.body.error.details).toEqual([{ path: 'origin', message: 'not allowed' }]);
  });

  it('posts with the OAuth token, refreshing it before it expires', async () => {
    await start(30); // inside the refresh margin: every use refreshes
    const credentialId = credentialIdOf((await connect()).callback.body)!;
    const install = await installSlack(credentialId);
    expect(install.status).toBe(201);
    await ticketCreated();
    for (let i = 0; i < 100 && provider.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(provider.messages).toHaveLength(1);
    expect(provider.grants).toEqual(['authorization_code', 'refresh_token']);
    expect(provider.messages[0]!.channel).toBe('C1');
    // The refreshed access token, issued through OAuth: no bot token was ever given.
    expect(provider.isOAuthToken(provider.messages[0]!.token)).toBe(true);
  });

  it('refreshes once at a time when two executions need the token at once: Slack’s refresh tokens work once', async () => {
    await start(30);
    const credentialId = credentialIdOf((await connect()).callback.body)!;
    await installSlack(credentialId);
    const fired = await Promise.all([1, 2].map(() => ticketCreated()));
    for (let i = 0; i < 200 && provider.messages.length < 2; i++) await new Promise((r) => setTimeout(r, 25));
    expect(provider.messages).toHaveLength(2);
    const logs = await server.request('GET', `/workflows/slack-ticket-created/logs?userId=${userId}`);
    for (const { body } of fired) expect(logs.body.data.find((e: any) => e.executionId === body.executionIds[0])).toMatchObject({ status: 'succeeded', attempts: 1 });
    // Before, the second refresh with the same refresh token was refused and the connection marked broken.
    const detail = await server.request('GET', '/me/integrations/slack', { token });
    expect(detail.body.credentials).toEqual([{ credentialId, app: 'slack', status: 'ok' }]);
  });

  it('refreshes a token whose lifetime the provider sends as a string ("30")', async () => {
    await start('30');
    const credentialId = credentialIdOf((await connect()).callback.body)!;
    await installSlack(credentialId);
    await ticketCreated();
    for (let i = 0; i < 100 && provider.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(provider.grants).toEqual(['authorization_code', 'refresh_token']);
  });

  it.each([1e20, 0.0004, -5, 'soon'])('keeps the connection usable when the provider answers expires_in %j', async (expiresIn) => {
    await start(expiresIn);
    const { callback } = await connect();
    expect(callback.status).toBe(200);
    expect(callback.body).toMatch(/"type":"alloy:oauth","success":true,"app":"slack"/);
    const credentialId = credentialIdOf(callback.body)!;
    const detail = await server.request('GET', '/me/integrations/slack', { token });
    expect(detail.status).toBe(200);
    expect(detail.body.credentials).toEqual([{ credentialId, app: 'slack', status: 'ok' }]);
    const install = await installSlack(credentialId);
    expect(install.status).toBe(201);
    await ticketCreated();
    for (let i = 0; i < 100 && provider.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(provider.messages).toHaveLength(1);
  });

  it('marks the credential as needing reconnection when the refresh is refused, without retrying', async () => {
    await start(30);
    const credentialId = credentialIdOf((await connect()).callback.body)!;
    await installSlack(credentialId);
    provider.refuseRefresh();
    const run = await ticketCreated();
    let execution: any;
    for (let i = 0; i < 100; i++) {
      execution = (await server.request('GET', `/workflows/slack-ticket-created/logs?userId=${userId}`)).body.data[0];
      if (execution?.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(execution.executionId).toBe(run.body.executionIds[0]);
    expect(execution.status).toBe('failed');
    expect(execution.attempts).toBe(1);
    expect(execution.error).toMatch(/refreshing the access token was refused .*invalid_refresh_token.*reconnect/);
    const detail = await server.request('GET', `/integrations/slack?userId=${userId}`);
    expect(detail.body.credentials).toEqual([{ credentialId, app: 'slack', status: 'needs_reconnect' }]);
    expect(detail.body.needsReconnect).toBe(true);
    const list = await server.request('GET', `/integrations?userId=${userId}`);
    expect(list.body.data.find((i: any) => i.integrationId === 'slack').needsReconnect).toBe(true);
    expect(list.body.data.find((i: any) => i.integrationId === 'bigcommerce').needsReconnect).toBe(false);
    expect(provider.messages).toHaveLength(0);
  });

  it('retries a refresh answered with an HTML page instead of marking the connection as needing the user', async () => {
    await start(30);
    const credentialId = credentialIdOf((await connect()).callback.body)!;
    await installSlack(credentialId);
    provider.answerRefreshWithPage();
    const run = await ticketCreated();
    for (let i = 0; i < 200 && provider.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(provider.messages).toHaveLength(1);
    const execution = (await server.request('GET', `/workflows/slack-ticket-created/logs?userId=${userId}`)).body.data[0];
    expect(execution).toMatchObject({ executionId: run.body.executionIds[0], status: 'succeeded', attempts: 2 });
    const detail = await server.request('GET', '/me/integrations/slack', { token });
    expect(detail.body.credentials).toEqual([{ credentialId, app: 'slack', status: 'ok' }]);
  });

  it('does not mark the connection when the store, not the app, fails while saving refreshed tokens: the execution is retried and delivers', async () => {
    await start(30);
    const credentialId = credentialIdOf((await connect()).callback.body)!;
    await installSlack(credentialId);
    const outage = Object.assign(new Error('Connection terminated unexpectedly'), { storeUnavailable: true });
    vi.spyOn(server.services.store.credentials, 'updateSecret').mockRejectedValueOnce(outage);

    await ticketCreated();

    for (let i = 0; i < 200 && provider.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    const logs = (await server.request('GET', `/workflows/slack-ticket-created/logs?userId=${userId}`)).body;
    expect(provider.messages, JSON.stringify(logs)).toHaveLength(1);
    const detail = await server.request('GET', `/integrations/slack?userId=${userId}`);
    expect(detail.body.credentials).toEqual([{ credentialId, app: 'slack', status: 'ok' }]);
  });

  it('says OAuth is not configured when the server has no client', async () => {
    await start(3600);
    await server.close();
    server = await startTestServer();
    const other = await userToken(server, await createUser(server, 'n'));
    const res = await server.request('POST', '/me/oauth/slack/start', { token: other, body: {} });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/SLACK_CLIENT_ID and SLACK_CLIENT_SECRET/);
  });
});
