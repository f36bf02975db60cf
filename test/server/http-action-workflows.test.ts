import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeBigCommerce, type FakeBigCommerce } from '../../demo/fakes/bigcommerce';
import { startFakeSlack, type FakeSlack } from '../../demo/fakes/slack';
import { checkConnectors } from '../../server/connectors/check';
import { buildDefinitions, DefinitionError } from '../../server/definitions/load';
import { addCredential, installHeadless } from '../helpers/flows';
import { createUser, startTestServer, storeKind, type TestServer, waitForExecution } from '../helpers/server';

const SLACK_TOKEN = 'xoxb-proxy-secret-0042';
const STORE_HASH = 'north-store-7';
const STORE_TOKEN = 'bc-proxy-secret-0042';

/** Slack through its API proxy: a POST with a body from the event, and a GET of any path the event names. */
const slackProxy = {
  id: 'slack-proxy',
  app: 'Slack',
  connector: 'slack',
  icon: '/icons/slack.svg',
  workflows: [
    {
      id: 'slack-post',
      name: 'Post through the proxy',
      version: 1,
      trigger: { type: 'customEvent', event: 'Proxy Post', schema: { text: 'String' } },
      blocks: [{ id: 'post', connector: 'slack', action: 'http', input: { method: 'POST', path: '/chat.postMessage', body: { channel: 'C1', text: '{{event.text}}' } } }],
    },
    {
      id: 'slack-get',
      name: 'Read any Slack method',
      version: 1,
      trigger: { type: 'customEvent', event: 'Proxy Get', schema: { path: 'String' } },
      blocks: [{ id: 'call', connector: 'slack', action: 'http', input: { path: '{{event.path}}', query: { limit: 1 } } }],
    },
  ],
};

/** BigCommerce through its API proxy: read the store, then ship the order the event names. */
const storeProxy = {
  id: 'store-proxy',
  app: 'BigCommerce',
  connector: 'bigcommerce',
  icon: '/icons/bigcommerce.svg',
  workflows: [
    {
      id: 'store-ship',
      name: 'Ship an order through the proxy',
      version: 1,
      trigger: { type: 'customEvent', event: 'Proxy Ship', schema: { orderId: 'String' } },
      blocks: [
        { id: 'store', connector: 'bigcommerce', action: 'http', input: { path: '/v2/store' } },
        { id: 'ship', connector: 'bigcommerce', action: 'http', input: { method: 'PUT', path: '/v2/orders/{{event.orderId}}', body: { status_id: 2 } } },
      ],
    },
  ],
};

describe(`http blocks through the engine (${storeKind})`, () => {
  let server: TestServer;
  let slack: FakeSlack;
  let bigcommerce: FakeBigCommerce;
  let userId: string;

  beforeAll(async () => {
    slack = await startFakeSlack();
    bigcommerce = await startFakeBigCommerce();
    bigcommerce.tokens.set(STORE_HASH, STORE_TOKEN);
    server = await startTestServer({
      env: { WORKERS: 'on', RETRY_SCHEDULE: '30', RETRY_AFTER_MAX_MS: '50', SLACK_API_URL: slack.url, BIGCOMMERCE_API_URL: bigcommerce.url },
      definitions: () => buildDefinitions([slackProxy, storeProxy]),
    });
    userId = await createUser(server, 'ann');
    const slackCredential = await addCredential(server, userId, 'slack', { botToken: SLACK_TOKEN });
    await installHeadless(server, userId, 'slack-proxy', { credentialId: slackCredential });
    const storeCredential = await addCredential(server, userId, 'bigcommerce', { storeHash: STORE_HASH, accessToken: STORE_TOKEN });
    await installHeadless(server, userId, 'store-proxy', { credentialId: storeCredential });
  });
  afterAll(async () => {
    await server.close();
    await Promise.all([slack.close(), bigcommerce.close()]);
  });
  beforeEach(() => {
    slack.requests.length = 0;
    slack.messages.length = 0;
    slack.channels = [{ id: 'C1', name: 'orders' }];
    bigcommerce.requests.length = 0;
    bigcommerce.orders.set(100, { id: 100, status_id: 11, status: 'Awaiting Fulfillment' });
  });

  /** Sends the event and waits for its one execution to end with `status`. */
  const run = async (workflowId: string, event: string, data: Record<string, unknown>, status: string) => {
    const res = await server.request('POST', '/run/event', { body: { event, userId, data } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.executionIds).toHaveLength(1);
    return waitForExecution(server, userId, workflowId, res.body.executionIds[0], status);
  };

  it('posts to Slack with the connection’s token and logs the request and the answer, never the token', async () => {
    const execution = await run('slack-post', 'Proxy Post', { text: 'Order 7 shipped' }, 'succeeded');

    expect(slack.messages).toEqual([{ channel: 'C1', text: 'Order 7 shipped', token: SLACK_TOKEN }]);
    const [step] = execution.steps;
    expect(step.input).toEqual({ method: 'POST', path: '/chat.postMessage', body: { channel: 'C1', text: 'Order 7 shipped' } });
    expect(step.output).toMatchObject({ status: 200, headers: { 'content-type': expect.stringMatching(/json/) }, body: { ok: true, channel: 'C1' } });
    expect(JSON.stringify(execution)).not.toContain(SLACK_TOKEN);
  });

  it('reads the store and ships an order under /stores/{store_hash}, the credential redacted from the log', async () => {
    const execution = await run('store-ship', 'Proxy Ship', { orderId: '100' }, 'succeeded');

    expect(bigcommerce.requests.map((r) => [r.method, r.path, r.headers['x-auth-token']])).toEqual([
      ['GET', `/stores/${STORE_HASH}/v2/store`, STORE_TOKEN],
      ['PUT', `/stores/${STORE_HASH}/v2/orders/100`, STORE_TOKEN],
    ]);
    expect(bigcommerce.orders.get(100)).toEqual({ id: 100, status_id: 2, status: 'Shipped' });
    const store = execution.steps.find((s: any) => s.blockId === 'store');
    // The store answers with its hash, a value of the credential: the log shows it redacted.
    expect(store.output.body).toMatchObject({ id: '[redacted]', name: 'North Store 7', domain: '[redacted].mybigcommerce.com' });
    expect(execution.steps.find((s: any) => s.blockId === 'ship').output.body).toMatchObject({ id: 100, status: 'Shipped' });
    const logged = JSON.stringify(execution);
    expect(logged).not.toContain(STORE_TOKEN);
    expect(logged).not.toContain(STORE_HASH);
  });

  it.each(['//evil.example/x', '/%2e%2e/%2e%2e/x'])('fails at once, without a retry or a call, for the path %j that would leave the API', async (path) => {
    const execution = await run('slack-get', 'Proxy Get', { path }, 'failed');

    expect(execution.attempts).toBe(1);
    expect(execution.error).toMatch(/^Block "call": invalid input for Slack http — path: must not /);
    expect(slack.requests).toHaveLength(0);
  });

  it("fails at once on a 4xx, in the app's words", async () => {
    const execution = await run('slack-get', 'Proxy Get', { path: '/no.such.method' }, 'failed');

    expect(execution.attempts).toBe(1);
    expect(execution.error).toBe('Slack GET /no.such.method: HTTP 404 unknown_method');
    expect(slack.requests).toHaveLength(1);
  });

  it('retries a 5xx and succeeds on the next attempt', async () => {
    slack.failNext('service_unavailable', { status: 503, method: 'auth.test' });

    const execution = await run('slack-get', 'Proxy Get', { path: '/auth.test' }, 'succeeded');

    expect(execution.attempts).toBe(2);
    expect(execution.steps.map((s: any) => [s.attempt, s.error])).toEqual([
      [1, 'Slack GET /auth.test: HTTP 503 service_unavailable'],
      [2, null],
    ]);
    expect(execution.steps[1].output.body).toMatchObject({ ok: true, team: 'Northwind Traders' });
    expect(slack.requests.map((r) => [r.path, r.query, r.token])).toEqual([
      ['/api/auth.test', { limit: '1' }, SLACK_TOKEN],
      ['/api/auth.test', { limit: '1' }, SLACK_TOKEN],
    ]);
  });

  it('waits for the Retry-After of a 429 (within RETRY_AFTER_MAX_MS) before the next attempt', async () => {
    slack.failNext('ratelimited', { retryAfter: '2', method: 'auth.test' });

    const execution = await run('slack-get', 'Proxy Get', { path: '/auth.test' }, 'succeeded');

    expect(execution.attempts).toBe(2);
    expect(execution.steps[0].error).toBe('Slack GET /auth.test: HTTP 429 ratelimited (Retry-After asked for 2 s; waiting 50 ms, the most RETRY_AFTER_MAX_MS allows)');
  });
});

describe('http blocks in definitions', () => {
  const integration = (block: unknown) => ({
    id: 'shop',
    app: 'Slack',
    connector: 'slack',
    icon: '/icons/slack.svg',
    workflows: [{ id: 'w', name: 'W', version: 1, trigger: { type: 'webhook' }, blocks: [block] }],
  });
  const startError = (block: unknown) => {
    try {
      checkConnectors(buildDefinitions([integration(block)]));
    } catch (err) {
      return err as DefinitionError;
    }
    return undefined;
  };

  it('accepts an http block on a connector with an api', () => {
    expect(startError({ id: 'call', connector: 'bigcommerce', action: 'http', input: { path: '/v2/store' } })).toBeUndefined();
  });

  it('refuses at start an http block on a connector without an api, as any action it lacks', () => {
    const err = startError({ id: 'call', connector: 'netsuite', action: 'http', input: { path: '/x' } });

    expect(err).toBeInstanceOf(DefinitionError);
    expect(err!.path).toEqual(['workflows', 0, 'blocks', 0, 'action']);
    expect(err!.message).toBe('integration "shop": workflows.0.blocks.0.action: block "call" of workflow "w": NetSuite has no action "http" (it has: createInvoice)');
  });
});
