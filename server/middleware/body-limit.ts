import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';

/**
 * Refuses bodies over `maxBytes` with a 413. A request that declares its length is judged by its
 * `Content-Length` header alone (Node's parser never delivers more than that), so its body is
 * still read on @hono/node-server's fast path. A chunked body is counted as the route reads it,
 * never read here: this middleware runs before any route's auth, and reading a body ahead of it
 * let anonymous clients make the server wait on (and log) bodies they never finish.
 */
export function bodyLimit(maxBytes: number): MiddlewareHandler {
  const tooLarge = () => new ApiError(413, 'payload_too_large', `The request body is over the limit of ${maxBytes} bytes`);
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number(length) > maxBytes) throw tooLarge();
      return next();
    }
    const body = c.req.raw.body;
    if (!body) return next();
    let size = 0;
    const counted = body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          size += chunk.byteLength;
          if (size > maxBytes) controller.error(tooLarge());
          else controller.enqueue(chunk);
        },
      }),
    );
    c.req.raw = new Request(c.req.raw, { body: counted, duplex: 'half' } as RequestInit);
    return next();
  };
}
