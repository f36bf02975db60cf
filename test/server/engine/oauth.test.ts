import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../../demo/fakes/slack';
import { request as httpRequest } from 'node:http';
import { listen } from '../../helpers/browser';
import { createUser, startTestServer, storeKind, userToken, type TestServer } from '../../helpers/server';
import { captureLogs } from '../../helpers/logs';
import { refuseWrites } from '../../helpers/refuse-writes';

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

  /**
   * What the page's form does: POSTs the begin URL into the popup, the browser adding the page's
   * `Origin` (none: `null`). Gives the answer, the provider URL it sends the popup to and its cookie.
   */
  const begin = async (beginUrl: string, origin: string | null = ORIGIN) => {
    const url = new URL(beginUrl);
    const begun = await server.request('POST', `${url.pathname}${url.search}`, { apiKey: null, headers: origin === null ? {} : { origin } });
    const location = begun.headers.get('location');
    return { ...begun, authorize: location ? new URL(location) : undefined, cookie: begun.headers.get('set-cookie')?.split(';')[0] };
  };
  /** The provider approves at once: where it sends the browser back (the callback URL with code and state). */
  const approve = async (authorize: URL) => new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!);
  /** The browser loads the callback page, with the cookies it holds. */
  const callbackOf = (back: URL, cookie?: string) => server.request('GET', `${back.pathname}${back.search}`, { apiKey: null, headers: cookie ? { cookie } : {} });
  /** Plays the popup: start, begin from the page, follow the provider's redirect, load the callback page with the cookie. */
  const connect = async () => {
    const started = await server.request('POST', '/me/oauth/slack/start', { token, body: { origin: `${ORIGIN}/settings` } });
    expect(started.status).toBe(200);
    const begun = await begin(started.body.beginUrl);
    expect(begun.status, begun.body).toBe(303);
    const authorize = begun.authorize!;
    const back = await approve(authorize);
    const callback = await callbackOf(back, begun.cookie);
    return { started, begun, authorize, back, callback };
  };
  const credentialIdOf = (html: string) => html.match(/"credentialId":"([0-9a-f]+)"/)?.[1];
  const installSlack = (credentialId: string) => server.request('POST', '/me/installations', { token, body: { integrationId: 'slack', credentialId, config: { channel: 'C1' } } });
  const ticketCreated = () =>
    server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: { ticketName: 'T', customerEmail: 'a@b.co', description: 'd' } } });
  /** Waits until the execution's log says it succeeded on its `attempts`th attempt (Slack is called before the success is recorded). */
  const succeededOn = (executionId: string, attempts: number) =>
    vi.waitFor(
      async () => {
        const execution = (await server.request('GET', `/workflows/slack-ticket-created/logs?userId=${userId}`)).body.data[0];
        expect(execution).toMatchObject({ executionId, status: 'succeeded', attempts });
      },
      { timeout: 5000, interval: 25 },
    );

  it('connects through the popup with PKCE and state, and hands the credential to the opener only', async () => {
    await start(3600);
    const { started, begun, authorize, back, callback } = await connect();
    expect(started.body).toEqual({ beginUrl: `http://localhost/oauth/begin?state=${authorize.searchParams.get('state')}` });
    // The begin page binds the sign-in to this browser: a first-party cookie, only for this state, 10 minutes.
    expect(begun.headers.get('set-cookie')).toBe(`alloy_oauth=${authorize.searchParams.get('state')}; Max-Age=600; Path=/oauth/; HttpOnly; SameSite=Lax`);
    expect(begun.headers.get('cache-control')).toBe('no-store');
    expect(begun.headers.get('referrer-policy')).toBe('no-referrer');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('client_id')).toBe(CLIENT.clientId);
    expect(authorize.searchParams.get('scope')).toBe('chat:write,channels:read,groups:read');
    expect(authorize.searchParams.get('redirect_uri')).toBe('http://localhost/oauth/callback');
    expect(callback.status).toBe(200);
    expect(callback.body).toContain(`"${ORIGIN}"`);
    expect(callback.body).toMatch(/"type":"alloy:oauth","success":true,"app":"slack"/);
    expect(callback.body).not.toMatch(/xoxe/);
    expect(callback.headers.get('content-security-policy')).toBe("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
    // Its work done, the cookie goes.
    expect(callback.headers.get('set-cookie')).toBe('alloy_oauth=; Max-Age=0; Path=/oauth/; HttpOnly; SameSite=Lax');
    const credentialId = credentialIdOf(callback.body)!;
    const detail = await server.request('GET', `/me/integrations/slack`, { token });
    expect(detail.body.credentials).toEqual([
      { credentialId, app: 'slack', displayName: 'Northwind Traders', status: 'healthy', lastError: null, lastErrorAt: null, inUse: false },
    ]);

    const replay = await callbackOf(back, begun.cookie);
    expect(replay.status).toBe(400);
    expect(replay.body).toMatch(/expired or was already used/);
    const again = await begin(started.body.beginUrl);
    expect(again.status).toBe(400);
    expect(again.body).toMatch(/expired or was already used/);
  });

  it('stores nothing for the user who started a sign-in when another browser completes it (OAuth CSRF)', async () => {
    await start(3600);
    const victim = await userToken(server, await createUser(server, 'victim'));
    /** User A, the attacker, starts a sign-in as himself. */
    const attackerStarts = async () => (await server.request('POST', '/me/oauth/slack/start', { token, body: { origin: ORIGIN } })).body.beginUrl as string;

    // The begin URL is no link to send: opened, it does nothing.
    const beginUrl = await attackerStarts();
    const opened = await server.request('GET', new URL(beginUrl).pathname + new URL(beginUrl).search, { apiKey: null });
    expect(opened.status).toBe(405);
    // A form on another site, submitted in the victim's browser, carries that site's Origin: refused, no cookie.
    const foreign = await begin(beginUrl, 'https://evil.example');
    expect(foreign.status).toBe(403);
    expect(foreign.body).toContain(`This sign-in was started from ${ORIGIN} and can only be continued from there, not from https://evil.example`);
    expect(foreign.headers.get('set-cookie')).toBeNull();
    expect(foreign.headers.get('content-security-policy')).toBe("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
    const withoutOrigin = await begin(beginUrl, null);
    expect(withoutOrigin.status).toBe(403);
    expect(withoutOrigin.body).toContain('not from a request without an Origin');
    // A page with Referrer-Policy: no-referrer makes the browser send "Origin: null".
    const hidden = await begin(beginUrl, 'null');
    expect(hidden.status).toBe(403);
    expect(hidden.body).toContain('The browser did not say which page sent this sign-in (Origin: null, as a page with Referrer-Policy: no-referrer makes it)');
    expect(hidden.headers.get('set-cookie')).toBeNull();

    // Outside a browser anyone can claim any Origin: A begins it himself and sends the provider's URL to victim B.
    const sentToVictim = async () => {
      const begun = await begin(await attackerStarts(), ORIGIN);
      expect(begun.status).toBe(303);
      return { back: await approve(begun.authorize!), attackerCookie: begun.cookie! };
    };
    // B approves their Slack; the provider sends B's browser, which holds no cookie of ours, to the callback.
    const first = await sentToVictim();
    const refused = await callbackOf(first.back);
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('Could not connect: This sign-in was not started in this browser; start again from the app');
    expect(refused.headers.get('cache-control')).toBe('no-store');
    // Nor does the cookie of a sign-in B began for themselves count.
    const second = await sentToVictim();
    const victimsOwn = await begin((await server.request('POST', '/me/oauth/slack/start', { token: victim, body: { origin: ORIGIN } })).body.beginUrl);
    const mixed = await callbackOf(second.back, victimsOwn.cookie);
    expect(mixed.status).toBe(400);
    expect(mixed.body).toContain('This sign-in was not started in this browser');

    // The refusal spends the state: A cannot replay B's callback in his own browser, with his cookie.
    const replay = await callbackOf(first.back, first.attackerCookie);
    expect(replay.status).toBe(400);
    expect(replay.body).toMatch(/expired or was already used/);
    // No code was exchanged, and A has no Slack account.
    expect(provider.grants).toEqual([]);
    expect((await server.request('GET', '/me/integrations/slack', { token })).body.credentials).toEqual([]);
    expect((await server.request('GET', '/me/integrations/slack', { token: victim })).body.credentials).toEqual([]);
  });

  it('cannot begin a sign-in started without the page’s origin, nor one unknown or expired', async () => {
    await start(3600);
    const started = await server.request('POST', '/me/oauth/slack/start', { token, body: {} });
    expect(started.status).toBe(200);
    const begun = await begin(started.body.beginUrl, ORIGIN);
    expect(begun.status).toBe(403);
    expect(begun.body).toContain('This sign-in was started without the page’s origin, so it cannot be continued in a browser; start again from the app');

    await server.services.store.credentials.saveOAuthState({
      state: 'expired-state',
      userId,
      app: 'slack',
      codeVerifier: 'v',
      redirectUri: 'http://localhost/oauth/callback',
      origin: ORIGIN,
      expiresAt: Date.now() - 1,
    });
    for (const state of ['expired-state', 'never-issued', 'a%00b', '']) {
      const res = await begin(`http://localhost/oauth/begin?state=${state}`, ORIGIN);
      expect(res.status, state).toBe(400);
      expect(res.body).toContain('Could not connect: This sign-in link has expired or was already used; start again');
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });

  it('builds the OAuth URLs from PUBLIC_URL or an allowed Host only: a request with Host: evil.example is refused', async () => {
    await start(3600);
    await server.close();
    server = await startTestServer({ env: { SLACK_CLIENT_ID: 'a', SLACK_CLIENT_SECRET: 'b', ALLOY_ALLOWED_ORIGINS: `${ORIGIN},http://localhost` } });
    const user = await userToken(server, await createUser(server, 'h'));
    // Over real HTTP, where the Host header makes the request's URL.
    const http = await listen(server);
    const startWithHost = (host: string) =>
      new Promise<{ status: number; body: any }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: http.port,
            path: '/me/oauth/slack/start',
            method: 'POST',
            headers: { host, authorization: `Bearer ${user}`, 'content-type': 'application/json' },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        // The page's origin is the forged host too: it used to pass as "the server's own".
        req.end(JSON.stringify({ origin: `http://${host}/settings` }));
      });
    try {
      const evil = await startWithHost('evil.example');
      expect(evil.status).toBe(400);
      expect(evil.body.error).toEqual({
        code: 'invalid_request',
        message: 'PUBLIC_URL is not set and this request came in for http://evil.example, which is not in ALLOY_ALLOWED_ORIGINS: set PUBLIC_URL to this server’s address',
      });
      const allowed = await startWithHost('localhost');
      expect(allowed.status).toBe(200);
      expect(allowed.body.beginUrl).toMatch(/^http:\/\/localhost\/oauth\/begin\?state=/);
    } finally {
      await http.close();
    }
  });

  it('shows the app’s refusal of the code, but only a request id for an unexpected error, which it logs once', async () => {
    await start(3600);
    let cookie: string | undefined;
    const started = async () => {
      const res = await server.request('POST', '/me/oauth/slack/start', { token, body: { origin: ORIGIN } });
      const begun = await begin(res.body.beginUrl);
      cookie = begun.cookie;
      return approve(begun.authorize!);
    };
    const refused = await started();
    refused.searchParams.set('code', 'not-a-code-slack-issued');
    const page = await callbackOf(refused, cookie);
    expect(page.status).toBe(502);
    expect(page.body).toContain('Could not connect: Slack token endpoint: invalid_code');

    const back = await started();
    // A store that fails in a way nobody planned for (not an outage): its credentials table is gone.
    await server.services.store.db.run('DROP TABLE credentials');
    const logs = captureLogs();
    try {
      const failed = await callbackOf(back, cookie);
      expect(failed.status).toBe(500);
      expect(failed.body).not.toMatch(/no such table|does not exist|credentials/);
      const requestId = failed.body.match(/Could not connect: Internal error \(request id ([0-9a-f-]{36})\)/)?.[1];
      expect(requestId, failed.body).toBeDefined();
      const errors = logs.records.filter((r) => r.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]!.msg).toBe(`[${requestId}] GET /oauth/callback`);
      expect(errors[0]!.fields.reqId).toBe(requestId);
      expect((errors[0]!.fields.err as Error).message).toMatch(/no such table: credentials|relation "credentials" does not exist/);
    } finally {
      logs.restore();
    }
  });

  it('refuses an origin that is not allowed', async () => {
    await start(3600);
    await server.close();
    server = await startTestServer({
      env: { SLACK_CLIENT_ID: 'a', SLACK_CLIENT_SECRET: 'b', ALLOY_ALLOWED_ORIGINS: 'https://only.test', PUBLIC_URL: 'https://integrations.acme.test' },
    });
    const other = await userToken(server, await createUser(server, 'o'));
    const res = await server.request('POST', '/me/oauth/slack/start', { token: other, body: { origin: ORIGIN } });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'origin', message: 'not allowed' }]);
  });

  it('always allows the server’s own origin (the hosted install page) in production, where no other origin is listed, and binds with a __Host- cookie on https', async () => {
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
      PUBLIC_URL: 'https://integrations.acme.test/alloy',
    };
    const startFrom = async (origin: string) => {
      const user = await userToken(server, await createUser(server, `p-${Math.random().toString(36).slice(2)}`));
      return server.request('POST', '/me/oauth/slack/start', { token: user, body: { origin } });
    };
    server = await startTestServer({ env: production });
    expect(server.services.config.allowedOrigins).toEqual([]);
    // The proxy in front serves the server under /alloy.
    const viaProxy = (url: string | URL) => new URL(String(url).replace('https://integrations.acme.test/alloy/', 'http://localhost/'));

    const own = await startFrom('https://integrations.acme.test/install/slack');
    expect(own.status, JSON.stringify(own.body)).toBe(200);
    expect(own.body.beginUrl).toMatch(/^https:\/\/integrations\.acme\.test\/alloy\/oauth\/begin\?state=[\w-]+$/);
    const begun = await begin(viaProxy(own.body.beginUrl).href, 'https://integrations.acme.test');
    expect(begun.status).toBe(303);
    expect(begun.authorize!.searchParams.get('redirect_uri')).toBe('https://integrations.acme.test/alloy/oauth/callback');
    // __Host-: Secure, Path=/, no Domain, so neither a sibling subdomain nor a plain-http answer can plant one.
    const state = begun.authorize!.searchParams.get('state');
    expect(begun.headers.get('set-cookie')).toBe(`__Host-alloy_oauth=${state}; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax`);
    const back = await approve(begun.authorize!);
    // Such a planted cookie, without the prefix, does not count.
    const planted = await callbackOf(viaProxy(back), `alloy_oauth=${state}`);
    expect(planted.status).toBe(400);
    expect(planted.body).toContain('This sign-in was not started in this browser; start again from the app');

    const again = await begin(viaProxy((await startFrom('https://integrations.acme.test/install/slack')).body.beginUrl).href, 'https://integrations.acme.test');
    const callback = await callbackOf(viaProxy(await approve(again.authorize!)), again.cookie);
    expect(callback.status).toBe(200);
    expect(callback.body).toContain('"success":true');
    expect(callback.body).toContain('"https://integrations.acme.test")');

    // The origin the request came in on is not the server's: PUBLIC_URL is.
    const other = await startFrom('http://localhost/install/slack');
    expect(other.status).toBe(400);
    expect(other.body.error.details).toEqual([{ path: 'origin', message: 'not allowed' }]);
    expect((await startFrom(ORIGIN)).status).toBe(400);
  });

  it('posts with the OAuth token, refreshing it before it expires', async () => {
    await start(30); // inside the refresh margin: every use refreshes
    const credentialId = credentialIdOf((await connect()).callback.body)!;
    const install = await installSlack(credentialId);
    expect(install.status).toBe(201);
    await ticketCreated();
    for (let i = 0; i < 100 && provider.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(provider.messages).toHaveLength(1);
    // Two uses, each refreshing: listing the channels to check the install's, then posting.
    expect(provider.grants).toEqual(['authorization_code', 'refresh_token', 'refresh_token']);
    expect(provider.messages[0]!.channel).toBe('C1');
    // The refreshed access token, issued through OAuth: no bot token was ever given.
    expect(provider.isOAuthToken(provider.messages[0]!.token)).toBe(true);
  });

  it('refreshes once at a time when two executions need the token at once: Slack’s refresh tokens work once', async () => {
    await start(30);
    const credentialId = credentialIdOf((await connect()).callback.body)!;
    await installSlack(credentialId);
    const fired = await Promise.all([1, 2].map(() => ticketCreated()));
    // Messages are posted before their executions are recorded as succeeded: wait for the records.
    await vi.waitFor(
      async () => {
        const logs = await server.request('GET', `/workflows/slack-ticket-created/logs?userId=${userId}`);
        for (const { body } of fired) expect(logs.body.data.find((e: any) => e.executionId === body.executionIds[0])).toMatchObject({ status: 'succeeded', attempts: 1 });
      },
      { timeout: 5000, interval: 25 },
    );
    expect(provider.messages).toHaveLength(2);
    // Before, the second refresh with the same refresh token was refused and the connection marked broken.
    const detail = await server.request('GET', '/me/integrations/slack', { token });
    expect(detail.body.credentials).toEqual([{ credentialId, app: 'slack', displayName: 'Northwind Traders', status: 'healthy', lastError: null, lastErrorAt: null, inUse: true }]);
  });

  it('refreshes a token whose lifetime the provider sends as a string ("30")', async () => {
    await start('30');
    const credentialId = credentialIdOf((await connect()).callback.body)!;
    await installSlack(credentialId);
    await ticketCreated();
    for (let i = 0; i < 100 && provider.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(provider.grants).toEqual(['authorization_code', 'refresh_token', 'refresh_token']);
  });

  it.each([1e20, 0.0004, -5, 'soon'])('keeps the connection usable when the provider answers expires_in %j', async (expiresIn) => {
    await start(expiresIn);
    const { callback } = await connect();
    expect(callback.status).toBe(200);
    expect(callback.body).toMatch(/"type":"alloy:oauth","success":true,"app":"slack"/);
    const credentialId = credentialIdOf(callback.body)!;
    const detail = await server.request('GET', '/me/integrations/slack', { token });
    expect(detail.status).toBe(200);
    expect(detail.body.credentials).toEqual([
      { credentialId, app: 'slack', displayName: 'Northwind Traders', status: 'healthy', lastError: null, lastErrorAt: null, inUse: false },
    ]);
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
    expect(execution.error).toMatch(/^needs_reconnect: Slack: the account must be reconnected by the user \(Slack refused the refresh: invalid_refresh_token\)$/);
    const detail = (await server.request('GET', `/integrations/slack?userId=${userId}`)).body.data;
    expect(detail.credentials).toEqual([
      {
        credentialId,
        app: 'slack',
        displayName: 'Northwind Traders',
        status: 'needs_reconnect',
        lastError: 'Slack refused the refresh: invalid_refresh_token',
        lastErrorAt: expect.any(String),
        inUse: true,
      },
    ]);
    expect(detail.needsReconnect).toBe(true);
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
    await succeededOn(run.body.executionIds[0], 2);
    expect(provider.messages).toHaveLength(1);
    const detail = await server.request('GET', '/me/integrations/slack', { token });
    expect(detail.body.credentials).toEqual([{ credentialId, app: 'slack', displayName: 'Northwind Traders', status: 'healthy', lastError: null, lastErrorAt: null, inUse: true }]);
  });

  it('does not mark the connection when the store, not the app, fails while saving refreshed tokens: the execution is retried and delivers', async () => {
    await start(30);
    const credentialId = credentialIdOf((await connect()).callback.body)!;
    await installSlack(credentialId);
    // The database refuses the first save of refreshed tokens (the credential leaving `refreshing`), then takes them.
    const refusal = await refuseWrites(server.services.store.db, 'UPDATE', 'credentials', "OLD.status = 'refreshing' AND NEW.status = 'healthy'", { times: 1 });

    const run = await ticketCreated();

    await succeededOn(run.body.executionIds[0], 2);
    expect(await refusal.count()).toBe(1);
    await refusal.lift();
    expect(provider.messages).toHaveLength(1);
    const detail = (await server.request('GET', `/integrations/slack?userId=${userId}`)).body.data;
    expect(detail.credentials).toEqual([{ credentialId, app: 'slack', displayName: 'Northwind Traders', status: 'healthy', lastError: null, lastErrorAt: null, inUse: true }]);
  });

  it('holds OAuth accounts to the per-app cap: refused at start once full, and at the callback when the room went meanwhile', async () => {
    await start(3600);
    // One sign-in started while there is room; then the user fills the rest with token forms.
    const early = await server.request('POST', '/me/oauth/slack/start', { token, body: { origin: ORIGIN } });
    expect(early.status).toBe(200);
    for (let n = 0; n < 10; n++) {
      const res = await server.request('POST', '/me/credentials', { token, body: { app: 'slack', data: { botToken: `xoxb-filler-${n}` } } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }

    const late = await server.request('POST', '/me/oauth/slack/start', { token, body: { origin: ORIGIN } });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: 'conflict', details: [{ path: 'app', message: 'at most 10 credentials per app' }] });
    expect(late.body.error.message).toMatch(/already has 10 Slack credentials.*delete one/);

    const begun = await begin(early.body.beginUrl);
    const callback = await callbackOf(await approve(begun.authorize!), begun.cookie);
    expect(callback.status).toBe(409);
    expect(callback.body).toMatch(/already has 10 Slack credentials/);
    const detail = await server.request('GET', '/me/integrations/slack', { token });
    expect(detail.body.credentials).toHaveLength(10);
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
