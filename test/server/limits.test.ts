import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeBigCommerce, type FakeBigCommerce } from '../../demo/fakes/bigcommerce';
import { loadConfig } from '../../server/config';
import { TokenBuckets } from '../../server/middleware/rate-limit';
import { hashApiKey } from '../../server/secrets';
import { PROCESS_API_KEY, processStore, startProcess, waitUntil, type RunningProcess } from '../helpers/process';
import { createUser, startTestServer, storeKind, userToken, type TestServer } from '../helpers/server';

type Res = Awaited<ReturnType<TestServer['request']>>;

const OTHER_KEY = 'second_api_key_0123456789abcdef';
const TICKET = { ticketName: 'T-1', customerEmail: 'a@b.c', description: 'printer on fire' };
const statuses = (list: Res[]) => list.map((r) => r.status).sort();
const times = <T>(n: number, f: () => Promise<T>) => Promise.all(Array.from({ length: n }, f));

function expectRateLimited(res: Res, what: RegExp): number {
  expect(res.status, JSON.stringify(res.body)).toBe(429);
  expect(res.body.error.code).toBe('rate_limited');
  expect(res.body.error.message).toMatch(what);
  expect(res.body.error.message).toMatch(/retry after \d+ s/);
  const retryAfter = res.headers.get('retry-after') ?? '';
  expect(retryAfter).toMatch(/^[1-9]\d*$/);
  expect(res.body.error.message).toContain(`retry after ${retryAfter} s`);
  return Number(retryAfter);
}

describe('token buckets', () => {
  it('lets a burst through, then says how many whole seconds until the next token', () => {
    const buckets = new TokenBuckets({ perSecond: 2, burst: 3 });
    expect([0, 0, 0, 0].map((t) => buckets.take('a', t))).toEqual([0, 0, 0, 1]);
    expect(buckets.take('a', 500)).toBe(0); // one token back after half a second
    expect(buckets.take('a', 500)).toBe(1);
    expect(buckets.take('b', 500)).toBe(0); // another key, its own bucket
    expect(buckets.take('a', 10_000)).toBe(0); // refilled, but never over the burst
    expect([0, 0, 0].map(() => buckets.take('a', 10_000))).toEqual([0, 0, 1]);

    const slow = new TokenBuckets({ perSecond: 0.1, burst: 1 });
    expect(slow.take('a', 0)).toBe(0);
    expect(slow.take('a', 0)).toBe(10);
    expect(slow.take('a', 2_500)).toBe(8); // 0.75 of a token missing at 0.1 per second: 7.5 s, rounded up
  });

  it('keeps its memory bounded: idle buckets are dropped, a key in use keeps its bucket', () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1 }, 4);
    buckets.take('a', 0);
    for (let i = 0; i < 1000; i++) {
      buckets.take(`k${i}`, 0);
      expect(buckets.take('a', 0)).toBe(1); // still empty: not forgotten among a thousand others
    }
    expect(buckets.size).toBeLessThanOrEqual(4);

    const idle = new TokenBuckets({ perSecond: 1, burst: 1 }); // full again after a second
    for (let i = 0; i < 10; i++) idle.take(`k${i}`, 0);
    idle.take('x', 1_000);
    idle.take('y', 2_000);
    expect(idle.size).toBe(2);
  });
});

describe(`rate limits (${storeKind})`, () => {
  let server: TestServer;
  afterEach(() => server?.close());

  it('per API key: 429 with Retry-After once the burst is spent, its own bucket per key, served again after Retry-After', async () => {
    // The buckets' clock stands still until the test moves it on: no token comes back meanwhile.
    let clock = 0;
    server = await startTestServer({ env: { RATE_LIMIT_API_KEY_PER_SECOND: '1', RATE_LIMIT_API_KEY_BURST: '3' }, rateLimitClock: () => clock });
    server.services.apiKeyHashes.push(hashApiKey(OTHER_KEY));
    const userId = await createUser(server, 'gregg');
    const token = await userToken(server, userId);

    const burst = await times(4, () => server.request('GET', '/events', { apiKey: OTHER_KEY }));
    expect(statuses(burst)).toEqual([200, 200, 200, 429]);
    const retryAfter = expectRateLimited(
      burst.find((r) => r.status === 429)!,
      /API key.*1 requests per second, bursts of 3/,
    );
    expect(retryAfter).toBe(1);

    // The first key spent 2 of its 3 above; the user token is not an API key at all.
    expect((await server.request('GET', '/events')).status).toBe(200);
    expect((await server.request('GET', '/me/installations', { token })).status).toBe(200);

    expect((await server.request('GET', '/events', { apiKey: OTHER_KEY })).status).toBe(429);
    clock += retryAfter * 1000 - 1;
    expect((await server.request('GET', '/events', { apiKey: OTHER_KEY })).status).toBe(429);
    clock += 1;
    expect((await server.request('GET', '/events', { apiKey: OTHER_KEY })).status).toBe(200);
  });

  it('per user: widget calls and app events share the user’s bucket; other users and the ISV’s calls for that user are not limited by it', async () => {
    let clock = 0;
    server = await startTestServer({ env: { RATE_LIMIT_USER_PER_SECOND: '1', RATE_LIMIT_USER_BURST: '3' }, rateLimitClock: () => clock });
    const [a, b] = [await createUser(server, 'alice'), await createUser(server, 'bob')];
    const [tokenA, tokenB] = [await userToken(server, a), await userToken(server, b)];

    const burst = await times(3, () => server.request('GET', '/me/installations', { token: tokenA }));
    expect(statuses(burst)).toEqual([200, 200, 200]);
    const event = await server.request('POST', '/me/events/Ticket%20Created', { token: tokenA, body: TICKET, headers: { origin: 'https://shop.test' } });
    const retryAfter = expectRateLimited(event, /user.*1 requests per second, bursts of 3/);
    // The widget on another origin can read the answer and its Retry-After.
    expect(event.headers.get('access-control-allow-origin')).toBe('https://shop.test');
    expect(event.headers.get('access-control-expose-headers')).toMatch(/Retry-After/i);

    expect((await server.request('GET', '/me/installations', { token: tokenB })).status).toBe(200);
    const isv = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId: a, data: TICKET } });
    expect(isv.status, JSON.stringify(isv.body)).toBe(200);
    expect((await server.request('GET', '/me/integrations', { token: tokenA })).status).toBe(429);

    clock += retryAfter * 1000;
    expect((await server.request('POST', '/me/events/Ticket%20Created', { token: tokenA, body: TICKET })).status).toBe(200);
  });

  it('by default: the API key is not limited, a user is past 100 requests at once', async () => {
    server = await startTestServer();
    const token = await userToken(server, await createUser(server, 'gregg'));
    expect(new Set(statuses(await times(300, () => server.request('GET', '/events'))))).toEqual(new Set([200]));
    const user = statuses(await times(200, () => server.request('GET', '/me/installations', { token })));
    const ok = user.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThanOrEqual(100);
    expect(ok).toBeLessThan(200);
    expect(user.filter((s) => s !== 200).every((s) => s === 429)).toBe(true);
  });

  it('turned off (0 or off): never limited', async () => {
    server = await startTestServer({ env: { RATE_LIMIT_API_KEY_PER_SECOND: '0', RATE_LIMIT_USER_PER_SECOND: 'off', RATE_LIMIT_USER_BURST: '1' } });
    const token = await userToken(server, await createUser(server, 'gregg'));
    const all = [...(await times(150, () => server.request('GET', '/me/installations', { token }))), ...(await times(150, () => server.request('GET', '/events')))];
    expect(new Set(statuses(all))).toEqual(new Set([200]));
  });
});

describe('limits configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config.rateLimits).toEqual({ apiKey: undefined, user: { perSecond: 50, burst: 100 } });
    expect(config).toMatchObject({ requestTimeoutMs: 30_000, headersTimeoutMs: 10_000 });
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '4000' }).headersTimeoutMs).toBe(4000);
  });

  it('reads rates, bursts (two seconds’ worth by default) and off', () => {
    expect(loadConfig({ RATE_LIMIT_API_KEY_PER_SECOND: '2.5', RATE_LIMIT_USER_PER_SECOND: 'OFF' }).rateLimits).toEqual({ apiKey: { perSecond: 2.5, burst: 5 }, user: undefined });
    expect(loadConfig({ RATE_LIMIT_API_KEY_PER_SECOND: '5000', RATE_LIMIT_API_KEY_BURST: '100', RATE_LIMIT_USER_PER_SECOND: '0' }).rateLimits).toEqual({
      apiKey: { perSecond: 5000, burst: 100 },
      user: undefined,
    });
  });

  it('stops with the variable and the reason when a value is bad', () => {
    expect(() => loadConfig({ RATE_LIMIT_USER_PER_SECOND: 'fast' })).toThrow(/RATE_LIMIT_USER_PER_SECOND: requests per second: a number, or 0 \/ off/);
    expect(() => loadConfig({ RATE_LIMIT_API_KEY_PER_SECOND: '-1' })).toThrow(/RATE_LIMIT_API_KEY_PER_SECOND: /);
    expect(() => loadConfig({ RATE_LIMIT_USER_BURST: '0' })).toThrow(/RATE_LIMIT_USER_BURST: at least 1 request/);
    expect(() => loadConfig({ RATE_LIMIT_API_KEY_BURST: '1.5' })).toThrow(/RATE_LIMIT_API_KEY_BURST: /);
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: 'soon' })).toThrow(/REQUEST_TIMEOUT_MS: /);
    expect(() => loadConfig({ REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '20000' })).toThrow(/HEADERS_TIMEOUT_MS: must not be over REQUEST_TIMEOUT_MS \(5000\)/);
  });
});

/** What a client that sends `head` at once and then `trickle` one byte every `everyMs` gets back; `sent()`: the bytes of `trickle` sent so far. */
function slowClient(url: string, head: string, trickle: string, everyMs: number): Promise<{ ms: number; sent: number; answer: string }> & { sent(): number } {
  const { hostname, port } = new URL(url);
  let sent = 0;
  const done = new Promise<{ ms: number; sent: number; answer: string }>((resolve) => {
    const started = Date.now();
    let answer = '';
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(head);
      const timer = setInterval(() => {
        if (socket.destroyed || sent >= trickle.length) return clearInterval(timer);
        socket.write(trickle[sent++]!);
      }, everyMs);
      socket.once('close', () => clearInterval(timer));
    });
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', () => {}); // a reset is as good as a close here
    socket.once('close', () => resolve({ ms: Date.now() - started, sent, answer }));
  });
  return Object.assign(done, { sent: () => sent });
}

describe(`slow clients (${storeKind})`, () => {
  let store: Awaited<ReturnType<typeof processStore>>;
  let server: RunningProcess;
  beforeAll(async () => {
    store = await processStore();
    server = await startProcess('server/index.ts', { ...store.env, WORKERS: 'off', REQUEST_TIMEOUT_MS: '1000' });
  });
  afterAll(async () => {
    await server?.kill();
    await store?.dispose();
  });

  it('cuts off a body sent a byte at a time with a 408, serving other connections meanwhile', async () => {
    const head = `POST /run/event HTTP/1.1\r\nHost: localhost\r\nAuthorization: bearer ${PROCESS_API_KEY}\r\n` + 'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const slow = slowClient(server.url, head, `{"event":"Ticket Created","data":${' '.repeat(1000)}`, 200);
    // Asked while the slow body is under way.
    await waitUntil(
      () => slow.sent() > 0,
      5_000,
      () => 'the first byte of the slow body',
    );
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    const { ms, sent, answer } = await slow;
    expect(sent).toBeLessThan(30);
    expect(ms).toBeLessThan(4000);
    expect(answer).toMatch(/^HTTP\/1.1 408 /);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('cuts off headers sent a byte at a time, and a connection that sends nothing', async () => {
    const [slow, silent] = await Promise.all([
      slowClient(server.url, '', `GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(200)}\r\n\r\n`, 200),
      slowClient(server.url, '', '', 200),
    ]);
    for (const { ms, answer } of [slow, silent]) {
      expect(ms).toBeLessThan(4000);
      expect(answer).toMatch(/^HTTP\/1.1 408 /);
    }
    expect(slow.sent).toBeLessThan(30);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('refuses to start on a bad limit, naming the variable', async () => {
    const err = await startProcess('server/index.ts', { ...store.env, WORKERS: 'off', RATE_LIMIT_USER_PER_SECOND: 'lots' }).then(
      (p) => p.kill().then(() => undefined),
      (e: Error) => e,
    );
    // A fatal JSON line (stdout is no terminal here): its line break escaped.
    expect(err?.message).toMatch(/Invalid configuration:(\s|\\n)+RATE_LIMIT_USER_PER_SECOND: requests per second/);
  });
});

/**
 * Sends a request's head and the first chunk of a chunked body, then hangs up: at once, or, with
 * `answered`, once the server has answered (up to 2 s: a server that reads the body before
 * answering never does). Resolves with the answer's status line ('' if none).
 */
function abandonBody(url: string, path: string, headers: string, answered: boolean): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect(Number(port), hostname, () => {
      const head = `POST ${path} HTTP/1.1\r\nHost: localhost\r\n${headers}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
      socket.write(`${head}5\r\n{"a":\r\n`, () => answered || socket.destroy());
    });
    const giveUp = answered ? setTimeout(() => socket.destroy(), 2000) : undefined;
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) socket.destroy();
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(giveUp);
      resolve(answer.split('\r\n')[0]!);
    });
  });
}

describe(`clients that hang up mid-body (${storeKind})`, () => {
  let store: Awaited<ReturnType<typeof processStore>>;
  let server: RunningProcess;
  // The store the test connects: its account is checked with BigCommerce when connected.
  let bigcommerce: FakeBigCommerce;
  beforeAll(async () => {
    store = await processStore();
    bigcommerce = await startFakeBigCommerce();
    // NODE_DEBUG=alloy turns on the one line an abandoned body may cost: proof that the server has
    // dealt with each, so the test waits for those lines rather than for a time.
    server = await startProcess('server/index.ts', { ...store.env, WORKERS: 'off', NODE_DEBUG: 'alloy', BIGCOMMERCE_API_URL: bigcommerce.url });
  });
  afterAll(async () => {
    await server?.kill();
    await store?.dispose();
    await bigcommerce?.close();
  });

  it('answers an unauthenticated request without reading its body, and logs an abandoned body as one debug line, not a 500 with a stack', async () => {
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { authorization: `bearer ${PROCESS_API_KEY}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await res.json()) as any;
    };
    const { userId } = await call('POST', '/users', { username: 'hangs-up' });
    const { token } = await call('GET', `/users/${userId}/token`);
    const { credentialId } = await call('POST', '/headless/credentials', { userId, credential: { type: 'bigcommerce', data: { storeHash: 'abc123', accessToken: 'bc-token' } } });
    const { installationId } = await call('POST', '/headless/startInstallation', { userId, integrationId: 'bigcommerce', credentialId });
    await call('POST', '/headless/completeInstallation', { userId, installationId, data: { staffNote: 'n' } });
    const hook = (await call('GET', `/installations?userId=${userId}`)).data.find((i: any) => i.webhookUrl).webhookUrl.split('/hooks/')[1];
    const logged = server.output().length;

    const key = `Authorization: bearer ${PROCESS_API_KEY}\r\n`;
    const rounds = 3;
    for (let round = 0; round < rounds; round++) {
      // Refused on their headers alone: answered before the body ends.
      expect(await abandonBody(server.url, '/run/event', '', true)).toMatch(/^HTTP\/1.1 401 /);
      expect(await abandonBody(server.url, '/me/installations', '', true)).toMatch(/^HTTP\/1.1 401 /);
      expect(await abandonBody(server.url, '/hooks/not-a-token', '', true)).toMatch(/^HTTP\/1.1 404 /);
      expect(await abandonBody(server.url, '/nowhere', key, true)).toMatch(/^HTTP\/1.1 404 /);
      // Let in, then left by their clients halfway through the body.
      await abandonBody(server.url, '/run/event', key, false);
      await abandonBody(server.url, '/users', key, false);
      await abandonBody(server.url, '/me/installations', `Authorization: Bearer ${token}\r\n`, false);
      await abandonBody(server.url, `/hooks/${hook}`, '', false);
    }
    const lines = () =>
      server
        .output()
        .slice(logged)
        .split('\n')
        .filter((line) => line.trim() !== '');
    const debugLine = /^ALLOY \d+: POST \S+: the connection closed before the request body ended/;
    await waitUntil(
      () => lines().filter((line) => debugLine.test(line)).length >= 4 * rounds,
      10_000,
      () => `the log so far:\n${lines().join('\n')}`,
      server,
    );
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    // One line per abandoned body that was read, none for those refused first; no 500, no stack.
    expect(lines().filter((line) => !debugLine.test(line))).toEqual([]);
    expect(lines()).toHaveLength(4 * rounds);
  });
});
