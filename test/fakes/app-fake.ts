import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the fake received it: header names in lower case, the body parsed (JSON or form) and as sent. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: unknown;
  rawBody: string;
}

/** What a route answers: JSON unless `body` is a string (sent as text), status 200 unless told. */
export interface FakeAnswer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface FakeRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `/crm/v3/objects/:type/:id`: a `:name` segment matches one path segment, handed to `handle` decoded. */
  path: string;
  handle(req: RecordedRequest, params: Record<string, string>): FakeAnswer | Promise<FakeAnswer>;
}

export interface AppFakeOptions {
  /** The app's name, for messages. */
  name: string;
  /** Whether a request is authenticated: undefined when it is, else the app's own refusal (its status and documented body). */
  authorize(req: RecordedRequest): FakeAnswer | undefined;
  /** The app's documented error body for a status, with a message (what `failNext` and unknown routes answer). */
  errorBody(status: number, message: string): unknown;
  routes: FakeRoute[];
}

/** A fake of a third-party API on 127.0.0.1: its routes, every request recorded, and failures on demand. */
export interface AppFake {
  url: string;
  requests: RecordedRequest[];
  /** The next `times` (default 1) requests answer `status` with the app's error body (and `Retry-After` when given) instead of their route. */
  failNext(status: number, options?: { retryAfter?: string; times?: number; message?: string }): void;
  close(): Promise<void>;
}

/** A request as the fakes record it, from what node:http received and its raw body. */
export function recordRequest(req: IncomingMessage, rawBody: string): RecordedRequest {
  const url = new URL(req.url ?? '/', 'http://fake');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const had = query[k];
    query[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
  return { method: req.method ?? 'GET', path: url.pathname, query, headers, body: parseBody(rawBody, headers['content-type']), rawBody };
}

function parseBody(raw: string, type: string | undefined): unknown {
  if (!raw) return undefined;
  if (type?.includes('application/x-www-form-urlencoded')) {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(raw)) {
      const had = out[k];
      out[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
    }
    return out;
  }
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i]!.startsWith(':')) params[want[i]!.slice(1)] = decodeURIComponent(got[i]!);
    else if (want[i] !== got[i]) return undefined;
  }
  return params;
}

/** Starts a fake app on a free port of 127.0.0.1. */
export async function startAppFake(options: AppFakeOptions): Promise<AppFake> {
  const requests: RecordedRequest[] = [];
  const failures: Array<{ status: number; retryAfter?: string; message?: string }> = [];

  const answer = (res: ServerResponse, a: FakeAnswer) => {
    const status = a.status ?? 200;
    const headers: Record<string, string> = { ...a.headers };
    let text = '';
    if (a.body !== undefined) {
      if (typeof a.body === 'string') {
        text = a.body;
        headers['content-type'] ??= 'text/plain';
      } else {
        text = JSON.stringify(a.body);
        headers['content-type'] ??= 'application/json';
      }
    }
    res.writeHead(status, headers).end(text);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const recorded = recordRequest(req, Buffer.concat(chunks).toString('utf8'));
        requests.push(recorded);
        const failure = failures.shift();
        if (failure) {
          return answer(res, {
            status: failure.status,
            body: options.errorBody(failure.status, failure.message ?? `${options.name} failed on purpose (${failure.status})`),
            headers: failure.retryAfter ? { 'retry-after': failure.retryAfter } : {},
          });
        }
        const refused = options.authorize(recorded);
        if (refused) return answer(res, refused);
        for (const route of options.routes) {
          if (route.method !== recorded.method) continue;
          const params = match(route.path, recorded.path);
          if (params) return answer(res, await route.handle(recorded, params));
        }
        answer(res, { status: 404, body: options.errorBody(404, `no route ${recorded.method} ${recorded.path}`) });
      })().catch((err: unknown) => answer(res, { status: 500, body: options.errorBody(500, String(err)) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(status, { retryAfter, times = 1, message } = {}) {
      for (let i = 0; i < times; i++) failures.push({ status, retryAfter, message });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
