import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app';
import { SignInLimit } from '../../server/domain/console/session';
import { consoleRequest, cookiePair, signIn } from '../helpers/console';
import { API_KEY, createUser, startTestServer, storeKind, userToken, type TestServer } from '../helpers/server';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The attributes of a Set-Cookie header, lower-cased names: `{ httponly: true, path: '/console', … }`. */
function cookieAttributes(setCookie: string | null): Record<string, string | true> {
  const [, ...attributes] = (setCookie ?? '').split(';').map((s) => s.trim());
  return Object.fromEntries(attributes.map((a) => (a.includes('=') ? [a.slice(0, a.indexOf('=')).toLowerCase(), a.slice(a.indexOf('=') + 1)] : [a.toLowerCase(), true])));
}

async function sessionRows(server: TestServer) {
  return server.services.store.db.all<{ token_hash: string; csrf_token: string; expires_at: number }>('SELECT token_hash, csrf_token, expires_at FROM console_sessions');
}

describe(`console sign-in (${storeKind})`, () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('exchanges the API key for an HttpOnly, SameSite=Strict cookie on /console and a CSRF token, keeping only the token’s SHA-256', async () => {
    server = await startTestServer();
    const before = Date.now();
    const res = await server.request('POST', '/console/session', { apiKey: null, body: { apiKey: API_KEY } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.csrfToken).toMatch(/^[\w-]{43}$/);
    const expiresAt = Date.parse(res.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 12 * 3_600_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 12 * 3_600_000);

    const setCookie = res.headers.get('set-cookie');
    const [name, token] = cookiePair(setCookie).split('=');
    expect(name).toBe('alloy_console');
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(cookieAttributes(setCookie)).toEqual({ 'max-age': '43200', path: '/console', httponly: true, samesite: 'Strict' });

    const rows = await sessionRows(server);
    expect(rows).toEqual([{ token_hash: sha256(token!), csrf_token: res.body.csrfToken, expires_at: expect.anything() }]);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(JSON.stringify(rows)).not.toContain(API_KEY);

    // The page asks again after a reload: the same token and expiry while the session lives.
    const again = await server.request('GET', '/console/api/session', { apiKey: null, headers: { cookie: cookiePair(setCookie) } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ csrfToken: res.body.csrfToken, expiresAt: res.body.expiresAt });
  });

  it('gives a wrong key no session: 401, no cookie, nothing stored', async () => {
    server = await startTestServer();
    const res = await server.request('POST', '/console/session', { apiKey: null, body: { apiKey: `${API_KEY}x` } });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'unauthorized', message: 'Invalid API key' });
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await sessionRows(server)).toEqual([]);
    // An API key in the header instead of the body is no sign-in either.
    const header = await server.request('POST', '/console/session', { body: {} });
    expect(header.status).toBe(400);
    expect(header.body.error.details).toEqual([{ path: 'apiKey', message: 'required' }]);
    expect(header.headers.get('set-cookie')).toBeNull();
  });

  it('takes the generated development key when ALLOY_API_KEY is unset', async () => {
    server = await startTestServer({ env: { ALLOY_API_KEY: undefined as unknown as string } });
    const devKey = fs.readFileSync(path.join(server.dataDir, 'dev-api-key'), 'utf8').trim();
    expect((await server.request('POST', '/console/session', { apiKey: null, body: { apiKey: API_KEY } })).status).toBe(401);
    expect((await server.request('POST', '/console/session', { apiKey: null, body: { apiKey: devKey } })).status).toBe(201);
  });

  it('marks the cookie Secure when PUBLIC_URL is https, and when the request came over TLS', async () => {
    server = await startTestServer({ env: { PUBLIC_URL: 'https://integrations.acme.example', CONSOLE_SESSION_HOURS: '2' } });
    const res = await server.request('POST', '/console/session', { apiKey: null, body: { apiKey: API_KEY } });
    expect(cookieAttributes(res.headers.get('set-cookie'))).toMatchObject({ secure: true, 'max-age': '7200', path: '/console' });
    await server.close();

    server = await startTestServer();
    const app = createApp(server.services);
    const overTls = await app.request('https://localhost/console/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: API_KEY }),
    });
    expect(overTls.status).toBe(201);
    expect(cookieAttributes(overTls.headers.get('set-cookie'))).toMatchObject({ secure: true });
    const plain = await server.request('POST', '/console/session', { apiKey: null, body: { apiKey: API_KEY } });
    expect(cookieAttributes(plain.headers.get('set-cookie')).secure).toBeUndefined();
  });

  it('refuses a call that changes something without the session’s CSRF token: 403 csrf_failed', async () => {
    server = await startTestServer();
    const session = await signIn(server);
    const { cookie } = session;
    const missing = await server.request('DELETE', '/console/session', { apiKey: null, headers: { cookie } });
    expect(missing.status).toBe(403);
    expect(missing.body.error.code).toBe('csrf_failed');
    const altered = session.csrfToken.slice(0, -1) + (session.csrfToken.endsWith('A') ? 'B' : 'A');
    const wrong = await server.request('DELETE', '/console/session', { apiKey: null, headers: { cookie, 'x-csrf-token': altered } });
    expect(wrong.status).toBe(403);
    const otherSession = await signIn(server);
    const another = await server.request('POST', '/console/api/executions/none/rerun', {
      apiKey: null,
      headers: { cookie, 'x-csrf-token': otherSession.csrfToken },
      body: { from: 'start' },
    });
    expect(another.status).toBe(403);
    expect(another.body.error.code).toBe('csrf_failed');
    // Refused before anything was done: the session is still there, and a GET needs no token.
    expect((await server.request('GET', '/console/api/session', { apiKey: null, headers: { cookie } })).status).toBe(200);
    const rightToken = await consoleRequest(server, session, 'POST', '/console/api/executions/none/rerun', { from: 'start' });
    expect(rightToken.status).toBe(404);
  });

  it('lets neither the API key nor a user token reach the console API: 401', async () => {
    server = await startTestServer();
    const userId = await createUser(server, 'ann');
    const token = await userToken(server, userId);
    for (const url of ['/console/api/session', '/console/api/executions', `/console/api/users/${userId}`]) {
      const withKey = await server.request('GET', url);
      expect(withKey.status, url).toBe(401);
      expect(withKey.body.error.code).toBe('unauthorized');
      expect((await server.request('GET', url, { token })).status, url).toBe(401);
      expect((await server.request('GET', url, { apiKey: null, headers: { 'x-alloy-user-token': token } })).status, url).toBe(401);
    }
    const rerun = await server.request('POST', '/console/api/executions/x/rerun', { body: { from: 'failed' } });
    expect(rerun.status).toBe(401);
    expect((await server.request('DELETE', '/console/session')).status).toBe(401);
  });

  it('signs out: 204, the cookie cleared, the session gone from the store', async () => {
    server = await startTestServer();
    const session = await signIn(server);
    const kept = await signIn(server);
    const res = await consoleRequest(server, session, 'DELETE', '/console/session');
    expect(res.status).toBe(204);
    expect(cookieAttributes(res.headers.get('set-cookie'))).toMatchObject({ 'max-age': '0', path: '/console' });
    expect((await consoleRequest(server, session, 'GET', '/console/api/session')).status).toBe(401);
    expect((await sessionRows(server)).map((r) => r.csrf_token)).toEqual([kept.csrfToken]);
    expect((await consoleRequest(server, kept, 'GET', '/console/api/session')).status).toBe(200);
  });

  it('refuses an expired session and sweeps it; the next sign-in sweeps the others that expired', async () => {
    server = await startTestServer();
    const expired = await signIn(server);
    const stale = await signIn(server);
    const live = await signIn(server);
    await server.services.store.db.run('UPDATE console_sessions SET expires_at = ? WHERE csrf_token IN (?, ?)', [Date.now() - 1, expired.csrfToken, stale.csrfToken]);
    const res = await consoleRequest(server, expired, 'GET', '/console/api/executions');
    expect(res.status).toBe(401);
    expect((await sessionRows(server)).map((r) => r.csrf_token).sort()).toEqual([stale.csrfToken, live.csrfToken].sort());
    const next = await signIn(server);
    expect((await sessionRows(server)).map((r) => r.csrf_token).sort()).toEqual([live.csrfToken, next.csrfToken].sort());
  });

  it('limits wrong keys per client address: 429 with Retry-After once the tries are spent, the right key too', async () => {
    server = await startTestServer();
    for (let i = 0; i < 10; i++) expect((await server.request('POST', '/console/session', { apiKey: null, body: { apiKey: `wrong-${i}` } })).status).toBe(401);
    const limited = await server.request('POST', '/console/session', { apiKey: null, body: { apiKey: 'wrong-10' } });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const right = await server.request('POST', '/console/session', { apiKey: null, body: { apiKey: API_KEY } });
    expect(right.status).toBe(429);
    expect(right.headers.get('set-cookie')).toBeNull();
  });

  it('refills an address’s tries at one every 6 seconds, and counts each address apart', () => {
    const limit = new SignInLimit();
    for (let i = 0; i < 10; i++) expect(limit.take('198.51.100.7', 1000)).toBe(0);
    expect(limit.take('198.51.100.7', 1000)).toBe(6);
    expect(limit.take('203.0.113.9', 1000)).toBe(0);
    expect(limit.take('198.51.100.7', 4000)).toBe(3);
    expect(limit.take('198.51.100.7', 7000)).toBe(0);
    expect(limit.take('198.51.100.7', 7000)).toBe(6);
  });

  it('answers 404 on every console path with CONSOLE=off', async () => {
    server = await startTestServer({ env: { CONSOLE: 'off' } });
    const signInRes = await server.request('POST', '/console/session', { apiKey: null, body: { apiKey: API_KEY } });
    expect(signInRes.status).toBe(404);
    expect(signInRes.headers.get('set-cookie')).toBeNull();
    for (const [method, url] of [
      ['GET', '/console/api/session'],
      ['DELETE', '/console/session'],
      ['GET', '/console/api/executions'],
      ['GET', '/console/api/overview'],
    ]) {
      expect((await server.request(method!, url!, { apiKey: null })).status, url).toBe(404);
    }
  });
});
