import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSink } from '../../../demo/fakes/sink';
import { startFakeSlack, type FakeSlack } from '../../../demo/fakes/slack';
import { netsuite } from '../../../server/connectors/netsuite';
import { streamData } from '../../../server/connectors/stream-data';
import { buildDefinitions } from '../../../server/definitions/load';
import { NonRetriableError, RetryAfterError } from '../../../server/engine/errors';
import { createHttpClient } from '../../../server/engine/http';
import { guardedLookup, isPrivateAddress, setResolver, type Resolver } from '../../../server/engine/url-guard';
import { connectorContext, connectorHttp, thrown } from '../../helpers/connector';
import { acmeIntegration, demoIntegrations } from '../../helpers/definitions';
import { installHeadless, installSlack, ticket } from '../../helpers/flows';
import { createUser, startTestServer, storeKind, type TestServer, waitForExecution } from '../../helpers/server';
import { captureLogs } from '../../helpers/logs';

/** An HTTP server on 127.0.0.1 that counts what reaches it: the private target an attacker wants. */
async function startTarget(handler?: (path: string) => { status: number; headers?: Record<string, string> } | undefined) {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '/');
    const planned = handler?.(req.url ?? '/');
    res.writeHead(planned?.status ?? 200, { 'content-type': 'application/json', ...planned?.headers }).end('{"secret":"metadata"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
type Target = Awaited<ReturnType<typeof startTarget>>;

/** A resolver that answers from `table` (a list: one answer per call, the last one repeated) and counts calls. */
function fakeDns(table: Record<string, string[][]>) {
  const calls: string[] = [];
  const resolve: Resolver = async (host) => {
    calls.push(host);
    const answers = table[host];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    const n = calls.filter((h) => h === host).length;
    const pick = answers[Math.min(n, answers.length) - 1]!;
    return pick.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  setResolver(resolve);
  return { calls };
}

afterEach(() => setResolver(undefined));

describe('private addresses, however they are written', () => {
  it.each([
    ['0.0.0.0', 'this host'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
    ['::7f00:1', 'IPv4-compatible loopback'],
    ['169.254.169.254', 'cloud metadata'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['fc00::1', 'unique local'],
    ['fdff:ffff::1', 'unique local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local with a zone'],
    ['febf::1', 'link-local, top of fe80::/10'],
    ['64:ff9b::7f00:1', 'NAT64 of 127.0.0.1'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of 169.254.169.254'],
    ['64:ff9b:1::7f00:1', 'local-use NAT64'],
    ['64:ff9b:1:ffff::808:808', 'local-use NAT64, whatever it embeds'],
    ['::ffff:0:7f00:1', 'IPv4-translated 127.0.0.1'],
    ['::ffff:0:10.0.0.1', 'IPv4-translated 10.0.0.1, dotted'],
    ['2002:a00:1::1', '6to4 of 10.0.0.1'],
    ['2001:0:4136:e378::1', 'Teredo'],
    ['255.255.255.255', 'broadcast'],
  ])('%s (%s) is private', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['93.184.216.34', '64:ff9b::808:808', '::ffff:0:808:808', '2002:808:808::1', '2606:4700::1111'])('%s is public', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

describe('the outbound HTTP client, refusing private addresses (ALLOY_ALLOW_PRIVATE_URLS unset)', () => {
  let target: Target;
  // As the engine builds it (server/engine/index.ts).
  const client = createHttpClient({ timeoutMs: 1000, maxResponseBytes: 100_000, allowPrivate: false, trustedOrigins: ['https://slack.com/api'] });
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await client.close();
    await target.close();
  });
  beforeEach(() => {
    target.hits.length = 0;
  });

  it.each([
    ['http://127.0.0.1:PORT/', 'loopback'],
    ['http://2130706433:PORT/', 'decimal IPv4'],
    ['http://0x7f.1:PORT/', 'hex and short IPv4'],
    ['http://017700000001:PORT/', 'octal IPv4'],
    ['http://127.1:PORT/', 'short IPv4'],
    ['http://0.0.0.0:PORT/', '0.0.0.0, which reaches this machine'],
    ['http://[::]:PORT/', '[::]'],
    ['http://[::ffff:127.0.0.1]:PORT/', 'IPv4-mapped IPv6'],
    ['http://localhost:PORT/', 'localhost'],
    ['http://LOCALHOST.:PORT/', 'localhost, upper case with a trailing dot'],
    ['http://sink.localhost:PORT/', 'a *.localhost name'],
    ['http://169.254.169.254/latest/meta-data/', 'cloud metadata'],
    ['http://100.64.0.1/', 'carrier-grade NAT'],
    ['http://[fc00::1]/', 'unique local IPv6'],
    ['http://[fe80::1]/', 'link-local IPv6'],
  ])('refuses %s (%s) without connecting, and does not retry', async (spelling) => {
    const url = spelling.replace('PORT', String(target.port));
    const err = await thrown(() => client.send({ method: 'POST', url, body: { a: 1 } }));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/resolves to a private address \(.+\); set ALLOY_ALLOW_PRIVATE_URLS=true to allow it$/);
    expect(target.hits).toEqual([]);
  });

  it('reaches the same target when the request may (the refusal is the guard, not the network)', async () => {
    await expect(client.send({ url: `http://0.0.0.0:${target.port}/`, allowPrivate: true })).resolves.toMatchObject({ status: 200 });
    expect(target.hits).toEqual(['/']);
  });

  it('refuses private addresses on a client created without allowPrivate: the default is the safe one', async () => {
    const plain = createHttpClient({ timeoutMs: 1000, maxResponseBytes: 100_000 });
    try {
      const err = await thrown(() => plain.send({ url: `${target.url}/` }));
      expect(err).toBeInstanceOf(NonRetriableError);
      expect(err.message).toBe(`GET ${target.url}/: 127.0.0.1:${target.port} resolves to a private address (127.0.0.1); set ALLOY_ALLOW_PRIVATE_URLS=true to allow it`);
      expect(target.hits).toEqual([]);
    } finally {
      await plain.close();
    }
  });

  it('refuses a name whose DNS answer is private, naming the address', async () => {
    const dns = fakeDns({ 'hooks.example.com': [['10.0.0.7']] });
    const err = await thrown(() => client.send({ url: `http://hooks.example.com:${target.port}/` }));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toBe(
      `GET http://hooks.example.com:${target.port}/: hooks.example.com resolves to a private address (10.0.0.7); set ALLOY_ALLOW_PRIVATE_URLS=true to allow it`,
    );
    expect(dns.calls).toEqual(['hooks.example.com']);
  });

  it.each([
    [['93.184.216.34', '127.0.0.1'], '127.0.0.1'],
    [['::ffff:127.0.0.1'], '::ffff:127.0.0.1'],
    [['2606:4700::1111', 'fd00::1'], 'fd00::1'],
  ])('refuses a name that resolves to %j, one private address being enough', async (answer, bad) => {
    fakeDns({ 'mixed.example.com': [answer] });
    const err = await thrown(() => client.send({ url: `http://mixed.example.com:${target.port}/` }));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toContain(`private address (${bad})`);
    expect(target.hits).toEqual([]);
  });

  it('resolves a name once per connection and connects where it checked: a rebinding answer is never used unchecked', async () => {
    // First answer public, every later one 127.0.0.1: a second lookup by the socket would land on the target.
    const dns = fakeDns({ 'rebind.example.com': [['93.184.216.34'], ['127.0.0.1']] });
    // The client's own lookup (guardedLookup), watched: what it hands the socket is recorded, and a
    // public address is swapped for 127.0.0.2, where nothing listens on the target's port (the target
    // listens on 127.0.0.1 only), so no packet leaves this machine.
    const handed: string[] = [];
    const stayHome = (address: string) => (handed.push(address), isPrivateAddress(address) ? address : '127.0.0.2');
    const watched = createHttpClient({
      timeoutMs: 1000,
      maxResponseBytes: 100_000,
      allowPrivate: false,
      lookup: (host, options, callback) =>
        guardedLookup(host, options, (err, address, family) => {
          if (err) return callback(err, address, family);
          if (typeof address === 'string') return callback(null, stayHome(address), family);
          callback(
            null,
            address.map((a) => ({ ...a, address: stayHome(a.address) })),
          );
        }),
    });
    try {
      const err = await thrown(() => watched.send({ url: `http://rebind.example.com:${target.port}/` }));
      // The socket was handed the checked public answer and connected there (refused: nothing
      // listens), not to the target a second lookup would have named.
      expect(handed).toEqual(['93.184.216.34']);
      expect(err).toBeInstanceOf(RetryAfterError);
      expect(err.message).toBe(`GET http://rebind.example.com:${target.port}/: connection refused`);
      expect(dns.calls).toEqual(['rebind.example.com']);
      expect(target.hits).toEqual([]);
      // The next connection resolves again, gets the private answer, and is refused.
      const again = await thrown(() => watched.send({ url: `http://rebind.example.com:${target.port}/` }));
      expect(again).toBeInstanceOf(NonRetriableError);
      expect(again.message).toContain('private address (127.0.0.1)');
      expect(dns.calls).toEqual(['rebind.example.com', 'rebind.example.com']);
      expect(handed).toEqual(['93.184.216.34']);
      expect(target.hits).toEqual([]);
    } finally {
      await watched.close();
    }
  });

  it('does not retry a name that does not exist, and retries a DNS failure that may pass', async () => {
    fakeDns({});
    const missing = await thrown(() => client.send({ url: 'https://no-such-host.example.com/hook' }));
    expect(missing).toBeInstanceOf(NonRetriableError);
    expect(missing.message).toBe('GET https://no-such-host.example.com/hook: no-such-host.example.com does not resolve (ENOTFOUND)');
    setResolver(async () => {
      throw Object.assign(new Error('getaddrinfo EAI_AGAIN flaky.example.com'), { code: 'EAI_AGAIN' });
    });
    const flaky = await thrown(() => client.send({ url: 'https://flaky.example.com/hook' }));
    expect(flaky).toBeInstanceOf(RetryAfterError);
    expect(flaky.message).toBe('GET https://flaky.example.com/hook: DNS lookup of flaky.example.com failed (EAI_AGAIN)');
  });

  it('lets the operator’s own API origins through (SLACK_API_URL and the like) and nothing else on that host', async () => {
    const trusting = createHttpClient({ timeoutMs: 1000, maxResponseBytes: 100_000, allowPrivate: false, trustedOrigins: [`${target.url}/api`] });
    try {
      await expect(trusting.send({ url: `${target.url}/api/chat.postMessage` })).resolves.toMatchObject({ status: 200 });
      // Another port of the same host is another origin: refused.
      await expect(trusting.send({ url: 'http://127.0.0.1:1/' })).rejects.toThrow(/private address/);
      // A request that says it must not reach a private address is refused even there (a Stream Data URL).
      await expect(trusting.send({ url: `${target.url}/api/x`, allowPrivate: false })).rejects.toThrow(/private address/);
      expect(target.hits).toEqual(['/api/chat.postMessage']);
    } finally {
      await trusting.close();
    }
  });
});

describe('guardedLookup, the lookup the client connects with', () => {
  const lookupOnce = (host: string, options: { all?: boolean; family?: number }) =>
    new Promise<{ err: Error | null; address: unknown; family?: number }>((resolve) =>
      guardedLookup(host, options as never, (err, address, family) => resolve({ err, address, family })),
    );

  it('hands the socket exactly the addresses it checked, all of them or the first of the family asked for', async () => {
    const dns = fakeDns({ 'api.example.com': [['93.184.216.34', '2606:2800:220:1::1']] });
    expect(await lookupOnce('api.example.com', { all: true })).toEqual({
      err: null,
      address: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::1', family: 6 },
      ],
      family: undefined,
    });
    expect(await lookupOnce('api.example.com', { family: 6 })).toEqual({ err: null, address: '2606:2800:220:1::1', family: 6 });
    expect(dns.calls).toEqual(['api.example.com', 'api.example.com']);
  });

  it('fails the connection, without retry, on a private answer', async () => {
    fakeDns({ 'inside.example.com': [['192.168.1.10']] });
    const { err } = await lookupOnce('inside.example.com', { all: true });
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err!.message).toContain('private address (192.168.1.10)');
  });
});

describe('Stream Data and connectors whose host a user can influence', () => {
  let target: Target;
  const http = connectorHttp(); // a permissive client: the connector's own setting decides
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(() => target.close());
  beforeEach(() => {
    target.hits.length = 0;
  });

  it('Stream Data checks the address it connects to, even on a client that would allow it', async () => {
    fakeDns({ 'hooks.example.com': [['127.0.0.1']] });
    const ctx = connectorContext({ http, allowPrivateUrls: false });
    const post = streamData.actions.post!;
    const err = await thrown(() => post.run(post.input.parse({ url: `http://hooks.example.com:${target.port}/orders`, body: { a: 1 } }), ctx));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/hooks\.example\.com resolves to a private address \(127\.0\.0\.1\)/);
    expect(target.hits).toEqual([]);
  });

  it('NetSuite: an account id cannot steer the call to a private address', async () => {
    // As the engine's client: NETSUITE_API_URL unset, so the host comes from the user's account id.
    const guarded = createHttpClient({ timeoutMs: 1000, maxResponseBytes: 100_000, allowPrivate: false, trustedOrigins: [] });
    fakeDns({ 'acme.suitetalk.api.netsuite.com': [['10.20.30.40']] });
    const run = (accountId: string) => {
      const ctx = connectorContext({ http: guarded, allowPrivateUrls: false, credential: { accountId, consumerKey: 'ck', consumerSecret: 'cs', tokenId: 't', tokenSecret: 'ts' } });
      const action = netsuite.actions.createInvoice!;
      return thrown(() => action.run(action.input.parse({ externalId: 'e', invoiceNumber: 'I-1', amount: 1, subsidiary: '1', customer: '2', item: '3' }), ctx));
    };
    try {
      const byDns = await run('ACME');
      expect(byDns).toBeInstanceOf(NonRetriableError);
      expect(byDns.message).toContain('private address (10.20.30.40)');
      // An id that is not one (a host, a path) is refused before any lookup (and when it is entered).
      const byUrl = await run('169.254.169.254/latest/meta-data#');
      expect(byUrl).toBeInstanceOf(NonRetriableError);
      expect(byUrl.message).toContain('must be a NetSuite account id');
    } finally {
      await guarded.close();
    }
  });
});

describe('redirects are not followed', () => {
  let target: Target;
  let bouncer: Target;
  const http = connectorHttp();
  beforeAll(async () => {
    target = await startTarget();
    // A destination that answers every call with a redirect to the private target.
    bouncer = await startTarget(() => ({ status: 302, headers: { location: `${target.url}/latest/meta-data/?token=x` } }));
  });
  afterAll(async () => {
    await bouncer.close();
    await target.close();
  });

  it('the client hands back the 302 and never calls where it points', async () => {
    const res = await http.send({ url: `${bouncer.url}/hook` });
    expect(res.status).toBe(302);
    expect(target.hits).toEqual([]);
  });

  it('Stream Data fails a redirect without retrying, saying where it pointed (no query string)', async () => {
    const post = streamData.actions.post!;
    const err = await thrown(() => post.run(post.input.parse({ url: `${bouncer.url}/hook`, body: { a: 1 } }), connectorContext({ http })));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toBe(`POST ${bouncer.url}/hook: HTTP 302 redirect to ${target.url}/latest/meta-data/ not followed; use the final URL`);
    expect(target.hits).toEqual([]);
  });
});

describe(`through the engine, private URLs not allowed (${storeKind})`, () => {
  let server: TestServer;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let errorSink: Awaited<ReturnType<typeof startSink>>;
  let slack: FakeSlack;
  let userId: string;

  beforeEach(async () => {
    sink = await startSink();
    errorSink = await startSink();
    slack = await startFakeSlack();
    slack.channels = [{ id: 'C123', name: 'support' }];
    server = await startTestServer({
      env: { WORKERS: 'on', RETRY_SCHEDULE: '20,20', SLACK_API_URL: slack.url, ALLOY_ERROR_WEBHOOK_URL: `${errorSink.url}/errors` },
      definitions: () =>
        buildDefinitions([
          ...demoIntegrations().filter((i) => i.id === 'slack'),
          acmeIntegration([
            {
              id: 'forward',
              name: 'Forward to a URL the user sets',
              version: 1,
              trigger: { type: 'customEvent', event: 'Record Saved', schema: { recordId: 'String' } },
              blocks: [{ id: 'post', connector: 'streamData', action: 'post', input: { url: '{{config.url}}', body: { id: '{{event.recordId}}' } } }],
              fields: [{ name: 'url', label: 'Endpoint URL', type: 'text', required: true }],
            },
          ]),
        ]),
    });
    userId = await createUser(server, 'mallory');
  });
  afterEach(async () => {
    await server.close();
    await Promise.all([sink.close(), errorSink.close(), slack.close()]);
  });

  const executionWith = (workflowId: string, executionId: string, status: string) => waitForExecution(server, userId, workflowId, executionId, status);

  it.each([
    ['a decimal IP of this machine', (port: number) => `http://2130706433:${port}/steal`],
    ['a name that resolves inside', (port: number) => `http://hooks.example.com:${port}/steal`],
  ])('fails a Stream Data URL set to %s for good, logs why, and does not send the error webhook there either', async (_what, url) => {
    fakeDns({ 'hooks.example.com': [['127.0.0.1']] });
    const logs = captureLogs();
    try {
      await installHeadless(server, userId, 'acme', { workflowIds: ['forward'], data: { url: url(Number(new URL(sink.url).port)) } });
      const res = await server.request('POST', '/run/event', { body: { event: 'Record Saved', userId, data: { recordId: 'r1' } } });
      const execution = await executionWith('forward', res.body.executionIds[0], 'failed');
      expect(execution.attempts).toBe(1);
      expect(execution.error).toMatch(/resolves to a private address \(127\.0\.0\.1\); set ALLOY_ALLOW_PRIVATE_URLS=true/);
      const errors = await server.request('GET', `/workflows/forward/errors?userId=${userId}`);
      expect(errors.body.data[0].message).toBe(execution.error);
      // The error webhook (ALLOY_ERROR_WEBHOOK_URL on 127.0.0.1) is held to the same rule.
      await vi.waitFor(
        () => expect(logs.messages('warn').join('\n')).toMatch(/error webhook: giving up on err_\w+ after 1 try \(POST http:\/\/127\.0\.0\.1:\d+\/errors: .*private address/),
        { timeout: 3000 },
      );
      expect(sink.deliveries).toEqual([]);
      expect(errorSink.deliveries).toEqual([]);
    } finally {
      logs.restore();
    }
  });

  it('still reaches an app API the operator pointed at a private address (SLACK_API_URL)', async () => {
    await installSlack(server, userId, 'C123');
    const res = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    await executionWith('slack-ticket-created', res.body.executionIds[0], 'succeeded');
    expect(slack.messages).toHaveLength(1);
  });
});
