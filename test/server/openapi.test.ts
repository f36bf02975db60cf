import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';

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
    expect(res.body.paths['/integrations'].get.parameters).toContainEqual(expect.objectContaining({ name: 'userId', in: 'query', required: true }));
  });

  it('documents every route it serves', async () => {
    const res = await server.request('GET', '/openapi.json', { apiKey: null });
    const documented = Object.entries(res.body.paths).flatMap(([path, methods]) => Object.keys(methods as object).map((m) => `${m} ${path}`));
    for (const route of ['post /users/batch', 'get /workflows/{workflowId}/errors', 'put /workflows/{workflowId}/upgrade', 'delete /users/{userId}/logs', 'post /plugins/appmixer/utils/appevents/events/{event}']) {
      expect(documented).toContain(route);
    }
  });

  it('serves a readable reference page', async () => {
    const res = await server.request('GET', '/docs', { apiKey: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.body).toContain('/run/event');
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
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
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
