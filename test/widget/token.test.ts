// @vitest-environment happy-dom
import './setup';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createUser, userToken, type TestServer } from '../helpers/server';
import { resetWidget, serve, type Http } from './helpers';

type Widget = typeof import('../../widget/index');

/** A signed-looking token the widget takes as good (it expires in an hour) and the server refuses. */
function forgedToken(userId: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'ES256', typ: 'JWT', kid: 'forged' })}.${part({ sub: userId, exp: Math.floor(Date.now() / 1000) + 3600 })}.c2lnbmF0dXJl`;
}

describe('the user token', () => {
  let server: TestServer;
  let http: Http;
  let userId: string;
  let Alloy: Widget;
  const realFetch = globalThis.fetch;
  let fetches: Array<{ url: string; authorization: string }>;

  beforeAll(async () => {
    ({ server, http } = await serve({ env: { TOKEN_TTL_SECONDS: '60' } }));
  });
  // A fresh widget each test: the token lives in the module.
  beforeEach(async () => {
    vi.resetModules();
    Alloy = await import('../../widget/index');
    Alloy.setBaseUrl(http.url);
    userId = await createUser(server, `u${Math.random().toString(36).slice(2, 8)}`);
    fetches = [];
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      fetches.push({ url: String(input), authorization: new Headers(init?.headers).get('authorization') ?? '' });
      return realFetch(input, init);
    }) as typeof fetch;
  });
  afterEach(async () => {
    globalThis.fetch = realFetch;
    vi.useRealTimers();
    Alloy.close();
    await resetWidget();
  });
  afterAll(async () => {
    await http?.close();
    await server?.close();
  });

  it('throws AlloyError no_token at once from every method before setToken (as alloy-frontend does), and calls nothing', () => {
    const calls: Array<[string, () => unknown]> = [
      ['install', () => Alloy.install({ integrationId: 'slack' })],
      ['edit', () => Alloy.edit({ integrationId: 'slack' })],
      ['update', () => Alloy.update({ integrationId: 'slack' })],
      ['authenticate', () => Alloy.authenticate({ app: 'slack' })],
      ['getIntegrations', () => Alloy.getIntegrations()],
      ['getWorkflows', () => Alloy.getWorkflows()],
      ['deactivate', () => Alloy.deactivate({ integrationId: 'slack' })],
      ['reactivate', () => Alloy.reactivate({ workflowId: 'slack-ticket-created' })],
      ['uninstall', () => Alloy.uninstall({ installationId: 'x' })],
    ];
    for (const [name, call] of calls) {
      let error: unknown;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(Alloy.AlloyError);
      expect((error as InstanceType<Widget['AlloyError']>).code, name).toBe('no_token');
    }
    expect(fetches).toEqual([]);
    expect(document.querySelector('alloy-embedded')).toBeNull();
    // The page needs the token to render, and says so at once.
    expect(() => Alloy.renderIntegrations(document.body)).toThrow(expect.objectContaining({ code: 'no_token' }));
  });

  it('refuses an app event sent before any token: no user to hold it for', async () => {
    await expect(Alloy.sendAppEvent('Ticket Created', { ticketName: 'T1' })).rejects.toMatchObject({ code: 'no_token' });
    expect(fetches).toEqual([]);
  });

  it('rejects a malformed token at setToken', () => {
    expect(() => Alloy.setToken('not-a-jwt')).toThrow(TypeError);
    expect(() => Alloy.setToken('')).toThrow(TypeError);
  });

  it('sends the token it was given', async () => {
    const token = await userToken(server, userId);
    Alloy.setToken(token);
    expect((await Alloy.getIntegrations()).map((i) => i.integrationId)).toEqual(['bigcommerce', 'hubspot', 'jira', 'netsuite', 'slack', 'stream-heartbeat']);
    expect(fetches.map((f) => f.authorization)).toEqual([`Bearer ${token}`]);
  });

  it('rejects with token_expired once the token has expired and no provider is set', async () => {
    Alloy.setToken(await userToken(server, userId));
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 120_000);

    const error = await Alloy.getIntegrations().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Alloy.AlloyError);
    expect(error).toMatchObject({ code: 'token_expired' });
    expect(fetches).toEqual([]);
  });

  it('counts a token within 10 s of expiry as expired already', async () => {
    Alloy.setToken(await userToken(server, userId));
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 55_000);
    await expect(Alloy.getIntegrations()).rejects.toMatchObject({ code: 'token_expired' });
  });

  it('asks the provider once for a fresh token when the token has expired, and succeeds', async () => {
    Alloy.setToken(await userToken(server, userId));
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 120_000);
    const provider = vi.fn(() => userToken(server, userId));
    Alloy.setTokenProvider(provider);

    const integrations = await Alloy.getIntegrations();

    expect(integrations).toHaveLength(6);
    expect(provider).toHaveBeenCalledTimes(1);
    expect(fetches).toHaveLength(1);
    // The fresh token serves the next calls too.
    await Alloy.getWorkflows();
    expect(provider).toHaveBeenCalledTimes(1);
  });

  it('asks the provider once for calls made together with an expired token', async () => {
    Alloy.setToken(await userToken(server, userId));
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 120_000);
    const provider = vi.fn(() => userToken(server, userId));
    Alloy.setTokenProvider(provider);

    await Promise.all([Alloy.getIntegrations(), Alloy.getWorkflows(), Alloy.getIntegrations()]);

    expect(provider).toHaveBeenCalledTimes(1);
  });

  it('takes the first token from the provider when none was set', async () => {
    const provider = vi.fn(() => userToken(server, userId));
    Alloy.setTokenProvider(provider);
    await expect(Alloy.getIntegrations()).resolves.toHaveLength(6);
    expect(provider).toHaveBeenCalledTimes(1);
  });

  it('on a 401 asks the provider once and tries again with the fresh token', async () => {
    const forged = forgedToken(userId);
    Alloy.setToken(forged);
    const fresh = await userToken(server, userId);
    const provider = vi.fn(async () => fresh);
    Alloy.setTokenProvider(provider);

    await expect(Alloy.getIntegrations()).resolves.toHaveLength(6);

    expect(provider).toHaveBeenCalledTimes(1);
    expect(fetches.map((f) => f.authorization)).toEqual([`Bearer ${forged}`, `Bearer ${fresh}`]);
  });

  it('on a 401 without a provider rejects with unauthorized and the server’s words', async () => {
    Alloy.setToken(forgedToken(userId));
    await expect(Alloy.getIntegrations()).rejects.toMatchObject({ name: 'AlloyError', code: 'unauthorized', message: 'The user token is signed by an unknown key' });
    expect(fetches).toHaveLength(1);
  });

  it('tries a 401 once only, even when the provider’s token is refused too', async () => {
    Alloy.setToken(forgedToken(userId));
    const provider = vi.fn(async () => forgedToken(userId));
    Alloy.setTokenProvider(provider);
    await expect(Alloy.getIntegrations()).rejects.toMatchObject({ code: 'unauthorized' });
    expect(provider).toHaveBeenCalledTimes(1);
    expect(fetches).toHaveLength(2);
  });

  it('rejects with network when the server cannot be reached', async () => {
    Alloy.setToken(await userToken(server, userId));
    Alloy.setBaseUrl('http://127.0.0.1:9');
    await expect(Alloy.getIntegrations()).rejects.toMatchObject({ code: 'network' });
  });
});
