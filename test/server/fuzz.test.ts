import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeSlack, type FakeSlack } from '../../demo/fakes/slack';
import type { AppEnv } from '../../server/api';
import { createApp } from '../../server/app';
import { CONSOLE_PAGES } from '../../server/routes/console-page';
import { definitionsWith, vaultIntegration } from '../helpers/definitions';
import { addCredential, countRows, installHeadless, ticket } from '../helpers/flows';
import { API_KEY, createUser, startTestServer, storeKind, userToken, type TestServer } from '../helpers/server';

/**
 * Property tests: random and malformed bodies, queries, headers and path segments against every
 * endpoint, with the right auth, none and wrong ones. The endpoints come from the app's own
 * OpenAPI document (plus the few routes it leaves out, listed below), so a new endpoint is fuzzed
 * without touching this file. Whatever is sent:
 * - no answer is a 5xx (but the documented 502 upstream_error of the option routes),
 * - every 4xx is JSON in the one error shape `{ error: { code, message, details? } }`,
 * - a success has the documented status and matches the documented response schema,
 * - no answer carries a stack trace or a path of the server's files,
 * - a request without a valid credential never gets past the auth check, and one with it never gets a 401,
 * - nothing pollutes Object.prototype.
 * Most requests are a good one (fixtures below) with some parts broken, so they reach the
 * handlers and the store rather than stopping at validation.
 *
 * FUZZ_RUNS (default 40) sets the runs per endpoint; on a failure fast-check prints the seed and
 * path, which FUZZ_SEED and FUZZ_PATH replay. FUZZ_DEBUG=1 prints each request's answer.
 */

const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const PATH = process.env.FUZZ_PATH;
const fcOptions = (runs = RUNS): fc.Parameters<unknown> => ({ numRuns: runs, ...(SEED !== undefined ? { seed: SEED, path: PATH } : {}) });

type Auth = 'apiKey' | 'userToken' | 'none';

interface Operation {
  method: string;
  /** OpenAPI form: `/users/{userId}`. */
  path: string;
  auth: Auth;
  query: Array<{ name: string; required: boolean }>;
  body?: JsonSchema;
  /** The documented success status and the schema of its answer, from the OpenAPI document. */
  success?: { status: number; schema?: z.ZodType };
  /** Not in the OpenAPI document (see UNDOCUMENTED). */
  undocumented?: boolean;
  /** A page for a browser (the OAuth popup's last page): its errors are HTML, not JSON. */
  html?: boolean;
}

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  additionalProperties?: unknown;
}

/**
 * Routes the OpenAPI document leaves out: they are not API calls of the ISV or the widget
 * (inbound webhooks, the OAuth popup's begin and callback, pages and static files). A test below fails when
 * the app has a route that is in neither, so a new one has to be added here to be fuzzed.
 */
const UNDOCUMENTED: Operation[] = (
  [
    { method: 'POST', path: '/hooks/{token}', auth: 'none', query: [], body: { type: 'object', additionalProperties: {} } },
    {
      method: 'GET',
      path: '/oauth/callback',
      auth: 'none',
      html: true,
      query: ['state', 'code', 'error', 'error_description'].map((name) => ({ name, required: false })),
    },
    // The popup's first page: a form the page that started the sign-in posts (the state in the query).
    { method: 'POST', path: '/oauth/begin', auth: 'none', html: true, query: [{ name: 'state', required: false }] },
    // A headless OAuth link (GET /headless/oauthUrl), opened by the user's browser.
    { method: 'GET', path: '/oauth/link/{token}', auth: 'none', html: true, query: [] },
    { method: 'GET', path: '/install/{integrationId}', auth: 'none', query: [] },
    { method: 'GET', path: '/icons/{name}', auth: 'none', query: [] },
    { method: 'GET', path: '/widget/{file}', auth: 'none', query: [] },
    { method: 'GET', path: '/openapi.json', auth: 'none', query: [] },
    { method: 'GET', path: '/docs', auth: 'none', query: [] },
    { method: 'GET', path: '/docs/{file}', auth: 'none', query: [] },
    // Named in POST /users' description: OpenAPI tools take a trailing slash for the same path.
    { method: 'POST', path: '/users/', auth: 'apiKey', query: [], body: { type: 'object', properties: { username: { type: 'string' } } } },
    { method: 'GET', path: '/favicon.ico', auth: 'none', query: [] },
    { method: 'GET', path: '/', auth: 'none', query: [] },
    // The console's pages and hashed assets (server/routes/console-page.ts).
    ...CONSOLE_PAGES.map((p) => ({ method: 'GET', path: p.replace(/:(\w+)/g, '{$1}'), auth: 'none', html: true, query: [] })),
    { method: 'GET', path: '/console/assets/{file}', auth: 'none', query: [] },
    // The console's sign-in and its API (server/routes/console/): the session cookie only, so without it each is a 401 or a 403.
    { method: 'POST', path: '/console/session', auth: 'none', query: [], body: { type: 'object', properties: { apiKey: { type: 'string' } } } },
    { method: 'DELETE', path: '/console/session', auth: 'none', query: [] },
    ...[
      '/console/api/session',
      '/console/api/overview',
      '/console/api/users',
      '/console/api/users/{userId}',
      '/console/api/executions',
      '/console/api/executions/{executionId}',
      '/console/api/errors',
      '/console/api/definitions',
      '/console/api/definitions/{workflowId}/diff',
      '/console/api/definitions/{workflowId}/versions/{version}/installations',
      '/console/api/deliveries',
    ].map((path) => ({ method: 'GET', path, auth: 'none', query: [] })),
    { method: 'POST', path: '/console/api/executions/{executionId}/rerun', auth: 'none', query: [], body: { type: 'object', properties: { from: { type: 'string' } } } },
    { method: 'POST', path: '/console/api/errors/replay', auth: 'none', query: [], body: { type: 'object', properties: { groupId: { type: 'string' } } } },
    { method: 'POST', path: '/console/api/deliveries/{deliveryId}/redeliver', auth: 'none', query: [] },
  ] as Operation[]
).map((op) => ({ ...op, undocumented: true }));

/** Every error code the API documents (docs/api.md "Errors", server/errors.ts). */
const ERROR_CODES = [
  'invalid_request',
  'invalid_json',
  'unsupported_media_type',
  'payload_too_large',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'unknown_event',
  'conflict',
  'upgrade_blocked',
  'rate_limited',
  'unavailable',
  'upstream_error',
  'credential_refused',
];

// ── what a request is made of: small descriptions, so a counterexample prints short ──────────
/** A string too long to print: `{ $$huge: length }`. */
type Huge = { $$huge: number; char: string };
/** Nesting too deep to build as a value: `{ $$deep: depth }` of arrays or objects around `inner`. */
type Deep = { $$deep: number; kind: 'array' | 'object'; inner: unknown };

type BodySpec = { none: true } | { json: unknown } | { text: string } | { bytes: number[] };
interface RequestSpec {
  method: string;
  prefix: string;
  segments: Record<string, string>;
  query: string;
  auth: string;
  headers: Array<[string, string]>;
  body: BodySpec;
}

/** JSON text of a value whose `$$huge` and `$$deep` markers are expanded (JSON.stringify could not nest that deep). */
function toJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v && typeof v === 'object') {
    if ('$$huge' in v) return JSON.stringify((v as Huge).char.repeat((v as Huge).$$huge));
    if ('$$deep' in v) {
      const d = v as Deep;
      const [open, close] = d.kind === 'array' ? ['[', ']'] : ['{"a":', '}'];
      return `${open.repeat(d.$$deep)}${toJson(d.inner)}${close.repeat(d.$$deep)}`;
    }
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** encodeURIComponent that also takes lone surrogates (as the invalid UTF-8 a raw client could send). */
function encodeSegment(s: string): string {
  return s
    .replace(/[\ud800-\udfff]/g, (ch, i: number) => {
      const code = ch.charCodeAt(0);
      const paired = code < 0xdc00 ? /[\udc00-\udfff]/.test(s[i + 1] ?? '') : /[\ud800-\udbff]/.test(s[i - 1] ?? '');
      return paired ? ch : '\u0000LONE\u0000';
    })
    .split('\u0000LONE\u0000')
    .map(encodeURIComponent)
    .join('%ED%A0%80');
}

// ── arbitraries ───────────────────────────────────────────────────────────────
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '\ude00y',
  '[redacted]',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '{{event}}',
  '{{config.channel}}',
  '{{steps.x.output}}',
  '%00',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  'NaN',
  '1e400',
  '-0',
  '\u202e\u2066',
  '\ufeff',
  '😀😀😀',
  'é',
  '\r\n\t',
  'null',
  'true',
];

const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }) },
);
const huge: fc.Arbitrary<Huge> = fc.record({
  $$huge: fc.constantFrom(256, 1001, 65_536, 600_000, 1_100_000),
  char: fc.constantFrom('x', 'é', '😀', '\u0000', '"'),
});
const deep: fc.Arbitrary<Deep> = fc.record({
  $$deep: fc.constantFrom(99, 200, 5_000, 50_000, 100_000),
  kind: fc.constantFrom('array' as const, 'object' as const),
  inner: fc.constantFrom(1, 'x', null, {}, '\u0000'),
});
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, 1000, 1001, 255, 256));
/** Any JSON value, weighted to what breaks things. */
const nasty: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: text },
  { weight: 2, arbitrary: number },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
  { weight: 1, arbitrary: fc.dictionary(text, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
  { weight: 1, arbitrary: huge },
  { weight: 1, arbitrary: deep },
);

const BROKEN_JSON = [
  '{',
  '{"username": "gregg",',
  '[1, 2',
  '{"a": 1,}',
  "{'a': 1}",
  'undefined',
  'NaN',
  '{"a":1}{"b":2}',
  '\ufeff{}',
  '{"a": "\\ud800"}',
  '{"a": "\\u0000"}',
  '{"a": 1e99999}',
  '-',
  '"unterminated',
  '{"a": "\\x41"}',
  '{"__proto__": {"polluted": true}}',
  '{"constructor": {"prototype": {"polluted": true}}}',
  '{"userId": "a", "userId": "b"}',
  'null',
  '   \n\t  ',
  '\u0000',
];

// Header values a client can send: latin-1 without CR, LF and NUL (fetch's Headers refuses those).
const headerChar = fc
  .integer({ min: 0x20, max: 0xff })
  .filter((c) => c !== 0x7f)
  .map((c) => String.fromCharCode(c));
/** `length` characters that do not compress (a long repeated key fits a PostgreSQL index; a random one may not). */
const incompressible = (seed: number, length: number) => {
  let out = '';
  for (let i = 0; out.length < length; i++) out += createHash('sha256').update(`${seed}:${i}`).digest('base64url');
  return out.slice(0, length);
};
const headerValue = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: headerChar, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 256, max: 9_000 }).map((n) => 'k'.repeat(n)) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom(255, 256, 3_000, 8_000)).map(([seed, n]) => incompressible(seed, n)) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', 'null', 'a, b', '"quoted"', 'é', 'ÿÿ', '\t') },
);

const CONTENT_TYPES = [
  'application/json; charset=utf-8',
  'application/vnd.api+json',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonp',
  'text/json',
  'application/json; charset=utf-16',
  ';',
  '*/*',
];

/** Path segments beyond the fixtures' own values: traversal, encodings, NUL, prototype names, length. */
const RAW_SEGMENTS = [
  '..',
  '.',
  '%2e%2e',
  '%2F',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  'a%00b',
  '%',
  '%zz',
  '%E0%A4%A',
  '%ED%A0%80',
  '%FF%FE',
  'null',
  '0',
  '-1',
  '%20',
  '+',
  'a;b=c',
  '*',
  '%252F',
  '~',
];
/** Names that are properties of every object: a lookup by a user's string must not find them. */
const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];
/** A path segment: mostly a good value (so the other parts of the request are what is tested), else a bad one. */
const segmentArb = (good: readonly string[]) =>
  fc.oneof(
    { weight: good.length ? 18 : 0, arbitrary: fc.constantFrom(...(good.length ? good : ['x'])).map(encodeURIComponent) },
    { weight: 4, arbitrary: fc.constantFrom(...PROTO_NAMES) },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
    { weight: 2, arbitrary: text.map(encodeSegment) },
    { weight: 1, arbitrary: fc.constantFrom(300, 3_000, 20_000).map((n) => 'x'.repeat(n)) },
  );

/** Every path inside a JSON value (`['data', 'ticketName']`), the root included. */
function pathsIn(value: unknown, prefix: string[] = []): string[][] {
  if (!value || typeof value !== 'object') return [prefix];
  return [prefix, ...Object.entries(value).flatMap(([k, v]) => pathsIn(v, [...prefix, k]))];
}

/** A copy of `value` with the thing at `path` replaced (`undefined`: removed). */
function setIn(value: unknown, path: string[], next: unknown): unknown {
  if (path.length === 0) return next;
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...(value as Record<string, unknown>) };
  const [head, ...rest] = path;
  if (rest.length === 0 && next === undefined) delete copy[head!];
  else copy[head!] = setIn(copy[head!], rest, next);
  return copy;
}

const QUERY_VALUES = ['', '0', '-1', '1', '100', '1000', '1001', '1e400', 'NaN', 'Infinity', '0x10', '1.5', '99999999999999999999', '%00', '%', '%zz', 'a%00b', '%ED%A0%80'];

interface Fixtures {
  userId: string;
  username: string;
  token: string;
  otherToken: string;
  executionId: string;
  webhookToken: string;
  installationIds: string[];
  pendingId: string;
  credentialIds: string[];
}

// The server, and the operations its OpenAPI document lists, are known before the tests are
// collected, so each operation is a test of its own.
const slack: FakeSlack = await startFakeSlack({ oauth: { clientId: 'fuzz-client', clientSecret: 'fuzz-client-secret' } });
const server: TestServer = await startTestServer({
  env: {
    SLACK_API_URL: slack.url,
    SLACK_CLIENT_ID: 'fuzz-client',
    SLACK_CLIENT_SECRET: 'fuzz-client-secret',
    SLACK_OAUTH_URL: slack.authorizeUrl,
    // Nothing runs (workers are off); BigCommerce and NetSuite are the test server's fakes, which
    // answer the check of the accounts the fixtures connect: nothing reaches the internet.
  },
  definitions: () => definitionsWith([vaultIntegration]),
});
// The same app the test server runs, on the same services, for requests the helper cannot shape:
// repeated headers, raw bytes, any method.
const app: Hono<AppEnv> = createApp(server.services);
const operations: Operation[] = await documentedOperations(server);
operations.push(...UNDOCUMENTED);

async function documentedOperations(s: TestServer): Promise<Operation[]> {
  const doc = (await s.request('GET', '/openapi.json', { apiKey: null })).body;
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const security = (op.security ?? []) as Array<Record<string, unknown>>;
      out.push({
        method: method.toUpperCase(),
        path,
        auth: security.some((x) => 'apiKey' in x) ? 'apiKey' : security.some((x) => 'userToken' in x) ? 'userToken' : 'none',
        query: ((op.parameters ?? []) as Array<{ in: string; name: string; required: boolean }>)
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, required: p.required })),
        body: op.requestBody?.content?.['application/json']?.schema,
        success: successOf(op.responses),
      });
    }
  }
  return out;
}

/** The documented 2xx answer: its status, and its JSON Schema as a zod schema to check answers against. */
function successOf(responses: Record<string, any>): Operation['success'] {
  const [status, response] = Object.entries(responses).find(([code]) => /^2\d\d$/.test(code)) ?? [];
  if (!status) return undefined;
  const schema = response?.content?.['application/json']?.schema;
  return { status: Number(status), schema: schema ? z.fromJSONSchema(schema) : undefined };
}

describe(`fuzzing every endpoint (${storeKind})`, () => {
  let fixtures: Fixtures;
  let fixtureCount = 0;
  /** Whether the last test may have changed the fixtures. */
  let dirty = false;

  /** A user with Slack, BigCommerce and Vault installed, a credential of each app, a pending install, an execution. */
  async function makeFixtures(): Promise<Fixtures> {
    const username = `fuzzer-${++fixtureCount}`;
    const userId = await createUser(server, username);
    const slackCredential = await addCredential(server, userId, 'slack', { botToken: 'xoxb-fuzz' });
    await installHeadless(server, userId, 'slack', { credentialId: slackCredential, data: { channel: 'C0GENERAL' } });
    const bcCredential = await addCredential(server, userId, 'bigcommerce', { storeHash: 'abc123', accessToken: 'bc-token' });
    await installHeadless(server, userId, 'bigcommerce', { credentialId: bcCredential, data: { staffNote: 'fuzz' } });
    await installHeadless(server, userId, 'vault', { data: { url: 'https://example.com/records', apiToken: 'vault-token' } });
    const pending = await server.request('POST', '/headless/startInstallation', { body: { userId, integrationId: 'netsuite' } });
    const event = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    const installations = (await server.request('GET', `/installations?userId=${userId}`)).body.data as Array<{ installationId: string; webhookUrl: string | null }>;
    const other = await createUser(server, `other-${fixtureCount}`);
    return {
      userId,
      username,
      token: await userToken(server, userId),
      otherToken: await userToken(server, other),
      executionId: event.body.executionIds[0],
      webhookToken: installations.find((i) => i.webhookUrl)!.webhookUrl!.split('/hooks/')[1]!,
      installationIds: installations.map((i) => i.installationId),
      pendingId: pending.body.installationId,
      credentialIds: [slackCredential, bcCredential],
    };
  }

  beforeAll(async () => {
    fixtures = await makeFixtures();
  });
  afterAll(async () => {
    await server.close();
    await slack.close();
  });

  // ── building requests ──────────────────────────────────────────────────────
  /** Known-good values by parameter or field name, so requests also get past validation into the handlers. */
  function goodValues(name: string): unknown[] {
    const f = fixtures;
    const eventData = [ticket, { orderId: '100', status: 'shipped' }, { id: 'inv-1', invoiceNumber: 'INV-1', invoiceAmount: 10 }, { recordId: 'r-1' }];
    const configs = [{ channel: 'C0GENERAL' }, { staffNote: 'n' }, { url: 'https://example.com/x', apiToken: '[redacted]' }, { subsidiary: '1' }];
    const table: Record<string, unknown[]> = {
      userId: [f.userId, f.username],
      username: [`new-${Math.random().toString(36).slice(2)}`, f.username],
      fullName: ['Ann Example', null],
      integrationId: ['slack', 'bigcommerce', 'netsuite', 'vault'],
      workflowId: ['slack-ticket-created', 'bigcommerce-fulfillment-updated', 'bigcommerce-order-created', 'netsuite-create-invoice', 'vault-forward'],
      workflowIds: [['slack-ticket-created'], ['bigcommerce-order-created', 'bigcommerce-fulfillment-updated'], ['vault-forward']],
      executionId: [f.executionId],
      installationId: [...f.installationIds, f.pendingId],
      event: ['Ticket Created', 'Fulfillment Updated', 'create_invoice', 'Record Saved'],
      id: ['idem-1', 'idem-2'],
      app: ['slack', 'bigcommerce', 'netsuite', 'streamData', 'postgres', 'mysql'],
      type: ['slack', 'bigcommerce', 'netsuite'],
      connector: ['slack'],
      source: ['channels'],
      credentialId: f.credentialIds,
      credentialName: ['slack', 'bigcommerce'],
      token: [f.webhookToken],
      name: ['slack.svg', 'webhook.svg'],
      file: ['alloy.js', 'alloy.mjs', 'alloy-ui.js'],
      limit: ['1', '2', '1000'],
      cursor: [f.userId, f.executionId],
      origin: ['https://app.acme.test/settings', 'http://localhost:3000'],
      data: [...eventData, ...configs, { botToken: 'xoxb-fuzz-2' }, { storeHash: 'abc123', accessToken: 't' }],
      config: configs,
      credential: [{ type: 'slack', data: { botToken: 'xoxb-fuzz-3' } }],
      users: [[{ username: `batch-${Math.random().toString(36).slice(2)}` }]],
    };
    return Object.hasOwn(table, name) ? table[name]! : [];
  }

  /** A value for a schema: often a good one for its name, else one of its type, else anything. */
  function valueFor(schema: JsonSchema | undefined, name: string | undefined): fc.Arbitrary<unknown> {
    const good = name ? goodValues(name) : [];
    return fc.oneof(
      { weight: good.length ? 5 : 0, arbitrary: fc.constantFrom(...(good.length ? good : [null])) },
      { weight: 3, arbitrary: typed(schema, name) },
      { weight: 1, arbitrary: nasty },
    );
  }

  function typed(schema: JsonSchema | undefined, name: string | undefined): fc.Arbitrary<unknown> {
    if (!schema) return nasty;
    if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => typed(s, name)));
    switch (schema.type) {
      case 'object': {
        const properties = schema.properties ?? {};
        const known = fc.record(Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, valueFor(s, k)])), { requiredKeys: [] });
        const extra = fc.dictionary(fc.oneof(text, fc.constantFrom('__proto__', 'constructor', 'deep')), nasty, { maxKeys: 3 });
        return fc.tuple(known, fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extra })).map(([a, b]) => ({ ...b, ...a }));
      }
      case 'array':
        return fc.array(valueFor(schema.items, name?.replace(/s$/, '')), { maxLength: 4 });
      case 'string': {
        const edges = [schema.minLength, schema.maxLength, schema.maxLength === undefined ? undefined : schema.maxLength + 1]
          .filter((n): n is number => n !== undefined)
          .map((n) => 'é'.repeat(n));
        return fc.oneof(text, fc.constantFrom(...edges, 'x'));
      }
      case 'integer':
      case 'number':
        return number;
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      default:
        return nasty;
    }
  }

  /**
   * A body each endpoint accepts, to start mutations from: requests one change away from a good
   * one reach the handlers and the store, where a random body stops at validation. An endpoint
   * missing here is fuzzed from its schema alone.
   */
  function exampleBody(op: Operation): unknown {
    const f = fixtures;
    const fresh = () => `new-${Math.random().toString(36).slice(2)}`;
    const examples: Record<string, unknown> = {
      'POST /users': { username: fresh(), fullName: 'Ann Example' },
      'POST /users/batch': { users: [{ username: fresh() }, { username: fresh(), fullName: null }] },
      'PUT /users/{userId}': { fullName: 'Ann Renamed' },
      'POST /headless/credentials': { userId: f.userId, credential: { type: 'slack', data: { botToken: 'xoxb-fuzz-2' } } },
      'POST /headless/startInstallation': { userId: f.userId, integrationId: 'slack', credentialId: f.credentialIds[0] },
      'POST /headless/completeInstallation': { userId: f.userId, installationId: f.pendingId, data: { subsidiary: '1' } },
      'POST /run/event': { event: 'Ticket Created', userId: f.userId, data: ticket },
      'PUT /workflows/activate': { userId: f.userId, workflowId: 'slack-ticket-created' },
      'PUT /workflows/deactivate': { userId: f.userId, workflowId: 'slack-ticket-created' },
      'PUT /workflows/{workflowId}/upgrade': { userId: f.userId },
      'POST /run/workflow': { userId: f.userId, workflowId: 'slack-ticket-created', data: ticket },
      'POST /me/credentials': { app: 'bigcommerce', data: { storeHash: 'abc123', accessToken: 'bc-token-2' } },
      'POST /me/installations': { integrationId: 'slack', credentialId: f.credentialIds[0], config: { channel: 'C0GENERAL' } },
      'PUT /me/installations/{installationId}': { config: { channel: 'C0RANDOM' } },
      'POST /plugins/appmixer/utils/appevents/events/{event}': ticket,
      'POST /me/events/{event}': ticket,
      'POST /me/oauth/{app}/start': { origin: 'https://app.acme.test/settings' },
      'POST /hooks/{token}': { id: 7, status: 'paid', items: [{ sku: 'A' }] },
    };
    return examples[`${op.method} ${op.path}`];
  }

  function bodyArb(op: Operation): fc.Arbitrary<BodySpec> {
    const none = fc.constant({ none: true as const });
    const canHaveBody = op.method !== 'GET' && op.method !== 'HEAD';
    if (!canHaveBody) return none;
    const example = exampleBody(op);
    const shaped = op.body ? valueFor(op.body, op.path.endsWith('{event}') ? 'data' : undefined) : nasty;
    const start = example === undefined ? shaped : fc.oneof(fc.constant(example), shaped);
    // One change to a good body: a value replaced or removed, or something deep or huge added
    // inside one of its objects (the innermost most often: `data` of an event reaches the store).
    const objectPaths = pathsIn(example).filter((p) => {
      const at = p.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], example);
      return at !== null && typeof at === 'object' && !Array.isArray(at);
    });
    const mutated =
      example === undefined
        ? shaped
        : fc.oneof(
            { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...pathsIn(example)), nasty).map(([path, value]) => setIn(example, path, value)) },
            { weight: 1, arbitrary: fc.constantFrom(...pathsIn(example).filter((p) => p.length > 0)).map((path) => setIn(example, path, undefined)) },
            {
              weight: 3,
              arbitrary: fc
                .tuple(fc.constantFrom(...objectPaths.flatMap((p) => Array.from({ length: 2 * p.length + 1 }, () => p))), fc.oneof(deep, huge))
                .map(([path, value]) => setIn(example, [...path, 'deep'], value)),
            },
          );
    const truncated = start.chain((v) => {
      const json = toJson(v);
      return fc.integer({ min: 0, max: Math.max(0, Math.min(json.length - 1, 2_000)) }).map((n) => json.slice(0, n));
    });
    // Valid JSON with bytes that are not UTF-8 inside a string.
    const badUtf8 = fc.constantFrom([0xff], [0xfe, 0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]).map((bad) => {
      const [before, after] = toJson({ ...((example ?? {}) as object), note: 'MARK' }).split('MARK');
      return { bytes: [...Buffer.from(before!), ...bad, ...Buffer.from(after!)] };
    });
    return fc.oneof(
      { weight: example === undefined ? 0 : 2, arbitrary: fc.constant({ json: example }) },
      { weight: example === undefined ? 0 : 8, arbitrary: mutated.map((json) => ({ json })) },
      { weight: op.body ? 3 : 1, arbitrary: shaped.map((json) => ({ json })) },
      { weight: 1, arbitrary: nasty.map((json) => ({ json })) },
      { weight: 1, arbitrary: fc.constantFrom(...BROKEN_JSON).map((t) => ({ text: t })) },
      { weight: 1, arbitrary: truncated.map((t) => ({ text: t })) },
      { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 64 }).map((bytes) => ({ bytes })) },
      { weight: 1, arbitrary: badUtf8 },
      { weight: op.body ? 1 : 8, arbitrary: none },
    );
  }

  /** The Authorization header: labels, resolved when the request is sent. */
  function authArb(op: Operation): fc.Arbitrary<string> {
    const valid = op.auth === 'apiKey' ? ['key', 'key-upper'] : op.auth === 'userToken' ? ['token'] : [];
    const invalid = ['none', 'wrong-key', 'basic-key', 'bare-key', 'key-twice', 'tampered-token', 'empty', 'bearer-only'];
    const other = op.auth === 'apiKey' ? ['token'] : op.auth === 'userToken' ? ['key', 'key-upper', 'other-user-token'] : ['key', 'token'];
    return fc.oneof(
      { weight: valid.length ? 8 : 0, arbitrary: fc.constantFrom(...(valid.length ? valid : ['none'])) },
      { weight: 3, arbitrary: fc.constantFrom(...invalid, ...other) },
      { weight: 1, arbitrary: fc.string({ unit: headerChar, maxLength: 30 }).map((s) => `raw:${s}`) },
    );
  }
  const isValidAuth = (op: Operation, label: string) =>
    op.auth === 'none' || (op.auth === 'apiKey' ? label === 'key' || label === 'key-upper' : label === 'token' || label === 'other-user-token');
  function authHeaders(label: string): Array<[string, string]> {
    const f = fixtures;
    const table: Record<string, Array<[string, string]>> = {
      key: [['authorization', `bearer ${API_KEY}`]],
      'key-upper': [['authorization', `  BEARER   ${API_KEY} `]],
      token: [['authorization', `Bearer ${f.token}`]],
      'other-user-token': [['authorization', `Bearer ${f.otherToken}`]],
      none: [],
      'wrong-key': [['authorization', `bearer ${API_KEY.slice(0, -1)}X`]],
      'basic-key': [['authorization', `Basic ${API_KEY}`]],
      'bare-key': [['authorization', API_KEY]],
      'key-twice': [
        ['authorization', `bearer ${API_KEY}`],
        ['authorization', `bearer ${API_KEY}`],
      ],
      'tampered-token': [['authorization', `Bearer ${f.token.slice(0, -3)}${f.token.endsWith('AAA') ? 'BBB' : 'AAA'}`]],
      empty: [['authorization', '']],
      'bearer-only': [['authorization', 'Bearer']],
    };
    return label.startsWith('raw:') ? [['authorization', label.slice(4)]] : table[label]!;
  }

  function requestArb(op: Operation): fc.Arbitrary<RequestSpec> {
    const params = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    const segments = fc.record(Object.fromEntries(params.map((p) => [p, segmentArb(goodValues(p).map(String))])));
    const known = op.query.map((q) => q.name);
    const pair = fc.tuple(
      fc.oneof({ weight: known.length ? 4 : 0, arbitrary: fc.constantFrom(...(known.length ? known : ['x'])) }, { weight: 1, arbitrary: text.map(encodeSegment) }),
      fc.oneof({ weight: 2, arbitrary: fc.constantFrom('good') }, { weight: 1, arbitrary: fc.constantFrom(...QUERY_VALUES) }, { weight: 1, arbitrary: text.map(encodeSegment) }),
    );
    // The required parameters with good values, after random pairs (the first of a repeated key counts).
    const required = op.query.filter((q) => q.required).map((q): [string, string] => [q.name, 'good']);
    const query = fc.oneof(
      { weight: 4, arbitrary: fc.constant(required) },
      { weight: 3, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((pairs) => [...pairs, ...required]) },
      { weight: 1, arbitrary: fc.array(pair, { maxLength: 5 }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom<Array<[string, string]>>(
          [['&&=&a=b=c&', '']],
          [['%zz', '%zz']],
          [
            ['limit', '1'],
            ['limit', '1001'],
          ],
        ),
      },
    );
    const contentType = fc.oneof(
      { weight: 16, arbitrary: fc.constant<Array<[string, string]>>([['content-type', 'application/json']]) },
      { weight: 1, arbitrary: fc.constant<Array<[string, string]>>([]) },
      { weight: 2, arbitrary: fc.constantFrom(...CONTENT_TYPES).map((t): Array<[string, string]> => [['content-type', t]]) },
      {
        weight: 1,
        arbitrary: fc.constant<Array<[string, string]>>([
          ['content-type', 'application/json'],
          ['content-type', 'text/plain'],
        ]),
      },
      { weight: 1, arbitrary: headerValue.map((t): Array<[string, string]> => [['content-type', t]]) },
    );
    const extraHeader = fc.oneof(
      { weight: 8, arbitrary: fc.constant<Array<[string, string]>>([]) },
      { weight: 2, arbitrary: headerValue.map((v): Array<[string, string]> => [['idempotency-key', v]]) },
      {
        weight: 1,
        arbitrary: fc.tuple(headerValue, headerValue).map(([a, b]): Array<[string, string]> => [
          ['idempotency-key', a],
          ['idempotency-key', b],
        ]),
      },
      { weight: 1, arbitrary: headerValue.map((v): Array<[string, string]> => [['webhook-id', v]]) },
      { weight: 1, arbitrary: headerValue.map((v): Array<[string, string]> => [['if-none-match', v]]) },
      { weight: 1, arbitrary: headerValue.map((v): Array<[string, string]> => [['origin', v]]) },
      { weight: 1, arbitrary: fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), headerValue).map(([k, v]): Array<[string, string]> => [[k, v]]) },
    );
    return fc
      .record({
        prefix: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/2023-12', '/2024-03') }),
        segments,
        query: query.map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
        auth: authArb(op),
        contentType,
        extra: extraHeader,
        body: bodyArb(op),
      })
      .map(({ prefix, segments, query, auth, contentType, extra, body }) => ({
        method: op.method,
        prefix,
        segments,
        query,
        auth,
        headers: [...('none' in body ? [] : contentType), ...extra],
        body,
      }));
  }

  /** The URL of a request, `good` query values resolved against the fixtures. */
  function urlOf(op: Operation, spec: RequestSpec): string {
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => spec.segments[name]!);
    const query = spec.query.replace(/(^|&)([^=&]*)=good(?=&|$)/g, (_, sep: string, key: string) => {
      const good = goodValues(decodeURIComponentSafe(key)).map(String);
      return `${sep}${key}=${encodeURIComponent(good[0] ?? 'x')}`;
    });
    return `${spec.prefix}${path}${query ? `?${query}` : ''}`;
  }

  async function send(spec: RequestSpec, url: string) {
    const headers = new Headers();
    for (const [k, v] of [...authHeaders(spec.auth), ...spec.headers]) headers.append(k, v);
    // Bytes, not a string: a string body would make fetch add `content-type: text/plain` itself.
    const body =
      'json' in spec.body
        ? Buffer.from(toJson(spec.body.json))
        : 'text' in spec.body
          ? Buffer.from(spec.body.text)
          : 'bytes' in spec.body
            ? new Uint8Array(spec.body.bytes)
            : undefined;
    const res = await app.request(`http://localhost${url}`, { method: spec.method, headers, body });
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  /** What must hold of any answer. */
  function check(op: Operation, spec: RequestSpec, url: string, res: { status: number; headers: Headers; text: string }) {
    const where = `${spec.method} ${url.length > 300 ? `${url.slice(0, 300)}…` : url} → ${res.status} ${res.text.slice(0, 500)}`;
    let json: any;
    try {
      json = JSON.parse(res.text);
    } catch {
      json = undefined;
    }
    const upstream = res.status === 502 && json?.error?.code === 'upstream_error' && /\/options\//.test(op.path);
    expect(res.status < 500 || upstream, `5xx: ${where}`).toBe(true);

    if (res.status >= 400 && !op.html && spec.method !== 'HEAD') {
      expect(res.headers.get('content-type'), where).toMatch(/^application\/json/);
      expect(json, `not JSON: ${where}`).toBeDefined();
      expect(Object.keys(json), where).toEqual(['error', 'message']);
      const { error } = json;
      expect(ERROR_CODES, where).toContain(error.code);
      expect(typeof error.message === 'string' && error.message.length > 0, where).toBe(true);
      expect(
        Object.keys(error).filter((k) => !['code', 'message', 'details'].includes(k)),
        where,
      ).toEqual([]);
      if (error.details !== undefined) {
        expect(Array.isArray(error.details) && error.details.length > 0, where).toBe(true);
        for (const d of error.details) {
          expect(Object.keys(d).sort(), where).toEqual(['message', 'path']);
          expect(typeof d.path === 'string' && typeof d.message === 'string', where).toBe(true);
        }
      }
    }
    // (A dot segment, `..` or `%2e%2e`, moves the URL to another route: only the op's own route must answer JSON.)
    const sameRoute = new URL(`http://localhost${url}`).pathname.split('/').length === `${spec.prefix}${op.path}`.split('/').length;
    if (res.status < 300 && !op.undocumented && spec.method !== 'HEAD' && sameRoute) {
      // A success is the documented one: its status, JSON, in the documented schema.
      expect(res.headers.get('content-type'), where).toMatch(/^application\/json/);
      if (op.success) expect(res.status, where).toBe(op.success.status);
      const parsed = op.success?.schema?.safeParse(json);
      if (parsed && !parsed.success) expect.fail(`answer not in the documented schema: ${where}\n${parsed.error.message.slice(0, 1000)}`);
    }

    // No stack trace and no file of the server (in an error or an API answer; the widget's own
    // bundle names its sources), unless the request itself carried that text.
    if (res.status < 400 && op.undocumented) return void expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const sent = `${decodeURIComponentSafe(url)} ${'text' in spec.body ? spec.body.text : 'json' in spec.body ? toJson(spec.body.json).slice(0, 100_000) : ''}`;
    for (const pattern of [/\n\s+at\s/, /\bat [\w.<>]+ \(/, /\.(ts|js|mjs):\d+:\d+/, /node_modules/, /node:internal/]) {
      const found = res.text.match(pattern)?.[0];
      if (found && !sent.includes(found)) expect.fail(`stack trace (${pattern}): ${where}`);
    }
    if (res.text.includes(process.cwd()) && !sent.includes(process.cwd())) expect.fail(`server path: ${where}`);

    if (op.auth !== 'none' && !spec.auth.startsWith('raw:') && sameRoute) {
      if (isValidAuth(op, spec.auth)) expect(res.status, `valid credential refused: ${where}`).not.toBe(401);
      // 405: the URL names another route's path (an empty id makes `/users/`, POST's), for another method: no route ran.
      else expect([401, 404, 405, 413], `invalid credential let through: ${where}`).toContain(res.status);
    }
    expect(({} as Record<string, unknown>).polluted, 'Object.prototype polluted').toBeUndefined();
  }

  it('fuzzes every route the app serves: each is in the OpenAPI document or listed as undocumented', () => {
    // Parameter names aside: routes that differ only in them share one path template in the document.
    const known = new Set(operations.map((op) => `${op.method} ${op.path.replace(/\{\w+\}/g, ':')}`));
    const served = new Set(app.routes.filter((r) => ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].includes(r.method)).map((r) => `${r.method} ${r.path.replace(/:\w+/g, ':')}`));
    expect([...served].filter((r) => !known.has(r))).toEqual([]);
    // And the document is not empty: both kinds of auth are there.
    expect(operations.filter((op) => op.auth === 'apiKey').length).toBeGreaterThan(20);
    expect(operations.filter((op) => op.auth === 'userToken').length).toBeGreaterThan(5);
  });

  /** Words the routes are made of, to build paths near the real ones. */
  const ROUTE_WORDS = [...new Set(operations.flatMap((op) => op.path.split('/').filter((w) => w && !w.startsWith('{')))), 'hooks', 'callback'];

  it('answers any method on any path near the real ones without a 5xx, in the error shape', async () => {
    const ids = () => [fixtures.userId, fixtures.username, fixtures.executionId, fixtures.webhookToken, ...fixtures.installationIds, 'slack', 'channels'];
    const segment = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...ROUTE_WORDS) },
      { weight: 2, arbitrary: fc.constantFrom(...ids()).map(encodeURIComponent) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS, '') },
      { weight: 1, arbitrary: text.map(encodeSegment) },
    );
    dirty = true;
    const anyOp: Operation = { method: 'POST', path: '/', auth: 'none', query: [], undocumented: true };
    const spec = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
      path: fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => `/${parts.join('/')}`),
      request: requestArb(anyOp),
      auth: fc.constantFrom('key', 'token', 'none', 'wrong-key', 'tampered-token'),
    });
    await fc.assert(
      fc.asyncProperty(spec, async ({ method, path, request, auth }) => {
        const op: Operation = { ...anyOp, method, path, html: /^(\/\d{4}-\d{2})?\/oauth\/(callback|begin)/.test(path) };
        const body = method === 'GET' || method === 'HEAD' ? { none: true as const } : request.body;
        const full: RequestSpec = { ...request, method, auth, body, segments: {} };
        const url = urlOf(op, full);
        check(op, full, url, await send(full, url));
      }),
      fcOptions(RUNS * 5),
    );
  });

  for (const op of operations) {
    const auth = op.auth === 'apiKey' ? 'API key' : op.auth === 'userToken' ? 'user token' : 'no auth';
    it(`${op.method} ${op.path} (${auth}): no 5xx, errors in the error shape, no stack`, async () => {
      // Writes may remove what an endpoint needs (a user, an installation): after one, and for one, fixtures start fresh.
      if (dirty || op.method !== 'GET') fixtures = await makeFixtures();
      dirty = op.method !== 'GET';
      await fc.assert(
        fc.asyncProperty(requestArb(op), async (spec) => {
          const url = urlOf(op, spec);
          const res = await send(spec, url);
          if (process.env.FUZZ_DEBUG) console.log('FUZZ', op.method, op.path, spec.auth, JSON.stringify(spec.headers).slice(0, 80), res.status, res.text.slice(0, 80));
          check(op, spec, url, res);
        }),
        fcOptions(op.method === 'GET' ? RUNS : Math.round(RUNS * 1.5)),
      );
    });
  }

  // ── what the fuzzing found, pinned as examples ────────────────────────────────
  describe('regressions found by fuzzing', () => {
    type Res = Awaited<ReturnType<TestServer['request']>>;
    const expectError = (res: Res, status: number, path?: string | RegExp) => {
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(status);
      expect(Object.keys(res.body)).toEqual(['error', 'message']);
      expect(res.body.error.code).toBe('invalid_request');
      if (path) expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual([expect.stringMatching(path)]);
    };
    const nested = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
    const json = { 'content-type': 'application/json' };

    it('refuses a body nested deeper than 100 levels with a 400 naming where, instead of a 500 from JSON.stringify', async () => {
      const f = await makeFixtures();
      const events = await countRows(server, 'events');
      const data = `"ticketName":"T","customerEmail":"a@b.c","description":"d","deep":${nested(50_000)}`;
      expectError(
        await server.request('POST', '/run/event', { rawBody: `{"event":"Ticket Created","userId":"${f.userId}","data":{${data}}}`, headers: json }),
        400,
        /^data\.deep(\.a)+$/,
      );
      expectError(
        await server.request('POST', '/run/workflow', { rawBody: `{"workflowId":"slack-ticket-created","userId":"${f.userId}","data":{${data}}}`, headers: json }),
        400,
        /^data\.deep(\.a)+$/,
      );
      expectError(await server.request('POST', '/me/events/Ticket%20Created', { token: f.token, rawBody: `{${data}}`, headers: json }), 400, /^deep(\.a)+$/);
      expectError(await server.request('POST', `/hooks/${f.webhookToken}`, { apiKey: null, rawBody: nested(50_000), headers: json }), 400, /^(a\.)+a$/);
      // A few thousand levels were enough for the stack to run out.
      expectError(
        await server.request('POST', '/run/event', {
          rawBody: `{"event":"Ticket Created","userId":"${f.userId}","data":{${data.replace(nested(50_000), nested(5_000))}}}`,
          headers: json,
        }),
        400,
      );
      expect(await countRows(server, 'events')).toBe(events);

      // The limit counts every object and array, the body itself included: 100 pass, 101 do not.
      const hook = (levels: number) => server.request('POST', `/hooks/${f.webhookToken}`, { apiKey: null, rawBody: nested(levels), headers: json });
      expect((await hook(100)).status).toBe(202);
      const over = await hook(101);
      expectError(over, 400, new RegExp(`^a(\\.a){${99}}$`));
      expect(over.body.error.message).toContain('100 levels');
      expect(await countRows(server, 'events')).toBe(events + 1);
    });

    it('does not take a property of every object (constructor, __proto__…) for an option source, which leaked the engine settings', async () => {
      const f = await makeFixtures();
      for (const source of PROTO_NAMES) {
        for (const res of [
          await server.request('GET', `/me/options/slack/${source}?credentialId=${f.credentialIds[0]}`, { token: f.token }),
          await server.request('GET', `/users/${f.userId}/options/slack/${source}?credentialId=${f.credentialIds[0]}`),
        ]) {
          expect(res.status, `${source}: ${JSON.stringify(res.body).slice(0, 200)}`).toBe(404);
          expect(res.body.error.code).toBe('not_found');
          expect(JSON.stringify(res.body)).not.toMatch(/whsec_|xoxb-|webhookSecret|clientSecret/);
        }
      }
      // The real source still answers.
      const channels = await server.request('GET', `/me/options/slack/channels?credentialId=${f.credentialIds[0]}`, { token: f.token });
      expect(channels.body.data).toEqual([
        { label: '#general', value: 'C0GENERAL' },
        { label: '#random', value: 'C0RANDOM' },
      ]);
    });

    it('refuses a NUL in a webhook URL with a 400 naming the token (PostgreSQL answered 500)', async () => {
      expectError(await server.request('POST', '/hooks/a%00b', { apiKey: null, body: {} }), 400, 'token');
    });

    it('answers an OAuth callback whose state could never have been issued with the 400 page (PostgreSQL answered 500 or 502)', async () => {
      for (const query of ['state=a%00b&code=x', 'state=a%00b', 'state=%ED%A0%80&code=x', `state=${'s'.repeat(5_000)}&code=x`]) {
        const res = await server.request('GET', `/oauth/callback?${query}`, { apiKey: null });
        expect(res.status, query).toBe(400);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        expect(res.body).toMatch(/Could not connect: (This sign-in link has expired or was already used|the provider sent no code)/);
        expect(res.body).not.toMatch(/byte sequence|UTF8/);
      }
    });

    it('refuses a webhook-id over 255 characters with a 400 naming it (PostgreSQL could not index it: 500)', async () => {
      const f = await makeFixtures();
      const send = (id: string) => server.request('POST', `/hooks/${f.webhookToken}`, { apiKey: null, body: { id: 1 }, headers: { 'webhook-id': id } });
      expectError(await send(incompressible(1, 256)), 400, 'webhook-id');
      expectError(await send(incompressible(2, 6_000)), 400, 'webhook-id');
      const first = await send(incompressible(3, 255));
      expect(first.status).toBe(202);
      // Still the delivery's name: a redelivery is a repeat.
      const again = await send(incompressible(3, 255));
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    });
  });
});

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
