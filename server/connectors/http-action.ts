import { z } from 'zod';
import { NonRetriableError } from '../engine/errors';
import { redact } from '../engine/redact';
import { inAppWords } from './app-errors';
import { defineAction, type Connector, type ConnectorAction, type ConnectorApi } from './types';

/**
 * Why a proxied path is refused, or undefined when it may be sent. The path is relative to the
 * app's API base URL and must stay under it: a scheme, a `//host`, a `..` segment or a backslash
 * (which URL parsing turns into `/`) could leave it. Each layer of percent-decoding is checked too
 * (`%2e%2e` is `..` to the app, `%252e%252e` to an app behind a proxy that decodes once more).
 */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return "must start with '/': it is relative to the app's API base URL";
  if (path.startsWith('//')) return "must not start with '//': that names another host";
  if (/[?#]/.test(path)) return "must not hold '?' or '#': give the query string in `query`";
  let layer = path;
  for (let depth = 0; depth < 3; depth++) {
    if (layer.includes('\\')) return 'must not hold a backslash';
    if (/[\x00-\x1f\x7f]/.test(layer)) return 'must not hold control characters';
    if (layer.split('/').some((segment) => segment === '.' || segment === '..')) return "must not hold '.' or '..' segments: it cannot leave the app's API base URL";
    let decoded: string;
    try {
      decoded = decodeURIComponent(layer);
    } catch {
      return "holds a '%' that is not percent-encoding";
    }
    if (decoded === layer) return undefined;
    layer = decoded;
  }
  return 'is percent-encoded more than twice';
}

/**
 * The URL of `path` under the API base URL, with `query`, built with the URL API. It must keep the
 * base's origin and path prefix, or the call is refused: the base comes from configuration and the
 * credential, the path from a definition, and that is the line the path cannot cross (SSRF).
 */
export function apiRequestUrl(baseUrl: string, path: string, query: Record<string, string | number | boolean> = {}): URL {
  const problem = pathProblem(path);
  if (problem) throw new NonRetriableError(`path ${JSON.stringify(path)} ${problem}`);
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new NonRetriableError('the API base URL is not configured or not a URL');
  }
  const prefix = base.pathname.replace(/\/+$/, '');
  const url = new URL(base.href);
  url.pathname = `${prefix}${path}`;
  url.search = '';
  url.hash = '';
  for (const [name, value] of Object.entries(query)) url.searchParams.append(name, String(value));
  if (url.origin !== base.origin || (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`))) {
    throw new NonRetriableError(`path ${JSON.stringify(path)} leaves the app's API base URL`);
  }
  return url;
}

// RFC 9110 token characters; a value without line breaks or other control characters (a tab may
// fold). Anything else is refused by the HTTP client before it is sent, as if the app were down.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[^\x00-\x08\x0a-\x1f\x7f]*$/;

/** The `http` action's input: the request, relative to the app's API base URL. */
export const HttpActionInput = z.strictObject({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
  path: z
    .string()
    .max(2048)
    .superRefine((path, ctx) => {
      const problem = pathProblem(path);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  query: z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])).optional(),
  headers: z.record(z.string().regex(HEADER_NAME, 'is not a header name'), z.string().regex(HEADER_VALUE, 'must not hold line breaks or control characters')).optional(),
  /** Sent as JSON, unless it is a string: that is sent as is (set `content-type` for a form, say). */
  body: z.unknown().optional(),
});

// Headers of the connection rather than of the call: the HTTP client sets them, and a caller who
// could would be able to smuggle a second request or send a session of its own. `authorization` is
// here for every app: the connection's credential is the only identity a proxied call carries.
const RESERVED = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);
// What the app answers that is not the caller's: cookies of the connection's account and hop-by-hop headers.
const HIDDEN = new Set(['set-cookie', 'set-cookie2', 'connection', 'keep-alive', 'proxy-authenticate', 'trailer', 'transfer-encoding', 'upgrade']);

/** An app's message in an error body when the connector names none: `message`, `error`, `title` or `detail`. */
function saysCommonly(body: unknown): string | undefined {
  const b = (Array.isArray(body) ? body[0] : body) as Record<string, unknown> | null | undefined;
  const said = [b?.message, b?.error, b?.title, b?.detail].find((v) => typeof v === 'string');
  return said as string | undefined;
}

/**
 * The generic `http` action of a connector with an `api` (the API proxy): any method and path under
 * the app's API base URL, with the connection's credential added as the connector authenticates.
 * Answers `{ status, headers, body }`; an error answer fails the block as the HTTP client classifies
 * it (4xx not retried, 408, 429 with its `Retry-After` and 5xx retried), in the app's words.
 * @example { "connector": "slack", "action": "http", "input": { "method": "POST", "path": "/chat.postMessage", "body": { "channel": "C1", "text": "hi" } } }
 */
export function httpAction(name: string, api: ConnectorApi): ConnectorAction {
  return defineAction({
    description: `Call any ${name} API endpoint with the connection's credential (API proxy): method, path under the API base URL, query, headers and a JSON body`,
    input: HttpActionInput,
    async run(input, ctx) {
      const label = `${name} ${input.method} ${input.path}`;
      const auth = api.authorize(ctx);
      const headers: Record<string, string> = {};
      for (const [given, value] of Object.entries(input.headers ?? {})) {
        const header = given.toLowerCase();
        if (Object.hasOwn(auth, header)) throw new NonRetriableError(`${label}: the header "${given}" cannot be set: the connection's credential authenticates the call`);
        if (RESERVED.has(header)) throw new NonRetriableError(`${label}: the header "${given}" cannot be set: it belongs to the connection, not the call`);
        headers[header] = value;
      }
      const base = api.baseUrl(ctx);
      let url: URL;
      try {
        url = apiRequestUrl(base, input.path, input.query);
      } catch (err) {
        throw err instanceof NonRetriableError ? new NonRetriableError(`${label}: ${err.message}`) : err;
      }
      let res;
      try {
        res = await ctx.http.send({ method: input.method, url: url.href, headers: { accept: 'application/json', ...headers, ...auth }, body: input.body });
      } catch (err) {
        throw inAppWords(label, err, api.says ?? saysCommonly);
      }
      api.assertOk?.(res, label);
      const shown: Record<string, string> = {};
      for (const [header, value] of Object.entries(res.headers)) {
        if (value !== undefined && !HIDDEN.has(header)) shown[header] = Array.isArray(value) ? value.join(', ') : value;
      }
      // An app that echoes a credential in a header (a debug header, say) must not hand it to later blocks.
      const secrets = Object.values(ctx.credential ?? {});
      return { status: res.status, headers: redact(shown, secrets), body: res.body };
    },
  });
}

/** The connector with its `http` action added when it declares an `api` and has no action of that name. */
export function withHttpAction(connector: Connector): Connector {
  if (!connector.api || Object.hasOwn(connector.actions, 'http')) return connector;
  return { ...connector, actions: { ...connector.actions, http: httpAction(connector.name, connector.api) } };
}
