import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';

type Res = Awaited<ReturnType<TestServer['request']>>;

function expectError(res: Res, status: number, code: string, detail?: { path: string; message?: string | RegExp }) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(res.body.error.message).toEqual(expect.any(String));
  expect(res.body.error.message.length).toBeGreaterThan(0);
  if (detail) {
    const found = (res.body.error.details ?? []).find((d: { path: string }) => d.path === detail.path);
    expect(found, `details of ${JSON.stringify(res.body.error)}`).toBeDefined();
    if (typeof detail.message === 'string') expect(found.message).toBe(detail.message);
    else if (detail.message) expect(found.message).toMatch(detail.message);
  }
}

/** Connects Slack and installs its one workflow for a user, headlessly; returns the installation id. */
async function installSlack(server: TestServer, userId: string): Promise<string> {
  const cred = await server.request('POST', '/headless/credentials', { body: { userId, credential: { type: 'slack', data: { botToken: 'xoxb-1' } } } });
  expect(cred.status).toBe(201);
  const start = await server.request('POST', '/headless/startInstallation', { body: { userId, integrationId: 'slack', credentialId: cred.body.credentialId } });
  expect(start.status).toBe(200);
  const complete = await server.request('POST', '/headless/completeInstallation', {
    body: { userId, installationId: start.body.installationId, data: { channel: 'C123' } },
  });
  expect(complete.status).toBe(200);
  return complete.body.installations[0].installationId as string;
}

async function rowsOf(server: TestServer, table: string, userId: string): Promise<number> {
  const row = await server.services.store.db.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table} WHERE user_id = ?`, [userId]);
  return Number(row!.n);
}

describe(`users (${storeKind})`, () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(() => server.close());

  describe('POST /users', () => {
    it('creates a user and answers 201 with its id only', async () => {
      const res = await server.request('POST', '/users', { body: { username: 'gregg', fullName: 'Gregg Smith' } });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ userId: expect.stringMatching(/^[0-9a-f]{24}$/) });

      const got = await server.request('GET', `/users/${res.body.userId}`);
      expect(got.status).toBe(200);
      expect(got.body).toEqual({
        userId: res.body.userId,
        username: 'gregg',
        fullName: 'Gregg Smith',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
    });

    it('accepts a user without a fullName and stores it as null', async () => {
      const res = await server.request('POST', '/users', { body: { username: 'nameless' } });
      expect(res.status).toBe(201);
      const got = await server.request('GET', `/users/${res.body.userId}`);
      expect(got.body).toMatchObject({ username: 'nameless', fullName: null });
    });

    it('refuses a taken username with 409 conflict naming username', async () => {
      await createUser(server, 'gregg');
      const res = await server.request('POST', '/users', { body: { username: 'gregg' } });
      expectError(res, 409, 'conflict', { path: 'username', message: 'already taken' });
      expect(res.body.error.message).toContain('gregg');
    });

    it('trims the username, so a padded copy of a taken name is also taken', async () => {
      const id = await createUser(server, '  padded  ');
      expect((await server.request('GET', `/users/${id}`)).body.username).toBe('padded');
      expectError(await server.request('POST', '/users', { body: { username: 'padded' } }), 409, 'conflict', { path: 'username' });
    });

    it('refuses a missing username with 400 invalid_request, path username, message required', async () => {
      const res = await server.request('POST', '/users', { body: { fullName: 'No Name' } });
      expectError(res, 400, 'invalid_request', { path: 'username', message: 'required' });
    });

    it('refuses an empty or too long username', async () => {
      expectError(await server.request('POST', '/users', { body: { username: '   ' } }), 400, 'invalid_request', { path: 'username', message: 'must not be empty' });
      expectError(await server.request('POST', '/users', { body: { username: 'x'.repeat(256) } }), 400, 'invalid_request', {
        path: 'username',
        message: 'must be at most 255 characters',
      });
    });
  });

  describe('POST /users/batch', () => {
    it('answers per item, in order, with a conflict for a duplicate in the batch and for an existing user', async () => {
      const existing = await createUser(server, 'existing');
      const res = await server.request('POST', '/users/batch', {
        body: { users: [{ username: 'ann' }, { username: 'bob', fullName: 'Bob B' }, { username: 'ann' }, { username: 'existing' }] },
      });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([
        { username: 'ann', userId: expect.any(String) },
        { username: 'bob', userId: expect.any(String) },
        { username: 'ann', error: { code: 'conflict', message: expect.stringContaining('ann') } },
        { username: 'existing', error: { code: 'conflict', message: expect.stringContaining('existing') } },
      ]);
      expect(res.body.data[0].userId).not.toBe(res.body.data[1].userId);

      const bob = await server.request('GET', `/users/${res.body.data[1].userId}`);
      expect(bob.body).toMatchObject({ username: 'bob', fullName: 'Bob B' });
      // The existing user is untouched.
      expect((await server.request('GET', '/users/existing')).body.userId).toBe(existing);
      const all = await server.request('GET', '/users');
      expect(all.body.data.map((u: any) => u.username).sort()).toEqual(['ann', 'bob', 'existing']);
    });

    it('accepts exactly 1000 users', async () => {
      const users = Array.from({ length: 1000 }, (_, i) => ({ username: `u${i}` }));
      const res = await server.request('POST', '/users/batch', { body: { users } });
      expect(res.status).toBe(200);
      expect(res.body.data).toHaveLength(1000);
      expect(res.body.data.every((d: any) => typeof d.userId === 'string')).toBe(true);
    });

    it('refuses more than 1000 users with 400 and creates none', async () => {
      const users = Array.from({ length: 1001 }, (_, i) => ({ username: `u${i}` }));
      const res = await server.request('POST', '/users/batch', { body: { users } });
      expectError(res, 400, 'invalid_request', { path: 'users', message: 'at most 1000 users per batch' });
      expect((await server.request('GET', '/users')).body.data).toEqual([]);
    });

    it('refuses an empty list with 400', async () => {
      const res = await server.request('POST', '/users/batch', { body: { users: [] } });
      expectError(res, 400, 'invalid_request', { path: 'users', message: 'must list at least one user' });
    });

    it('names the bad item of a batch by index and creates nobody', async () => {
      const res = await server.request('POST', '/users/batch', { body: { users: [{ username: 'ok1' }, { username: 'ok2' }, { fullName: 'no username' }] } });
      expectError(res, 400, 'invalid_request', { path: 'users.2.username', message: 'required' });
      expect((await server.request('GET', '/users')).body.data).toEqual([]);
    });
  });

  describe('GET /users', () => {
    it('refuses a cursor that names no user, rather than answering an empty last page', async () => {
      const res = await server.request('GET', '/users?cursor=000000000000000000000000');
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'cursor', message: 'unknown' }]);
    });

    it('pages through every user with limit and cursor, ending with a null nextCursor', async () => {
      const ids: string[] = [];
      for (const name of ['a', 'b', 'c', 'd', 'e']) ids.push(await createUser(server, name));

      const seen: string[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const url: string = `/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const res = await server.request('GET', url);
        expect(res.status).toBe(200);
        sizes.push(res.body.data.length);
        seen.push(...res.body.data.map((u: any) => u.userId));
        cursor = res.body.nextCursor;
        if (cursor === null) break;
        expect(cursor).toBe(res.body.data.at(-1).userId);
      }
      expect(sizes).toEqual([2, 2, 1]);
      expect(seen).toHaveLength(5);
      expect(new Set(seen)).toEqual(new Set(ids));
    });

    it('lists users in creation order with their fields', async () => {
      const first = await createUser(server, 'first');
      await new Promise((r) => setTimeout(r, 5));
      const second = await createUser(server, 'second');
      const res = await server.request('GET', '/users');
      expect(res.body).toEqual({
        data: [expect.objectContaining({ userId: first, username: 'first', fullName: null }), expect.objectContaining({ userId: second, username: 'second', fullName: null })],
        nextCursor: null,
      });
    });

    it('refuses a limit that is not a whole number from 1 to 1000, saying so', async () => {
      for (const limit of ['0', '1001', 'abc', '2.5', ''])
        expectError(await server.request('GET', `/users?limit=${limit}`), 400, 'invalid_request', { path: 'limit', message: 'must be a whole number from 1 to 1000' });
    });
  });

  describe('GET/PUT/DELETE /users/:userId', () => {
    it('finds a user by id and by username', async () => {
      const id = await createUser(server, 'gregg');
      const byId = await server.request('GET', `/users/${id}`);
      const byName = await server.request('GET', '/users/gregg');
      expect(byId.status).toBe(200);
      expect(byName.status).toBe(200);
      expect(byName.body).toEqual(byId.body);
      expect(byName.body.userId).toBe(id);
    });

    it('updates the fullName and the username, reachable by the new name only', async () => {
      const id = await createUser(server, 'gregg');
      const res = await server.request('PUT', '/users/gregg', { body: { username: 'greg', fullName: 'Greg S' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ userId: id, username: 'greg', fullName: 'Greg S' });
      expect((await server.request('GET', '/users/greg')).body.userId).toBe(id);
      expectError(await server.request('GET', '/users/gregg'), 404, 'not_found');

      const cleared = await server.request('PUT', `/users/${id}`, { body: { fullName: null } });
      expect(cleared.body).toMatchObject({ username: 'greg', fullName: null });
    });

    it('keeps the username when only the fullName changes, even if it is given unchanged', async () => {
      const id = await createUser(server, 'gregg');
      const res = await server.request('PUT', `/users/${id}`, { body: { username: 'gregg', fullName: 'G' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ username: 'gregg', fullName: 'G' });
    });

    it('refuses to rename a user to a taken username with 409 and changes nothing', async () => {
      await createUser(server, 'taken');
      const id = await createUser(server, 'gregg');
      const res = await server.request('PUT', `/users/${id}`, { body: { username: 'taken', fullName: 'changed' } });
      expectError(res, 409, 'conflict', { path: 'username', message: 'already taken' });
      expect((await server.request('GET', `/users/${id}`)).body).toMatchObject({ username: 'gregg', fullName: null });
    });

    it('answers 409, never 500, when several users are renamed to one name at once', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await createUser(server, `user${i}`));
      const results = await Promise.all(ids.map((id) => server.request('PUT', `/users/${id}`, { body: { username: 'same' } })));
      expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
      for (const r of results.filter((r) => r.status === 409)) expectError(r, 409, 'conflict', { path: 'username', message: 'already taken' });
      const winner = results.find((r) => r.status === 200)!.body.userId;
      expect((await server.request('GET', '/users/same')).body.userId).toBe(winner);
    });

    it('creates one user and answers 409 to the others when one username is created at once', async () => {
      const results = await Promise.all([1, 2, 3].map(() => server.request('POST', '/users', { body: { username: 'race' } })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
      expect((await server.request('GET', '/users')).body.data).toHaveLength(1);
    });

    it('refuses an update that gives neither username nor fullName', async () => {
      const id = await createUser(server, 'gregg');
      expectError(await server.request('PUT', `/users/${id}`, { body: {} }), 400, 'invalid_request', { path: '(root)', message: 'give username or fullName' });
    });

    it("deletes a user with their installations, credentials, events and executions, and leaves other users' rows", async () => {
      const gone = await createUser(server, 'gone');
      const kept = await createUser(server, 'kept');
      for (const userId of [gone, kept]) {
        await installSlack(server, userId);
        const run = await server.request('POST', '/run/event', {
          body: { event: 'Ticket Created', userId, data: { ticketName: 'T', customerEmail: 'a@b.c', description: 'd' } },
        });
        expect(run.body.executionIds).toHaveLength(1);
      }
      const tables = ['installations', 'credentials', 'events', 'executions'];
      for (const table of tables) expect(await rowsOf(server, table, gone), table).toBeGreaterThan(0);

      const res = await server.request('DELETE', '/users/gone');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true });

      expectError(await server.request('GET', `/users/${gone}`), 404, 'not_found');
      expectError(await server.request('GET', `/installations?userId=${gone}`), 404, 'not_found');
      for (const table of [...tables, 'pending_installations', 'errors']) expect(await rowsOf(server, table, gone), table).toBe(0);
      for (const table of tables) expect(await rowsOf(server, table, kept), table).toBeGreaterThan(0);
      expect((await server.request('GET', `/installations?userId=${kept}`)).body.data).toHaveLength(1);

      // The username is free again.
      expect((await server.request('POST', '/users', { body: { username: 'gone' } })).status).toBe(201);
    });
  });

  describe('user tokens from the ISV API', () => {
    for (const prefix of ['/user', '/users']) {
      it(`mints a token for a user id or username at GET ${prefix}/:userId/token`, async () => {
        const id = await createUser(server, 'gregg');
        for (const ref of [id, 'gregg']) {
          const before = Date.now();
          const res = await server.request('GET', `${prefix}/${ref}/token`);
          expect(res.status).toBe(200);
          expect(res.body).toEqual({ token: expect.any(String), expiresAt: expect.any(String) });
          const claims = decodeJwt(res.body.token);
          expect(claims.sub).toBe(id);
          const expiresAt = Date.parse(res.body.expiresAt);
          expect(expiresAt).toBeGreaterThanOrEqual(before + 3600_000 - 2000);
          expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000 + 2000);
          expect(expiresAt).toBe(claims.exp! * 1000);
        }
      });
    }
  });

  describe('an unknown user', () => {
    const cases: Array<[string, string, unknown?]> = [
      ['GET', '/users/nobody'],
      ['PUT', '/users/nobody', { fullName: 'x' }],
      ['DELETE', '/users/nobody'],
      ['GET', '/user/nobody/token'],
      ['GET', '/users/nobody/token'],
      ['PUT', '/users/nobody/deactivate-workflows'],
      ['DELETE', '/users/nobody/logs'],
      ['GET', '/installations?userId=nobody'],
    ];
    for (const [method, url, body] of cases) {
      it(`is a 404 not_found at ${method} ${url}`, async () => {
        await createUser(server, 'somebody');
        const res = await server.request(method, url, { body });
        expectError(res, 404, 'not_found');
        expect(res.body.error.message).toContain('"nobody"');
      });
    }
  });
});
