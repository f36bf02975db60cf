import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../server/app';
import { runningState } from '../../server/observability/shutdown';
import { SCHEMA_VERSION } from '../../server/store/migrations';
import { API_KEY, startTestServer, storeKind, type TestServer } from '../helpers/server';

describe(`health probes (${storeKind})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    // One API call per key now and then: the probes must not count against it.
    server = await startTestServer({ env: { RATE_LIMIT_API_KEY_PER_SECOND: '0.001', RATE_LIMIT_API_KEY_BURST: '1' } });
  });
  afterAll(() => server.close());

  it('/health/live answers 200 without a credential', async () => {
    const res = await server.request('GET', '/health/live', { apiKey: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('/health/ready answers 200 with the applied schema version when the store answers and is migrated', async () => {
    const res = await server.request('GET', '/health/ready', { apiKey: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', schemaVersion: SCHEMA_VERSION });
  });

  it('answers 503 with a reason while the store’s schema is behind the code’s, and 200 once it has caught up', async () => {
    const { db } = server.services.store;
    const last = await db.get<{ applied_at: number }>('SELECT applied_at FROM schema_migrations WHERE version = ?', [SCHEMA_VERSION]);
    await db.run('DELETE FROM schema_migrations WHERE version = ?', [SCHEMA_VERSION]);
    try {
      const res = await server.request('GET', '/health/ready', { apiKey: null });
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ reason: 'migrations_pending', error: { code: 'unavailable' } });
      expect(res.body.message).toBe(`Not ready: the store's schema is at migration ${SCHEMA_VERSION - 1}; this server needs ${SCHEMA_VERSION}`);
    } finally {
      await db.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [SCHEMA_VERSION, Number(last!.applied_at)]);
    }
    expect((await server.request('GET', '/health/ready', { apiKey: null })).status).toBe(200);
  });

  it('answers 503 when the store cannot answer its query, without saying why to the unauthenticated caller', async () => {
    const { db } = server.services.store;
    await db.run('ALTER TABLE schema_migrations RENAME TO schema_migrations_away');
    try {
      const res = await server.request('GET', '/health/ready', { apiKey: null });
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ reason: 'store_unavailable', message: 'Not ready: the store does not answer' });
      expect(JSON.stringify(res.body)).not.toMatch(/schema_migrations|no such table|does not exist/);
      // Alive all the same: the process runs, a restart would not help.
      expect((await server.request('GET', '/health/live', { apiKey: null })).status).toBe(200);
    } finally {
      await db.run('ALTER TABLE schema_migrations_away RENAME TO schema_migrations');
    }
    expect((await server.request('GET', '/health/ready', { apiKey: null })).status).toBe(200);
  });

  it('answers 503 while the process shuts down, and asks each client to close its connection', async () => {
    // The app server/index.ts builds, with the state its SIGTERM handler sets.
    const shutdown = runningState();
    const app = createApp(server.services, { shutdown });
    expect((await app.request('http://localhost/health/ready')).status).toBe(200);
    shutdown.shuttingDown = true;
    const res = await app.request('http://localhost/health/ready');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ reason: 'shutting_down', message: 'Not ready: the process is shutting down', error: { code: 'unavailable' } });
    expect(res.headers.get('connection')).toBe('close');
    expect((await app.request('http://localhost/health/live')).status).toBe(200);
    // Every answer while shutting down closes its connection, an API call's too.
    const users = await app.request('http://localhost/users', { headers: { authorization: `bearer ${API_KEY}` } });
    expect(users.headers.get('connection')).toBe('close');
  });

  it('is not rate-limited: probes carrying the API key pass where API calls are refused', async () => {
    expect((await server.request('GET', '/users')).status).toBe(200);
    expect((await server.request('GET', '/users')).status).toBe(429);
    for (let i = 0; i < 5; i++) {
      expect((await server.request('GET', '/health/ready')).status).toBe(200);
      expect((await server.request('GET', '/health/live')).status).toBe(200);
    }
  });

  it('is in the OpenAPI document, public, beside /health', async () => {
    const doc = (await server.request('GET', '/openapi.json', { apiKey: null })).body;
    const live = doc.paths['/health/live'].get;
    const ready = doc.paths['/health/ready'].get;
    expect(live.operationId).toBe('getLiveness');
    expect(ready.operationId).toBe('getReadiness');
    for (const op of [live, ready]) {
      expect(op.tags).toEqual(['Operations']);
      expect(op.security ?? []).toEqual([]);
      expect(Object.keys(op.responses)).not.toContain('401');
      expect(Object.keys(op.responses)).not.toContain('429');
    }
    expect(Object.keys(ready.responses)).toContain('503');
    expect(Object.keys(live.responses)).not.toContain('503');
  });
});
