import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { slack } from '../../../server/connectors/slack';
import { buildDefinitions } from '../../../server/definitions/load';
import { NonRetriableError, RetryAfterError } from '../../../server/engine/errors';
import { createHttpClient } from '../../../server/engine/http';
import { connectorContext, thrown } from '../../helpers/connector';
import { demoIntegrations, orderStreamIntegration } from '../../helpers/definitions';
import { installHeadless, installSlack, ticket } from '../../helpers/flows';
import { createUser, startTestServer, storeKind, type TestServer, waitForExecution } from '../../helpers/server';

// What a destination can do wrong, beyond a plain error status (covered in delivery.test.ts and
// connectors/stream-data.test.ts): never answer, answer too slowly, drop the connection before or
// during its answer, answer HTML or truncated JSON where JSON was promised.
type Fault =
  | 'hang'
  | 'drip'
  | 'reset'
  | 'reset-mid-body'
  | 'html-200'
  | 'html-502'
  | 'truncated-json-200'
  | 'html-as-json-200'
  | 'html-as-json-400'
  | 'busy-for-ages'
  | 'nul-in-502'
  | 'slack-long-error'
  | 'huge-200'
  | 'deep-200'
  | 'ok';

function misbehave(fault: Fault, req: IncomingMessage, res: ServerResponse, ok: () => void): void {
  switch (fault) {
    case 'hang':
      return;
    case 'drip': {
      // Headers, then a byte now and then, never the end: each read is quick, the whole is not.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{');
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
      return;
    }
    case 'reset':
      return void req.socket.destroy();
    case 'reset-mid-body':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"ok":true,"channel":"C1","ts":"1');
      return void setTimeout(() => req.socket.destroy(), 20);
    case 'html-200':
      return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Slack is down for maintenance</body></html>');
    case 'html-502':
      return void res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
    case 'truncated-json-200':
      return void res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end('{"ok":true,"channel":"C1","ts":"17');
    case 'html-as-json-200':
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('<html>Thanks!</html>');
    case 'html-as-json-400':
      return void res.writeHead(400, { 'content-type': 'application/json' }).end('<html>Bad request</html>');
    case 'busy-for-ages':
      // A Retry-After far past any date a database column or JavaScript can hold.
      return void res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '99999999999999999999' }).end('{"error":"slow down"}');
    case 'nul-in-502':
      // A NUL byte, which PostgreSQL's text columns cannot hold, in what the error log quotes.
      return void res.writeHead(502, { 'content-type': 'text/plain' }).end('upstream\u0000down');
    case 'slack-long-error':
      // Slack's envelope with an error string of 100,000 characters, which the logs would quote whole.
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: 'x'.repeat(100_000) }));
    case 'huge-200':
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(100_000));
    case 'deep-200':
      // 12 KB that JSON.parse takes and JSON.stringify cannot give back (out of stack).
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(`${'['.repeat(6000)}${']'.repeat(6000)}`);
    case 'ok':
      return ok();
  }
}

/**
 * A destination on 127.0.0.1 that plays the planned faults in order, then answers normally; it
 * speaks enough of Slack's Web API (chat.postMessage, conversations.list) to stand in for it.
 */
async function startFaultyDestination() {
  const plan: Fault[] = [];
  const received: Array<{ path: string; body: string }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      if (path.startsWith('/api/conversations.list')) {
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok: true, channels: [{ id: 'C123', name: 'support' }], response_metadata: { next_cursor: '' } }));
      }
      received.push({ path, body: Buffer.concat(chunks).toString('utf8') });
      misbehave(plan.shift() ?? 'ok', req, res, () =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(path.startsWith('/api/') ? '{"ok":true,"channel":"C123","ts":"1.000001"}' : '{"received":true}'),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    /** The next requests (other than channel lists) get these faults, one each. */
    next: (...faults: Fault[]) => void plan.push(...faults),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
type Destination = Awaited<ReturnType<typeof startFaultyDestination>>;

const TIMEOUT_MS = 300;
const RETRY_AFTER_MAX_MS = 200;

describe('the HTTP client on a faulty destination', () => {
  let dest: Destination;
  const client = createHttpClient({ timeoutMs: TIMEOUT_MS, maxResponseBytes: 100_000, allowPrivate: true });
  beforeAll(async () => {
    dest = await startFaultyDestination();
  });
  afterAll(async () => {
    await client.close();
    await dest.close();
  });

  it.each<[Fault, RegExp]>([
    ['drip', new RegExp(`^POST URL/hook: no answer within ${TIMEOUT_MS} ms$`)],
    ['reset', /^POST URL\/hook: connection reset before an answer \(.+\)$/],
    ['reset-mid-body', /^POST URL\/hook: connection reset while reading the response \(.+\)$/],
    ['html-502', /^POST URL\/hook: HTTP 502 — <html><body>502 Bad Gateway<\/body><\/html>$/],
    ['truncated-json-200', /^POST URL\/hook: invalid JSON in the HTTP 200 answer: the response says JSON but is not \(\{"ok":true,"channel":"C1","ts":"17\)$/],
    ['html-as-json-200', /^POST URL\/hook: invalid JSON in the HTTP 200 answer: the response says JSON but is not \(<html>Thanks!<\/html>\)$/],
  ])('retries on %s, saying what happened', async (fault, message) => {
    dest.next(fault);
    const started = Date.now();
    const err = await thrown(() => client.send({ method: 'POST', url: `${dest.url}/hook`, body: { a: 1 } }));
    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err.message).toMatch(new RegExp(message.source.replace('URL', dest.url.replace(/\./g, '\\.'))));
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1000);
  });

  it('retries when nothing listens, saying the connection was refused', async () => {
    const err = await thrown(() => client.send({ url: 'http://127.0.0.1:1/hook' }));
    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err.message).toBe('GET http://127.0.0.1:1/hook: connection refused');
  });

  it('does not retry a 4xx, even one whose body says JSON and is HTML: the status decides', async () => {
    dest.next('html-as-json-400');
    const err = await thrown(() => client.send({ method: 'POST', url: `${dest.url}/hook`, body: {} }));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toBe(`POST ${dest.url}/hook: HTTP 400 — <html>Bad request</html>`);
  });

  it('keeps a 2xx whose JSON does not parse as text when the caller only needs the status (lenientJson)', async () => {
    dest.next('html-as-json-200');
    await expect(client.send({ method: 'POST', url: `${dest.url}/hook`, body: {}, lenientJson: true })).resolves.toMatchObject({ status: 200, body: '<html>Thanks!</html>' });
  });
});

describe('Slack answering HTML or broken JSON', () => {
  let dest: Destination;
  const client = createHttpClient({ timeoutMs: TIMEOUT_MS, maxResponseBytes: 100_000, allowPrivate: true });
  const post = () => {
    const action = slack.actions.postMessage!;
    const ctx = connectorContext({ http: client, apiUrls: { slack: `${dest.url}/api` }, credential: { botToken: 'xoxb-1' } });
    return thrown(() => action.run(action.input.parse({ channel: 'C123', text: 'hi' }), ctx));
  };
  beforeAll(async () => {
    dest = await startFaultyDestination();
  });
  afterAll(async () => {
    await client.close();
    await dest.close();
  });

  it.each<[Fault, RegExp]>([
    ['html-200', /^Slack chat\.postMessage: unexpected answer <html><body>Slack is down for maintenance/],
    ['html-502', /chat\.postMessage: HTTP 502 — <html>/],
    ['truncated-json-200', /chat\.postMessage: invalid JSON in the HTTP 200 answer/],
    ['reset', /chat\.postMessage: connection reset before an answer/],
    ['hang', new RegExp(`chat\\.postMessage: no answer within ${TIMEOUT_MS} ms`)],
  ])('retries on %s, saying what happened', async (fault, message) => {
    dest.next(fault);
    const err = await post();
    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err.message).toMatch(message);
  });

  it('does not retry a 400 whose body is HTML', async () => {
    dest.next('html-as-json-400');
    const err = await post();
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/chat\.postMessage: HTTP 400/);
  });
});

describe(`destination faults through the engine: the execution and error logs say what happened (${storeKind})`, () => {
  let server: TestServer;
  let dest: Destination;
  let userId: string;

  beforeEach(async () => {
    dest = await startFaultyDestination();
    server = await startTestServer({
      env: {
        WORKERS: 'on',
        RETRY_SCHEDULE: '20,20',
        RETRY_AFTER_MAX_MS: String(RETRY_AFTER_MAX_MS),
        HTTP_TIMEOUT_MS: String(TIMEOUT_MS),
        ALLOY_ALLOW_PRIVATE_URLS: 'true',
        SLACK_API_URL: `${dest.url}/api`,
      },
      definitions: () => buildDefinitions([...demoIntegrations().filter((i) => i.id === 'slack'), orderStreamIntegration(`${dest.url}/orders`)]),
    });
    userId = await createUser(server, 'faulty');
  });
  afterEach(async () => {
    await server.close();
    await dest.close();
  });

  const waitFor = (workflowId: string, executionId: string, status: string) => waitForExecution(server, userId, workflowId, executionId, status);
  const order = async (orderId: string) => {
    const res = await server.request('POST', '/run/event', { body: { event: 'Order Paid', userId, data: { orderId } } });
    return res.body.executionIds[0] as string;
  };

  it('retries a Stream Data destination that hangs, then resets, and logs each reason on its attempt', async () => {
    await installHeadless(server, userId, 'acme');
    dest.next('hang', 'reset');
    const execution = await waitFor('order-paid', await order('A-1'), 'succeeded');
    expect(execution.attempts).toBe(3);
    expect(execution.steps.map((s: any) => s.error)).toEqual([
      `POST ${dest.url}/orders: no answer within ${TIMEOUT_MS} ms`,
      expect.stringMatching(new RegExp(`^POST ${dest.url.replace(/\./g, '\\.')}/orders: connection reset before an answer \\(.+\\)$`)),
      null,
    ]);
  });

  it('counts a Stream Data 2xx with an unreadable body as delivered: no retry, no duplicate', async () => {
    await installHeadless(server, userId, 'acme');
    dest.next('html-as-json-200');
    const execution = await waitFor('order-paid', await order('A-2'), 'succeeded');
    expect(execution.attempts).toBe(1);
    expect(execution.steps[0].output).toEqual({ status: 200, body: '<html>Thanks!</html>' });
    expect(dest.received.filter((r) => r.path === '/orders')).toHaveLength(1);
  });

  it('waits at most RETRY_AFTER_MAX_MS when a destination asks for more, and says so on the attempt', async () => {
    await installHeadless(server, userId, 'acme');
    dest.next('busy-for-ages');
    const execution = await waitFor('order-paid', await order('A-4'), 'succeeded');
    expect(execution.attempts).toBe(2);
    expect(execution.steps.map((s: any) => s.error)).toEqual([
      `POST ${dest.url}/orders: HTTP 429 — {"error":"slow down"} (Retry-After asked for 100,000,000,000,000,000,000 s; waiting ${RETRY_AFTER_MAX_MS} ms, the most RETRY_AFTER_MAX_MS allows)`,
      null,
    ]);
    // It waited the cap, not the 20 ms of RETRY_SCHEDULE nor what was asked.
    const [first, second] = execution.steps as Array<{ startedAt: string; finishedAt: string }>;
    expect(Date.parse(second!.startedAt) - Date.parse(first!.finishedAt)).toBeGreaterThanOrEqual(RETRY_AFTER_MAX_MS - 5);
  });

  it('logs an error answer with a NUL byte in it, and retries', async () => {
    await installHeadless(server, userId, 'acme');
    dest.next('nul-in-502');
    const execution = await waitFor('order-paid', await order('A-5'), 'succeeded');
    expect(execution.attempts).toBe(2);
    expect(execution.steps.map((s: any) => s.error)).toEqual([`POST ${dest.url}/orders: HTTP 502 — upstream\uFFFDdown`, null]);
  });

  it('logs a large answer as its first 64 KB and a deeply nested one as a note, each delivered once', async () => {
    await installHeadless(server, userId, 'acme');
    dest.next('huge-200', 'deep-200');
    const huge = await waitFor('order-paid', await order('A-6'), 'succeeded');
    const deep = await waitFor('order-paid', await order('A-7'), 'succeeded');
    expect([huge.attempts, deep.attempts]).toEqual([1, 1]);
    expect(dest.received.filter((r) => r.path === '/orders')).toHaveLength(2);
    const [hugeOutput, deepOutput] = [huge.steps[0].output, deep.steps[0].output];
    const whole = JSON.stringify({ status: 200, body: 'x'.repeat(100_000) });
    expect(hugeOutput.truncated).toBe(`${whole.length.toLocaleString('en-US')} characters of JSON: the first 65,536 are in "start"`);
    expect(hugeOutput.start).toBe(whole.slice(0, 65_536));
    expect(deepOutput).toEqual({ truncated: 'nested deeper than 100 levels: not logged' });
  });

  it('gives up on a destination that keeps timing out, and the error log says so', async () => {
    await installHeadless(server, userId, 'acme');
    dest.next('drip', 'hang', 'drip');
    const executionId = await order('A-3');
    const execution = await waitFor('order-paid', executionId, 'failed');
    expect(execution.attempts).toBe(3);
    const errors = await server.request('GET', `/workflows/order-paid/errors?userId=${userId}`);
    expect(errors.body.data).toEqual([
      expect.objectContaining({ executionId, block: 'send', message: `POST ${dest.url}/orders: no answer within ${TIMEOUT_MS} ms (gave up after 3 attempts)` }),
    ]);
  });

  it('retries Slack answering an HTML page, then truncated JSON, and posts once it answers properly', async () => {
    await installSlack(server, userId, 'C123');
    dest.next('html-200', 'truncated-json-200');
    const res = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    const execution = await waitFor('slack-ticket-created', res.body.executionIds[0], 'succeeded');
    expect(execution.attempts).toBe(3);
    expect(execution.steps.map((s: any) => s.error)).toEqual([
      expect.stringMatching(/^Slack chat\.postMessage: unexpected answer <html>/),
      expect.stringMatching(/chat\.postMessage: invalid JSON in the HTTP 200 answer: the response says JSON but is not \(\{"ok":true/),
      null,
    ]);
  });

  it('cuts a huge error an app sends to 2,000 characters in the logs', async () => {
    await installSlack(server, userId, 'C123');
    dest.next('slack-long-error');
    const res = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    const executionId = res.body.executionIds[0];
    const execution = await waitFor('slack-ticket-created', executionId, 'failed');
    const logged = `Slack chat.postMessage: ${'x'.repeat(2000 - 'Slack chat.postMessage: '.length - 1)}…`;
    expect(logged).toHaveLength(2000);
    expect(execution.steps.map((s: any) => s.error)).toEqual([logged]);
    expect(execution.error).toBe(logged);
    const errors = await server.request('GET', `/workflows/slack-ticket-created/errors?userId=${userId}`);
    expect(errors.body.data).toEqual([expect.objectContaining({ executionId, message: logged })]);
  });

  it('fails Slack for good on a 400 whose body is HTML, on the first attempt', async () => {
    await installSlack(server, userId, 'C123');
    dest.next('html-as-json-400');
    const res = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    const execution = await waitFor('slack-ticket-created', res.body.executionIds[0], 'failed');
    expect(execution.attempts).toBe(1);
    expect(execution.error).toMatch(/chat\.postMessage: HTTP 400 — <html>Bad request<\/html>$/);
  });
});
