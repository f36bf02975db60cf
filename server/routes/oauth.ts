import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { param, type Api, type AppEnv } from '../api';
import type { Config } from '../config';
import { ApiError, isStoreUnavailable } from '../errors';
import type { Services } from '../domain/context';
import { NonRetriableError, RetryAfterError } from '../engine/errors';
import { logger } from '../observability/log';
import { STATE_TTL_MS, authorizationUrl, completeOAuth, openOAuthLink, startOAuth } from '../domain/oauth';
import type { PendingOAuth } from '../store/credentials';

const StartBody = z.object({
  origin: z.string().url().optional().meta({
    description:
      'The page that opened the popup: only it can begin the sign-in (its `Origin`), and the result is posted to it, and only to it. Without it, no browser can begin the sign-in.',
  }),
  credentialId: z.string().min(1).optional().meta({ description: 'Reconnect this account of the user’s: the sign-in replaces its tokens, and every installation on it is kept.' }),
});

const StartAnswer = z.object({
  beginUrl: z.string().meta({
    description:
      'Where the popup goes first, by a form (method POST, no fields) that the page at `origin` submits into the popup window: it binds the sign-in to that browser and goes on to the provider. Opened any other way, it is refused.',
  }),
});

/** What an OAuth `state` from startOAuth looks like: base64url. */
const STATE = /^[\w-]{1,128}$/;

const EXPIRED = 'This sign-in link has expired or was already used; start again';
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};

/**
 * The base of the URLs OAuth gives out (the provider's redirect_uri, the begin URL): PUBLIC_URL, or
 * else the origin the request came in on. That one is the client's `Host` header, so it is taken
 * only when it is an allowed origin, or when every origin is (development without
 * ALLOY_ALLOWED_ORIGINS); `Host: evil.example` would otherwise send the code there.
 */
export function oauthBaseUrl(c: Context, config: Pick<Config, 'publicUrl' | 'allowedOrigins'>): string {
  if (config.publicUrl) return config.publicUrl;
  const own = new URL(c.req.url).origin;
  if (!config.allowedOrigins || config.allowedOrigins.includes(own)) return own;
  throw new ApiError(
    400,
    'invalid_request',
    `PUBLIC_URL is not set and this request came in for ${own}, which is not in ALLOY_ALLOWED_ORIGINS: set PUBLIC_URL to this server’s address`,
  );
}

/**
 * The cookie that binds a sign-in to the browser that began it (its value is the state). On https
 * it has the `__Host-` prefix, which needs `Path=/`: no sibling subdomain and no plain-http answer
 * can plant one. `SameSite=Lax`: it comes back on the provider's top-level redirect to the callback.
 */
function bindingCookie(pending: PendingOAuth): { name: string; options: CookieOptions } {
  const secure = pending.redirectUri.startsWith('https:');
  const options: CookieOptions = { httpOnly: true, sameSite: 'Lax', secure, maxAge: STATE_TTL_MS / 1000, path: new URL(pending.redirectUri).pathname.replace(/[^/]*$/, '') };
  return { name: 'alloy_oauth', options: secure ? { ...options, prefix: 'host' } : options };
}

const digest = (value: string) => createHash('sha256').update(value).digest();
/** Whether the cookie holds this state, compared in constant time. */
const boundTo = (cookie: string | undefined, state: string) => cookie !== undefined && timingSafeEqual(digest(cookie), digest(state));

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The popup's page when the sign-in ends, done or refused: hands the result to the opener (only at the allowed origin) and closes. */
function callbackPage(message: Record<string, unknown>, origin: string | null): string {
  const text = message.success ? 'Connected. You can close this window.' : `Could not connect: ${String(message.error)}`;
  const post = origin
    ? `if (window.opener) window.opener.postMessage(${JSON.stringify(message).replace(/</g, '\\u003c')}, ${JSON.stringify(origin).replace(/</g, '\\u003c')}); window.close();`
    : '';
  return `<!doctype html><meta charset="utf-8"><title>Connect</title><body style="font:15px system-ui;margin:2rem"><p role="status">${escapeHtml(text)}</p><script>${post}</script></body>`;
}

/**
 * What the popup says when begin or the callback fails. Known outcomes keep their own message: a state that
 * is bad, expired or used and OAuth not set up (ApiError), and the app's token endpoint refusing
 * the code or failing (the HTTP client's classified errors). Anything else is logged here, once,
 * and shown only as a request id, as the error handler does for the API.
 */
function callbackFailure(c: Context, err: unknown): { status: ContentfulStatusCode; message: string } {
  if (err instanceof ApiError) return { status: err.status, message: err.message };
  if (err instanceof NonRetriableError || err instanceof RetryAfterError) return { status: 502, message: err.message };
  if (isStoreUnavailable(err)) return { status: 503, message: 'The store is unavailable; try again shortly' };
  const requestId = (c.get('requestId') as string | undefined) ?? crypto.randomUUID();
  logger.error({ reqId: requestId, err }, `[${requestId}] ${c.req.method} ${new URL(c.req.url).pathname}`);
  return { status: 500, message: `Internal error (request id ${requestId}); try again` };
}

/**
 * OAuth 2.0 connections: start (user token), begin (the popup's first page: binds the sign-in to
 * the browser, then on to the provider) and the provider's callback (the popup's last page).
 */
export function oauthRoutes(endUser: Api, app: Hono<AppEnv>, services: Services) {
  const deps = () => services.engine.deps;
  const { credentials } = services.store;

  endUser.post(
    '/me/oauth/:app/start',
    {
      summary: 'Start connecting an account through OAuth 2.0; the popup goes on through the returned begin URL',
      tags: ['End user (widget)'],
      body: StartBody,
      response: StartAnswer,
    },
    async (c, { body }) => {
      const base = oauthBaseUrl(c, services.config);
      const origin = body?.origin ? new URL(body.origin).origin : null;
      const allowed = services.config.allowedOrigins;
      // This server's own origin is always allowed: the hosted install page (/install/:id) is served from it.
      if (origin && allowed && origin !== new URL(base).origin && !allowed.includes(origin)) {
        throw new ApiError(400, 'invalid_request', `The origin ${origin} is not in ALLOY_ALLOWED_ORIGINS`, [{ path: 'origin', message: 'not allowed' }]);
      }
      const state = await startOAuth(deps(), { userId: c.get('userId'), app: param(c, 'app'), redirectUri: `${base}/oauth/callback`, origin, credentialId: body?.credentialId });
      return c.json({ beginUrl: `${base}/oauth/begin?state=${state}` });
    },
  );

  /**
   * The popup's first page, reached by a form the page that started the sign-in submits into the
   * popup (the state is in the URL, so the form has no fields). A link anyone can open would only
   * move the shareable URL; a POST carries the sending page's `Origin`, which another site cannot
   * make a victim's browser send. It sets the cookie the callback requires and sends the popup on
   * to the provider.
   */
  app.post('/oauth/begin', async (c) => {
    let origin: string | null = null;
    try {
      const state = c.req.query('state') ?? '';
      // A state startOAuth never issues (base64url) is not looked up: it cannot be pending, and PostgreSQL refuses a NUL in it.
      const pending = STATE.test(state) ? await credentials.findOAuthState(state) : undefined;
      if (!pending) throw new ApiError(400, 'invalid_request', EXPIRED);
      origin = pending.origin;
      const sent = c.req.header('origin');
      if (!pending.origin)
        throw new ApiError(403, 'forbidden', 'This sign-in was started without the page’s origin, so it cannot be continued in a browser; start again from the app');
      // Browsers send "null" for a form posted from a page whose Referrer-Policy is no-referrer.
      if (sent === 'null')
        throw new ApiError(
          403,
          'forbidden',
          `The browser did not say which page sent this sign-in (Origin: null, as a page with Referrer-Policy: no-referrer makes it); it must come from ${pending.origin}`,
        );
      if (sent !== pending.origin)
        throw new ApiError(
          403,
          'forbidden',
          `This sign-in was started from ${pending.origin} and can only be continued from there, not from ${sent ?? 'a request without an Origin'}`,
        );
      const cookie = bindingCookie(pending);
      const to = authorizationUrl(deps(), pending);
      setCookie(c, cookie.name, state, cookie.options);
      for (const [name, value] of Object.entries(PAGE_HEADERS)) c.header(name, value);
      return c.redirect(to, 303);
    } catch (err) {
      const failed = callbackFailure(c, err);
      return c.html(callbackPage({ type: 'alloy:oauth', success: false, error: failed.message }, origin), failed.status, PAGE_HEADERS);
    }
  });

  /**
   * A headless sign-in link (GET /headless/oauthUrl), opened by the user's browser: a bearer link,
   * like the hosted install page's, since the ISV's backend minted it and no page of an allowed
   * origin can vouch for it. It works once and for STATE_TTL_MS: it binds this browser (the cookie
   * the callback requires) under a new state, and sends it on to the provider.
   */
  app.get('/oauth/link/:token', async (c) => {
    try {
      const pending = await openOAuthLink(deps(), param(c, 'token'));
      if (!pending) throw new ApiError(400, 'invalid_request', EXPIRED);
      const cookie = bindingCookie(pending);
      const to = authorizationUrl(deps(), pending);
      setCookie(c, cookie.name, pending.state, cookie.options);
      for (const [name, value] of Object.entries(PAGE_HEADERS)) c.header(name, value);
      return c.redirect(to, 303);
    } catch (err) {
      const failed = callbackFailure(c, err);
      return c.html(callbackPage({ type: 'alloy:oauth', success: false, error: failed.message }, null), failed.status, PAGE_HEADERS);
    }
  });

  app.get('/oauth/callback', async (c) => {
    const state = c.req.query('state') ?? '';
    const code = c.req.query('code');
    // Failures are posted to the page that started the sign-in, once known (and only to it).
    let origin: string | null = null;
    try {
      const pending = STATE.test(state) ? await credentials.takeOAuthState(state) : undefined;
      if (pending) {
        origin = pending.origin;
        const cookie = bindingCookie(pending);
        // Without it, whoever opened the provider's URL would connect their account to the user who started (OAuth CSRF).
        if (!boundTo(getCookie(c, cookie.name, cookie.options.prefix), state))
          throw new ApiError(400, 'invalid_request', 'This sign-in was not started in this browser; start again from the app');
        deleteCookie(c, cookie.name, cookie.options);
      }
      if (!code) throw new ApiError(400, 'invalid_request', c.req.query('error_description') ?? c.req.query('error') ?? 'the provider sent no code');
      if (!pending) throw new ApiError(400, 'invalid_request', EXPIRED);
      const result = await completeOAuth(deps(), pending, code);
      return c.html(callbackPage({ type: 'alloy:oauth', success: true, app: result.app, credentialId: result.credentialId }, result.origin), 200, PAGE_HEADERS);
    } catch (err) {
      const failed = callbackFailure(c, err);
      return c.html(callbackPage({ type: 'alloy:oauth', success: false, error: failed.message }, origin), failed.status, PAGE_HEADERS);
    }
  });
}
