import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';

// The version decides the shape only where versions give one key two forms; workflow logs are one
// (a succeeded run's `status`, and `results[].data`), so they show which version was chosen.
describe(`API versions (${storeKind})`, () => {
  let server: TestServer;
  let userId: string;
  beforeEach(async () => {
    server = await startTestServer();
    userId = await createUser(server, 'ann');
  });
  afterEach(() => server.close());

  it('serves the same route under each documented prefix and under the SDK prefixes 2023-01 and 2023-06', async () => {
    for (const prefix of ['', '/2023-12', '/2024-03', '/2025-09', '/2023-01', '/2023-06']) {
      const res = await server.request('GET', `${prefix}/integrations?userId=${userId}`);
      expect(res.status, prefix).toBe(200);
      expect(res.body.data.length, prefix).toBeGreaterThan(0);
    }
  });

  it('takes the version from the x-api-version header when the path has no prefix', async () => {
    const res = await server.request('GET', `/integrations?userId=${userId}`, { headers: { 'x-api-version': '2025-09' } });
    expect(res.status).toBe(200);
  });

  it('answers 400 naming the x-api-version header for a version Alloy never had', async () => {
    const res = await server.request('GET', `/integrations?userId=${userId}`, { headers: { 'x-api-version': '2022-02' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toContain('x-api-version');
    expect(res.body.error.message).toContain('2023-12, 2024-03, 2025-09');
    expect(res.body.error.details).toEqual([{ path: 'x-api-version', message: 'expected one of: 2023-12, 2024-03, 2025-09' }]);
  });

  it('answers 400 naming the path prefix for an unknown version there', async () => {
    const res = await server.request('GET', `/2099-01/integrations?userId=${userId}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('"/2099-01"');
  });

  it('lets the path prefix win over the header', async () => {
    const res = await server.request('GET', `/2024-03/integrations?userId=${userId}`, { headers: { 'x-api-version': 'nonsense' } });
    expect(res.status).toBe(200);
  });
});
