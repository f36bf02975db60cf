import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { API_KEY, createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';
import { listen } from '../helpers/browser';
import { addCredential, countRows, installHeadless } from '../helpers/flows';

type Res = Awaited<ReturnType<TestServer['request']>>;

/**
 * The one error shape: `{ error: { code, message, details? } }` as JSON, nothing else, no stack;
 * `path` (when given) must be among the details with `message` (when given).
 */
function expectError(res: Res, status: number, code: string, detail?: { path: string; message?: string | RegExp }) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Object.keys(res.body)).toEqual(['error', 'message']);
  expect(res.body.message).toBe(res.body.error.message);
  const { error } = res.body;
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe('string');
  expect(error.message.length).toBeGreaterThan(0);
  for (const key of Object.keys(error)) expect(['code', 'message', 'details']).toContain(key);
  if (error.details !== undefined) {
    expect(error.details.length).toBeGreaterThan(0);
    for (const d of error.details) expect(d).toEqual({ path: expect.any(String), message: expect.any(String) });
  }
  if (detail) {
    const found = (error.details ?? []).find((d: { path: string }) => d.path === detail.path);
    expect(found, `no detail for ${detail.path} in ${JSON.stringify(error)}`).toBeDefined();
    if (typeof detail.message === 'string') expect(found.message).toBe(detail.message);
    else if (detail.message) expect(found.message).toMatch(detail.message);
  }
  const text = JSON.stringify(res.body);
  expect(text).not.toMatch(/at .*\.ts:\d+/);
  expect(text).not.toMatch(/node_modules/);
  expect(text).not.toMatch(/\.(ts|js):\d+:\d+/);
}

const TICKET = { ticketName: 'T-1', customerEmail: 'a@b.c', description: 'printer on fire' };

describe(`bad input (${storeKind})`, () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(() => server.close());

  describe('request bodies', () => {
    it('refuses broken JSON with 400 invalid_json', async () => {
      const res = await server.request('POST', '/users', { rawBody: '{"username": "gregg",', headers: { 'content-type': 'application/json' } });
      expectError(res, 400, 'invalid_json');
      expect(res.body.error.message).toMatch(/not valid JSON/);
      expect((await server.request('GET', '/users')).body.data).toEqual([]);
    });

    it('refuses a body of another media type with 415 unsupported_media_type', async () => {
      const res = await server.request('POST', '/users', { rawBody: 'username=gregg', headers: { 'content-type': 'text/plain' } });
      expectError(res, 415, 'unsupported_media_type');
      expect(res.body.error.message).toMatch(/application\/json/);
      expect(res.body.error.message).toMatch(/text\/plain/);
      const form = await server.request('POST', '/users', { rawBody: 'username=gregg', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expectError(form, 415, 'unsupported_media_type');
    });

    it('accepts JSON under a +json media type with a charset', async () => {
      const res = await server.request('POST', '/users', { rawBody: '{"username":"gregg"}', headers: { 'content-type': 'application/vnd.api+json; charset=utf-8' } });
      expect(res.status).toBe(201);
    });

    it('refuses a missing body where one is required, naming the root', async () => {
      // (POST /users takes none: Alloy's headless guide creates a user without a body.)
      const res = await server.request('POST', '/run/event');
      expectError(res, 400, 'invalid_request', { path: '(root)', message: 'required' });
      expect(res.body.error.message).toMatch(/JSON request body is required/);
    });

    it('refuses a JSON body that is not an object', async () => {
      expectError(await server.request('POST', '/users', { body: ['gregg'] }), 400, 'invalid_request', { path: '(root)', message: /expected object/ });
      expectError(await server.request('POST', '/users', { body: null }), 400, 'invalid_request', { path: '(root)' });
    });

    it('refuses a wrongly typed field, naming it', async () => {
      const res = await server.request('POST', '/users', { body: { username: 5 } });
      expectError(res, 400, 'invalid_request', { path: 'username', message: /expected string, received number/ });
      expect(res.body.error.message).toContain('username');
    });

    it('names every bad field at once', async () => {
      const res = await server.request('POST', '/users', { body: { username: 5, fullName: 7 } });
      expectError(res, 400, 'invalid_request');
      expect(res.body.error.details.map((d: any) => d.path).sort()).toEqual(['fullName', 'username']);
    });

    it('refuses a body over the limit with 413 payload_too_large', async () => {
      const small = await startTestServer({ env: { BODY_LIMIT_BYTES: '2048' } });
      try {
        const big = { username: 'gregg', fullName: 'x'.repeat(4096) };
        const res = await small.request('POST', '/users', { body: big });
        expectError(res, 413, 'payload_too_large');
        expect(res.body.error.message).toContain('2048');
        // Declared up front with content-length, it is refused the same way.
        const declared = await small.request('POST', '/users', { body: big, headers: { 'content-length': String(JSON.stringify(big).length) } });
        expectError(declared, 413, 'payload_too_large');
        expect((await small.request('GET', '/users')).body.data).toEqual([]);
        // Just under the limit the same route works (unknown keys are ignored).
        const under = { username: 'gregg', padding: 'x'.repeat(1900) };
        expect(JSON.stringify(under).length).toBeLessThan(2048);
        expect((await small.request('POST', '/users', { body: under })).status).toBe(201);
      } finally {
        await small.close();
      }
    });

    it('over real HTTP, judges a declared Content-Length up front and counts a chunked body as it streams', async () => {
      const small = await startTestServer({ env: { BODY_LIMIT_BYTES: '2048' } });
      const http = await listen(small);
      try {
        const post = async (body: string | ReadableStream<Uint8Array>) => {
          const res = await fetch(`${http.url}/users`, {
            method: 'POST',
            headers: { authorization: `bearer ${API_KEY}`, 'content-type': 'application/json' },
            body,
            ...(typeof body === 'string' ? {} : { duplex: 'half' }),
          } as RequestInit);
          return { status: res.status, body: await res.json(), headers: res.headers };
        };
        const chunked = (text: string) =>
          new ReadableStream<Uint8Array>({
            start(controller) {
              for (let i = 0; i < text.length; i += 512) controller.enqueue(new TextEncoder().encode(text.slice(i, i + 512)));
              controller.close();
            },
          });
        const big = JSON.stringify({ username: 'gregg', fullName: 'x'.repeat(4096) });

        expectError(await post(big), 413, 'payload_too_large');
        expectError(await post(chunked(big)), 413, 'payload_too_large');
        expect((await post(JSON.stringify({ username: 'ann' }))).status).toBe(201);
        expect((await post(chunked(JSON.stringify({ username: 'bob', padding: 'x'.repeat(1500) })))).status).toBe(201);
      } finally {
        await http.close();
        await small.close();
      }
    });
  });

  describe('routes and queries', () => {
    it('answers an unknown route with a JSON 404 not_found naming the method and the path as sent', async () => {
      for (const [method, url] of [
        ['GET', '/nope'],
        ['POST', '/users/batch/extra'],
        ['GET', '/2023-12/nope'],
        ['GET', '/2023-12/users/gregg/nothing?limit=5'],
      ] as const) {
        const res = await server.request(method, url);
        expectError(res, 404, 'not_found');
        expect(res.body.error.message).toBe(`No route for ${method} ${url.split('?')[0]}`);
      }
    });

    it('answers a route asked with the wrong method with a JSON 405 method_not_allowed naming the methods it takes, in Allow too', async () => {
      for (const [method, url, allowed] of [
        ['POST', '/users/gregg/token', 'GET, HEAD'],
        ['POST', '/2023-12/users/gregg/token', 'GET, HEAD'],
        ['PATCH', '/users', 'GET, HEAD, POST'],
        ['DELETE', '/run/event', 'POST'],
        ['GET', '/me/installations/abc/upgrade', 'PUT'],
        ['OPTIONS', '/health', 'GET, HEAD'],
      ] as const) {
        const res = await server.request(method, url, { apiKey: null });
        expectError(res, 405, 'method_not_allowed');
        expect(res.body.error.message).toBe(`${method} is not allowed on ${url}; it takes ${allowed}`);
        expect(res.headers.get('allow')).toBe(allowed);
      }
      // The methods it names work.
      expect((await server.request('GET', '/users/gregg/token')).status).not.toBe(405);
    });

    it('answers a browser’s /favicon.ico with 204 No Content, not a 404 in the console of /docs', async () => {
      const res = await server.request('GET', '/favicon.ico', { apiKey: null });
      expect(res.status).toBe(204);
      expect(res.body).toBeUndefined();
    });

    it('answers an unknown route with a JSON 404 even without an API key', async () => {
      expectError(await server.request('GET', '/nope', { apiKey: null }), 404, 'not_found');
    });

    it('refuses a query parameter of the wrong type, naming it', async () => {
      const res = await server.request('GET', '/users?limit=abc');
      expectError(res, 400, 'invalid_request', { path: 'limit' });
      expect(res.body.error.message).toContain('limit');
    });

    it('refuses a missing required query parameter with message required', async () => {
      expectError(await server.request('GET', '/headless/oauthUrl?app=slack'), 400, 'invalid_request', { path: 'userId', message: 'required' });
    });

    it('serves the API under a version prefix exactly as at the root', async () => {
      const created = await server.request('POST', '/2024-03/users', { body: { username: 'gregg' } });
      expect(created.status).toBe(201);
      const id = created.body.userId;

      const atRoot = await server.request('GET', `/users/${id}`);
      for (const prefix of ['/2024-03', '/2023-12']) {
        const got = await server.request('GET', `${prefix}/users/${id}`);
        expect(got.status).toBe(200);
        expect(got.body).toEqual(atRoot.body);
        expect((await server.request('GET', `${prefix}/users`)).body).toEqual(await server.request('GET', '/users').then((r) => r.body));
        expectError(await server.request('POST', `${prefix}/users`, { body: { username: 'gregg' } }), 409, 'conflict', { path: 'username' });
        expectError(await server.request('GET', `${prefix}/users/nobody`), 404, 'not_found');
        expectError(await server.request('GET', `${prefix}/users?limit=abc`), 400, 'invalid_request', { path: 'limit' });
        expectError(await server.request('GET', `${prefix}/users`, { apiKey: null }), 401, 'unauthorized');
      }
    });

    it('does not take just any first path segment for a version prefix', async () => {
      expectError(await server.request('GET', '/v1/users'), 404, 'not_found');
      expectError(await server.request('GET', '/2023-1/users'), 404, 'not_found');
    });
  });

  describe('NUL characters (PostgreSQL cannot keep them)', () => {
    it('refuses U+0000 in a body field, a path parameter, a query value or a nested key, naming where, on every store', async () => {
      const userId = await createUser(server, 'gregg');
      const cases: Array<[string, string, unknown, string]> = [
        ['POST', '/users', { username: 'a\u0000b' }, 'username'],
        ['PUT', '/users/gregg', { fullName: 'G\u0000' }, 'fullName'],
        ['GET', '/users/a%00b', undefined, 'userId'],
        ['GET', '/users?cursor=a%00b', undefined, 'cursor'],
        ['GET', '/installations?userId=a%00b', undefined, 'userId'],
        ['POST', '/run/event', { event: 'Ticket Created', userId, id: 'key\u0000', data: TICKET }, 'id'],
        ['POST', '/run/event', { event: 'Ticket Created', userId, data: { ...TICKET, extra: { list: ['ok', 'no\u0000'] } } }, 'data.extra.list.1'],
        ['POST', '/run/event', { event: 'Ticket Created', userId, data: { ...TICKET, ['k\u0000']: 1 } }, 'data.k\u0000'],
        ['POST', '/headless/startInstallation', { userId, integrationId: 'slack', credentialId: 'c\u0000' }, 'credentialId'],
      ];
      for (const [method, url, body, path] of cases) {
        const res = await server.request(method, url, { body });
        expectError(res, 400, 'invalid_request', { path, message: 'must not contain the NUL character' });
        expect(res.body.error.message).toMatch(/NUL/);
      }
      expect((await server.request('GET', '/users')).body.data.map((u: any) => u.username)).toEqual(['gregg']);
      expect((await server.request('GET', '/users/gregg')).body.fullName).toBeNull();
    });

    it('refuses U+0000 in the path of an end-user route', async () => {
      const userId = await createUser(server, 'gregg');
      const token = (await server.request('GET', `/users/${userId}/token`)).body.token;
      const res = await server.request('PUT', '/me/installations/a%00/deactivate', { token });
      expectError(res, 400, 'invalid_request', { path: 'installationId' });
    });

    it('checks a deeply nested body without failing', async () => {
      const userId = await createUser(server, 'gregg');
      const depth = 50_000;
      const rawBody = `{"event":"Ticket Created","userId":"${userId}","data":{"ticketName":"T","customerEmail":"a@b.c","description":"d","deep":${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}}}`;
      const res = await server.request('POST', '/run/event', { rawBody, headers: { 'content-type': 'application/json' } });
      expectError(res, 400, 'invalid_request', { path: `data.deep${'.0'.repeat(depth)}` });
    });
  });

  describe('lone UTF-16 surrogates (no store keeps them as sent)', () => {
    it('refuses a lone surrogate in a body field, a nested value or a key, naming where and the code unit, on every store', async () => {
      const userId = await createUser(server, 'gregg');
      const events = await countRows(server, 'events');
      // JSON.stringify writes each as an escape (`"\ud800"`), which JSON.parse on the server turns back into the lone code unit.
      const cases: Array<[string, string, unknown, string, string]> = [
        ['POST', '/users', { username: 'a\ud800b' }, 'username', 'D800'],
        ['PUT', '/users/gregg', { fullName: 'G\udc00' }, 'fullName', 'DC00'],
        ['POST', '/run/event', { event: 'Ticket Created', userId, id: 'key\udbff', data: TICKET }, 'id', 'DBFF'],
        ['POST', '/run/event', { event: 'Ticket Created', userId, data: { ...TICKET, extra: { list: ['ok', 'half an emoji \ud83d'] } } }, 'data.extra.list.1', 'D83D'],
        ['POST', '/run/event', { event: 'Ticket Created', userId, data: { ...TICKET, ['k\ude00']: 1 } }, 'data.k\ude00', 'DE00'],
        ['POST', '/headless/startInstallation', { userId, integrationId: 'slack', credentialId: 'c\udfff' }, 'credentialId', 'DFFF'],
      ];
      for (const [method, url, body, path, unit] of cases) {
        const res = await server.request(method, url, { body });
        expectError(res, 400, 'invalid_request', { path, message: 'must not contain a lone UTF-16 surrogate' });
        expect(res.body.error.message).toBe(`The request contains a lone UTF-16 surrogate (\\u${unit}), which is not valid Unicode`);
      }
      expect((await server.request('GET', '/users')).body.data.map((u: any) => u.username)).toEqual(['gregg']);
      expect((await server.request('GET', '/users/gregg')).body.fullName).toBeNull();
      expect(await countRows(server, 'events')).toBe(events);
      expect(await countRows(server, 'installations')).toBe(0);
    });

    it('keeps a surrogate pair (an emoji) as sent', async () => {
      await createUser(server, 'gregg');
      expect((await server.request('PUT', '/users/gregg', { body: { fullName: 'Gregg \ud83d\ude00' } })).status).toBe(200);
      expect((await server.request('GET', '/users/gregg')).body.fullName).toBe('Gregg 😀');
    });

    it('cannot be sent one in a path or a query: a URL carries none, and bytes that are not UTF-8 are taken as the text sent', async () => {
      await createUser(server, 'gregg');
      const path = await server.request('GET', '/users/a%ED%A0%80b');
      expectError(path, 404, 'not_found');
      expect(path.body.error.message).toContain('"a%ED%A0%80b"');
      const query = await server.request('GET', '/installations?userId=%ED%A0%80');
      expectError(query, 404, 'not_found');
      expect(query.body.error.message).toContain('"%ED%A0%80"');
    });

    it('keeps a lone surrogate in an app’s webhook body exactly: the body is stored as JSON, whose escape keeps it', async () => {
      const userId = await createUser(server, 'gregg');
      const credentialId = await addCredential(server, userId, 'bigcommerce', { storeHash: 'abc', accessToken: 'bc-token' });
      await installHeadless(server, userId, 'bigcommerce', { credentialId, data: { staffNote: 'n' } });
      const installations = (await server.request('GET', `/installations?userId=${userId}`)).body.data;
      const hook = installations.find((i: any) => i.webhookUrl).webhookUrl.split('/hooks/')[1];
      const res = await server.request('POST', `/hooks/${hook}`, {
        apiKey: null,
        rawBody: '{"data":{"id":7,"note":"a\\ud800b"}}',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      const stored = await server.services.store.db.get<{ data: string }>('SELECT data FROM events WHERE id = ?', [res.body.eventId]);
      expect(JSON.parse(stored!.data)).toEqual({ data: { id: 7, note: 'a\ud800b' } });
    });
  });

  describe('POST /run/event', () => {
    let userId: string;
    beforeEach(async () => {
      userId = await createUser(server, 'gregg');
    });

    it('accepts data that matches the event schema', async () => {
      const res = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: TICKET } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ eventId: expect.any(String), executionIds: [] });
    });

    it('refuses data missing a field, naming data.<field> as required', async () => {
      const { ticketName: _omit, ...data } = TICKET;
      const res = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data } });
      expectError(res, 400, 'invalid_request', { path: 'data.ticketName', message: 'required' });
      expect(res.body.error.details).toHaveLength(1);
      expect(res.body.error.message).toContain('Ticket Created');
    });

    it('refuses a wrongly typed data field, naming its path', async () => {
      const res = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: { ...TICKET, customerEmail: 42 } } });
      expectError(res, 400, 'invalid_request', { path: 'data.customerEmail', message: /expected string, received number/ });
    });

    it('refuses data that is not an object, naming data', async () => {
      const res = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: 'ticket' } });
      expectError(res, 400, 'invalid_request', { path: 'data' });
    });

    it('refuses a body without event or userId, naming each', async () => {
      const res = await server.request('POST', '/run/event', { body: { data: TICKET } });
      expectError(res, 400, 'invalid_request', { path: 'event', message: 'required' });
      expectError(res, 400, 'invalid_request', { path: 'userId', message: 'required' });
    });

    it('refuses an unknown event with 404 unknown_event listing the known events', async () => {
      const res = await server.request('POST', '/run/event', { body: { event: 'Ticket Deleted', userId, data: TICKET } });
      expectError(res, 404, 'unknown_event', { path: 'event' });
      expect(res.body.error.message).toContain('"Ticket Deleted"');
      expect(res.body.error.message).toContain('"Ticket Created"');
      expect(res.body.error.message).toContain('"Fulfillment Updated"');
    });

    it('refuses an event for an unknown user with 404 not_found', async () => {
      const res = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId: 'nobody', data: TICKET } });
      expectError(res, 404, 'not_found');
      expect(res.body.error.message).toContain('"nobody"');
    });

    it('refuses an Idempotency-Key header over 255 characters, naming the header', async () => {
      const res = await server.request('POST', '/run/event', {
        body: { event: 'Ticket Created', userId, data: TICKET },
        headers: { 'idempotency-key': 'k'.repeat(256) },
      });
      expectError(res, 400, 'invalid_request', { path: 'Idempotency-Key' });
    });
  });
});
