import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';
import { hash as digest, timingSafeEqual } from 'node:crypto';

/** The credential of an `Authorization` header: scheme case-insensitive (`bearer`, `Bearer`). */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^\s*bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

const looksLikeJwt = (value: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(value);

/**
 * ISV endpoints: `Authorization: bearer API_KEY`. The key's SHA-256 is compared with every
 * accepted hash in constant time (equal-length digests, `timingSafeEqual`, no early exit).
 */
export function apiKeyAuth(acceptedHashes: () => readonly string[]): MiddlewareHandler {
  const digests = new Map<string, Buffer>();
  const digestOf = (hex: string) => {
    let digest = digests.get(hex);
    if (!digest) digests.set(hex, (digest = Buffer.from(hex, 'hex')));
    return digest;
  };
  return async (c, next) => {
    const key = bearerToken(c.req.header('authorization'));
    if (!key) throw new ApiError(401, 'unauthorized', 'Send your API key as "Authorization: bearer YOUR_API_KEY"');
    const hash = digest('sha256', key, 'buffer');
    let ok = false;
    for (const accepted of acceptedHashes()) ok = timingSafeEqual(hash, digestOf(accepted)) || ok;
    if (!ok) {
      const hint = looksLikeJwt(key) ? ': this endpoint takes the ISV API key, not a user token' : '';
      throw new ApiError(401, 'unauthorized', `Invalid API key${hint}`);
    }
    await next();
  };
}
