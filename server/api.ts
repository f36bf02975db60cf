import { debuglog } from 'node:util';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { ApiError, validationError } from './errors';
import { MAX_JSON_DEPTH, rejectUnstorable } from './json-limits';
import type { ApiVersion } from './middleware/api-version';

export type AuthKind = 'apiKey' | 'userToken' | 'none';

export interface AppVariables {
  /** Set by the user-token middleware: the token's `sub`. */
  userId: string;
  /** Set by the api-version middleware: the version the request asked for (path prefix or `x-api-version`). */
  apiVersion: ApiVersion;
  /** Set first on every request (server/observability/http.ts): its X-Request-Id, the caller's or a new one. */
  requestId: string;
}
export type AppEnv = { Variables: AppVariables };
export type AppContext = Context<AppEnv>;

type Method = 'get' | 'post' | 'put' | 'delete';

export interface RouteSpec<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  summary: string;
  description?: string;
  tags?: string[];
  body?: B;
  query?: Q;
  response?: z.ZodType;
  status?: number;
  /** The OpenAPI operationId; else server/openapi/operations.ts's, else one made from the method and path. */
  operationId?: string;
  /** Error statuses the route answers beyond those its declaration implies (see server/openapi/errors.ts). */
  errors?: ErrorStatus[];
  /** Request headers the handler reads (`Idempotency-Key` also documents `Idempotent-Replayed` on the answer). */
  headers?: 'Idempotency-Key'[];
}

/** The error statuses the OpenAPI document can list for an operation. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 502 | 503;

/** What the OpenAPI document is generated from: the same schemas the handlers validate with. */
export interface RouteDoc extends RouteSpec<z.ZodType | undefined, z.ZodType | undefined> {
  method: Method;
  path: string;
  auth: AuthKind;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/**
 * Registers routes with their validation and their documentation in one call:
 * `api.post('/users', { summary, body: CreateUserBody }, (c, { body }) => …)`.
 * Bad input never reaches a handler: it is a 400 naming each bad field.
 */
export class Api {
  constructor(
    private readonly app: Hono<AppEnv>,
    private readonly auth: AuthKind,
    private readonly docs: RouteDoc[],
    private readonly guard: MiddlewareHandler<AppEnv> = (_c, next) => next(),
  ) {}

  private add<B extends z.ZodType | undefined, Q extends z.ZodType | undefined>(
    method: Method,
    paths: string | string[],
    spec: RouteSpec<B, Q>,
    handler: (c: AppContext, input: { body: Parsed<B>; query: Parsed<Q> }) => Response | Promise<Response>,
  ): void {
    const list = Array.isArray(paths) ? paths : [paths];
    for (const path of list) this.docs.push({ ...spec, method, path, auth: this.auth });
    for (const path of list) {
      this.app[method](path, this.guard, async (c) => {
        const query = spec.query ? parseOrThrow(spec.query, c.req.queries(), 'query') : undefined;
        // The body as sent is walked before its schema sees it: a refinement that serialises it
        // (a size bound) would run out of stack on one nested thousands deep.
        const json = spec.body ? await readJson(c) : undefined;
        rejectUnstorable(json, MAX_JSON_DEPTH);
        const body = spec.body ? parseOrThrow(spec.body, json, 'body') : undefined;
        rejectUnstorable(c.req.param());
        rejectUnstorable(query);
        return handler(c, { body: body as Parsed<B>, query: query as Parsed<Q> });
      });
    }
  }

  get<Q extends z.ZodType | undefined = undefined>(
    path: string | string[],
    spec: RouteSpec<undefined, Q>,
    handler: (c: AppContext, input: { body: undefined; query: Parsed<Q> }) => Response | Promise<Response>,
  ) {
    this.add('get', path, spec, handler);
  }
  delete<Q extends z.ZodType | undefined = undefined>(
    path: string | string[],
    spec: RouteSpec<undefined, Q>,
    handler: (c: AppContext, input: { body: undefined; query: Parsed<Q> }) => Response | Promise<Response>,
  ) {
    this.add('delete', path, spec, handler);
  }
  post<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
    path: string | string[],
    spec: RouteSpec<B, Q>,
    handler: (c: AppContext, input: { body: Parsed<B>; query: Parsed<Q> }) => Response | Promise<Response>,
  ) {
    this.add('post', path, spec, handler);
  }
  put<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
    path: string | string[],
    spec: RouteSpec<B, Q>,
    handler: (c: AppContext, input: { body: Parsed<B>; query: Parsed<Q> }) => Response | Promise<Response>,
  ) {
    this.add('put', path, spec, handler);
  }
}

// Query strings repeat keys (`?a=1&a=2`); a schema field that is not an array takes the first value.
function parseOrThrow(schema: z.ZodType, input: unknown, where: 'query' | 'body'): unknown {
  if (where === 'query') {
    const flat = Object.fromEntries(Object.entries(input as Record<string, string[]>).map(([k, v]) => [k, isArrayField(schema, k) ? v : v[0]]));
    input = flat;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    throw validationError(result.error, undefined, where === 'body' && input === undefined ? 'A JSON request body is required' : undefined);
  }
  return result.data;
}

function isArrayField(schema: z.ZodType, key: string): boolean {
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
  const field = shape?.[key];
  const inner = field && 'unwrap' in field && typeof field.unwrap === 'function' ? (field.unwrap() as z.ZodType) : field;
  return inner instanceof z.ZodArray;
}

/** Lines only an operator who asks sees: `NODE_DEBUG=alloy`. */
const debug = debuglog('alloy');

/**
 * A body that could not be read to its end: its client hung up or stalled past the request
 * timeout. That is the client's doing, not ours: no 500 and no stack in the log, which any client
 * could otherwise fill; one line with NODE_DEBUG=alloy. Our own errors pass through: the body
 * limit (an ApiError) and a TypeError (a body read twice, a bug).
 */
function unreadableBody(c: Context, err: unknown): unknown {
  if (err instanceof ApiError || err instanceof TypeError) return err;
  debug('%s %s: the connection closed before the request body ended (%s)', c.req.method, c.req.path, (err as Error)?.message);
  return new ApiError(400, 'invalid_request', 'The connection closed before the request body ended');
}

/** The JSON body; 415 for another media type, 400 naming the parse error for broken JSON. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text().catch((err: unknown) => {
    throw unreadableBody(c, err);
  });
  if (text.trim() === '') return undefined;
  const type = c.req.header('content-type') ?? '';
  if (type && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', `Send the body as application/json (got ${type.split(';')[0]})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `The request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Where this server is reached from the outside: `PUBLIC_URL`, or the request's own origin. */
export function publicBaseUrl(c: Context, publicUrl: string | undefined): string {
  return publicUrl ?? new URL(c.req.url).origin;
}

/** A path parameter of the matched route (always present when the route matched). */
export function param(c: Context, name: string): string {
  return c.req.param(name) ?? '';
}
