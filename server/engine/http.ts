import { Agent, errors as undiciErrors, request } from 'undici';
import { isIP } from 'node:net';
import { NonRetriableError, RetryAfterError } from './errors';
import { guardedLookup, parseOutboundUrl, resolvePublic } from './url-guard';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the response says it is JSON, otherwise the text. */
  body: unknown;
}

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON unless it is already a string. */
  body?: unknown;
  /**
   * Whether this call may reach a private, loopback or link-local address. Given, it decides
   * (Stream Data passes ALLOY_ALLOW_PRIVATE_URLS: its URL comes from a definition or a user's
   * settings); left out, the client's policy does (see `HttpClientOptions`).
   */
  allowPrivate?: boolean;
  /**
   * A 2xx whose body says JSON but does not parse is kept as text instead of failing (for a
   * destination whose 2xx is the whole answer, such as a Stream Data receiver).
   */
  lenientJson?: boolean;
}

/** The outbound HTTP connectors use: pooled (undici), with a timeout and a response size cap. */
export interface HttpClient {
  send(req: HttpRequest): Promise<HttpResponse>;
}

export interface HttpClientOptions {
  timeoutMs: number;
  maxResponseBytes: number;
  /**
   * Whether calls may reach private, loopback and link-local addresses (ALLOY_ALLOW_PRIVATE_URLS).
   * When not, the address is checked where the connection is made: the client resolves the name
   * once, refuses it if any address is private, and connects to the address it checked, so
   * neither DNS rebinding nor a decimal or IPv6 spelling of 127.0.0.1 gets through. Redirects
   * are never followed. Default false: private addresses only when asked (the engine passes
   * ALLOY_ALLOW_PRIVATE_URLS; tests whose fakes listen on 127.0.0.1 pass true).
   */
  allowPrivate?: boolean;
  /**
   * Origins the operator configured (the apps' API base URLs, SLACK_API_URL and the like):
   * reachable even on a private address, as the operator chose them. A request that says
   * `allowPrivate: false` is checked anyway.
   */
  trustedOrigins?: string[];
  /**
   * Tests only: the lookup connections that are not allowed private addresses resolve with
   * (default `guardedLookup`), so a test can see the addresses a socket is handed and keep the
   * connection on this machine.
   */
  lookup?: typeof guardedLookup;
}

const RETRYABLE_STATUS = (s: number) => s === 408 || s === 429 || s >= 500;

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds from now. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The first error in `err`'s cause chain that `test` accepts. */
function inCauses<T>(err: unknown, test: (e: unknown) => e is T): T | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) if (test(e)) return e;
  return undefined;
}

const codeOf = (err: unknown): string => {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET' && code !== 'UND_ERR') return code;
  }
  return (err as { code?: string })?.code ?? '';
};

/**
 * What happened to a call that got no complete answer, said plainly, and whether it may be
 * retried: a refused target or a name that does not exist never heals; a timeout, a reset or
 * a refused connection may.
 */
function networkFailure(err: unknown, where: string, timeoutMs: number, phase: 'request' | 'body', signal?: AbortSignal): Error {
  const refused = inCauses(err, (e): e is NonRetriableError => e instanceof NonRetriableError);
  if (refused) return new NonRetriableError(`${where}: ${refused.message}`, { cause: err });
  const retryable = inCauses(err, (e): e is RetryAfterError => e instanceof RetryAfterError);
  if (retryable) return new RetryAfterError(`${where}: ${retryable.message}`, retryable.retryAfterMs, { cause: err });
  const e = err as Error;
  const code = codeOf(err);
  const timedOut = signal?.aborted || e?.name === 'TimeoutError' || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError;
  let what: string;
  if (timedOut) what = `no answer within ${timeoutMs} ms`;
  else if (code === 'UND_ERR_CONNECT_TIMEOUT') what = `could not connect within ${timeoutMs} ms`;
  else if (code === 'ECONNREFUSED') what = 'connection refused';
  else if (code === 'ENOTFOUND') return new NonRetriableError(`${where}: the host does not resolve (ENOTFOUND)`, { cause: err });
  else if (code === 'EAI_AGAIN') what = 'DNS lookup failed (EAI_AGAIN)';
  else if (code === 'ECONNRESET' || code === 'EPIPE' || err instanceof undiciErrors.SocketError || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    what = phase === 'body' ? `connection reset while reading the response (${e.message})` : `connection reset before an answer (${e.message})`;
  } else what = e instanceof Error ? e.message : String(err);
  return new RetryAfterError(`${where}: ${what}`, undefined, { cause: err });
}

/**
 * Sends a request and classifies the outcome as Standard Webhooks does: network errors, timeouts,
 * 408, 429 and 5xx may be retried; any other 4xx may not. A 2xx or 3xx is returned (redirects are
 * not followed). A refused private address or a host that does not exist is not retried.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient & { close(abort?: boolean): Promise<void> } {
  const pool = { connections: 64, pipelining: 1, keepAliveTimeout: 10_000, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs };
  const open = new Agent(pool);
  // Connects only to addresses the guard checked, resolving each name once (no rebinding).
  const guarded = new Agent({ ...pool, connect: { lookup: options.lookup ?? guardedLookup } });
  const trusted = new Set<string>();
  for (const origin of options.trustedOrigins ?? []) {
    try {
      trusted.add(new URL(origin).origin);
    } catch {
      // not a URL: nothing to trust
    }
  }
  return {
    async send(req) {
      const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
      const headers = { ...(body !== undefined && typeof req.body !== 'string' ? { 'content-type': 'application/json' } : {}), ...req.headers };
      const where = `${req.method ?? 'GET'} ${safeUrl(req.url)}`;
      let url: URL;
      try {
        url = parseOutboundUrl(req.url);
      } catch (err) {
        // Not echoing the URL: its query may carry a token.
        throw new NonRetriableError(`${where}: ${/^Only/.test((err as Error).message) ? (err as Error).message : 'not a valid URL'}`);
      }
      const allowPrivate = req.allowPrivate ?? (options.allowPrivate === true || trusted.has(url.origin));
      // An IP literal (however spelt: URL parsing makes 2130706433 and 0x7f.1 into 127.0.0.1) is
      // connected to without a lookup, so it is checked here; a name is checked as it is resolved.
      if (!allowPrivate && isIP(url.hostname.replace(/^\[|\]$/g, ''))) {
        try {
          await resolvePublic(url.hostname, url.host);
        } catch (err) {
          throw networkFailure(err, where, options.timeoutMs, 'request');
        }
      }
      // The whole call, body included, within timeoutMs (undici's own timeouts are per read). A
      // timer cleared when the call ends, not AbortSignal.timeout: that one costs about 9 µs to
      // make and stays armed for the whole timeoutMs after the answer, so a busy worker carried
      // tens of thousands of live timers and signals.
      const controller = new AbortController();
      const { signal } = controller;
      const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${options.timeoutMs} ms`, 'TimeoutError')), options.timeoutMs);
      let res;
      let text: string;
      try {
        try {
          res = await request(url, {
            method: req.method ?? 'GET',
            headers,
            body,
            dispatcher: allowPrivate ? open : guarded,
            signal,
          });
        } catch (err) {
          throw networkFailure(err, where, options.timeoutMs, 'request', signal);
        }
        try {
          text = await readCapped(res.body, options.maxResponseBytes, where);
        } catch (err) {
          // The headers came but the body did not (a stall, a reset): as retryable as no answer at all.
          if (err instanceof NonRetriableError) throw err;
          throw networkFailure(err, where, options.timeoutMs, 'body', signal);
        }
      } finally {
        clearTimeout(timer);
      }
      if (res.statusCode >= 400) {
        // An error answer is classified by its status, whatever its body (an HTML error page, say).
        const detail = `${where}: HTTP ${res.statusCode}${text ? ` — ${text.slice(0, 300)}` : ''}`;
        // The status and the start of the body ride along for a caller that reads them: the
        // lifecycle webhook's delivery log records the status, an OAuth refresh reads the error code.
        const status = { status: res.statusCode, responseText: text.slice(0, 4096) };
        if (RETRYABLE_STATUS(res.statusCode)) throw Object.assign(new RetryAfterError(detail, retryAfterMs(res.headers['retry-after'])), status);
        throw Object.assign(new NonRetriableError(detail), status);
      }
      const type = String(res.headers['content-type'] ?? '');
      let parsed: unknown = text;
      if (/json/i.test(type) && text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          // Truncated or an HTML page behind a proxy: whether the call took effect is unknown, so it is retried.
          if (!req.lenientJson) {
            throw new RetryAfterError(`${where}: invalid JSON in the HTTP ${res.statusCode} answer: the response says JSON but is not (${text.slice(0, 80)})`);
          }
        }
      }
      return { status: res.statusCode, headers: res.headers, body: parsed };
    },
    /** Waits for the calls under way, or, with `abort`, cuts them. */
    close: async (abort = false) => {
      await Promise.all(abort ? [open.destroy(), guarded.destroy()] : [open.close(), guarded.close()]);
    },
  };
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, max: number, where: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      throw new NonRetriableError(`${where}: the response is larger than ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A URL fit for a log line: no credentials, no query string (tokens often travel there). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
