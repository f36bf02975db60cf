import type { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { param, publicBaseUrl, type Api, type AppEnv } from '../api';
import { ApiError, isStoreUnavailable } from '../errors';
import type { Services } from '../domain/context';
import { NonRetriableError, RetryAfterError } from '../engine/errors';
import { completeOAuth, startOAuth } from '../engine/oauth';

const StartBody = z.object({
  origin: z.string().url().optional().meta({ description: 'The page that opened the popup; the result is posted to it, and only to it.' }),
});

/** What an OAuth `state` from startOAuth looks like: base64url. */
const STATE = /^[\w-]{1,128}$/;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The popup's last page: hands the result to the opener (only at the allowed origin) and closes. */
function callbackPage(message: Record<string, unknown>, origin: string | null): string {
  const text = message.success ? 'Connected. You can close this window.' : `Could not connect: ${String(message.error)}`;
  const post = origin
    ? `if (window.opener) window.opener.postMessage(${JSON.stringify(message).replace(/</g, '\\u003c')}, ${JSON.stringify(origin).replace(/</g, '\\u003c')}); window.close();`
    : '';
  return `<!doctype html><meta charset="utf-8"><title>Connect</title><body style="font:15px system-ui;margin:2rem"><p role="status">${escapeHtml(text)}</p><script>${post}</script></body>`;
}

/**
 * What the popup says when the callback fails. Known outcomes keep their own message: a state that
 * is bad, expired or used and OAuth not set up (ApiError), and the app's token endpoint refusing
 * the code or failing (the HTTP client's classified errors). Anything else is logged here, once,
 * and shown only as a request id, as the error handler does for the API.
 */
function callbackFailure(err: unknown): { status: ContentfulStatusCode; message: string } {
  if (err instanceof ApiError) return { status: err.status, message: err.message };
  if (err instanceof NonRetriableError || err instanceof RetryAfterError) return { status: 502, message: err.message };
  if (isStoreUnavailable(err)) return { status: 503, message: 'The store is unavailable; try again shortly' };
  const requestId = crypto.randomUUID();
  console.error(`[${requestId}] GET /oauth/callback`, err);
  return { status: 500, message: `Internal error (request id ${requestId}); try again` };
}

/** OAuth 2.0 connections: start (user token) and the provider's callback (popup page). */
export function oauthRoutes(endUser: Api, app: Hono<AppEnv>, services: Services) {
  const deps = () => services.engine.deps;

  endUser.post(
    '/me/oauth/:app/start',
    { summary: 'Start connecting an account through OAuth 2.0; open the returned URL in a popup', tags: ['End user (widget)'], body: StartBody, response: z.object({ authorizeUrl: z.string() }) },
    async (c, { body }) => {
      const origin = body?.origin ? new URL(body.origin).origin : null;
      const allowed = services.config.allowedOrigins;
      const base = publicBaseUrl(c, services.config.publicUrl);
      // This server's own origin is always allowed: the hosted install page (/install/:id) is served from it.
      if (origin && allowed && origin !== new URL(base).origin && !allowed.includes(origin)) {
        throw new ApiError(400, 'invalid_request', `The origin ${origin} is not in ALLOY_ALLOWED_ORIGINS`, [{ path: 'origin', message: 'not allowed' }]);
      }
      const redirectUri = `${base}/oauth/callback`;
      const authorizeUrl = await startOAuth(deps(), { userId: c.get('userId'), app: param(c, 'app'), redirectUri, origin });
      return c.json({ authorizeUrl });
    },
  );

  app.get('/oauth/callback', async (c) => {
    const state = c.req.query('state') ?? '';
    const code = c.req.query('code');
    const headers = { 'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'", 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };
    // A state startOAuth never issues (base64url) is not looked up: it cannot be pending, and PostgreSQL refuses a NUL in it.
    const issuable = STATE.test(state);
    if (!code) {
      const pending = issuable ? await services.store.credentials.takeOAuthState(state) : undefined;
      const error = c.req.query('error_description') ?? c.req.query('error') ?? 'the provider sent no code';
      return c.html(callbackPage({ type: 'alloy:oauth', success: false, error }, pending?.origin ?? null), 400, headers);
    }
    try {
      if (!issuable) throw new ApiError(400, 'invalid_request', 'This sign-in link has expired or was already used; start again');
      const result = await completeOAuth(deps(), state, code);
      return c.html(callbackPage({ type: 'alloy:oauth', success: true, app: result.app, credentialId: result.credentialId }, result.origin), 200, headers);
    } catch (err) {
      const failed = callbackFailure(err);
      return c.html(callbackPage({ type: 'alloy:oauth', success: false, error: failed.message }, null), failed.status, headers);
    }
  });
}
