import { hash as digest, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv } from '../../api';
import { ApiError } from '../../errors';
import { TokenBuckets } from '../../middleware/rate-limit';
import type { ConsoleSession, ConsoleSessions } from '../../store/console';

/** The session cookie. Its Path (/console) keeps it off every other route of the server. */
export const SESSION_COOKIE = 'alloy_console';
export const COOKIE_PATH = '/console';
/** The header every call but a GET carries, with the session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';

/** A random token (32 bytes, base64url) and its SHA-256 (hex), which is what the store keeps. */
export function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: tokenHash(token) };
}

export const tokenHash = (token: string): string => digest('sha256', token, 'hex');

/**
 * Whether `key` is an accepted ISV API key, as middleware/api-key.ts decides it: its SHA-256 is
 * compared with every accepted hash in constant time (equal-length digests, no early exit).
 */
export function isApiKey(key: string, acceptedHashes: readonly string[]): boolean {
  const hash = digest('sha256', key, 'buffer');
  let ok = false;
  for (const accepted of acceptedHashes) ok = timingSafeEqual(hash, Buffer.from(accepted, 'hex')) || ok;
  return ok;
}

/** Equal strings, compared in constant time for equal lengths (a CSRF token against the session's). */
function sameSecret(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The Node request under a Hono context; absent when the app is called directly (`app.request` in tests). */
const incoming = (c: Context): IncomingMessage | undefined => (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;

/**
 * The client's address, for the sign-in limit: the connection's. Not X-Forwarded-For, which any
 * client can write: behind a proxy every client then shares the proxy's bucket, which slows a
 * guesser as much and locks out no one for longer than the refill.
 */
export const clientAddress = (c: Context): string => incoming(c)?.socket?.remoteAddress ?? 'local';

/** Whether the browser reached the server over HTTPS: PUBLIC_URL says so (a TLS proxy in front), or this connection is TLS. */
export function overHttps(c: Context, publicUrl: string | undefined): boolean {
  if (publicUrl?.startsWith('https:')) return true;
  if ((incoming(c)?.socket as TLSSocket | undefined)?.encrypted) return true;
  return new URL(c.req.url).protocol === 'https:';
}

/**
 * Wrong keys per client address: 10 tries at once, then one every 6 seconds (a guesser gets 600
 * an hour, for keys of 16 characters and more). Every try takes a token, the right key too, so a
 * limited address learns nothing from its answers; someone signing in tries once or twice.
 * Counted per server process, like the API's rate limits.
 */
export class SignInLimit {
  private readonly buckets = new TokenBuckets({ perSecond: 1 / 6, burst: 10 });

  /** Takes a try for `address`: 0 when it may try, else the seconds until it may. `now` is performance.now()'s clock. */
  take(address: string, now = performance.now()): number {
    return this.buckets.take(address, now);
  }
}

const sessions = new WeakMap<Request, ConsoleSession>();

/** The session the guard found for this request (only behind `consoleGuard`). */
export function sessionOf(c: Context): ConsoleSession {
  const session = sessions.get(c.req.raw);
  if (!session) throw new TypeError('sessionOf: the route is not behind consoleGuard');
  return session;
}

/** The session cookie's token, if the request carries one. */
export const sessionToken = (c: Context): string | undefined => getCookie(c, SESSION_COOKIE) || undefined;

/**
 * The console's routes take the session cookie and nothing else: an API key or a user token in
 * `Authorization` opens nothing here (401), so a key that leaked into a page or a user's token
 * cannot drive the console. A call that is not a GET must also carry the session's CSRF token in
 * `x-csrf-token` (403 csrf_failed): the cookie is SameSite=Strict already, and the token also
 * holds where SameSite does not (an old browser, a sibling subdomain).
 */
export function consoleGuard(store: ConsoleSessions, now: () => number = Date.now): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = sessionToken(c);
    const session = token && (await store.find(tokenHash(token), now()));
    if (!session) throw new ApiError(401, 'unauthorized', 'Sign in to the console: POST /console/session with the API key');
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && !sameSecret(c.req.header(CSRF_HEADER) ?? '', session.csrfToken)) {
      return c.json({ error: { code: 'csrf_failed', message: `Missing or wrong ${CSRF_HEADER} header: send the csrfToken of the session` }, message: 'CSRF check failed' }, 403);
    }
    sessions.set(c.req.raw, session);
    await next();
  };
}
