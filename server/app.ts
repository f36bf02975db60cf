import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { Api, publicBaseUrl, type AppEnv, type RouteDoc } from './api';
import type { Services } from './domain/context';
import { ApiError, errorBody, handleError } from './errors';
import { apiKeyAuth, bearerToken } from './middleware/api-key';
import { apiVersion } from './middleware/api-version';
import { bodyLimit } from './middleware/body-limit';
import { BROWSER_SDK_OPERATIONS, isvAuth, USER_TOKEN_HEADER } from './middleware/browser-sdk';
import { authThenLimit, rateLimit } from './middleware/rate-limit';
import { userTokenAuth } from './middleware/user-token';
import { openApiDocument } from './openapi';
import { docsRoutes } from './openapi/docs-page';
import { credentialRoutes } from './routes/credentials';
import { endUserRoutes } from './routes/end-user';
import { headlessRoutes } from './routes/headless';
import { inboundRoutes } from './routes/inbound';
import { installPageRoutes } from './routes/install-page';
import { oauthRoutes } from './routes/oauth';
import { optionRoutes } from './routes/options';
import * as S from './schemas';
import { integrationRoutes } from './routes/integrations';
import { logRoutes } from './routes/logs';
import { replayRoutes } from './routes/replays';
import { runRoutes } from './routes/run';
import { userRoutes } from './routes/users';
import { webhookDeliveryRoutes } from './routes/webhook-deliveries';
import { widgetFileRoutes } from './routes/widget-files';
import { consolePageRoutes } from './routes/console-page';
import { healthRoutes, mainPortMetrics } from './routes/health';
import { observeRequests } from './observability/http';
import { runningState, type ShutdownState } from './observability/shutdown';
import { consoleRoutes } from './routes/console';
import { workflowRoutes } from './routes/workflows';

const publicDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');

// Alloy serves its API under a version prefix (`/2023-12/users`); we serve one API at the root
// and under each version's prefix, so copied curl lines work unchanged. Which version a request
// asked for (and so the shape of an answer where versions differ) is middleware/api-version.ts's.
const VERSION_PREFIX = /^\/\d{4}-\d{2}(?=\/)/;

// A path of only these characters is its own URL pathname: nothing to decode or normalize.
const PLAIN_PATH = /^\/[\w\-/]*$/;

/** The path routes match: the URL's pathname without a version prefix (a plain path is taken as it is, without parsing the URL). */
function routePath(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const end = url.indexOf('?', start);
  const raw = start === -1 ? '/' : url.slice(start, end === -1 ? undefined : end);
  const path = PLAIN_PATH.test(raw) ? raw : new URL(url).pathname;
  return path.replace(VERSION_PREFIX, '');
}

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * The methods the app's routes take on a route path (HEAD wherever GET is: Hono answers it), from
 * the routes registered (middleware, method ALL, aside). Read at the first call, once every route is in.
 */
function routeMethods(app: Hono<AppEnv>): (path: string) => string[] {
  let routes: { method: string; pattern: RegExp }[] | undefined;
  return (path) => {
    routes ??= app.routes
      .filter((r) => r.method !== 'ALL')
      .map((r) => ({
        method: r.method,
        pattern: new RegExp(
          `^${r.path
            .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
            .replace(/:[^/]+/g, '[^/]+')
            .replace(/\*/g, '.*')}$`,
        ),
      }));
    const methods = new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method));
    if (methods.has('GET')) methods.add('HEAD');
    return METHOD_ORDER.filter((m) => methods.has(m));
  };
}

/** The HTTP application: every route, its auth, its validation and one error handler. */
export function createApp(
  services: Services,
  options: {
    extraRoutes?: (app: Hono<AppEnv>) => void;
    shutdown?: ShutdownState;
    /** The rate limits' clock in milliseconds: `performance.now()` unless a test drives it. */
    rateLimitClock?: () => number;
  } = {},
): Hono<AppEnv> {
  const app = new Hono<AppEnv>({
    getPath: (req) => routePath(req.url),
  });
  const docs: RouteDoc[] = [];

  app.onError(handleError);
  const methodsOn = routeMethods(app);
  app.notFound((c) => {
    const sent = new URL(c.req.url).pathname;
    // A path that exists, asked with another method (`POST /users/:userId/token`): say which methods it takes.
    const allowed = methodsOn(routePath(c.req.url)).filter((m) => m !== c.req.method);
    if (allowed.length > 0) {
      return c.json(errorBody('method_not_allowed', `${c.req.method} is not allowed on ${sent}; it takes ${allowed.join(', ')}`), 405, { Allow: allowed.join(', ') });
    }
    return c.json(errorBody('not_found', `No route for ${c.req.method} ${sent}`), 404);
  });

  // First: the request id, the HTTP metrics and the request's log line see every answer, refusals included.
  const shutdown = options.shutdown ?? runningState();
  app.use('*', observeRequests(shutdown));
  app.use('*', bodyLimit(services.config.bodyLimitBytes));
  app.use('*', apiVersion());

  // The browser calls the end-user routes (and, with a user token, the four ISV operations below);
  // the ISV backend's API key never belongs in a page.
  const allowed = services.config.allowedOrigins;
  const browserCors = cors({
    origin: (origin) => (allowed === undefined ? origin : allowed.includes(origin) ? origin : null),
    allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'x-api-version'],
    allowMethods: ['GET', 'POST', 'PUT', 'DELETE'],
    exposeHeaders: ['Idempotent-Replayed', 'Retry-After'],
    maxAge: 600,
  });
  app.use('/me/*', browserCors);
  app.use('/plugins/*', browserCors);
  // alloy-frontend calls four ISV operations from the page with the user token. Their CORS does not
  // allow `Authorization`, so a page still cannot send the API key there (its preflight fails).
  const browserSdkCors = cors({
    origin: (origin) => (allowed === undefined ? origin : allowed.includes(origin) ? origin : null),
    allowHeaders: [USER_TOKEN_HEADER, 'Content-Type', 'x-api-version'],
    allowMethods: ['GET', 'PUT'],
    exposeHeaders: ['Retry-After'],
    maxAge: 600,
  });
  for (const { method, path } of BROWSER_SDK_OPERATIONS) app.on([method, 'OPTIONS'], path, browserSdkCors);

  // Rate limits sit behind the auth of each kind of route, so only a known key or user has a
  // bucket: ISV routes count per API key (also those naming a userId), end-user routes per user,
  // and so do the ISV operations alloy-frontend calls with a user token: one bucket per user for both.
  const limits = services.config.rateLimits;
  const userLimit = limits.user && rateLimit(limits.user, 'user', (c) => c.get('userId'), options.rateLimitClock);
  const isvGuard = isvAuth(
    authThenLimit(
      apiKeyAuth(() => services.apiKeyHashes),
      limits.apiKey && rateLimit(limits.apiKey, 'API key', (c) => bearerToken(c.req.header('authorization')), options.rateLimitClock),
    ),
    authThenLimit(userTokenAuth(services.tokens, services.store, USER_TOKEN_HEADER), userLimit),
  );
  const userGuard = authThenLimit(userTokenAuth(services.tokens, services.store), userLimit);
  const isv = new Api(app, 'apiKey', docs, isvGuard);
  userRoutes(isv, services);
  integrationRoutes(isv, services);
  headlessRoutes(isv, services);
  credentialRoutes(isv, services);
  runRoutes(isv, services);
  workflowRoutes(isv, services);
  logRoutes(isv, services);
  webhookDeliveryRoutes(isv, services);
  installPageRoutes(isv, app, services);
  inboundRoutes(isv, app, services);
  replayRoutes(isv, services);
  const endUser = new Api(app, 'userToken', docs, userGuard);
  endUserRoutes(endUser, services);
  optionRoutes(isv, endUser, services);
  oauthRoutes(endUser, app, services);

  const open = new Api(app, 'none', docs);
  open.get('/.well-known/jwks.json', { summary: 'Public keys of the user tokens', tags: ['Tokens'], response: S.JwksResponse }, (c) => c.json(services.tokens.jwks()));
  open.get('/health', { summary: 'Liveness and store check', tags: ['Operations'], response: S.HealthResponse }, async (c) => {
    await services.store.db.get('SELECT 1 AS ok');
    const url = services.config.eventsWebhookUrl;
    if (!url) return c.json({ ok: true as const });
    // A disabled endpoint is said here (not by ok: false): the server is live, the ISV must act.
    const endpoint = await services.store.webhookMessages.endpoint(url);
    const disabledAt = endpoint.disabledAt === null ? null : new Date(endpoint.disabledAt).toISOString();
    return c.json({ ok: true as const, eventsWebhook: { status: disabledAt ? ('disabled' as const) : ('enabled' as const), disabledAt } });
  });
  healthRoutes(open, services, shutdown);
  mainPortMetrics(app, services);
  // The ISV console's sign-in and API (its session cookie only: neither the key nor a user token opens it); CONSOLE=off: none.
  if (services.config.console) consoleRoutes(app, services);
  // The demo (or an embedding app) adds its pages here; they win over the landing page below.
  options.extraRoutes?.(app);
  app.get('/', (c) =>
    c.html(
      `<!doctype html><meta charset="utf-8"><title>Alloy Embedded Kit</title><body style="font:16px system-ui;max-width:40rem;margin:3rem auto">` +
        `<h1>Alloy Embedded Kit is running</h1><p>API reference: <a href="/docs">/docs</a> · OpenAPI: <a href="/openapi.json">/openapi.json</a></p></body>`,
    ),
  );
  widgetFileRoutes(app);
  consolePageRoutes(app, services.config);
  app.get('/openapi.json', (c) => c.json(openApiDocument(docs, publicBaseUrl(c, services.config.publicUrl))));
  docsRoutes(app, services.config.publicUrl);
  // Browsers ask for it on every page the server serves (/docs, the install page): "no icon", not a 404 in their console.
  app.get('/favicon.ico', (c) => c.body(null, 204, { 'cache-control': 'public, max-age=86400' }));
  app.get('/icons/:name', (c) => {
    const name = c.req.param('name');
    if (!/^[\w-]+\.svg$/.test(name)) throw new ApiError(404, 'not_found', `No icon "${name}"`);
    try {
      const svg = fs.readFileSync(path.join(publicDir, 'icons', name));
      return c.body(svg, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' });
    } catch {
      throw new ApiError(404, 'not_found', `No icon "${name}"`);
    }
  });
  return app;
}
