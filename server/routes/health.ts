import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { Api, AppEnv } from '../api';
import type { Services } from '../domain/context';
import { errorBody, handleError } from '../errors';
import { logger } from '../observability/log';
import { METRICS_CONTENT_TYPE, renderMetrics } from '../observability/metrics';
import type { ShutdownState } from '../observability/shutdown';
import { appliedSchemaVersion, SCHEMA_VERSION } from '../store/migrations';

const LiveResponse = z.object({ status: z.literal('ok') });
const ReadyResponse = z.object({
  status: z.literal('ready'),
  schemaVersion: z.number().int().meta({ description: 'The last migration applied to the store (at least the one this version of the server needs).' }),
});

/** How long readiness waits for the store: a probe gets a 503 saying so, not a hang until the query timeout. */
const READY_TIMEOUT_MS = 2000;

type Readiness = { ready: true; schemaVersion: number } | { ready: false; reason: 'shutting_down' | 'store_unavailable' | 'migrations_pending'; message: string };

/** Whether the process should get traffic: not shutting down, the store answering, its schema migrated at least as far as this code needs. */
async function readiness(services: Services, state: ShutdownState): Promise<Readiness> {
  if (state.shuttingDown) return { ready: false, reason: 'shutting_down', message: 'Not ready: the process is shutting down' };
  let timer: NodeJS.Timeout | undefined;
  let applied: number;
  try {
    applied = await Promise.race([
      appliedSchemaVersion(services.store.db),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS))),
    ]);
  } catch (err) {
    // The reason stays in the server's log: the probe is unauthenticated.
    logger.debug({ err }, 'health: the store does not answer');
    return { ready: false, reason: 'store_unavailable', message: 'Not ready: the store does not answer' };
  } finally {
    clearTimeout(timer);
  }
  // A newer server may have migrated further (a rolling upgrade): this one still runs on that schema.
  if (applied < SCHEMA_VERSION) {
    return { ready: false, reason: 'migrations_pending', message: `Not ready: the store's schema is at migration ${applied}; this server needs ${SCHEMA_VERSION}` };
  }
  return { ready: true, schemaVersion: applied };
}

/** The two probes' handlers; a change of readiness is logged once (a probe asks every few seconds). */
function probes(services: Services, state: ShutdownState) {
  let said: string | undefined = 'ready';
  return {
    live: (c: Context) => c.json({ status: 'ok' as const }),
    ready: async (c: Context) => {
      const now = await readiness(services, state);
      const reason = now.ready ? 'ready' : now.reason;
      if (reason !== said && reason !== 'shutting_down') {
        if (now.ready) logger.info('health: ready again');
        else logger.warn({ reason }, `health: ${now.message}`);
      }
      said = reason;
      if (!now.ready) return c.json({ ...errorBody('unavailable', now.message), reason: now.reason }, 503);
      return c.json({ status: 'ready' as const, schemaVersion: now.schemaVersion });
    },
  };
}

/** `/health/live` and `/health/ready`: no credential, no rate limit, in the OpenAPI document beside `/health`. */
export function healthRoutes(open: Api, services: Services, state: ShutdownState): void {
  const { live, ready } = probes(services, state);
  open.get(
    '/health/live',
    {
      summary: 'Liveness: the process runs',
      description: 'Always 200 while the process answers at all; a probe that fails it should restart the process.',
      tags: ['Operations'],
      response: LiveResponse,
    },
    live,
  );
  open.get(
    '/health/ready',
    {
      summary: 'Readiness: the store answers and is migrated',
      description:
        'A 200 when a trivial query of the store answers within 2 s and its schema is migrated at least as far as this server needs; a 503 otherwise and while the process shuts down, ' +
        'its `reason` one of `shutting_down`, `store_unavailable`, `migrations_pending`. A probe that fails it should stop sending traffic, not restart the process.',
      tags: ['Operations'],
      response: ReadyResponse,
    },
    ready,
  );
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();

/** `Authorization: Bearer <METRICS_TOKEN>`, compared in constant time; a 401 otherwise. */
function metricsToken(token: string): MiddlewareHandler {
  const expected = sha256(token);
  return async (c, next) => {
    const sent = /^bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim() ?? '';
    if (!timingSafeEqual(sha256(sent), expected)) {
      return c.json(errorBody('unauthorized', 'Send the metrics token as "Authorization: Bearer <METRICS_TOKEN>"'), 401, { 'WWW-Authenticate': 'Bearer' });
    }
    await next();
  };
}

/** `GET /metrics` on `app`, behind METRICS_TOKEN when one is set. Not in the OpenAPI document: Prometheus's text format, for Prometheus. */
function metricsRoute(app: Hono<AppEnv>, services: Services): void {
  const token = services.config.metricsToken;
  const scrape = async (c: Context) => c.body(await renderMetrics(services.store), 200, { 'content-type': METRICS_CONTENT_TYPE });
  if (token) app.get('/metrics', metricsToken(token), scrape);
  else app.get('/metrics', scrape);
}

/**
 * `/metrics` on the API's port: only with METRICS_TOKEN and without METRICS_PORT (then it is on
 * that port alone). With neither there is no such route (a 404), so the metrics are never public
 * by accident.
 */
export function mainPortMetrics(app: Hono<AppEnv>, services: Services): void {
  if (services.config.metricsToken && services.config.metricsPort === undefined) metricsRoute(app, services);
}

/**
 * What METRICS_PORT serves (server/index.ts and server/worker.ts listen on it): `/metrics`
 * (behind METRICS_TOKEN too, when set), and the two probes, for a worker process, which has no
 * other port, and for a server's probes while it shuts down: this port stays open until the
 * process exits, answering `/health/ready` 503.
 */
export function adminApp(services: Services, state: ShutdownState): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(handleError);
  app.notFound((c) => c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}`), 404));
  const { live, ready } = probes(services, state);
  app.get('/health/live', live);
  app.get('/health/ready', ready);
  metricsRoute(app, services);
  return app;
}
