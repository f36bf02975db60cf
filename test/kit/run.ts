import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findConnector } from '../../server/connectors';
import type { Connector } from '../../server/connectors/types';
import { NonRetriableError, RetryAfterError } from '../../server/engine/errors';
import type { AppFake, RecordedRequest } from '../fakes/app-fake';
import { connectorContext, connectorHttp, thrown } from '../helpers/connector';
import { createUser, startTestServer, storeKind, userToken, type TestServer } from '../helpers/server';
import type { DatabaseKitFixture, ExpectedRequest, KitFixture } from './types';

/** A port nothing listens on: the app is down. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The request on the wire matches what the fixture expects: method, path, and the query, headers and body it names. */
export function expectRequest(got: RecordedRequest | undefined, want: ExpectedRequest) {
  expect(got, `no request reached the app (expected ${want.method} ${want.path})`).toBeDefined();
  expect(`${got!.method} ${got!.path}`).toBe(`${want.method} ${want.path}`);
  if (want.query) expect(got!.query).toMatchObject(want.query);
  if (want.headers) expect(got!.headers).toMatchObject(want.headers);
  if (want.body !== undefined) expect(got!.body).toEqual(want.body);
}

/**
 * The connector conformance kit: the same checks on every connector, written as data or as code,
 * against its fake. Connecting (and option sources, for apps whose accounts the API can store) goes
 * through the server and its store; the rest calls the connector as the engine does.
 */
export function runKit(fixture: KitFixture, resolve: (id: string) => Connector | undefined = findConnector) {
  const connector = resolve(fixture.connector);
  describe(`connector kit: ${connector?.name ?? fixture.connector} (${storeKind})`, () => {
    const http = connectorHttp();
    let fake: AppFake;
    let server: TestServer;
    let userId: string;
    let token: string;
    const form = connector?.auth.some((a) => a.type === 'apiKey') ?? false;
    // A connector without an API base (Stream Data posts to the URL its input names) is pointed nowhere: its fixture's input names the fake.
    const env = (): Record<string, string> => (connector?.apiUrl ? { [connector.apiUrl.env]: fake.url } : {});
    const ctx = (credential: Record<string, string> | undefined = fixture.credential, url = fake.url) => connectorContext({ http, credential, apiUrls: { [connector!.id]: url } });
    const since = () => fake.requests.length;
    const after = (n: number) => fake.requests.slice(n);

    beforeAll(async () => {
      expect(connector, `no connector "${fixture.connector}" is registered`).toBeDefined();
      fake = await fixture.start();
      const own: Record<string, string> = process.env.CONNECTORS_DIR ? { CONNECTORS_DIR: process.env.CONNECTORS_DIR } : {};
      server = await startTestServer({ env: { ...env(), ...own, ALLOY_ALLOW_PRIVATE_URLS: 'true' } });
      userId = await createUser(server, `kit-${fixture.connector}`);
      token = await userToken(server, userId);
    });
    afterAll(async () => {
      await server?.close();
      await fake?.close();
    });

    const connect = (data: Record<string, string>) => server.request('POST', '/me/credentials', { token, body: { app: connector!.id, data } });

    // An app without accounts (Stream Data) has nothing to connect.
    describe.runIf(connector?.test)('connect', () => {
      it(`accepts an account the app accepts, named as the app names it${form ? ' (stored through the API)' : ' (OAuth only: the test call)'}`, async () => {
        if (form) {
          const res = await connect(fixture.credential);
          expect(res.status, JSON.stringify(res.body)).toBe(201);
          expect(res.body.displayName).toBe(fixture.displayName);
        } else {
          expect(connector!.test, 'a connector needs a test call').toBeDefined();
          expect(await connector!.test!(ctx())).toEqual({ displayName: fixture.displayName });
        }
      });

      it('refuses an account the app refuses, in the app’s words, and stores nothing', async () => {
        if (form) {
          const before = (await server.request('GET', `/credentials/users/${userId}`)).body.data.length;
          const res = await connect(fixture.refused.credential);
          expect(res.status, JSON.stringify(res.body)).toBe(400);
          expect(res.body.error.code).toBe('credential_refused');
          expect(res.body.error.message).toMatch(fixture.refused.reason);
          expect((await server.request('GET', `/credentials/users/${userId}`)).body.data).toHaveLength(before);
        } else {
          const err = await thrown(() => connector!.test!(ctx(fixture.refused.credential)));
          expect(err).toBeInstanceOf(NonRetriableError);
          expect(err.message).toMatch(fixture.refused.reason);
        }
      });

      it('says the app is down (a 503, then no answer at all) without refusing the account', async () => {
        fake.failNext(503, { retryAfter: '3' });
        if (form) {
          const res = await connect(fixture.credential);
          expect(res.status, JSON.stringify(res.body)).toBe(503);
          expect(res.body.error.code).toBe('unavailable');
        } else {
          expect(await thrown(() => connector!.test!(ctx()))).toBeInstanceOf(RetryAfterError);
        }
        const down = `http://127.0.0.1:${await closedPort()}`;
        const err = await thrown(() => connector!.test!(ctx(fixture.credential, down)));
        expect(err).toBeInstanceOf(RetryAfterError);
      });
    });

    describe('actions', () => {
      for (const [name, action] of Object.entries(fixture.actions)) {
        it(`${name}: sends the documented request and reads the answer`, async () => {
          action.prepare?.(fake);
          const n = since();
          const input = connector!.actions[name]!.input.parse(action.input);
          const out = await connector!.actions[name]!.run(input, ctx());
          expectRequest(after(n).at(-1), action.request);
          action.output(out);
        });
      }

      it('every action of the connector is covered by the fixture', () => {
        const own = Object.keys(connector!.actions).filter((a) => a !== 'http');
        expect(Object.keys(fixture.actions).sort()).toEqual(own.sort());
      });

      it('a 4xx the app answers is not retried, and says what the app said', async () => {
        const { action, input, status, reason } = fixture.notRetried;
        const n = since();
        const err = await thrown(async () => connector!.actions[action]!.run(connector!.actions[action]!.input.parse(input), ctx()));
        expect(err).toBeInstanceOf(NonRetriableError);
        expect(err.message).toMatch(reason);
        expect((err as { status?: number }).status ?? status).toBe(status);
        expect(after(n)).toHaveLength(1);
      });

      const [first, firstCase] = Object.entries(fixture.actions)[0]!;
      it('a 429 is retried after the Retry-After the app sends', async () => {
        firstCase.prepare?.(fake);
        fake.failNext(429, { retryAfter: '7' });
        const err = await thrown(async () => connector!.actions[first]!.run(connector!.actions[first]!.input.parse(firstCase.input), ctx()));
        expect(err).toBeInstanceOf(RetryAfterError);
        expect((err as RetryAfterError).retryAfterMs).toBe(7000);
        // Then the retry goes through.
        firstCase.output(await connector!.actions[first]!.run(connector!.actions[first]!.input.parse(firstCase.input), ctx()));
      });

      it('a 5xx is retried', async () => {
        firstCase.prepare?.(fake);
        fake.failNext(502);
        const err = await thrown(async () => connector!.actions[first]!.run(connector!.actions[first]!.input.parse(firstCase.input), ctx()));
        expect(err).toBeInstanceOf(RetryAfterError);
        expect(err.message).toContain('502');
      });
    });

    const pagination = fixture.pagination;
    it.runIf(pagination)(`reads a list across three pages or more (${pagination ? `${pagination.kind} ${pagination.name}` : 'none'})`, async () => {
      const p = pagination!;
      p.prepare?.(fake);
      const n = since();
      let count: number;
      if (p.kind === 'action') {
        const out = await connector!.actions[p.name]!.run(connector!.actions[p.name]!.input.parse(p.input ?? {}), ctx());
        expect(Array.isArray(out)).toBe(true);
        count = (out as unknown[]).length;
      } else if (p.kind === 'optionSource') {
        count = (await connector!.optionSources![p.name]!(ctx(), p.params)).length;
      } else {
        const source = connector!.listSources![p.name]!;
        const params = source.params ? source.params.parse(p.params ?? {}) : {};
        let checkpoint: string | null = null;
        count = 0;
        for (let page = 0; page < 100; page++) {
          const read = await source.list(ctx(), checkpoint, params);
          count += read.records.length;
          checkpoint = read.checkpoint;
          if (!read.hasMore) break;
        }
      }
      expect(count).toBe(p.items);
      expect(after(n).length).toBeGreaterThanOrEqual(3);
    });

    const optionSources = Object.entries(fixture.optionSources ?? {});
    it('every option source of the connector is covered by the fixture', () => {
      expect(optionSources.map(([name]) => name).sort()).toEqual(Object.keys(connector!.optionSources ?? {}).sort());
    });
    for (const [name, source] of optionSources) {
      it(`option source ${name}: loads the app's choices${form ? ' (through the API, with a stored account)' : ''}`, async () => {
        let options: Array<{ label: string; value: string }>;
        if (form) {
          const made = await connect(fixture.credential);
          expect(made.status, JSON.stringify(made.body)).toBe(201);
          const query = new URLSearchParams({ credentialId: made.body.credentialId, ...source.params });
          const res = await server.request('GET', `/me/options/${connector!.id}/${name}?${query}`, { token });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          options = res.body.data;
        } else {
          options = await connector!.optionSources![name]!(ctx(), source.params);
        }
        for (const want of source.includes) expect(options).toContainEqual(expect.objectContaining(want));
      });
    }

    for (const [name, source] of Object.entries(fixture.listSources ?? {})) {
      it(`list source ${name}: reads the records of a first round`, async () => {
        const list = connector!.listSources![name]!;
        const params = list.params ? list.params.parse(source.params ?? {}) : {};
        const keys: string[] = [];
        let checkpoint: string | null = null;
        for (let page = 0; page < 100; page++) {
          const read = await list.list(ctx(), checkpoint, params);
          keys.push(...read.records.map((r) => r.key));
          checkpoint = read.checkpoint;
          if (!read.hasMore) break;
        }
        expect(keys).toEqual(expect.arrayContaining(source.keys));
      });
    }

    const webhook = fixture.webhook;
    it.runIf(webhook)('webhooks: subscribes as the app documents, and verifies a delivery the app signed (and no other)', async () => {
      const w = webhook!;
      const hooks = connector!.webhooks!;
      expect(hooks.events).toContain(w.event);
      const sub = { event: w.event, url: 'https://kit.example.test/hooks/tok_kit', secret: 'kit-engine-secret-0123456789' };
      const n = since();
      const made = await hooks.subscribe(ctx(), sub);
      expectRequest(after(n).at(-1), w.subscribe(sub));
      expect(made.subscriptionId).toBeTruthy();
      const secret = made.secret ?? sub.secret;
      const delivery = w.delivery(secret, fixture.credential);
      expect(hooks.verify({ ...delivery, secret })).toBe(true);
      if (w.signsBody !== false) expect(hooks.verify({ ...delivery, rawBody: `${delivery.rawBody} `, secret }), 'a changed body').toBe(false);
      expect(hooks.verify({ ...delivery, secret: `${secret}x` }), 'another secret').toBe(false);
      expect(hooks.verify({ headers: {}, rawBody: delivery.rawBody, secret }), 'no signature').toBe(false);
      if (w.received) w.received(await hooks.fetch(ctx(), w.event, JSON.parse(delivery.rawBody)));
      const m = since();
      await hooks.unsubscribe(ctx(), made.subscriptionId);
      expect(after(m).length).toBeGreaterThanOrEqual(1);
    });
  });
}

/** The kit for a database destination: what applies without HTTP, against the real database (see `DatabaseKitFixture`). */
export function runDatabaseKit(fixture: DatabaseKitFixture, resolve: (id: string) => Connector | undefined = findConnector) {
  const connector = resolve(fixture.connector);
  describe(`connector kit: ${connector?.name ?? fixture.connector} (a database, ${storeKind})`, () => {
    const http = connectorHttp();
    let server: TestServer;
    let token: string;
    let userId: string;
    let scratch: Awaited<ReturnType<DatabaseKitFixture['setup']>>;
    const ctx = (credential = fixture.credential) => connectorContext({ http, credential });
    const connect = (data: Record<string, string>) => server.request('POST', '/me/credentials', { token, body: { app: connector!.id, data } });

    beforeAll(async () => {
      expect(connector, `no connector "${fixture.connector}" is registered`).toBeDefined();
      scratch = await fixture.setup();
      server = await startTestServer({ env: { ALLOY_ALLOW_PRIVATE_URLS: 'true' } });
      userId = await createUser(server, `kit-${fixture.connector}`);
      token = await userToken(server, userId);
    });
    afterAll(async () => {
      await server?.close();
      await scratch?.drop();
    });

    it('accepts an account the database accepts, named as it is reached (stored through the API)', async () => {
      const res = await connect(fixture.credential);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.displayName).toBe(fixture.displayName);
    });

    it('refuses an account the database refuses, in its words, and stores nothing', async () => {
      const before = (await server.request('GET', `/credentials/users/${userId}`)).body.data.length;
      const res = await connect(fixture.refused.credential);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toBe('credential_refused');
      expect(res.body.error.message).toMatch(fixture.refused.reason);
      expect((await server.request('GET', `/credentials/users/${userId}`)).body.data).toHaveLength(before);
    });

    it('says the database is down when nothing answers, and an action then is retried', async () => {
      const port = String(await closedPort());
      const res = await connect({ ...fixture.credential, port });
      expect(res.status, JSON.stringify(res.body)).toBe(503);
      expect(res.body.error.code).toBe('unavailable');
      const [name, action] = Object.entries(fixture.actions)[0]!;
      const run = connector!.actions[name]!;
      expect(await thrown(async () => run.run(run.input.parse(action.input(scratch.table)), ctx({ ...fixture.credential, port })))).toBeInstanceOf(RetryAfterError);
    });

    for (const [name, action] of Object.entries(fixture.actions)) {
      it(`${name}: writes what it says, and answers it`, async () => {
        const run = connector!.actions[name]!;
        action.output(await run.run(run.input.parse(action.input(scratch.table)), ctx()));
        action.rows(await scratch.read());
      });
    }

    it('every action of the connector is covered by the fixture', () => {
      expect(Object.keys(fixture.actions).sort()).toEqual(Object.keys(connector!.actions).sort());
    });

    it('a refusal of the database is not retried, and says what the database said', async () => {
      const run = connector!.actions[fixture.notRetried.action]!;
      const err = await thrown(async () => run.run(run.input.parse(fixture.notRetried.input(scratch.table)), ctx()));
      expect(err).toBeInstanceOf(NonRetriableError);
      expect(err.message).toMatch(fixture.notRetried.reason);
    });
  });
}
