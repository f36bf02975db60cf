import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createApp } from '../../server/app';
import { loadConfig } from '../../server/config';
import type { Definitions } from '../../server/definitions/load';
import { startServices } from '../../server/services';
import type { Services } from '../../server/domain/context';
import type { StoreOptions } from '../../server/store';
import { startFakeBigCommerce } from '../../demo/fakes/bigcommerce';
import { startFakeSlack } from '../../demo/fakes/slack';
import { startFakeNetSuite } from '../fakes/netsuite';

export const API_KEY = 'test_api_key_0123456789abcdef';

/** Which store this test run uses: the vitest project sets TEST_STORE (see vite.config.ts). */
export const storeKind = (process.env.TEST_STORE ?? 'sqlite') as 'sqlite' | 'postgres';

export interface RequestOptions {
  body?: unknown;
  /** A raw body, sent as is (for broken JSON and other media types). */
  rawBody?: string;
  token?: string;
  apiKey?: string | null;
  headers?: Record<string, string>;
}

export interface TestServer {
  services: Services;
  dataDir: string;
  /** Sends a request through the app; ISV requests carry the API key unless `apiKey: null` or `token` is given. */
  request(method: string, url: string, options?: RequestOptions): Promise<{ status: number; body: any; headers: Headers }>;
  /** Stops and starts the server on the same data, as a process restart would. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Sends a test request the way `TestServer.request` does, through `fetchWith` (the app in this
 * process, or a server process over HTTP): ISV requests carry `apiKey` unless `apiKey: null` or a
 * `token` is given; a JSON answer is parsed.
 */
export async function send(
  fetchWith: (init: { headers: Record<string, string>; body?: string }) => Response | Promise<Response>,
  opts: RequestOptions,
  apiKey: string,
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  else if (opts.apiKey !== null) headers.authorization ??= `bearer ${opts.apiKey ?? apiKey}`;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetchWith({ headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

async function freshStore(): Promise<{ options: (dataDir: string) => StoreOptions; drop: () => Promise<void> }> {
  if (storeKind === 'postgres') {
    const url = process.env.TEST_DATABASE_URL!;
    const schema = `t_${Math.random().toString(36).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    return {
      options: () => ({ kind: 'postgres', url, schema, maxConnections: 4 }),
      drop: async () => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        await c.query(`DROP SCHEMA ${schema} CASCADE`);
        await c.end();
      },
    };
  }
  return { options: (dataDir) => ({ kind: 'sqlite', file: path.join(dataDir, 'alloy.sqlite') }), drop: async () => {} };
}

/**
 * The Slack channels of the fake Slack a test server gets when its test brings none: installing the
 * demo's Slack workflow checks the channel against the channels Slack lists.
 */
export const TEST_SLACK_CHANNELS = ['C0GENERAL', 'C0RANDOM', 'C0ORDERS', 'C1', 'C2', 'C3', 'C7', 'C9', 'C42', 'C123', 'C999', 'C-ann', 'C-bob'];

/**
 * A server on a fresh store (SQLite file in a temp dir, or a PostgreSQL schema of its own). Unless
 * `env` sets SLACK_API_URL, Slack is a fake of its own listing TEST_SLACK_CHANNELS (any `xoxb-` token);
 * likewise BigCommerce (any store and token) and NetSuite (any account), so the accounts tests
 * connect pass the check every connection gets (verify on connect). `rateLimitClock` stands in for
 * the rate limits' clock (milliseconds), so a test moves time on instead of waiting for Retry-After.
 */
export async function startTestServer(options: { env?: Record<string, string>; definitions?: () => Definitions; rateLimitClock?: () => number } = {}): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-test-'));
  const store = await freshStore();
  const slack = options.env?.SLACK_API_URL ? undefined : await startFakeSlack();
  if (slack) slack.channels = TEST_SLACK_CHANNELS.map((id) => ({ id, name: id.toLowerCase() }));
  const bigcommerce = options.env?.BIGCOMMERCE_API_URL ? undefined : await startFakeBigCommerce();
  if (bigcommerce) bigcommerce.state.acceptToken = () => true;
  const netsuite = options.env?.NETSUITE_API_URL ? undefined : await startFakeNetSuite(undefined, { anyAccount: true });
  const fakes = {
    ...(slack ? { SLACK_API_URL: slack.url } : {}),
    ...(bigcommerce ? { BIGCOMMERCE_API_URL: bigcommerce.url } : {}),
    ...(netsuite ? { NETSUITE_API_URL: netsuite.url } : {}),
  };
  // Workers are off unless a test asks for them, so executions stay as the API recorded them.
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, ALLOY_API_KEY: API_KEY, WORKERS: 'off', ...fakes, ...options.env });
  const boot = async () => {
    const started = await startServices(config, { store: store.options(dataDir), definitions: options.definitions?.() });
    return { services: started.services, app: createApp(started.services, { rateLimitClock: options.rateLimitClock }) };
  };
  let current = await boot();

  const server: TestServer = {
    get services() {
      return current.services;
    },
    dataDir,
    async request(method, url, opts = {}) {
      return send((init) => current.app.request(`http://localhost${url}`, { method, ...init }), opts, API_KEY);
    },
    async restart() {
      await current.services.engine.stop();
      await current.services.store.close();
      current = await boot();
    },
    async close() {
      await current.services.engine.stop();
      await current.services.store.close();
      await store.drop();
      await Promise.all([slack?.close(), bigcommerce?.close(), netsuite?.close()]);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Creates a user and returns its id. */
export async function createUser(server: TestServer, username: string): Promise<string> {
  const res = await server.request('POST', '/users', { body: { username } });
  if (res.status !== 201) throw new Error(`createUser ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.userId as string;
}

/** Mints a user token through the API. */
export async function userToken(server: TestServer, userId: string): Promise<string> {
  const res = await server.request('GET', `/users/${userId}/token`);
  if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/** Polls the logs API until the execution has `status` (about 10 s at most), and returns it as the API shows it. */
export async function waitForExecution(server: TestServer, userId: string, workflowId: string, executionId: string, status: string) {
  for (let i = 0; i < 400; i++) {
    const logs = await server.request('GET', `/workflows/${workflowId}/logs?userId=${userId}`);
    const execution = logs.body.data.find((e: { executionId: string }) => e.executionId === executionId);
    if (execution?.status === status) return execution;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`execution ${executionId} never became ${status}`);
}
