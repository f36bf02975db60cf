import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeBigCommerce, type FakeBigCommerce } from '../../../demo/fakes/bigcommerce';
import { startFakeSlack, type FakeSlack } from '../../../demo/fakes/slack';
import { apiRequestUrl, withHttpAction } from '../../../server/connectors/http-action';
import { findConnector, listConnectors } from '../../../server/connectors';
import type { ConnectorContext } from '../../../server/connectors/types';
import { NonRetriableError, RetryAfterError } from '../../../server/engine/errors';
import { connectorContext, connectorHttp, thrown } from '../../helpers/connector';

let slack: FakeSlack;
let bigcommerce: FakeBigCommerce;
const http = connectorHttp();
const SLACK_TOKEN = 'xoxb-111-222-secret';
const slackContext = (credential: Record<string, string> = { botToken: SLACK_TOKEN }) => connectorContext({ http, credential, apiUrls: { slack: slack.url } });
const storeContext = () => connectorContext({ http, credential: { storeHash: 'abc123', accessToken: 'bc-token' }, apiUrls: { bigcommerce: bigcommerce.url } });

/** Runs a connector's `http` action as an action block does: the input through its schema first. */
const call = (connector: string, input: unknown, ctx: ConnectorContext) => {
  const action = findConnector(connector)!.actions.http!;
  return action.run(action.input.parse(input), ctx) as Promise<{ status: number; headers: Record<string, string>; body: any }>;
};

beforeAll(async () => {
  slack = await startFakeSlack();
  bigcommerce = await startFakeBigCommerce();
});

afterAll(async () => {
  await Promise.all([slack.close(), bigcommerce.close()]);
});

beforeEach(() => {
  slack.requests.length = 0;
  slack.messages.length = 0;
  bigcommerce.requests.length = 0;
  bigcommerce.state.unavailable = false;
  bigcommerce.orders.set(100, { id: 100, status_id: 11, status: 'Awaiting Fulfillment' });
});

describe('the http action on Slack', () => {
  it('POSTs the JSON body to the path under the Slack base with the bot token, and answers status, headers and body', async () => {
    const out = await call('slack', { method: 'POST', path: '/chat.postMessage', body: { channel: 'C0GENERAL', text: 'Order 7 shipped' } }, slackContext());

    expect(slack.requests).toEqual([{ method: 'POST', path: '/api/chat.postMessage', query: {}, token: SLACK_TOKEN }]);
    expect(slack.messages).toEqual([{ channel: 'C0GENERAL', text: 'Order 7 shipped', token: SLACK_TOKEN }]);
    expect(out.status).toBe(200);
    expect(out.headers['content-type']).toMatch(/^application\/json/);
    expect(out.body).toMatchObject({ ok: true, channel: 'C0GENERAL', ts: expect.any(String) });
  });

  it('sends GET by default with the query, numbers and booleans as text', async () => {
    const out = await call('slack', { path: '/conversations.list', query: { limit: 1, exclude_archived: true, types: 'public_channel' } }, slackContext());

    expect(slack.requests).toEqual([
      { method: 'GET', path: '/api/conversations.list', query: { limit: '1', exclude_archived: 'true', types: 'public_channel' }, token: SLACK_TOKEN },
    ]);
    expect(out.body.channels).toHaveLength(1);
  });

  it("fails without retrying when Slack answers HTTP 200 with ok: false, in Slack's words", async () => {
    const err = await thrown(() => call('slack', { path: '/auth.test' }, slackContext({ botToken: 'not-a-slack-token' })));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toBe('Slack GET /auth.test: invalid_auth');
  });

  it("fails without retrying on a 4xx, with the app's message and no URL", async () => {
    const err = await thrown(() => call('slack', { method: 'POST', path: '/no.such.method' }, slackContext()));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toBe('Slack POST /no.such.method: HTTP 404 unknown_method');
    expect(slack.requests).toHaveLength(1);
  });

  it('retries after the Retry-After delay on a 429', async () => {
    slack.failNext('ratelimited', { retryAfter: '7' });

    const err = await thrown(() => call('slack', { path: '/auth.test' }, slackContext()));

    expect(err).toBeInstanceOf(RetryAfterError);
    expect((err as RetryAfterError).retryAfterMs).toBe(7000);
    expect(err.message).toBe('Slack GET /auth.test: HTTP 429 ratelimited');
  });

  it('retries on a 5xx', async () => {
    slack.failNext('service_unavailable', { status: 503 });

    const err = await thrown(() => call('slack', { path: '/auth.test' }, slackContext()));

    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err.message).toBe('Slack GET /auth.test: HTTP 503 service_unavailable');
  });

  it('refuses without calling Slack when the credential has no token', async () => {
    const err = await thrown(() => call('slack', { path: '/auth.test' }, slackContext({})));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/no bot or access token/);
    expect(slack.requests).toHaveLength(0);
  });
});

describe('the http action on BigCommerce', () => {
  it('reaches the path under /stores/{store_hash} with X-Auth-Token, JSON accepted, and the caller’s own headers', async () => {
    const out = await call('bigcommerce', { path: '/v2/store', headers: { 'X-Request-Id': 'req-1' } }, storeContext());

    const [req] = bigcommerce.requests;
    expect(req).toMatchObject({ method: 'GET', path: '/stores/abc123/v2/store', body: '' });
    expect(req!.headers).toMatchObject({ 'x-auth-token': 'bc-token', accept: 'application/json', 'x-request-id': 'req-1' });
    expect(out).toMatchObject({ status: 200, body: { id: 'abc123', name: 'Abc Outdoor Supply' } });
  });

  it('PUTs a JSON body', async () => {
    const out = await call('bigcommerce', { method: 'PUT', path: '/v2/orders/100', body: { status_id: 2 } }, storeContext());

    const [req] = bigcommerce.requests;
    expect(req).toMatchObject({ method: 'PUT', path: '/stores/abc123/v2/orders/100' });
    expect(req!.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(req!.body)).toEqual({ status_id: 2 });
    expect(out.body).toMatchObject({ id: 100, status_id: 2, status: 'Shipped' });
    expect(bigcommerce.orders.get(100)!.status_id).toBe(2);
  });

  it("fails without retrying on a 4xx in BigCommerce's words", async () => {
    const err = await thrown(() => call('bigcommerce', { method: 'PUT', path: '/v2/orders/999', body: { status_id: 2 } }, storeContext()));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toBe('BigCommerce PUT /v2/orders/999: HTTP 404 The requested resource was not found.');
  });

  it('retries after the Retry-After delay while the store is unavailable (503)', async () => {
    bigcommerce.state.unavailable = true;

    const err = await thrown(() => call('bigcommerce', { path: '/v2/store' }, storeContext()));

    expect(err).toBeInstanceOf(RetryAfterError);
    expect((err as RetryAfterError).retryAfterMs).toBe(30_000);
    expect(err.message).toBe('BigCommerce GET /v2/store: HTTP 503 Service Unavailable');
  });
});

describe('what the http action refuses', () => {
  const escapes = [
    '//evil.example/x',
    '/../x',
    '/v2/../../x',
    '/%2e%2e/x',
    '/v2/%2E%2E/%2e%2e/x',
    '/%252e%252e/x',
    'http://evil.example/x',
    'v2/store',
    '/\\evil.example',
    '/v2%5c..%5cx',
    '/v2/store?limit=1',
    '/a\r\nHost: evil',
    '/%0d%0aHost: evil',
    '/%zz',
  ];

  it.each(escapes)('refuses the path %j as input, naming path', (path) => {
    const parsed = findConnector('bigcommerce')!.actions.http!.input.safeParse({ path });

    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path)).toEqual([['path']]);
  });

  it.each(escapes)('refuses the path %j without a call when run directly, as a NonRetriableError naming path', async (path) => {
    const action = findConnector('bigcommerce')!.actions.http!;

    const err = await thrown(() => action.run({ method: 'GET', path }, storeContext()));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/: path ".*" (must|holds|is percent-encoded)/);
    expect(bigcommerce.requests).toHaveLength(0);
  });

  it.each([
    ['bigcommerce', 'X-Auth-Token', "the connection's credential authenticates the call"],
    ['slack', 'Authorization', "the connection's credential authenticates the call"],
    ['bigcommerce', 'Authorization', 'it belongs to the connection, not the call'],
    ['slack', 'Host', 'it belongs to the connection, not the call'],
    ['slack', 'Cookie', 'it belongs to the connection, not the call'],
    ['bigcommerce', 'Content-Length', 'it belongs to the connection, not the call'],
    ['slack', 'Transfer-Encoding', 'it belongs to the connection, not the call'],
  ])('refuses to let a %s call set the header %s, naming it', async (connector, header, why) => {
    const ctx = connector === 'slack' ? slackContext() : storeContext();

    const err = await thrown(() => call(connector, { path: '/v2/store', headers: { [header]: 'mine' } }, ctx));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toBe(`${connector === 'slack' ? 'Slack' : 'BigCommerce'} GET /v2/store: the header "${header}" cannot be set: ${why}`);
    expect([...slack.requests, ...bigcommerce.requests]).toHaveLength(0);
  });

  it('refuses a header value with a line break and a name that is no header name, as input', () => {
    const input = findConnector('slack')!.actions.http!.input;

    expect(input.safeParse({ path: '/auth.test', headers: { 'x-a': 'one\r\nHost: evil' } }).error!.issues.map((i) => i.path)).toEqual([['headers', 'x-a']]);
    expect(input.safeParse({ path: '/auth.test', headers: { 'x a': '1' } }).success).toBe(false);
    expect(input.safeParse({ path: '/auth.test', method: 'TRACE' }).success).toBe(false);
  });
});

describe('the URL of a proxied call', () => {
  it('is built under the base with the URL API: encoded, with the query appended', () => {
    expect(apiRequestUrl('https://api.example.com/stores/abc', '/v3/a b/ü', { q: 'x y', n: 2 }).href).toBe('https://api.example.com/stores/abc/v3/a%20b/%C3%BC?q=x+y&n=2');
    expect(apiRequestUrl('https://slack.com/api/', '/auth.test').href).toBe('https://slack.com/api/auth.test');
    expect(apiRequestUrl('https://api.example.com', '/v1/x').href).toBe('https://api.example.com/v1/x');
  });

  it('refuses a base that is not a URL (an app whose API URL is not configured)', () => {
    expect(() => apiRequestUrl('undefined/stores/abc', '/v2/store')).toThrow(NonRetriableError);
  });
});

describe('the response headers of a proxied call', () => {
  let echo: ReturnType<typeof createServer>;
  let url: string;
  beforeAll(async () => {
    // An app that sets a session cookie and echoes the token it got in a header of its answer.
    echo = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'session=abc; HttpOnly', 'x-echo': String(req.headers.authorization), 'x-request-id': 'r-1' });
      res.end(JSON.stringify({ ok: true }));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/api`;
  });
  afterAll(async () => {
    await new Promise((resolve) => echo.close(resolve));
  });

  it('leave out cookies and hide a credential the app echoes', async () => {
    const out = await call('slack', { path: '/auth.test' }, connectorContext({ http, credential: { botToken: SLACK_TOKEN }, apiUrls: { slack: url } }));

    expect(out.headers['set-cookie']).toBeUndefined();
    expect(out.headers['x-echo']).toBe('Bearer [redacted]');
    expect(out.headers['x-request-id']).toBe('r-1');
    expect(JSON.stringify(out)).not.toContain(SLACK_TOKEN);
  });
});

describe('the registry', () => {
  it('gives the http action to every connector with an api, and to no other', () => {
    const withHttp = listConnectors()
      .filter((c) => Object.hasOwn(c.actions, 'http'))
      .map((c) => c.id);

    expect(withHttp).toEqual(
      listConnectors()
        .filter((c) => c.api)
        .map((c) => c.id),
    );
    expect(withHttp).toEqual(expect.arrayContaining(['slack', 'bigcommerce']));
    expect(withHttp).not.toContain('netsuite');
  });

  it("keeps a connector's own action named http", () => {
    const own = findConnector('slack')!.actions.postMessage!;
    const connector = { ...findConnector('slack')!, actions: { http: own } };

    expect(withHttpAction(connector).actions.http).toBe(own);
  });
});
