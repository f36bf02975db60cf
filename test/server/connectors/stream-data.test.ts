import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { streamData } from '../../../server/connectors/stream-data';
import { NonRetriableError, RetryAfterError } from '../../../server/engine/errors';
import { createHttpClient, retryAfterMs } from '../../../server/engine/http';
import { assertPublicUrl, isPrivateAddress } from '../../../server/engine/url-guard';
import { verifyWebhook } from '../../../server/engine/webhook-signature';
import { startSink } from '../../../demo/fakes/sink';
import { connectorContext, connectorHttp, thrown } from '../../helpers/connector';

type Sink = Awaited<ReturnType<typeof startSink>>;

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const http = connectorHttp();
const context = (allowPrivateUrls = true) => connectorContext({ http, webhookSecret: secret, allowPrivateUrls });

const post = (input: unknown, ctx = context()) => streamData.actions.post!.run(streamData.actions.post!.input.parse(input), ctx);

describe('Stream Data post', () => {
  let sink: Sink;

  beforeEach(async () => {
    sink = await startSink();
  });

  afterEach(async () => {
    await sink.close();
  });

  it('POSTs the body as JSON signed with Standard Webhooks headers whose webhook-id is the delivery id', async () => {
    const body = { orderId: 1001, lines: [{ sku: 'A-1', qty: 2 }], note: 'ünïcødé' };

    const out = await post({ url: `${sink.url}/hooks/orders`, body });

    expect(out).toEqual({ status: 200, body: { received: true } });
    expect(sink.deliveries).toHaveLength(1);
    const [d] = sink.deliveries;
    expect(d!.path).toBe('/hooks/orders');
    expect(d!.json).toEqual(body);
    expect(d!.headers['content-type']).toBe('application/json');
    expect(d!.headers['webhook-id']).toBe('exec1_block1');
    expect(verifyWebhook(secret, d!.headers as Record<string, string>, d!.body)).toBe(true);
    // Checked against a different secret or a different body, the same signature fails.
    expect(verifyWebhook(`whsec_${randomBytes(24).toString('base64')}`, d!.headers as Record<string, string>, d!.body)).toBe(false);
    expect(verifyWebhook(secret, d!.headers as Record<string, string>, d!.body.replace('1001', '1002'))).toBe(false);
  });

  it('passes custom headers through but never lets them replace the signature or the content type', async () => {
    await post({ url: sink.url, body: { a: 1 }, headers: { 'x-tenant': 'acme', 'webhook-id': 'forged', 'content-type': 'text/plain' } });

    const [d] = sink.deliveries;
    expect(d!.headers['x-tenant']).toBe('acme');
    expect(d!.headers['webhook-id']).toBe('exec1_block1');
    expect(d!.headers['content-type']).toBe('application/json');
    expect(verifyWebhook(secret, d!.headers as Record<string, string>, d!.body)).toBe(true);
  });

  it('retries when the destination answers 503, honouring its Retry-After', async () => {
    sink.failNext(1, 503, { 'retry-after': '7' });

    const err = await thrown(() => post({ url: sink.url, body: { a: 1 } }));

    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err.message).toMatch(/HTTP 503/);
    expect((err as RetryAfterError).retryAfterMs).toBe(7000);
  });

  it('fails without retrying when the destination answers 400', async () => {
    sink.failNext(1, 400);

    const err = await thrown(() => post({ url: sink.url, body: { a: 1 } }));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/HTTP 400/);
  });

  it('retries when the destination resets the connection', async () => {
    sink.failNext(1, 0);

    const err = await thrown(() => post({ url: sink.url, body: { a: 1 } }));

    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err.message).toMatch(new RegExp(`^POST ${sink.url.replace(/\./g, '\\.')}/: `));
  });

  it('sends the same webhook-id on a retry of the same delivery, so the receiver can drop the duplicate', async () => {
    sink.failNext(1, 0);
    await expect(post({ url: sink.url, body: { a: 1 } })).rejects.toBeInstanceOf(RetryAfterError);

    await post({ url: sink.url, body: { a: 1 } });

    expect(sink.deliveries.map((d) => d.headers['webhook-id'])).toEqual(['exec1_block1']);
  });

  it.each([
    ['127.0.0.1 (loopback)', () => sink.url],
    ['localhost', () => sink.url.replace('127.0.0.1', 'localhost')],
    ['169.254.169.254 (cloud metadata)', () => 'http://169.254.169.254/latest/meta-data/'],
    ['[::1] (IPv6 loopback)', () => 'http://[::1]/'],
    ['[::ffff:127.0.0.1] (IPv4-mapped loopback)', () => 'http://[::ffff:127.0.0.1]/'],
    ['10.1.2.3 (private network)', () => 'http://10.1.2.3:8080/hook'],
  ])('refuses a URL to %s unless private URLs are allowed, naming ALLOY_ALLOW_PRIVATE_URLS', async (_what, url) => {
    const err = await thrown(() => post({ url: url(), body: { a: 1 } }, context(false)));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/resolves to a private address/);
    expect(err.message).toMatch(/ALLOY_ALLOW_PRIVATE_URLS=true/);
    expect(sink.deliveries).toHaveLength(0);
  });

  it('refuses a URL that is not http or https, even when private URLs are allowed', async () => {
    const err = await thrown(() => post({ url: 'ftp://x', body: {} }));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toBe('Only http and https URLs are allowed, not ftp:');
  });

  it('refuses something that is not a URL', async () => {
    const err = await thrown(() => post({ url: 'not a url', body: {} }));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/is not a valid URL/);
  });
});

describe('isPrivateAddress', () => {
  it.each([
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '127.0.0.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:10.0.0.1',
    '::ffff:7f00:1',
  ])('calls %s private', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('calls %s public', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });

  it('calls something that is not an IP address private, to be safe', () => {
    expect(isPrivateAddress('example.com')).toBe(true);
  });

  it('lets a public IP URL through without a DNS lookup', async () => {
    await expect(assertPublicUrl('https://8.8.8.8/hook', false)).resolves.toBeInstanceOf(URL);
  });
});

describe('the HTTP client', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      switch (new URL(req.url ?? '/', 'http://x').pathname) {
        case '/big':
          return res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(2048));
        case '/hang':
          return; // never answers
        case '/stall-body':
          res.writeHead(200, { 'content-type': 'application/json' });
          return res.write('{"partial":'); // headers and a first chunk, then nothing
        case '/reset-body':
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
          res.write('only part of it');
          return void setTimeout(() => req.socket.destroy(), 20);
        case '/bad-json':
          return res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end('<html>gateway</html>');
        case '/text':
          return res.writeHead(200, { 'content-type': 'text/plain' }).end('{"not":"parsed"}');
        case '/redirect':
          return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        case '/slow-down':
          return res.writeHead(429, { 'retry-after': new Date(Date.now() + 60_000).toUTCString() }).end();
        case '/gone':
          return res.writeHead(410).end();
        default:
          return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fails without retrying when the response is larger than maxResponseBytes', async () => {
    const client = createHttpClient({ timeoutMs: 2000, maxResponseBytes: 1000, allowPrivate: true });
    try {
      const err = await thrown(() => client.send({ url: `${base}/big` }));
      expect(err).toBeInstanceOf(NonRetriableError);
      expect(err.message).toBe(`GET ${base}/big: the response is larger than 1000 bytes`);
    } finally {
      await client.close();
    }
  });

  it('retries, naming the timeout, when the server never answers', async () => {
    const client = createHttpClient({ timeoutMs: 300, maxResponseBytes: 1000, allowPrivate: true });
    try {
      const started = Date.now();
      const err = await thrown(() => client.send({ url: `${base}/hang` }));
      expect(err).toBeInstanceOf(RetryAfterError);
      expect(err.message).toBe(`GET ${base}/hang: no answer within 300 ms`);
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await client.close();
    }
  });

  it('retries, naming the timeout, when the server sends headers but stalls the body', async () => {
    const client = createHttpClient({ timeoutMs: 300, maxResponseBytes: 1000, allowPrivate: true });
    try {
      const err = await thrown(() => client.send({ url: `${base}/stall-body` }));
      expect(err).toBeInstanceOf(RetryAfterError);
      expect(err.message).toBe(`GET ${base}/stall-body: no answer within 300 ms`);
    } finally {
      await client.close();
    }
  });

  it('retries when the connection drops halfway through the body', async () => {
    const err = await thrown(() => http.send({ url: `${base}/reset-body` }));

    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err.message).toMatch(new RegExp(`^GET ${base.replace(/\./g, '\\.')}/reset-body: `));
  });

  it('retries when a response that says it is JSON is not', async () => {
    const err = await thrown(() => http.send({ url: `${base}/bad-json` }));

    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err.message).toMatch(/the response says JSON but is not \(<html>gateway<\/html>\)/);
  });

  it('parses JSON responses and leaves other ones as text', async () => {
    await expect(http.send({ url: `${base}/ok` })).resolves.toMatchObject({ status: 200, body: { ok: true } });
    await expect(http.send({ url: `${base}/text` })).resolves.toMatchObject({ status: 200, body: '{"not":"parsed"}' });
  });

  it('does not follow a redirect, so a public URL cannot bounce a call to a private address', async () => {
    const res = await http.send({ url: `${base}/redirect` });

    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('http://169.254.169.254/latest/meta-data/');
  });

  it('retries a 429 after its Retry-After date', async () => {
    const err = await thrown(() => http.send({ url: `${base}/slow-down` }));

    expect(err).toBeInstanceOf(RetryAfterError);
    expect((err as RetryAfterError).retryAfterMs).toBeGreaterThan(55_000);
    expect((err as RetryAfterError).retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('fails without retrying on another 4xx', async () => {
    const err = await thrown(() => http.send({ method: 'DELETE', url: `${base}/gone?token=secret` }));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toBe(`DELETE ${base}/gone: HTTP 410`);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');

  it('reads Retry-After given in seconds', () => {
    expect(retryAfterMs('1', now)).toBe(1000);
    expect(retryAfterMs('120', now)).toBe(120_000);
    expect(retryAfterMs(['3', '9'], now)).toBe(3000);
  });

  it('reads Retry-After given as an HTTP date, never below zero', () => {
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:00:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unreadable Retry-After', () => {
    expect(retryAfterMs(undefined, now)).toBeUndefined();
    expect(retryAfterMs('', now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});
