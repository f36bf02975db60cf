import type { MiddlewareHandler } from 'hono';
import type { AppContext, AppEnv } from '../api';
import type { RateLimit } from '../config';
import { errorBody } from '../errors';
import { countRateLimited } from '../observability/metrics';

/** At most this many buckets are held (two generations of half as many). */
const MAX_BUCKETS = 100_000;

interface Bucket {
  tokens: number;
  /** `performance.now()` of the last take. */
  at: number;
}

/**
 * Token buckets in process memory, one per key: each holds up to `burst` tokens and refills at
 * `perSecond`; a request takes one. O(1) per request and no timer: a bucket is refilled when it is
 * next used. Memory is bounded by two generations: buckets used lately are in `current`, the
 * others in `previous`, which is dropped at the next turn. Turns come when `current` is half of
 * `maxBuckets` or, lazily, once a bucket's refill time (burst / rate, at least a second) has
 * passed; a bucket idle that long is full again, the same as none, so dropping it changes nothing.
 * Only a count-driven turn (over `maxBuckets / 2` keys within one refill time) may drop a bucket
 * that was not yet full: its key starts again with a full one.
 */
export class TokenBuckets {
  private current = new Map<string, Bucket>();
  private previous = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly turnMs: number;
  private turnedAt = -Infinity;

  constructor(
    readonly limit: RateLimit,
    private readonly maxBuckets = MAX_BUCKETS,
  ) {
    this.perMs = limit.perSecond / 1000;
    this.turnMs = Math.max(1000, limit.burst / this.perMs);
  }

  /** Takes a token for `key`: 0 when there was one, else the whole seconds (≥ 1) until there is. */
  take(key: string, now = performance.now()): number {
    if (now - this.turnedAt >= this.turnMs) this.turn(now);
    let bucket = this.current.get(key);
    if (bucket === undefined) {
      bucket = this.previous.get(key);
      if (bucket === undefined) bucket = { tokens: this.limit.burst, at: now };
      else this.previous.delete(key);
      if (this.current.size >= this.maxBuckets / 2) this.turn(now);
      this.current.set(key, bucket);
    }
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000));
  }

  /** How many buckets are held. */
  get size(): number {
    return this.current.size + this.previous.size;
  }

  private turn(now: number): void {
    this.previous = this.current;
    this.current = new Map();
    this.turnedAt = now;
  }
}

/**
 * A 429 once `identify(c)`'s bucket is empty, with `Retry-After`. `what` names the limit in the
 * message ("API key", "user"). Runs after the auth middleware, so only a known key or user has a bucket.
 * `now` is the buckets' clock in milliseconds (`performance.now()`; a test drives its own).
 */
export function rateLimit(limit: RateLimit, what: string, identify: (c: AppContext) => string | undefined, now = () => performance.now()): MiddlewareHandler<AppEnv> {
  const buckets = new TokenBuckets(limit);
  const rule = `${limit.perSecond} requests per second, bursts of ${limit.burst}`;
  return async (c, next) => {
    const key = identify(c);
    const wait = key === undefined ? 0 : buckets.take(key, now());
    if (wait === 0) {
      await next();
      return;
    }
    countRateLimited(what);
    return c.json(errorBody('rate_limited', `Too many requests for this ${what} (limit: ${rule}, per server process); retry after ${wait} s`), 429, {
      'Retry-After': String(wait),
    });
  };
}

/** `auth`, then `limit` once auth has let the request through (just `auth` when there is no limit). */
export function authThenLimit(auth: MiddlewareHandler<AppEnv>, limit?: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  if (!limit) return auth;
  return (c, next) =>
    auth(c, async () => {
      // A middleware's answer reaches Hono only as its own return value; from inside `auth` it is set here.
      const refused = await limit(c, next);
      if (refused instanceof Response) c.res = refused;
    });
}
