import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../api';
import { logger } from './log';
import { observeHttp } from './metrics';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id';
import type { ShutdownState } from './shutdown';

/**
 * The route pattern that answered (`/workflows/:workflowId/logs`): the last route matched that is
 * not a middleware (`app.use`, method ALL); `unmatched` when none was (a 404 or 405). Never the
 * path, which holds ids and the webhook URLs' tokens.
 */
function routeOf(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) if (routes[i]!.method !== 'ALL') return routes[i]!.path;
  return 'unmatched';
}

/**
 * First on every request: its id (the caller's `X-Request-Id` when acceptable, else a new one),
 * echoed in the answer and kept in `c.get('requestId')` for the handlers (an event records it, an
 * internal error names it); the request's metrics; its log line (at debug: at info a busy server
 * would write a line per event); and, while shutting down, `Connection: close`, so a keep-alive
 * connection closes once its request is answered instead of holding the server open.
 */
export function observeRequests(state: ShutdownState): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const requestId = requestIdFrom(c.req.header(REQUEST_ID_HEADER));
    c.set('requestId', requestId);
    // Set before the answer exists, they go into it as it is made (setting them on a made one copies it).
    c.header(REQUEST_ID_HEADER, requestId);
    if (state.shuttingDown) c.header('Connection', 'close');
    await next();
    // An answer made without the context's helpers (a `new Response`) did not take them.
    if (!c.res.headers.has(REQUEST_ID_HEADER)) c.header(REQUEST_ID_HEADER, requestId);
    if (state.shuttingDown && !c.res.headers.has('Connection')) c.header('Connection', 'close');
    const route = routeOf(c);
    const ms = performance.now() - started;
    observeHttp(route, c.req.method, c.res.status, ms / 1000);
    if (logger.isLevelEnabled('debug')) {
      logger.debug({ reqId: requestId, method: c.req.method, route, status: c.res.status, ms: Math.round(ms * 10) / 10 }, `${c.req.method} ${route} ${c.res.status}`);
    }
  };
}
