import { afterEach, describe, expect, it, vi } from 'vitest';
import { createUserWithSlack } from '../helpers/flows';
import { createUser, startTestServer, storeKind, userToken, type RequestOptions, type TestServer } from '../helpers/server';

type Res = Awaited<ReturnType<TestServer['request']>>;

const SLACK = 'slack-ticket-created';
const ORIGIN = 'https://app.acme.test';

/** The four ISV operations alloy-frontend calls, at its own /2024-03 paths, each with a body that can succeed. */
const SDK_CALLS: Array<[string, string, unknown?]> = [
  ['GET', '/2024-03/integrations'],
  ['GET', '/2024-03/workflows'],
  ['PUT', '/2024-03/workflows/deactivate', { workflowId: SLACK }],
  ['PUT', '/2024-03/workflows/activate', { workflowId: SLACK }],
];

/** As alloy-frontend sends it: the token in x-alloy-user-token, no Authorization. */
const asSdk = (token: string, body?: unknown, headers: Record<string, string> = {}): RequestOptions => ({
  apiKey: null,
  body,
  headers: { 'x-alloy-user-token': token, ...headers },
});

function expectError(res: Res, status: number, code: string, message?: RegExp) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
  if (message) expect(res.body.error.message).toMatch(message);
}

const installed = (res: Res) => res.body.data.filter((w: { installed: boolean }) => w.installed).map((w: { workflowId: string }) => w.workflowId);

describe(`the ISV operations alloy-frontend calls with a user token (${storeKind})`, () => {
  let server: TestServer;
  afterEach(async () => {
    vi.useRealTimers();
    await server?.close();
  });

  describe('auth and scoping', () => {
    it('lists only the token’s user’s installations, whatever other users have installed', async () => {
      server = await startTestServer();
      await createUserWithSlack(server, 'ann');
      const bob = await createUser(server, 'bob');
      const token = await userToken(server, bob);

      const workflows = await server.request('GET', '/2024-03/workflows', asSdk(token));
      expect(workflows.status).toBe(200);
      expect(installed(workflows)).toEqual([]);
      const integrations = await server.request('GET', '/2024-03/integrations', asSdk(token));
      expect(integrations.status).toBe(200);
      expect(integrations.body.data.filter((i: { installed: boolean }) => i.installed)).toEqual([]);
    });

    it('refuses with 403 a userId naming another user (known or not), and takes the token’s own by id or username', async () => {
      server = await startTestServer();
      const ann = await createUserWithSlack(server, 'ann');
      const bob = await createUser(server, 'bob');
      const token = await userToken(server, bob);

      for (const other of [ann, 'ann', 'nobody']) {
        const res = await server.request('GET', `/2024-03/workflows?userId=${other}`, asSdk(token));
        expectError(res, 403, 'forbidden', /own user only/);
        expect(res.body.error.details).toEqual([{ path: 'userId', message: 'must be the token’s user, or left out' }]);
      }
      for (const own of [bob, 'bob']) expect((await server.request('GET', `/2024-03/integrations?userId=${own}`, asSdk(token))).status).toBe(200);
    });

    it('deactivates and activates the token’s user’s installation only; naming another user changes nothing', async () => {
      server = await startTestServer();
      const ann = await createUserWithSlack(server, 'ann');
      const bob = await createUserWithSlack(server, 'bob');
      const token = await userToken(server, bob);
      const active = async (userId: string) => (await server.services.store.installations.find(userId, SLACK))?.active;

      const off = await server.request('PUT', '/2024-03/workflows/deactivate', asSdk(token, { workflowId: SLACK }));
      expect(off.status, JSON.stringify(off.body)).toBe(200);
      expect([await active(bob), await active(ann)]).toEqual([false, true]);

      expectError(await server.request('PUT', '/2024-03/workflows/deactivate', asSdk(token, { userId: ann, workflowId: SLACK })), 403, 'forbidden');
      expect(await active(ann)).toBe(true);

      const on = await server.request('PUT', '/2024-03/workflows/activate', asSdk(token, { workflowId: SLACK }));
      expect(on.body).toMatchObject({ activated: true });
      expect(await active(bob)).toBe(true);
    });

    it('answers 404 for a workflow the token’s user has not installed, though another user has', async () => {
      server = await startTestServer();
      await createUserWithSlack(server, 'ann');
      const token = await userToken(server, await createUser(server, 'bob'));
      expectError(await server.request('PUT', '/2024-03/workflows/deactivate', asSdk(token, { workflowId: SLACK })), 404, 'not_found', /has not installed/);
    });

    it('refuses an invalid token, an expired one and one whose user was deleted with 401', async () => {
      server = await startTestServer({ env: { TOKEN_TTL_SECONDS: '60' } });
      const bob = await createUserWithSlack(server, 'bob');
      const token = await userToken(server, bob);
      for (const [method, url, body] of SDK_CALLS) {
        expectError(await server.request(method, url, asSdk('not.a.token', body)), 401, 'unauthorized', /invalid/);
        expectError(await server.request(method, url, asSdk('', body)), 401, 'unauthorized', /x-alloy-user-token: USER_TOKEN/);
      }

      const gone = await userToken(server, await createUser(server, 'gone'));
      expect((await server.request('DELETE', '/users/gone')).status).toBe(200);
      expectError(await server.request('GET', '/2024-03/workflows', asSdk(gone)), 401, 'unauthorized', /no longer exists/);

      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 120_000);
      for (const [method, url, body] of SDK_CALLS) expectError(await server.request(method, url, asSdk(token, body)), 401, 'unauthorized', /expired/);
    });

    it('answers a request with neither credential 401, naming both ways to send one', async () => {
      server = await startTestServer();
      for (const [method, url, body] of SDK_CALLS) {
        const res = await server.request(method, url, { apiKey: null, body });
        expectError(res, 401, 'unauthorized');
        expect(res.body.error.message).toBe('Send your API key as "Authorization: bearer YOUR_API_KEY", or the end user\'s token as "x-alloy-user-token: USER_TOKEN"');
      }
    });

    it('still takes the API key, which must name the user (400 without userId)', async () => {
      server = await startTestServer();
      const ann = await createUserWithSlack(server, 'ann');
      expect(installed(await server.request('GET', `/2024-03/workflows?userId=${ann}`))).toEqual([SLACK]);
      expect((await server.request('PUT', '/2024-03/workflows/deactivate', { body: { userId: 'ann', workflowId: SLACK } })).status).toBe(200);
      expect((await server.services.store.installations.find(ann, SLACK))?.active).toBe(false);

      const noUser = await server.request('GET', '/2024-03/integrations');
      expectError(noUser, 400, 'invalid_request');
      expect(noUser.body.error.details).toEqual([{ path: 'userId', message: expect.any(String) }]);
      expectError(await server.request('PUT', '/workflows/activate', { body: { workflowId: SLACK } }), 400, 'invalid_request', /userId/);
    });

    it('refuses both credentials at once with 400 rather than guess which one was meant', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const res = await server.request('GET', `/2024-03/workflows?userId=${ann}`, { headers: { 'x-alloy-user-token': await userToken(server, ann) } });
      expectError(res, 400, 'invalid_request', /not both/);
    });

    it('refuses x-alloy-user-token with 401 on every other ISV route', async () => {
      server = await startTestServer();
      const ann = await createUserWithSlack(server, 'ann');
      const token = await userToken(server, ann);
      const others: Array<[string, string, unknown?]> = [
        ['GET', '/users'],
        ['GET', `/users/${ann}/token`],
        ['GET', `/2024-03/integrations/slack?userId=${ann}`],
        ['GET', `/2024-03/workflows/${SLACK}?userId=${ann}`],
        ['DELETE', `/workflows/${SLACK}?userId=${ann}`],
        ['GET', `/workflows/${SLACK}/users`],
        ['PUT', `/users/${ann}/deactivate-workflows`],
        ['POST', '/run/event', { event: 'Ticket Created', userId: ann, data: {} }],
      ];
      for (const [method, url, body] of others) {
        expectError(await server.request(method, url, asSdk(token, body)), 401, 'unauthorized', /takes the ISV API key.*not a user token/);
      }
      expect((await server.services.store.installations.find(ann, SLACK))?.active).toBe(true);
    });

    it('counts a user-token request against that user’s bucket, shared with the widget’s /me calls, not the API key’s', async () => {
      // A rate this slow refills nothing while the test runs.
      server = await startTestServer({
        env: { RATE_LIMIT_USER_PER_SECOND: '0.01', RATE_LIMIT_USER_BURST: '2', RATE_LIMIT_API_KEY_PER_SECOND: '0.01', RATE_LIMIT_API_KEY_BURST: '4' },
      });
      const [ann, bob] = [await createUser(server, 'ann'), await createUser(server, 'bob')];
      const [token, bobToken] = [await userToken(server, ann), await userToken(server, bob)];
      expectError(await server.request('GET', '/events'), 429, 'rate_limited', /API key/); // the key's 4 are spent

      expect((await server.request('GET', '/me/installations', { token })).status).toBe(200);
      expect((await server.request('GET', '/2024-03/workflows', asSdk(token))).status).toBe(200);
      expectError(await server.request('GET', '/2024-03/integrations', asSdk(token)), 429, 'rate_limited', /user/);
      expectError(await server.request('GET', '/me/installations', { token }), 429, 'rate_limited', /user/);
      expect((await server.request('GET', '/2024-03/integrations', asSdk(bobToken))).status).toBe(200);
    });
  });

  describe('CORS', () => {
    const preflight = (s: TestServer, url: string, method: string, origin = ORIGIN) =>
      s.request('OPTIONS', url, {
        apiKey: null,
        headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type,x-alloy-user-token,x-api-version' },
      });

    it('answers the preflight of the four operations for an allowed origin, with the SDK’s headers and not Authorization', async () => {
      server = await startTestServer({ env: { ALLOY_ALLOWED_ORIGINS: ORIGIN } });
      for (const [method, url] of SDK_CALLS) {
        for (const path of [url, url.replace('/2024-03', '')]) {
          const res = await preflight(server, path, method);
          expect(res.status, `${method} ${path}`).toBe(204);
          expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
          expect(res.headers.get('access-control-allow-methods')?.split(',')).toContain(method);
          const allowed = res.headers.get('access-control-allow-headers')!.toLowerCase().split(',');
          expect(allowed).toEqual(expect.arrayContaining(['x-alloy-user-token', 'content-type', 'x-api-version']));
          expect(allowed).not.toContain('authorization');
        }
      }
    });

    it('allows no origin that ALLOY_ALLOWED_ORIGINS does not list', async () => {
      server = await startTestServer({ env: { ALLOY_ALLOWED_ORIGINS: ORIGIN } });
      for (const [method, url] of SDK_CALLS) expect((await preflight(server, url, method, 'https://evil.test')).headers.get('access-control-allow-origin')).toBeNull();
      const token = await userToken(server, await createUser(server, 'ann'));
      const res = await server.request('GET', '/2024-03/workflows', asSdk(token, undefined, { origin: 'https://evil.test' }));
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('lets the page read the answers and errors of the four operations', async () => {
      server = await startTestServer({ env: { ALLOY_ALLOWED_ORIGINS: ORIGIN } });
      const token = await userToken(server, await createUserWithSlack(server, 'ann'));
      for (const [method, url, body] of SDK_CALLS) {
        const res = await server.request(method, url, asSdk(token, body, { origin: ORIGIN }));
        expect(res.status).toBe(200);
        expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      }
      const refused = await server.request('GET', '/2024-03/integrations', asSdk('not.a.token', undefined, { origin: ORIGIN }));
      expect(refused.status).toBe(401);
      expect(refused.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    });

    it('answers no preflight and sends no CORS headers on the other ISV routes', async () => {
      server = await startTestServer(); // development: every origin is allowed where CORS is on at all
      const ann = await createUserWithSlack(server, 'ann');
      const others: Array<[string, string]> = [
        ['GET', '/users'],
        ['GET', `/2024-03/integrations/slack`],
        ['GET', `/2024-03/workflows/${SLACK}`],
        ['DELETE', `/workflows/${SLACK}`],
        ['PUT', `/workflows/${SLACK}/upgrade`],
        ['POST', '/run/event'],
        ['GET', '/installations'],
      ];
      for (const [method, url] of others) {
        const res = await preflight(server, url, method);
        expect(res.status, `${method} ${url}`).not.toBe(204);
        expect(res.headers.get('access-control-allow-origin'), `${method} ${url}`).toBeNull();
      }
      const answer = await server.request('GET', `/workflows/${SLACK}?userId=${ann}`, { headers: { origin: ORIGIN } });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('allows x-api-version on the end-user routes too', async () => {
      server = await startTestServer({ env: { ALLOY_ALLOWED_ORIGINS: ORIGIN } });
      const res = await preflight(server, '/me/integrations', 'GET');
      expect(res.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toContain('x-api-version');
    });
  });
});
