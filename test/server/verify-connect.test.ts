import { afterEach, describe, expect, it } from 'vitest';
import { startFakeBigCommerce, type FakeBigCommerce } from '../../demo/fakes/bigcommerce';
import { startFakeSlack, type FakeSlack } from '../../demo/fakes/slack';
import { openCredential } from '../../server/domain/credentials';
import { startFakeNetSuite, NETSUITE_ACCOUNT, type FakeNetSuite } from '../fakes/netsuite';
import { createUser, startTestServer, storeKind, userToken, type TestServer } from '../helpers/server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

// The databases CI runs on this machine (see test/server/connectors/postgres.test.ts and mysql.test.ts).
const POSTGRES = { host: '127.0.0.1', port: '5432', database: 'test', user: 'postgres', password: '' };
const MYSQL = { host: '127.0.0.1', port: '3306', database: 'mysql', user: 'root', password: '' };
const CLIENT = { clientId: 'client-123', clientSecret: 'client-secret-456' };
const ORIGIN = 'https://app.acme.test';

describe(`verify on connect: each app checks the account before it is stored (${storeKind})`, () => {
  let server: TestServer | undefined;
  let slack: FakeSlack | undefined;
  let bigcommerce: FakeBigCommerce | undefined;
  let netsuite: FakeNetSuite | undefined;
  let proxy: TcpProxy | undefined;
  let userId: string;
  let token: string;
  afterEach(async () => {
    await server?.close();
    await Promise.all([slack?.close(), bigcommerce?.close(), netsuite?.close(), proxy?.close()]);
    server = slack = bigcommerce = netsuite = proxy = undefined;
  });

  const start = async (env: Record<string, string> = {}) => {
    server = await startTestServer({ env: { ALLOY_ALLOW_PRIVATE_URLS: 'true', ...env } });
    userId = await createUser(server, 'ann');
    token = await userToken(server, userId);
  };
  /** What the widget's account form sends. */
  const connect = (app: string, data: Record<string, string>) => server!.request('POST', '/me/credentials', { token, body: { app, data } });
  /** The user's credentials as the ISV's API lists them. */
  const stored = async () =>
    (await server!.request('GET', `/credentials/users/${userId}`)).body.data as Array<{ credentialId: string; app: string; displayName: string | null; updatedAt: string }>;
  /** The accounts the widget's integration page offers. */
  const offered = async (integrationId: string) => (await server!.request('GET', `/me/integrations/${integrationId}`, { token })).body.credentials;

  const expectRefused = (res: { status: number; body: any }, message: string | RegExp) => {
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe('credential_refused');
    expect(res.body.error.message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
    expect(res.body.error.details).toEqual([{ path: 'data', message: expect.stringMatching(/^refused by \w+: /) }]);
  };
  const expectDown = (res: { status: number; body: any; headers: Headers }, app: string) => {
    expect(res.status, JSON.stringify(res.body)).toBe(503);
    expect(res.body.error.code).toBe('unavailable');
    expect(res.body.error.message).toMatch(new RegExp(`^${app} could not be reached to check the account \\(.+\\); nothing was stored, try again shortly$`));
    expect(res.headers.get('retry-after')).toBe('30');
  };

  describe('Slack (bot token)', () => {
    const startSlack = async () => {
      slack = await startFakeSlack();
      await start({ SLACK_API_URL: slack.url });
    };

    it('stores the account named by its workspace, as auth.test tells it, and shows that name', async () => {
      await startSlack();
      const res = await connect('slack', { botToken: 'xoxb-ann' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toEqual({ credentialId: expect.any(String), displayName: 'Northwind Traders' });
      expect(slack!.requests.filter((r) => r.path === '/api/auth.test')).toEqual([expect.objectContaining({ method: 'POST', token: 'xoxb-ann' })]);
      expect(await stored()).toEqual([expect.objectContaining({ credentialId: res.body.credentialId, app: 'slack', displayName: 'Northwind Traders' })]);
      expect(await offered('slack')).toEqual([expect.objectContaining({ credentialId: res.body.credentialId, displayName: 'Northwind Traders', status: 'healthy' })]);
    });

    it('names the account by the team id when Slack tells no team name', async () => {
      await startSlack();
      slack!.team = { id: 'T0NONAME', name: '' };
      const res = await connect('slack', { botToken: 'xoxb-ann' });
      expect(res.status).toBe(201);
      expect(res.body.displayName).toBe('T0NONAME');
    });

    it('refuses a revoked token with Slack’s reason and stores nothing', async () => {
      await startSlack();
      slack!.revoke('xoxb-revoked');
      expectRefused(await connect('slack', { botToken: 'xoxb-revoked' }), 'Slack says: invalid_auth');
      expectRefused(await connect('slack', { botToken: 'not-a-slack-token' }), 'Slack says: invalid_auth');
      expect(await stored()).toEqual([]);
    });

    it('answers 503 with Retry-After and stores nothing when Slack is down or says to try again', async () => {
      await startSlack();
      slack!.failNext('service_unavailable', { status: 503, method: 'auth.test' });
      const down = await connect('slack', { botToken: 'xoxb-ann' });
      expectDown(down, 'Slack');
      expect(down.body.error.message).toContain('(HTTP 503 service_unavailable)');
      // Slack's own "try again" answers come as HTTP 200 { ok: false }: still not the account's fault.
      slack!.failNext('internal_error', { method: 'auth.test' });
      const busy = await connect('slack', { botToken: 'xoxb-ann' });
      expectDown(busy, 'Slack');
      expect(busy.body.error.message).toContain('(internal_error)');
      expect(await stored()).toEqual([]);
      // Once Slack answers again, the same token connects.
      expect((await connect('slack', { botToken: 'xoxb-ann' })).status).toBe(201);
    });

    it('keeps the stored account unchanged when a reconnect brings a token Slack refuses', async () => {
      await startSlack();
      const created = await connect('slack', { botToken: 'xoxb-ann' });
      expect(created.status).toBe(201);
      const before = await stored();
      slack!.revoke('xoxb-revoked');

      const res = await server!.request('PUT', `/me/credentials/${created.body.credentialId}`, { token, body: { data: { botToken: 'xoxb-revoked' } } });

      expectRefused(res, 'Slack says: invalid_auth');
      expect(await stored()).toEqual(before);
      const secret = await openCredential(server!.services.store, server!.services.vault, userId, created.body.credentialId);
      expect(secret?.data).toEqual({ botToken: 'xoxb-ann' });
      // A token Slack accepts reconnects in place: same id, the workspace's name kept.
      slack!.team = { id: 'T0NEW', name: 'Northwind Europe' };
      const again = await server!.request('PUT', `/me/credentials/${created.body.credentialId}`, { token, body: { data: { botToken: 'xoxb-fresh' } } });
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect(again.body).toEqual({ credentialId: created.body.credentialId, displayName: 'Northwind Europe' });
    });

    it('checks an account the ISV’s backend connects too (POST /headless/credentials)', async () => {
      await startSlack();
      slack!.revoke('xoxb-revoked');
      const refused = await server!.request('POST', '/headless/credentials', { body: { userId, credential: { type: 'slack', data: { botToken: 'xoxb-revoked' } } } });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'credential_refused', message: 'Slack says: invalid_auth' });
      const accepted = await server!.request('POST', '/headless/credentials', { body: { userId, credential: { type: 'slack', data: { botToken: 'xoxb-ann' } } } });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(201);
      expect(await stored()).toEqual([expect.objectContaining({ displayName: 'Northwind Traders' })]);
    });
  });

  describe('Slack (OAuth)', () => {
    const startOAuth = async () => {
      slack = await startFakeSlack({ oauth: CLIENT });
      await start({ SLACK_API_URL: slack.url, SLACK_CLIENT_ID: CLIENT.clientId, SLACK_CLIENT_SECRET: CLIENT.clientSecret, SLACK_OAUTH_URL: slack.authorizeUrl });
    };
    /** Plays the popup up to the provider's approval: the callback URL it sends the browser back to, and the binding cookie. */
    const signIn = async () => {
      const started = await server!.request('POST', '/me/oauth/slack/start', { token, body: { origin: `${ORIGIN}/settings` } });
      const begin = new URL(started.body.beginUrl);
      const begun = await server!.request('POST', `${begin.pathname}${begin.search}`, { apiKey: null, headers: { origin: ORIGIN } });
      const cookie = begun.headers.get('set-cookie')!.split(';')[0]!;
      const back = new URL((await fetch(begun.headers.get('location')!, { redirect: 'manual' })).headers.get('location')!);
      return () => server!.request('GET', `${back.pathname}${back.search}`, { apiKey: null, headers: { cookie } });
    };

    it('checks the token it got with auth.test and stores the account named by its workspace', async () => {
      await startOAuth();
      const callback = await (await signIn())();
      expect(callback.status).toBe(200);
      expect(callback.body).toMatch(/"success":true/);
      const authTests = slack!.requests.filter((r) => r.path === '/api/auth.test');
      expect(authTests).toHaveLength(1);
      expect(slack!.isOAuthToken(authTests[0]!.token!)).toBe(true);
      expect(await offered('slack')).toEqual([expect.objectContaining({ displayName: 'Northwind Traders', status: 'healthy' })]);
    });

    it('stores nothing and tells the opener Slack’s reason when the new token is refused', async () => {
      await startOAuth();
      const callback = await signIn();
      slack!.failNext('account_inactive', { method: 'auth.test' });
      const res = await callback();
      expect(res.status).toBe(400);
      expect(res.body).toMatch(/"success":false,"error":"Slack says: account_inactive"/);
      expect(await stored()).toEqual([]);
    });

    it('stores nothing and says to try again when Slack is down as the token is checked', async () => {
      await startOAuth();
      const callback = await signIn();
      slack!.failNext('ratelimited', { method: 'auth.test', retryAfter: '5' });
      const res = await callback();
      expect(res.status).toBe(503);
      expect(res.body).toMatch(/"success":false,"error":"Slack could not be reached to check the account \(HTTP 429 ratelimited\); nothing was stored, try again shortly"/);
      expect(await stored()).toEqual([]);
    });
  });

  describe('BigCommerce', () => {
    const startStore = async () => {
      bigcommerce = await startFakeBigCommerce();
      await start({ BIGCOMMERCE_API_URL: bigcommerce.url });
    };

    it('stores the account named by the store, as Get Store Information tells it', async () => {
      await startStore();
      const res = await connect('bigcommerce', { storeHash: 'abc123', accessToken: 'bc-token' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.displayName).toBe('Abc Outdoor Supply');
      expect(bigcommerce!.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /stores/abc123/v2/store']);
      expect(await offered('bigcommerce')).toEqual([expect.objectContaining({ displayName: 'Abc Outdoor Supply' })]);
    });

    it('accepts a token without the store-information scope, naming the account by its store hash', async () => {
      await startStore();
      bigcommerce!.unscoped.add('bc-token');
      const res = await connect('bigcommerce', { storeHash: 'abc123', accessToken: 'bc-token' });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.displayName).toBe('abc123');
    });

    it('refuses a wrong access token with BigCommerce’s words and stores nothing', async () => {
      await startStore();
      expectRefused(
        await connect('bigcommerce', { storeHash: 'abc123', accessToken: 'wrong' }),
        'BigCommerce says: HTTP 401 You are not authorized to access this resource. Check your X-Auth-Token.',
      );
      expect(await stored()).toEqual([]);
    });

    it('answers 400 naming the field for a token no HTTP header can carry, and asks BigCommerce nothing', async () => {
      await startStore();
      const res = await connect('bigcommerce', { storeHash: 'abc123', accessToken: 'bc-tökén' });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'invalid_request',
        details: [{ path: 'data.accessToken', message: 'must be printable ASCII without spaces or line breaks: it is sent in an HTTP header' }],
      });
      expect(bigcommerce!.requests).toEqual([]);
    });

    it('answers 503 with Retry-After and stores nothing while BigCommerce is unavailable', async () => {
      await startStore();
      bigcommerce!.state.unavailable = true;
      const res = await connect('bigcommerce', { storeHash: 'abc123', accessToken: 'bc-token' });
      expectDown(res, 'BigCommerce');
      expect(res.body.error.message).toContain('(HTTP 503 Service Unavailable)');
      expect(await stored()).toEqual([]);
    });
  });

  describe('NetSuite', () => {
    const startAccount = async () => {
      netsuite = await startFakeNetSuite();
      const { port } = new URL(netsuite.url);
      proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(port) });
      await start({ NETSUITE_API_URL: proxy.through(netsuite.url) });
    };

    it('stores the account after a signed request NetSuite accepts, named by its account id', async () => {
      await startAccount();
      const res = await connect('netsuite', NETSUITE_ACCOUNT);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.displayName).toBe('1234567_SB1');
      expect(netsuite!.rejections).toEqual([]);
      expect(await offered('netsuite')).toEqual([expect.objectContaining({ displayName: '1234567_SB1' })]);
    });

    it('refuses a wrong token secret with NetSuite’s error code and detail, and stores nothing', async () => {
      await startAccount();
      const res = await connect('netsuite', { ...NETSUITE_ACCOUNT, tokenSecret: 'not-the-secret' });
      // NetSuite's body is longer than the client keeps: its detail is read from what came.
      expectRefused(
        res,
        'NetSuite says: HTTP 401 Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.',
      );
      expect(netsuite!.rejections).toEqual(['signature mismatch']);
      expect(await stored()).toEqual([]);
    });

    it('answers 503 with Retry-After and stores nothing when NetSuite cannot be reached', async () => {
      await startAccount();
      await proxy!.stop();
      const res = await connect('netsuite', NETSUITE_ACCOUNT);
      expectDown(res, 'NetSuite');
      expect(res.body.error.message).toContain('(connection refused)');
      expect(await stored()).toEqual([]);
    });
  });

  describe.each([
    { name: 'PostgreSQL', app: 'postgres', server: POSTGRES, wrongUser: 'no_such_role', refusal: /^PostgreSQL says: role "no_such_role" does not exist \(SQLSTATE 28000\)$/ },
    {
      name: 'MySQL',
      app: 'mysql',
      server: MYSQL,
      wrongUser: 'no_such_user',
      refusal: /^MySQL says: Access denied for user 'no_such_user'@'[^']+' \(using password: NO\) \(ER_ACCESS_DENIED_ERROR\)$/,
    },
  ])('$name destination', ({ name, app, server: db, wrongUser, refusal }) => {
    it('connects with the account, runs SELECT 1 and names it user@host:port/database', async () => {
      await start();
      const res = await connect(app, db);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.displayName).toBe(`${db.user}@127.0.0.1:${db.port}/${db.database}`);
      expect(await stored()).toEqual([expect.objectContaining({ app, displayName: `${db.user}@127.0.0.1:${db.port}/${db.database}` })]);
    });

    it('refuses an account the database refuses, in its words, and stores nothing', async () => {
      await start();
      expectRefused(await connect(app, { ...db, user: wrongUser }), refusal);
      expect(await stored()).toEqual([]);
    });

    it(`answers 503 with Retry-After and stores nothing when ${name} does not answer`, async () => {
      proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(db.port) });
      await proxy.stop();
      await start();
      const res = await connect(app, { ...db, port: String(proxy.port) });
      expectDown(res, name);
      expect(await stored()).toEqual([]);
    });
  });

  it('connects Stream Data with no account: it has nothing to verify', async () => {
    await start();
    const res = await connect('streamData', {});
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', message: 'Stream Data takes no API-key credential: it needs no account' });
  });
});
