import { setCookie, deleteCookie } from 'hono/cookie';
import type { Api } from '../../api';
import { ApiError } from '../../errors';
import { countRateLimited } from '../../observability/metrics';
import * as C from '../../domain/console/schemas';
import { clientAddress, COOKIE_PATH, newToken, overHttps, sessionOf, sessionToken, SESSION_COOKIE, tokenHash, isApiKey, type SignInLimit } from '../../domain/console/session';
import type { ConsoleContext } from './index';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Signing in and out of the console. The ISV API key is exchanged once for a session: the page
 * never keeps the key, only an HttpOnly cookie it cannot read and a CSRF token in memory.
 */
export function sessionRoutes(open: Api, signedIn: Api, { services, sessions, now }: ConsoleContext, limit: SignInLimit) {
  const tags = ['Console'];

  open.post(
    '/console/session',
    {
      summary: 'Sign in to the console with the API key',
      description: 'Sets the session cookie (HttpOnly, SameSite=Strict, Path=/console, Secure over HTTPS) and answers the CSRF token. Wrong keys are limited per client address.',
      tags,
      body: C.SignInBody,
      response: C.SessionView,
      status: 201,
      errors: [401, 429],
    },
    async (c, { body }) => {
      const wait = limit.take(clientAddress(c));
      if (wait > 0) {
        countRateLimited('console sign-in');
        throw new ApiError(429, 'rate_limited', `Too many sign-in attempts from this address; retry after ${wait} s`, undefined, { 'Retry-After': String(wait) });
      }
      if (!isApiKey(body.apiKey, services.apiKeyHashes)) throw new ApiError(401, 'unauthorized', 'Invalid API key', [{ path: 'apiKey', message: 'not an API key of this server' }]);
      const { token, hash } = newToken();
      const at = now();
      const session = { csrfToken: newToken().token, expiresAt: at + services.config.consoleSessionMs };
      await sessions.create(hash, session, at);
      setCookie(c, SESSION_COOKIE, token, {
        path: COOKIE_PATH,
        httpOnly: true,
        sameSite: 'Strict',
        secure: overHttps(c, services.config.publicUrl),
        maxAge: Math.floor(services.config.consoleSessionMs / 1000),
      });
      return c.json({ csrfToken: session.csrfToken, expiresAt: iso(session.expiresAt) }, 201);
    },
  );

  signedIn.get('/console/api/session', { summary: 'The console session: its CSRF token and expiry', tags, response: C.SessionView }, (c) => {
    const session = sessionOf(c);
    return c.json({ csrfToken: session.csrfToken, expiresAt: iso(session.expiresAt) });
  });

  signedIn.delete('/console/session', { summary: 'Sign out of the console', tags, status: 204 }, async (c) => {
    await sessions.delete(tokenHash(sessionToken(c)!));
    deleteCookie(c, SESSION_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: 'Strict', secure: overHttps(c, services.config.publicUrl) });
    return c.body(null, 204);
  });
}
