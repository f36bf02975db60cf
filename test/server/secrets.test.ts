import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { format } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { startFakeBigCommerce } from '../../demo/fakes/bigcommerce';
import { startSink } from '../../demo/fakes/sink';
import { startFakeSlack } from '../../demo/fakes/slack';
import { redact } from '../../server/engine/redact';
import { startFakeNetSuite } from '../fakes/netsuite';
import { definitionsWith } from '../helpers/definitions';
import { captureLogs } from '../helpers/logs';
import { startTestServer, storeKind, type RequestOptions, type TestServer } from '../helpers/server';

/**
 * Secret leakage: a user's credentials (Slack bot token, BigCommerce access token, NetSuite keys
 * and token secrets, an OAuth access token), a secret setting, the API key, user tokens, the token
 * signing key, the encryption key, the webhook secret and the OAuth client secret are all in play
 * while executions succeed, fail, retry and are re-run. None may show up in any answer of the API
 * (but the token in the answers that mint one), in anything written to the console, in any row
 * of the store or file of the data directory, or in anything sent out to a destination that is not
 * the secret's own app.
 *
 * Not covered here: whether the API key and user tokens are compared in constant time (a timing
 * test on a shared 2-core machine would only be noise).
 */

const unique = (prefix: string, bytes = 18) => `${prefix}${randomBytes(bytes).toString('base64url')}`;
// Standard base64 on purpose for some: '+', '/' and '=' are where an encoded copy would differ.
const b64 = (bytes: number) => randomBytes(bytes).toString('base64');

const ENCRYPTION_KEY = randomBytes(32);
const WEBHOOK_KEY = randomBytes(24);
const SECRET = {
  apiKey: unique('isv_key_'),
  encryptionKey: ENCRYPTION_KEY.toString('hex'),
  webhookSecret: `whsec_${WEBHOOK_KEY.toString('base64')}`,
  slackClientSecret: unique('slack-client-secret-'),
  slackBotToken: unique('xoxb-'),
  bigcommerceToken: `bc+${b64(18)}`,
  netsuiteConsumerKey: unique('ck_'),
  netsuiteConsumerSecret: `cs/${b64(24)}&more`,
  netsuiteTokenId: unique('tk_'),
  netsuiteTokenSecret: `ts!*()~${b64(24)}`,
  netsuiteWrongTokenSecret: `ts-wrong-${b64(24)}`,
  // A setting the user types, like a password: quotes, a backslash, a space, a non-ASCII letter.
  secretSetting: `pa"ss\\w0rd ${b64(12)} ö%`,
};

/** Where each secret may legitimately be sent: its own app (or receiver), nowhere else. */
type Destination = 'slack' | 'bigcommerce' | 'netsuite' | 'receiver' | 'errorWebhook';
const OWNER: Partial<Record<keyof typeof SECRET, Destination>> = {
  slackClientSecret: 'slack',
  slackBotToken: 'slack',
  bigcommerceToken: 'bigcommerce',
  netsuiteConsumerKey: 'netsuite',
  netsuiteConsumerSecret: 'netsuite',
  netsuiteTokenId: 'netsuite',
  netsuiteTokenSecret: 'netsuite',
  netsuiteWrongTokenSecret: 'netsuite',
  secretSetting: 'receiver',
};

interface Secret {
  name: string;
  /** The value and the spellings it could take in a log or an answer. */
  forms: string[];
  owner?: Destination;
  /** A user token may be in the answer that minted it. */
  token?: boolean;
}

function secret(name: string, value: string, extra: { owner?: Destination; token?: boolean; forms?: string[] } = {}): Secret {
  // As is, URL-encoded the ways a URL or a form spells it, and each of these inside JSON strings
  // nested up to three deep (a JSON answer kept as text in a JSON log, shown in a JSON answer).
  const inUrl = new URL(`http://x/${value}?q=${value}`);
  const spellings = [
    value,
    encodeURIComponent(value),
    new URLSearchParams({ q: value }).toString().slice(2),
    inUrl.pathname.slice(1),
    inUrl.search.slice(3),
    ...(extra.forms ?? []),
  ];
  const forms = spellings.flatMap((f) => {
    const escaped = [f];
    for (let i = 0; i < 3; i++) escaped.push(JSON.stringify(escaped.at(-1)).slice(1, -1));
    return escaped;
  });
  return { name, forms: [...new Set(forms)].filter((f) => f.length >= 8), owner: extra.owner, token: extra.token };
}

/** The names of the secrets found in `text`. */
function found(text: string, secrets: readonly Secret[]): string[] {
  return secrets.filter((s) => s.forms.some((f) => text.includes(f))).map((s) => s.name);
}

/** A Stream Data receiver that answers with what it received: 200 at /ok, 400 at /fail, 503 at /retry. */
async function startEchoReceiver() {
  const received: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const echo = JSON.stringify({ url: req.url, headers: req.headers, body });
      received.push(echo);
      const status = req.url?.startsWith('/fail') ? 400 : req.url?.startsWith('/retry') ? 503 : 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end(echo);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  };
}

/** A workflow with a secret setting sent three ways (URL query, headers, body) to the echo receiver. */
const vault = {
  id: 'vault',
  app: 'Vault',
  connector: 'streamData',
  icon: '/icons/stream-data.svg',
  workflows: [
    {
      id: 'vault-forward',
      name: 'Forward records to the vault',
      version: 1,
      trigger: { type: 'customEvent', event: 'Record Saved', schema: { recordId: 'String', target: 'String' } },
      blocks: [
        {
          id: 'post',
          connector: 'streamData',
          action: 'post',
          input: {
            url: '{{config.url}}/{{event.target}}?key={{config.apiToken}}',
            headers: { 'x-api-key': '{{config.apiToken}}', authorization: 'Bearer {{config.apiToken}}' },
            body: { recordId: '{{event.recordId}}', auth: '{{config.apiToken}}' },
          },
        },
      ],
      fields: [
        { name: 'url', label: 'Vault URL', type: 'text', required: true },
        { name: 'apiToken', label: 'API token', type: 'secret', required: true },
      ],
    },
  ],
};

/** NetSuite with every input mapped (the demo's workflow leaves customer and item out, so it fails before calling). */
const netsuiteFull = {
  id: 'netsuite-full',
  app: 'NetSuite',
  connector: 'netsuite',
  icon: '/icons/netsuite.svg',
  workflows: [
    {
      id: 'netsuite-invoice-full',
      name: 'Create a complete invoice',
      version: 1,
      trigger: { type: 'customEvent', event: 'Invoice Due', schema: { id: 'String', amount: 'Number' } },
      blocks: [
        {
          id: 'create',
          connector: 'netsuite',
          action: 'createInvoice',
          input: { externalId: '{{event.id}}', invoiceNumber: 'INV-{{event.id}}', amount: '{{event.amount}}', subsidiary: '1', customer: '42', item: '7' },
        },
      ],
      fields: [],
    },
  ],
};

describe(`secrets never leak (${storeKind})`, () => {
  let server: TestServer;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let bigcommerce: Awaited<ReturnType<typeof startFakeBigCommerce>>;
  let netsuite: Awaited<ReturnType<typeof startFakeNetSuite>>;
  let receiver: Awaited<ReturnType<typeof startEchoReceiver>>;
  let errorSink: Awaited<ReturnType<typeof startSink>>;

  /** Every answer the API gave, with what was asked. */
  const answers: Array<{ what: string; text: string; mintsToken: boolean }> = [];
  /** Everything written to the console, stdout and stderr while the server ran. */
  const output: string[] = [];
  const spies: MockInstance[] = [];
  /** Everything the server logged (its logger writes nothing in tests): each call's message and fields, errors with their stacks. */
  let logs: ReturnType<typeof captureLogs>;
  let secrets: Secret[] = [];
  const tokens: string[] = [];
  /** What the engine logged of a receiver's answer that echoed the secret setting back. */
  let redactedOutput = '';
  let redactedError = '';

  const call = async (method: string, url: string, options: RequestOptions = {}) => {
    const res = await server.request(method, url, { apiKey: SECRET.apiKey, ...options });
    const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
    const mintsToken = /^\/(\d{4}-\d{2}\/)?users?\/[^/]+\/(token|integrations\/[^/]+\/install-url)$/.test(url.split('?')[0]!);
    answers.push({ what: `${method} ${url}`, text: `${res.status}\n${headers}\n${typeof res.body === 'string' ? res.body : JSON.stringify(res.body)}`, mintsToken });
    return res;
  };
  const ok = async (method: string, url: string, options: RequestOptions = {}, status = 200) => {
    const res = await call(method, url, options);
    expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)}`).toBe(status);
    return res.body;
  };
  const mint = async (userId: string) => {
    const { token } = await ok('GET', `/users/${userId}/token`);
    tokens.push(token);
    return token as string;
  };

  /** Waits until the execution has `status`, and returns it as the logs API shows it. */
  async function settled(workflowId: string, userId: string, executionId: string, status: 'succeeded' | 'failed') {
    for (let i = 0; i < 400; i++) {
      const logs = await server.request('GET', `/workflows/${workflowId}/logs?userId=${userId}`, { apiKey: SECRET.apiKey });
      const execution = logs.body.data?.find((e: { executionId: string }) => e.executionId === executionId);
      if (execution?.status === status) return execution;
      if (execution && ['succeeded', 'failed'].includes(execution.status) && execution.status !== status) {
        throw new Error(`${workflowId} ${executionId} ${execution.status}, expected ${status}: ${JSON.stringify(execution)}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${workflowId} ${executionId} never became ${status}`);
  }
  const runEvent = async (userId: string, event: string, data: Record<string, unknown>) => {
    const body = await ok('POST', '/run/event', { body: { event, userId, data } });
    expect(body.executionIds, `${event} started nothing`).toHaveLength(1);
    return body.executionIds[0] as string;
  };

  beforeAll(async () => {
    // Capture (and keep quiet) everything the server writes, from before it starts.
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
      spies.push(vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void output.push(format(...args))));
    }
    logs = captureLogs();
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      spies.push(
        vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
          output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
          return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
        }) as typeof stream.write),
      );
    }

    slack = await startFakeSlack({ oauth: { clientId: 'secrets-client', clientSecret: SECRET.slackClientSecret, expiresIn: 30 } });
    slack.channels = [{ id: 'C1', name: 'support' }];
    bigcommerce = await startFakeBigCommerce();
    bigcommerce.tokens.set('acme-store', SECRET.bigcommerceToken);
    const account = {
      accountId: '1234567_SB1',
      consumerKey: SECRET.netsuiteConsumerKey,
      consumerSecret: SECRET.netsuiteConsumerSecret,
      tokenId: SECRET.netsuiteTokenId,
      tokenSecret: SECRET.netsuiteTokenSecret,
    };
    netsuite = await startFakeNetSuite(account);
    receiver = await startEchoReceiver();
    errorSink = await startSink();
    server = await startTestServer({
      env: {
        ALLOY_API_KEY: SECRET.apiKey,
        ALLOY_ENCRYPTION_KEY: SECRET.encryptionKey,
        ALLOY_WEBHOOK_SECRET: SECRET.webhookSecret,
        ALLOY_ERROR_WEBHOOK_URL: `${errorSink.url}/errors`,
        ALLOY_ALLOW_PRIVATE_URLS: 'true',
        WORKERS: 'on',
        RETRY_SCHEDULE: '20,20',
        SLACK_API_URL: slack.url,
        SLACK_CLIENT_ID: 'secrets-client',
        SLACK_CLIENT_SECRET: SECRET.slackClientSecret,
        SLACK_OAUTH_URL: slack.authorizeUrl,
        BIGCOMMERCE_API_URL: bigcommerce.url,
        NETSUITE_API_URL: netsuite.url,
      },
      definitions: () => definitionsWith([vault, netsuiteFull]),
    });

    // ── user A: an account of every app, by API-key forms, and a secret setting ──
    const a = (await ok('POST', '/users', { body: { username: 'keeper' } }, 201)).userId as string;
    const tokenA = await mint(a);
    const credential = async (type: string, data: Record<string, string>) =>
      (await ok('POST', '/headless/credentials', { body: { userId: a, credential: { type, data } } }, 201)).credentialId as string;
    const slackCredential = await credential('slack', { botToken: SECRET.slackBotToken });
    const bcCredential = (
      await ok('POST', '/me/credentials', { token: tokenA, body: { app: 'bigcommerce', data: { storeHash: 'acme-store', accessToken: SECRET.bigcommerceToken } } }, 201)
    ).credentialId;
    const nsCredential = await credential('netsuite', { ...account });
    const install = async (integrationId: string, credentialId: string | undefined, data: Record<string, unknown>, workflowIds?: string[]) => {
      const start = await ok('POST', '/headless/startInstallation', { body: { userId: a, integrationId, credentialId, workflowIds } });
      return ok('POST', '/headless/completeInstallation', { body: { userId: a, installationId: start.installationId, data } });
    };
    await install('slack', slackCredential, { channel: 'C1' });
    await install('bigcommerce', bcCredential, { staffNote: 'from AcmeCo' }, ['bigcommerce-fulfillment-updated']);
    await install('netsuite-full', nsCredential, {});
    await install('netsuite', nsCredential, { subsidiary: '1' });
    const vaultInstall = await ok(
      'POST',
      '/me/installations',
      { token: tokenA, body: { integrationId: 'vault', config: { url: receiver.url, apiToken: SECRET.secretSetting } } },
      201,
    );
    // Reconfigured with the secret sent back as shown: it is kept.
    await ok('PUT', `/me/installations/${vaultInstall.installationId}`, { token: tokenA, body: { config: { url: receiver.url, apiToken: '[redacted]' } } });
    await ok('GET', `/users/${a}/integrations/vault/install-url`);
    await ok('GET', `/me/options/slack/channels?credentialId=${slackCredential}`, { token: tokenA });

    // Requests that fail while carrying secrets must not echo them back.
    await call('POST', '/headless/credentials', { body: { userId: a, credential: { type: 'slack', data: { botToken: SECRET.slackBotToken, extra: SECRET.slackBotToken } } } });
    await call('POST', '/headless/credentials', { body: { userId: a, credential: { type: 'nope', data: { botToken: SECRET.slackBotToken } } } });
    await call('POST', '/me/credentials', { token: tokenA, body: { app: 'bigcommerce', data: { accessToken: SECRET.bigcommerceToken } } });
    await call('POST', '/me/installations', { token: tokenA, body: { integrationId: 'vault', config: { url: 42, apiToken: SECRET.secretSetting } } });
    await call('PUT', `/me/installations/${vaultInstall.installationId}`, { token: tokenA, body: { config: { url: receiver.url, apiToken: [SECRET.secretSetting] } } });
    for (const source of ['constructor', '__proto__', 'toString']) await call('GET', `/me/options/slack/${source}?credentialId=${slackCredential}`, { token: tokenA });
    await call('GET', `/me/options/slack/channels?credentialId=${slackCredential}`, { token: `${tokenA}x` });
    await call('GET', '/users', { apiKey: `${SECRET.apiKey}x` });

    // ── user A's executions: each app succeeding and failing ──
    const ticket = { ticketName: 'Printer on fire', customerEmail: 'ann@example.com', description: 'Smoke' };
    await settled('slack-ticket-created', a, await runEvent(a, 'Ticket Created', ticket), 'succeeded');
    slack.failNext('invalid_auth');
    // The ISV's error webhook refuses this failure's notice: the server says so on the console.
    errorSink.failNext(1, 400);
    await settled('slack-ticket-created', a, await runEvent(a, 'Ticket Created', ticket), 'failed');
    const fromBrowser = await ok('POST', '/me/events/Ticket%20Created', { token: tokenA, body: ticket });
    await settled('slack-ticket-created', a, fromBrowser.executionIds[0], 'succeeded');

    await settled('bigcommerce-fulfillment-updated', a, await runEvent(a, 'Fulfillment Updated', { orderId: '100', status: 'shipped' }), 'succeeded');
    await settled('bigcommerce-fulfillment-updated', a, await runEvent(a, 'Fulfillment Updated', { orderId: '999', status: 'shipped' }), 'failed');

    await settled('netsuite-invoice-full', a, await runEvent(a, 'Invoice Due', { id: 'inv-1', amount: 120 }), 'succeeded');
    await settled('netsuite-create-invoice', a, await runEvent(a, 'create_invoice', { id: 'inv-2', invoiceNumber: 'INV-2', invoiceAmount: 5 }), 'failed');

    const delivered = await settled('vault-forward', a, await runEvent(a, 'Record Saved', { recordId: 'r-1', target: 'ok' }), 'succeeded');
    const refused = await runEvent(a, 'Record Saved', { recordId: 'r-2', target: 'fail' });
    const refusedLog = await settled('vault-forward', a, refused, 'failed');
    await settled('vault-forward', a, await runEvent(a, 'Record Saved', { recordId: 'r-3', target: 'retry' }), 'failed');
    await ok('POST', `/workflows/vault-forward/rerun/${refused}`);
    await settled('vault-forward', a, refused, 'failed');
    const direct = await ok('POST', '/run/workflow', { body: { userId: a, workflowId: 'vault-forward', data: { recordId: 'r-4', target: 'ok' } } });
    await settled('vault-forward', a, direct.executionIds[0], 'succeeded');

    redactedOutput = JSON.stringify(delivered.steps[0].output);
    redactedError = refusedLog.error;

    // ── user B: Slack through OAuth, its token refreshed on every use, then refused ──
    const b = (await ok('POST', '/users', { body: { username: 'oauth-user' } }, 201)).userId as string;
    const tokenB = await mint(b);
    const started = await ok('POST', '/me/oauth/slack/start', { token: tokenB, body: { origin: 'https://app.acme.test/settings' } });
    const beginUrl = new URL(started.beginUrl);
    const begun = await call('POST', `${beginUrl.pathname}${beginUrl.search}`, { apiKey: null, headers: { origin: 'https://app.acme.test' } });
    expect(begun.status).toBe(303);
    const cookie = begun.headers.get('set-cookie')!.split(';')[0]!;
    const redirect = await fetch(begun.headers.get('location')!, { redirect: 'manual' });
    const back = new URL(redirect.headers.get('location')!);
    const page = await ok('GET', `${back.pathname}${back.search}`, { apiKey: null, headers: { cookie } });
    const oauthCredential = /"credentialId":"([0-9a-f]+)"/.exec(page)![1]!;
    const startB = await ok('POST', '/headless/startInstallation', { body: { userId: b, integrationId: 'slack', credentialId: oauthCredential } });
    await ok('POST', '/headless/completeInstallation', { body: { userId: b, installationId: startB.installationId, data: { channel: 'C1' } } });
    await settled('slack-ticket-created', b, await runEvent(b, 'Ticket Created', ticket), 'succeeded');
    slack.refuseRefresh();
    await settled('slack-ticket-created', b, await runEvent(b, 'Ticket Created', ticket), 'failed');
    await call('GET', `${back.pathname}${back.search}`, { apiKey: null, headers: { cookie } }); // the used state again

    // ── user C: NetSuite with a wrong token secret (the app answers 401) ──
    const c = (await ok('POST', '/users', { body: { username: 'wrong-secret' } }, 201)).userId as string;
    await mint(c);
    // The secret is refused when connected (verify on connect), in words that do not repeat it…
    await ok('POST', '/headless/credentials', { body: { userId: c, credential: { type: 'netsuite', data: { ...account, tokenSecret: SECRET.netsuiteWrongTokenSecret } } } }, 400);
    // …so it is one NetSuite took then and rotated since: its executions get the 401.
    const current = account.tokenSecret;
    account.tokenSecret = SECRET.netsuiteWrongTokenSecret;
    const wrong = (await ok('POST', '/headless/credentials', { body: { userId: c, credential: { type: 'netsuite', data: { ...account } } } }, 201)).credentialId;
    account.tokenSecret = current;
    const startC = await ok('POST', '/headless/startInstallation', { body: { userId: c, integrationId: 'netsuite-full', credentialId: wrong } });
    await ok('POST', '/headless/completeInstallation', { body: { userId: c, installationId: startC.installationId, data: {} } });
    await settled('netsuite-invoice-full', c, await runEvent(c, 'Invoice Due', { id: 'inv-3', amount: 1 }), 'failed');
    await errorSink.waitFor(7);

    // ── every GET of the API, for every user and every value of its parameters ──
    const doc = await ok('GET', '/openapi.json', { apiKey: null });
    const installations = (await ok('GET', `/installations?userId=${a}`)).data.map((i: { installationId: string }) => i.installationId);
    const integrations = (await ok('GET', `/integrations?userId=${a}`)).data;
    const executions = (await ok('GET', `/workflows/vault-forward/logs?userId=${a}`)).data.map((e: { executionId: string }) => e.executionId);
    const values: Record<string, string[]> = {
      integrationId: integrations.map((i: { integrationId: string }) => i.integrationId),
      workflowId: integrations.flatMap((i: { workflows: Array<{ workflowId: string }> }) => i.workflows.map((w) => w.workflowId)),
      app: (await ok('GET', '/apps')).data.map((x: { app: string }) => x.app),
      installationId: installations,
      executionId: executions,
      connector: ['slack'],
      source: ['channels'],
      event: ['Ticket Created'],
    };
    const users = [
      { userId: a, token: tokenA, credentialId: slackCredential },
      { userId: b, token: tokenB, credentialId: oauthCredential },
      { userId: c, token: tokens.at(-1)!, credentialId: wrong },
    ];
    let gets = 0;
    for (const [template, methods] of Object.entries(doc.paths as Record<string, Record<string, { security?: Array<Record<string, unknown>> }>>)) {
      const op = methods.get;
      if (!op) continue;
      const asUser = op.security?.some((s) => 'userToken' in s);
      for (const user of users) {
        let urls = [template.replace('{userId}', user.userId)];
        for (const name of [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).filter((n) => n !== 'userId')) {
          urls = urls.flatMap((u) => (values[name] ?? ['x']).map((v) => u.replace(`{${name}}`, encodeURIComponent(v))));
        }
        for (const url of urls) {
          const query = `userId=${user.userId}&credentialId=${user.credentialId}`;
          await call('GET', `${url}?${query}`, asUser ? { token: user.token } : op.security?.length ? {} : { apiKey: null });
          gets++;
        }
      }
    }
    expect(gets).toBeGreaterThan(100);

    // The OAuth access tokens Slack issued are secrets too, and so is the private half of the token signing key.
    const oauthTokens = [...new Set(slack.requests.map((r) => r.token).filter((t): t is string => Boolean(t && slack.isOAuthToken(t))))];
    expect(oauthTokens.length).toBeGreaterThan(0);
    const signingKeys = await server.services.store.keys.signingKeys();
    const privateParts = signingKeys.map((k) => (JSON.parse(server.services.vault.decrypt(k.private_jwk)) as { d: string }).d);
    secrets = [
      ...Object.entries(SECRET).map(([name, value]) =>
        secret(name, value, {
          owner: OWNER[name as keyof typeof SECRET],
          forms:
            name === 'encryptionKey'
              ? [ENCRYPTION_KEY.toString('base64'), ENCRYPTION_KEY.toString('base64url')]
              : name === 'webhookSecret'
                ? [WEBHOOK_KEY.toString('base64'), WEBHOOK_KEY.toString('base64url'), WEBHOOK_KEY.toString('hex')]
                : [],
        }),
      ),
      ...oauthTokens.map((t, i) => secret(`slackOAuthToken${i}`, t, { owner: 'slack' })),
      ...tokens.map((t, i) => secret(`userToken${i}`, t, { token: true })),
      ...privateParts.map((d, i) => secret(`signingKey${i}`, d)),
    ];
  }, 60_000);

  afterAll(async () => {
    for (const spy of spies) spy.mockRestore();
    logs?.restore();
    await server?.close();
    await Promise.all([slack?.close(), bigcommerce?.close(), netsuite?.close(), receiver?.close(), errorSink?.close()]);
  });

  it('had the secrets in play: each app got its own, and the answers that echoed one back were logged redacted', () => {
    expect(found(receiver.received.join('\n'), [secret('secretSetting', SECRET.secretSetting)])).toEqual(['secretSetting']);
    expect(slack.requests.some((r) => r.token === SECRET.slackBotToken)).toBe(true);
    expect(bigcommerce.requests.some((r) => r.headers['x-auth-token'] === SECRET.bigcommerceToken)).toBe(true);
    expect(netsuite.invoices).toHaveLength(1);
    expect(redactedOutput).toContain('[redacted]');
    expect(redactedError).toContain('[redacted]');
  });

  it('shows no secret in any answer of the API (a user token only where it is minted)', () => {
    expect(answers.length).toBeGreaterThan(150);
    const leaks = answers.flatMap(({ what, text, mintsToken }) =>
      found(
        text,
        secrets.filter((s) => !(s.token && mintsToken)),
      ).map((name) => `${name} in ${what}: ${text.slice(0, 300)}`),
    );
    expect(leaks).toEqual([]);
  });

  it('writes no secret to the log, the console, stdout or stderr', async () => {
    const written = () => [...output, ...logs.records.map((r) => r.text)];
    // (What it wrote was captured: the refused error webhook notice is there.)
    await vi.waitFor(() => expect(written().join('\n')).toMatch(/error webhook: giving up on err_/), { timeout: 5_000 });
    const leaks = written().flatMap((line) => found(line, secrets).map((name) => `${name}: ${line.slice(0, 300)}`));
    expect(leaks).toEqual([]);
  });

  it('keeps no secret in plain text in any table of the store: events, executions, steps, errors, credentials, keys…', async () => {
    const { db } = server.services.store;
    const tables =
      db.dialect === 'sqlite'
        ? await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        : await db.all<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()');
    const names = tables.map((t) => t.name);
    for (const expected of ['events', 'executions', 'steps', 'errors', 'credentials', 'installations', 'signing_keys', 'api_keys']) expect(names).toContain(expected);
    const leaks: string[] = [];
    let rows = 0;
    for (const table of names) {
      for (const row of await db.all<Record<string, unknown>>(`SELECT * FROM ${table}`)) {
        rows++;
        for (const [column, value] of Object.entries(row)) {
          const text = value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
          leaks.push(...found(text, secrets).map((name) => `${name} in ${table}.${column}: ${text.slice(0, 300)}`));
        }
      }
    }
    expect(rows).toBeGreaterThan(50);
    expect(leaks).toEqual([]);
  });

  it('keeps no secret in plain text in the data directory (the SQLite file and its WAL included)', () => {
    const leaks: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else leaks.push(...found(fs.readFileSync(file).toString('latin1'), secrets).map((name) => `${name} in ${entry.name}`));
      }
    };
    walk(server.dataDir);
    expect(leaks).toEqual([]);
  });

  it('sends each secret to its own app only, and the API key, tokens and keys to nobody', () => {
    const sent: Record<Destination, string[]> = {
      slack: slack.requests.map((r) => JSON.stringify(r)),
      bigcommerce: bigcommerce.requests.map((r) => JSON.stringify(r)),
      netsuite: netsuite.invoices.map((r) => JSON.stringify(r)),
      receiver: receiver.received,
      errorWebhook: errorSink.deliveries.map((d) => JSON.stringify(d)),
    };
    expect(sent.errorWebhook.length).toBeGreaterThanOrEqual(7);
    const leaks = Object.entries(sent).flatMap(([to, texts]) =>
      texts.flatMap((text) =>
        found(
          text,
          secrets.filter((s) => s.owner !== to),
        ).map((name) => `${name} sent to ${to}: ${text.slice(0, 300)}`),
      ),
    );
    expect(leaks).toEqual([]);
  });
});

describe('redaction of a secret spelled back by an app (found by the scan above)', () => {
  it('finds a password with a quote, a backslash, a space and an accent however an echo spells it', () => {
    const password = 'pa"ss\\w0rd secret ö%';
    const url = new URL(`http://127.0.0.1/fail/${password}?key=${password}`);
    const request = JSON.stringify({ auth: password, form: new URLSearchParams({ password }).toString() });
    // What an app answering 400 with an echo of the request gives back: the secret as is, URL-encoded, in JSON, in JSON in JSON.
    const echo = JSON.stringify({ url: `${url.pathname}${url.search}`, header: password, body: request, encoded: encodeURIComponent(password) });
    const logged = redact({ error: `POST ${url.origin}: HTTP 400 — ${echo}`, output: JSON.parse(echo) }, [password]);
    const text = JSON.stringify(logged);
    expect(found(text, [secret('password', password)])).toEqual([]);
    expect(text.match(/\[redacted\]/g)).toHaveLength(12);
    // What is not the secret stays.
    expect((logged as { error: string }).error).toMatch(/^POST http:\/\/127\.0\.0\.1: HTTP 400 — \{"url":"\/fail\/\[redacted\]\?key=\[redacted\]"/);
  });
});
