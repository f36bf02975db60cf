import type { Context, Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import { ApiError, issuePath, validationError } from './errors';

export type AuthKind = 'apiKey' | 'userToken' | 'none';

export interface AppVariables {
  /** Set by the user-token middleware: the token's `sub`. */
  userId: string;
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
}

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
        const body = spec.body ? parseOrThrow(spec.body, await readJson(c), 'body') : undefined;
        rejectNul(c.req.param());
        rejectNul(query);
        rejectNul(body);
        rejectTooDeep(body);
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
    const flat = Object.fromEntries(
      Object.entries(input as Record<string, string[]>).map(([k, v]) => [k, isArrayField(schema, k) ? v : v[0]]),
    );
    input = flat;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    throw validationError(result.error, undefined, where === 'body' && input === undefined ? 'A JSON request body is required' : undefined);
  }
  return result.data;
}

type JsonNode = { value: unknown; key?: string; parent?: JsonNode; depth: number };

/** The dotted path of a node (`data.items.0`), from its parent links. */
function nodePath(node: JsonNode): string {
  const path: string[] = [];
  for (let n: JsonNode | undefined = node; n?.key !== undefined; n = n.parent) path.unshift(n.key);
  return issuePath(undefined, path);
}

/**
 * PostgreSQL cannot keep U+0000 in text (it fails the query, a 500); SQLite can. Refusing it in
 * every path parameter, query value and body string keeps both stores alike and the answer a 400.
 * Iterative, with parent links, so a deeply nested body costs neither stack nor copied paths.
 */
export function rejectNul(input: unknown): void {
  const stack: JsonNode[] = [{ value: input, depth: 0 }];
  const fail = (node: JsonNode): never => {
    throw new ApiError(400, 'invalid_request', 'The request contains a NUL character (U+0000), which is not accepted', [
      { path: nodePath(node), message: 'must not contain the NUL character' },
    ]);
  };
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (typeof node.value === 'string') {
      if (node.value.includes('\u0000')) fail(node);
    } else if (node.value !== null && typeof node.value === 'object') {
      for (const [key, value] of Object.entries(node.value)) {
        const child = { value, key, parent: node, depth: node.depth + 1 };
        if (key.includes('\u0000')) fail(child);
        stack.push(child);
      }
    }
  }
}

function isArrayField(schema: z.ZodType, key: string): boolean {
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
  const field = shape?.[key];
  const inner = field && 'unwrap' in field && typeof field.unwrap === 'function' ? (field.unwrap() as z.ZodType) : field;
  return inner instanceof z.ZodArray;
}

/** The JSON body; 415 for another media type, 400 naming the parse error for broken JSON. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
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

/** How deeply a JSON body may nest. Real payloads nest a few levels; JSON.stringify, which stores it, runs out of stack past a few thousand. */
export const MAX_JSON_DEPTH = 100;

/** A 400 naming where a body nests deeper than MAX_JSON_DEPTH (iterative: the check itself needs no stack). */
export function rejectTooDeep(input: unknown): void {
  const stack: JsonNode[] = [{ value: input, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.value === null || typeof node.value !== 'object') continue;
    if (node.depth >= MAX_JSON_DEPTH) {
      throw new ApiError(400, 'invalid_request', `The request body nests deeper than ${MAX_JSON_DEPTH} levels`, [
        { path: nodePath(node), message: `nested deeper than ${MAX_JSON_DEPTH} levels` },
      ]);
    }
    for (const [key, value] of Object.entries(node.value)) stack.push({ value, key, parent: node, depth: node.depth + 1 });
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
