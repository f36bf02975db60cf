import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app';
import { createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';

type Operation = Record<string, any>;
/** `[path, method, operation]` for every operation of the document. */
const operationsOf = (doc: { paths: Record<string, Record<string, Operation>> }) =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => [path, method, op] as const));

describe(`the API description and hosted pages (${storeKind})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('generates an OpenAPI 3.1 document from the route schemas', async () => {
    const res = await server.request('GET', '/openapi.json', { apiKey: null });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const post = res.body.paths['/users'].post;
    expect(post.security).toEqual([{ apiKey: [] }]);
    expect(post.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      properties: { username: { type: 'string' } },
      required: ['username'],
    });
    expect(res.body.paths['/run/event'].post.responses['200'].content['application/json'].schema.properties).toHaveProperty('executionIds');
    expect(res.body.paths['/me/installations'].post.security).toEqual([{ userToken: [] }]);
    expect(res.body.paths['/users/{userId}/token'].get.parameters).toContainEqual(expect.objectContaining({ name: 'userId', in: 'path' }));
    expect(res.body.paths['/workflows/{workflowId}'].get.parameters).toContainEqual(expect.objectContaining({ name: 'userId', in: 'query', required: true }));
    // Optional where a user token (alloy-frontend's x-alloy-user-token) names the user instead.
    expect(res.body.paths['/integrations'].get.parameters).toContainEqual(expect.objectContaining({ name: 'userId', in: 'query', required: false }));
  });

  it('documents every route it serves', async () => {
    const res = await server.request('GET', '/openapi.json', { apiKey: null });
    const documented = Object.entries(res.body.paths).flatMap(([path, methods]) => Object.keys(methods as object).map((m) => `${m} ${path}`));
    for (const route of [
      'post /users/batch',
      'get /workflows/{workflowId}/errors',
      'put /workflows/{workflowId}/upgrade',
      'delete /users/{userId}/logs',
      'post /plugins/appmixer/utils/appevents/events/{event}',
    ]) {
      expect(documented).toContain(route);
    }
  });

  it('names every operation with a unique operationId, Alloy’s own where it publishes one', async () => {
    const doc = (await server.request('GET', '/openapi.json', { apiKey: null })).body;
    const ids = operationsOf(doc).map(([, , op]) => op.operationId as string);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/users'].post.operationId).toBe('create-a-user');
    expect(doc.paths['/run/event'].post.operationId).toBe('run-event');
    expect(doc.paths['/headless/startInstallation'].post.operationId).toBe('start-installation');
    expect(doc.paths['/headless/completeInstallation'].post.operationId).toBe('complete-installation');
    expect(doc.paths['/workflows/{workflowId}/logs'].get.operationId).toBe('get-workflow-logs');
    expect(doc.paths['/integrations'].get.operationId).toBe('list-integrations');
    expect(doc.paths['/headless/credentials'].post.operationId).toBe('create-a-credential');
    expect(doc.paths['/run/event'].post.description).toContain('https://docs.runalloy.com/reference/embedded/run-event');
    expect(doc.paths['/me/installations'].get.operationId).toBe('listMyInstallations');
    // The vendor's trailing-slash spelling is one operation with /users, named in its description.
    expect(doc.paths['/users/']).toBeUndefined();
    expect(doc.paths['/users'].post.description).toContain('POST /users/');
  });

  it('lists each 4xx a route can answer with the one error body', async () => {
    const doc = (await server.request('GET', '/openapi.json', { apiKey: null })).body;
    const codes = (path: string, method: string) => Object.keys(doc.paths[path][method].responses);
    expect(codes('/users', 'post')).toEqual(['201', '400', '401', '409', '413', '415', '429', '500', '503']);
    expect(codes('/users/{userId}', 'get')).toEqual(['200', '400', '401', '404', '429', '500', '503']);
    // No store behind it: no 503. Every route reads x-api-version: a 400 for an unknown one.
    expect(codes('/metadata/credentials', 'get')).toEqual(['200', '400', '401', '429', '500']);
    expect(codes('/me/events/{event}', 'post')).toEqual(expect.arrayContaining(['403', '404', '409', '413', '415']));
    expect(codes('/workflows/activate', 'put')).toContain('403');
    expect(codes('/users/{userId}/options/{connector}/{source}', 'get')).toContain('502');
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);
    for (const [, , op] of operationsOf(doc)) {
      for (const [status, response] of Object.entries(op.responses as Record<string, { $ref?: string }>)) {
        if (status.startsWith('4')) expect(response.$ref, `${op.operationId} ${status}`).toMatch(/^#\/components\/responses\//);
      }
    }
    const tooMany = doc.components.responses.TooManyRequests;
    expect(tooMany.headers['Retry-After']).toEqual({ $ref: '#/components/headers/RetryAfter' });
    expect(tooMany.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(doc.components.responses.ServiceUnavailable.headers).toHaveProperty('Retry-After');
  });

  it('documents the request and response headers: x-api-version, Idempotency-Key and Idempotent-Replayed', async () => {
    const doc = (await server.request('GET', '/openapi.json', { apiKey: null })).body;
    const refs = (op: { parameters?: Array<{ $ref?: string }> }) => (op.parameters ?? []).map((p) => p.$ref).filter(Boolean);
    expect(doc.components.parameters.ApiVersion).toMatchObject({ name: 'x-api-version', in: 'header', schema: { enum: ['2023-12', '2024-03', '2025-09'], default: '2025-09' } });
    for (const [, , op] of operationsOf(doc)) expect(refs(op), op.operationId).toContain('#/components/parameters/ApiVersion');
    for (const [path, method] of [
      ['/run/event', 'post'],
      ['/run/workflow', 'post'],
      ['/me/events/{event}', 'post'],
      ['/plugins/appmixer/utils/appevents/events/{event}', 'post'],
    ]) {
      const op = doc.paths[path!][method!];
      expect(refs(op), path).toContain('#/components/parameters/IdempotencyKey');
      expect(op.responses['200'].headers['Idempotent-Replayed'], path).toEqual({ $ref: '#/components/headers/IdempotentReplayed' });
    }
    expect(refs(doc.paths['/users'].post)).not.toContain('#/components/parameters/IdempotencyKey');
    expect(doc.components.parameters.IdempotencyKey).toMatchObject({ name: 'Idempotency-Key', in: 'header', schema: { maxLength: 255 } });
  });

  it('declares every tag it uses, each with a description, and its contact, license and servers', async () => {
    const doc = (await server.request('GET', '/openapi.json', { apiKey: null })).body;
    const declared = new Map((doc.tags as Array<{ name: string; description: string }>).map((t) => [t.name, t.description]));
    for (const [, , op] of operationsOf(doc)) for (const tag of op.tags as string[]) expect(declared.get(tag), tag).toBeTruthy();
    expect(doc.info.license.name).toBe('MIT');
    expect(doc.info.contact).toBeDefined();
    expect(doc.servers[1]).toMatchObject({ url: 'http://localhost/{apiVersion}', variables: { apiVersion: { default: '2025-09' } } });
    expect(doc.paths['/integrations'].get.security).toEqual([{ apiKey: [] }, { browserUserToken: [] }]);
  });

  it('describes the answers of /health and /.well-known/jwks.json', async () => {
    const doc = (await server.request('GET', '/openapi.json', { apiKey: null })).body;
    expect(doc.paths['/health'].get.responses['200'].content['application/json'].schema).toMatchObject({ properties: { ok: { const: true } } });
    expect(doc.paths['/.well-known/jwks.json'].get.responses['200'].content['application/json'].schema).toMatchObject({
      required: ['keys'],
      properties: { keys: { type: 'array', items: { required: ['kty'] } } },
    });
    const jwks = await server.request('GET', '/.well-known/jwks.json', { apiKey: null });
    expect(jwks.body.keys[0].kty).toBeTypeOf('string');
  });

  it('serves the reference page with Scalar’s script from this origin, behind a CSP that allows only its own scripts', async () => {
    const res = await server.request('GET', '/docs', { apiKey: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*(unsafe|https?:)/);
    expect(csp).toContain("connect-src 'self'");
    const scripts = [...(res.body as string).matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts).toEqual([expect.stringMatching(/^<script src="\/docs\/scalar-[\d.]+\.js">$/), '<script src="/docs/init.js">']);
    expect(res.body).not.toMatch(/https?:\/\//);

    const src = /src="(\/docs\/scalar-[\d.]+\.js)"/.exec(res.body)![1]!;
    const bundle = await server.request('GET', src, { apiKey: null, headers: { 'accept-encoding': 'identity' } });
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect(bundle.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(bundle.body).toContain('createApiReference');
    const etag = bundle.headers.get('etag')!;
    expect((await server.request('GET', src, { apiKey: null, headers: { 'if-none-match': etag } })).status).toBe(304);
    const init = await server.request('GET', '/docs/init.js', { apiKey: null });
    expect(init.body).toContain("Scalar.createApiReference('#reference'");
    expect(init.body).toContain('"url":"/openapi.json"');
    const missing = await server.request('GET', '/docs/other.js', { apiKey: null });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({ code: 'not_found', message: 'No file "other.js" under /docs' });
  });

  it('sends the bundle gzipped to a browser that takes gzip', async () => {
    const page = (await server.request('GET', '/docs', { apiKey: null })).body as string;
    const src = /src="(\/docs\/scalar-[\d.]+\.js)"/.exec(page)![1]!;
    // The app itself, for the raw bytes (the helper reads every answer as text).
    const res = await createApp(server.services).request(`http://localhost${src}`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('vary')).toBe('accept-encoding');
    const size = (await res.arrayBuffer()).byteLength;
    expect(size).toBeLessThan(1_500_000);
  });

  it('hands out an install link whose token opens that user’s integration', async () => {
    const userId = await createUser(server, 'linked-user');
    const res = await server.request('GET', `/users/${userId}/integrations/slack/install-url`);
    expect(res.status).toBe(200);
    const url = new URL(res.body.url);
    expect(url.pathname).toBe('/install/slack');
    const token = new URLSearchParams(url.hash.slice(1)).get('token')!;
    const detail = await server.request('GET', '/me/integrations/slack', { token });
    expect(detail.status).toBe(200);
    expect(detail.body.integrationId).toBe('slack');
    const page = await server.request('GET', url.pathname, { apiKey: null });
    expect(page.status).toBe(200);
    // The widget's modal, not a form of its own, under a CSP that allows no inline code but the page's own (by hash).
    expect(page.body).toContain('<script src="/widget/alloy.js"></script>');
    expect(page.body).not.toMatch(/<form/i);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
  });

  it('refuses an install link for an integration that does not exist', async () => {
    const userId = await createUser(server, 'linked-user-2');
    const res = await server.request('GET', `/users/${userId}/integrations/nope/install-url`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect(res.body.error.message).toContain('slack');
  });

  it('serves the built widget with an ETag, and answers 304 when it has not changed', async () => {
    const first = await server.request('GET', '/widget/alloy.js', { apiKey: null });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/javascript/);
    expect(first.body).toMatch(/^var Alloy=/);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]{16}"$/);
    const again = await server.request('GET', '/widget/alloy.js', { apiKey: null, headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await server.request('GET', '/widget/other.js', { apiKey: null })).status).toBe(404);
  });

  it('answers 404 for a widget file named after a property of every object', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const res = await server.request('GET', `/widget/${name}`, { apiKey: null });
      expect(res.status, name).toBe(404);
      expect(res.body.error).toEqual({ code: 'not_found', message: `No widget file "${name}"` });
    }
  });

  it('serves the connector icons and answers its health check', async () => {
    const icon = await server.request('GET', '/icons/slack.svg', { apiKey: null });
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect((await server.request('GET', '/icons/..%2Fsecrets.svg', { apiKey: null })).status).toBe(404);
    expect((await server.request('GET', '/health', { apiKey: null })).body).toEqual({ ok: true });
  });
});
