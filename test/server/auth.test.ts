import { SignJWT, base64url, createLocalJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TokenService } from '../../server/tokens';
import { API_KEY, createUser, startTestServer, storeKind, userToken, type TestServer } from '../helpers/server';

type Res = Awaited<ReturnType<TestServer['request']>>;

function expectUnauthorized(res: Res, message?: RegExp) {
  expect(res.status, JSON.stringify(res.body)).toBe(401);
  expect(res.body.error.code).toBe('unauthorized');
  expect(res.body.error.message).toEqual(expect.any(String));
  if (message) expect(res.body.error.message).toMatch(message);
}

const TICKET = { ticketName: 'T-1', customerEmail: 'a@b.c', description: 'printer on fire' };

/** The end-user endpoints a token opens, each with what it needs to answer 200. */
const END_USER_CALLS: Array<[string, string, unknown?]> = [
  ['GET', '/me/integrations'],
  ['GET', '/me/installations'],
  ['POST', '/me/events/Ticket%20Created', TICKET],
];

/** Sends the same bearer credential to every end-user endpoint. */
async function endUserCalls(server: TestServer, credential: string): Promise<Res[]> {
  const out: Res[] = [];
  for (const [method, url, body] of END_USER_CALLS) out.push(await server.request(method, url, { token: credential, body }));
  return out;
}

const b64json = (value: unknown) => base64url.encode(JSON.stringify(value));

async function installSlack(server: TestServer, userId: string): Promise<string> {
  const cred = await server.request('POST', '/headless/credentials', { body: { userId, credential: { type: 'slack', data: { botToken: 'xoxb-1' } } } });
  const start = await server.request('POST', '/headless/startInstallation', { body: { userId, integrationId: 'slack', credentialId: cred.body.credentialId } });
  const complete = await server.request('POST', '/headless/completeInstallation', {
    body: { userId, installationId: start.body.installationId, data: { channel: 'C123' } },
  });
  expect(complete.status).toBe(200);
  return complete.body.installations[0].installationId as string;
}

describe(`ISV API key (${storeKind})`, () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(() => server.close());

  it('refuses a request without an Authorization header with 401 unauthorized', async () => {
    const res = await server.request('GET', '/users', { apiKey: null });
    expectUnauthorized(res, /API key/);
  });

  it('refuses a wrong API key with 401', async () => {
    expectUnauthorized(await server.request('GET', '/users', { apiKey: 'wrong_api_key_0123456789abcdef' }), /Invalid API key/);
    expectUnauthorized(await server.request('POST', '/users', { apiKey: `${API_KEY}x`, body: { username: 'x' } }), /Invalid API key/);
    expect((await server.request('GET', '/users')).body.data).toEqual([]);
  });

  it('refuses the key under another scheme or with no scheme', async () => {
    for (const authorization of [`Basic ${API_KEY}`, API_KEY, 'bearer', `bearer ${API_KEY} extra`]) {
      expectUnauthorized(await server.request('GET', '/users', { headers: { authorization } }));
    }
  });

  it('accepts the bearer scheme in any case', async () => {
    for (const scheme of ['bearer', 'Bearer', 'BEARER', 'bEaReR']) {
      const res = await server.request('GET', '/users', { headers: { authorization: `${scheme} ${API_KEY}` } });
      expect(res.status, scheme).toBe(200);
    }
  });

  it('refuses a user token on an ISV endpoint, saying a user token was given', async () => {
    const userId = await createUser(server, 'gregg');
    const token = await userToken(server, userId);
    const res = await server.request('GET', '/users', { token });
    expectUnauthorized(res, /not a user token/);
  });

  it('asks for the API key on every ISV route family', async () => {
    for (const [method, url] of [
      ['POST', '/users'],
      ['GET', '/integrations?userId=x'],
      ['POST', '/run/event'],
      ['GET', '/installations?userId=x'],
      ['GET', '/user/x/token'],
    ] as const) {
      expectUnauthorized(await server.request(method, url, { apiKey: null, body: method === 'POST' ? {} : undefined }));
    }
  });
});

describe(`user tokens (${storeKind})`, () => {
  let server: TestServer;
  let userId: string;
  let token: string;
  beforeEach(async () => {
    server = await startTestServer();
    userId = await createUser(server, 'gregg');
    token = await userToken(server, userId);
  });
  afterEach(async () => {
    vi.useRealTimers();
    await server.close();
  });

  it('is an ES256 JWT with a kid, for the user, expiring an hour after it was issued', async () => {
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ alg: 'ES256', kid: expect.any(String), typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: 'alloy-embedded-kit', aud: 'alloy-embedded-kit:user', sub: userId });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(5);
  });

  it('is signed by a key published at /.well-known/jwks.json, and verifies against it', async () => {
    const jwks = await server.request('GET', '/.well-known/jwks.json', { apiKey: null });
    expect(jwks.status).toBe(200);
    const kid = decodeProtectedHeader(token).kid;
    const published = (jwks.body as JSONWebKeySet).keys.find((k) => k.kid === kid);
    expect(published).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    // Only the public half is published.
    expect(published).not.toHaveProperty('d');

    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks.body), {
      issuer: 'alloy-embedded-kit',
      audience: 'alloy-embedded-kit:user',
      algorithms: ['ES256'],
    });
    expect(payload.sub).toBe(userId);
  });

  it('opens the end-user endpoints as its user', async () => {
    const [integrations, installations, event] = await endUserCalls(server, token);
    expect(integrations!.status).toBe(200);
    expect(integrations!.body.data.map((i: any) => i.integrationId)).toContain('slack');
    expect(installations!.status).toBe(200);
    expect(installations!.body).toEqual({ data: [] });
    expect(event!.status).toBe(200);
    expect(event!.body).toMatchObject({ eventId: expect.any(String), executionIds: [] });
  });

  it('refuses a request to an end-user endpoint without a token', async () => {
    for (const [method, url, body] of END_USER_CALLS) {
      expectUnauthorized(await server.request(method, url, { apiKey: null, body }), /user token/);
    }
  });

  it('refuses an expired token', async () => {
    await server.close();
    server = await startTestServer({ env: { TOKEN_TTL_SECONDS: '60' } });
    userId = await createUser(server, 'gregg');
    token = await userToken(server, userId);
    const claims = decodeJwt(token);
    expect(claims.exp! - claims.iat!).toBe(60);
    expect((await server.request('GET', '/me/installations', { token })).status).toBe(200);

    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 120_000);
    for (const res of await endUserCalls(server, token)) expectUnauthorized(res, /expired/);
  });

  it('refuses a token whose payload was changed to another user', async () => {
    const otherId = await createUser(server, 'other');
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload!)));
    const tampered = [header, b64json({ ...claims, sub: otherId }), signature].join('.');
    expect(decodeJwt(tampered).sub).toBe(otherId);
    for (const res of await endUserCalls(server, tampered)) expectUnauthorized(res, /invalid/);
  });

  it('refuses a token signed by another key under the same kid', async () => {
    const { kid } = decodeProtectedHeader(token);
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setSubject(userId)
      .setIssuer('alloy-embedded-kit')
      .setAudience('alloy-embedded-kit:user')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
    for (const res of await endUserCalls(server, forged)) expectUnauthorized(res, /invalid/);
  });

  it('refuses a token signed by an unknown key', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'not-a-kid-of-this-server' })
      .setSubject(userId)
      .setIssuer('alloy-embedded-kit')
      .setAudience('alloy-embedded-kit:user')
      .setExpirationTime('1h')
      .sign(privateKey);
    for (const res of await endUserCalls(server, forged)) expectUnauthorized(res, /unknown key/);
  });

  it('refuses a token minted with its own key for another audience or issuer', async () => {
    const { store, vault, config } = server.services;
    const options = { issuer: config.tokenIssuer, audience: config.tokenAudience, ttlSeconds: 3600 };
    const same = await TokenService.open(store.keys, vault, options);
    const otherAudience = await TokenService.open(store.keys, vault, { ...options, audience: 'someone-else:user' });
    const otherIssuer = await TokenService.open(store.keys, vault, { ...options, issuer: 'someone-else' });

    // The same key and claims are accepted: only the audience or issuer differs below.
    expect((await server.request('GET', '/me/installations', { token: (await same.mint(userId)).token })).status).toBe(200);
    const wrongAud = (await otherAudience.mint(userId)).token;
    const wrongIss = (await otherIssuer.mint(userId)).token;
    expect(decodeProtectedHeader(wrongAud).kid).toBe(decodeProtectedHeader(token).kid);
    for (const res of await endUserCalls(server, wrongAud)) expectUnauthorized(res, /invalid/);
    for (const res of await endUserCalls(server, wrongIss)) expectUnauthorized(res, /invalid/);
  });

  it('refuses a token minted by another server configured with another audience', async () => {
    const other = await startTestServer({ env: { TOKEN_AUDIENCE: 'elsewhere:user' } });
    try {
      const otherUser = await createUser(other, 'gregg');
      const foreign = await userToken(other, otherUser);
      expect(decodeJwt(foreign).aud).toBe('elsewhere:user');
      // Same user id or not, the token is not this server's.
      for (const res of await endUserCalls(server, foreign)) expectUnauthorized(res);
    } finally {
      await other.close();
    }
  });

  it('refuses an unsigned token (alg none)', async () => {
    const { kid } = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    const unsigned = `${b64json({ alg: 'none', typ: 'JWT', kid })}.${b64json(claims)}.`;
    for (const res of await endUserCalls(server, unsigned)) expectUnauthorized(res, /invalid/);
  });

  it('refuses an HS256 token keyed with the published public key', async () => {
    const jwks = (await server.request('GET', '/.well-known/jwks.json', { apiKey: null })).body as JSONWebKeySet;
    const jwk = jwks.keys[0]!;
    const confused = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: jwk.kid })
      .setSubject(userId)
      .setIssuer('alloy-embedded-kit')
      .setAudience('alloy-embedded-kit:user')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(JSON.stringify(jwk)));
    for (const res of await endUserCalls(server, confused)) expectUnauthorized(res, /invalid/);
  });

  it('refuses a garbage string', async () => {
    for (const res of await endUserCalls(server, 'not a token at all')) expectUnauthorized(res, /Authorization: Bearer/);
    for (const garbage of ['garbage', 'a.b', 'a.b.c', 'a.b.c.d', 'ab/c.d.e', `${token.split('.')[0]}.e30.AAAA`, `${token}x`]) {
      for (const res of await endUserCalls(server, garbage)) expectUnauthorized(res, /invalid/);
    }
  });

  it('refuses the ISV API key on an end-user endpoint', async () => {
    for (const res of await endUserCalls(server, API_KEY)) expectUnauthorized(res, /user token is invalid/);
  });

  it('refuses the token of a deleted user', async () => {
    expect((await server.request('GET', '/me/installations', { token })).status).toBe(200);
    expect((await server.request('DELETE', `/users/${userId}`)).status).toBe(200);
    for (const res of await endUserCalls(server, token)) expectUnauthorized(res, /no longer exists/);
  });

  it("refuses the token of a deleted user even when a new user's username is that user id", async () => {
    expect((await server.request('DELETE', `/users/${userId}`)).status).toBe(200);
    const impostor = await createUser(server, userId);
    expect(impostor).not.toBe(userId);
    for (const res of await endUserCalls(server, token)) expectUnauthorized(res, /no longer exists/);
  });
});

describe(`one user's token and another user's rows (${storeKind})`, () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(() => server.close());

  it("never reaches another user's installations", async () => {
    const a = await createUser(server, 'alice');
    const b = await createUser(server, 'bob');
    const bInstallation = await installSlack(server, b);
    const aToken = await userToken(server, a);
    const bToken = await userToken(server, b);

    const mine = await server.request('GET', '/me/installations', { token: aToken });
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual({ data: [] });

    const integrations = await server.request('GET', '/me/integrations', { token: aToken });
    expect(integrations.body.data.find((i: any) => i.integrationId === 'slack')).toMatchObject({ installed: false });
    const bIntegrations = await server.request('GET', '/me/integrations', { token: bToken });
    expect(bIntegrations.body.data.find((i: any) => i.integrationId === 'slack')).toMatchObject({ installed: true });

    for (const [method, url, body] of [
      ['PUT', `/me/installations/${bInstallation}/deactivate`],
      ['PUT', `/me/installations/${bInstallation}/activate`],
      ['PUT', `/me/installations/${bInstallation}`, { config: { channel: 'C999' } }],
      ['DELETE', `/me/installations/${bInstallation}`],
    ] as Array<[string, string, unknown?]>) {
      const res = await server.request(method, url, { token: aToken, body });
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }

    const bRows = await server.request('GET', `/installations?userId=${b}`);
    expect(bRows.body.data).toEqual([expect.objectContaining({ installationId: bInstallation, active: true, config: { channel: 'C123' } })]);

    // A's events run nothing of B's.
    const event = await server.request('POST', '/me/events/Ticket%20Created', { token: aToken, body: TICKET });
    expect(event.body.executionIds).toEqual([]);

    // The same call with B's own token reaches it: the 404s above were about ownership.
    const own = await server.request('PUT', `/me/installations/${bInstallation}/deactivate`, { token: bToken });
    expect(own.status).toBe(200);
    expect((await server.request('GET', `/installations?userId=${b}`)).body.data[0].active).toBe(false);
  });
});
