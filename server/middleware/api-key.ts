import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';
import { constantTimeEqual, hashApiKey } from '../secrets';

/** The credential of an `Authorization` header: scheme case-insensitive (`bearer`, `Bearer`). */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^\s*bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

const looksLikeJwt = (value: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(value);

/** ISV endpoints: `Authorization: bearer API_KEY`, checked against the stored hashes in constant time. */
export function apiKeyAuth(acceptedHashes: () => readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    const key = bearerToken(c.req.header('authorization'));
    if (!key) throw new ApiError(401, 'unauthorized', 'Send your API key as "Authorization: bearer YOUR_API_KEY"');
    const hash = hashApiKey(key);
    let ok = false;
    for (const accepted of acceptedHashes()) ok = constantTimeEqual(hash, accepted) || ok;
    if (!ok) {
      const hint = looksLikeJwt(key) ? ': this endpoint takes the ISV API key, not a user token' : '';
      throw new ApiError(401, 'unauthorized', `Invalid API key${hint}`);
    }
    await next();
  };
}
