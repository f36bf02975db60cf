import { Agent, errors as undiciErrors, request } from 'undici';
import { NonRetriableError, RetryAfterError } from './errors';

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
}

/** The outbound HTTP connectors use: pooled (undici), with a timeout and a response size cap. */
export interface HttpClient {
  send(req: HttpRequest): Promise<HttpResponse>;
}

export interface HttpClientOptions {
  timeoutMs: number;
  maxResponseBytes: number;
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

/**
 * Sends a request and classifies the outcome as Standard Webhooks does: network errors, timeouts,
 * 408, 429 and 5xx may be retried; any other 4xx may not. A 2xx or 3xx is returned.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient & { close(): Promise<void> } {
  const dispatcher = new Agent({ connections: 64, pipelining: 1, keepAliveTimeout: 10_000, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  return {
    async send(req) {
      const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
      const headers = { ...(body !== undefined && typeof req.body !== 'string' ? { 'content-type': 'application/json' } : {}), ...req.headers };
      const where = `${req.method ?? 'GET'} ${safeUrl(req.url)}`;
      let res;
      try {
        res = await request(req.url, { method: req.method ?? 'GET', headers, body, dispatcher, signal: AbortSignal.timeout(options.timeoutMs) });
      } catch (err) {
        const reason = err instanceof undiciErrors.UndiciError || err instanceof Error ? err.message : String(err);
        const timedOut = (err as Error)?.name === 'TimeoutError' || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError;
        throw new RetryAfterError(`${where}: ${timedOut ? `no answer within ${options.timeoutMs} ms` : reason}`, undefined, { cause: err });
      }
      let text: string;
      try {
        text = await readCapped(res.body, options.maxResponseBytes, where);
      } catch (err) {
        // The headers came but the body did not (a stall, a reset): as retryable as no answer at all.
        if (err instanceof NonRetriableError) throw err;
        const timedOut = (err as Error)?.name === 'TimeoutError' || err instanceof undiciErrors.BodyTimeoutError;
        throw new RetryAfterError(`${where}: ${timedOut ? `no answer within ${options.timeoutMs} ms` : err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
      }
      const type = String(res.headers['content-type'] ?? '');
      let parsed: unknown = text;
      if (/json/i.test(type) && text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          throw new RetryAfterError(`${where}: the response says JSON but is not (${text.slice(0, 80)})`);
        }
      }
      if (res.statusCode >= 400) {
        const detail = `${where}: HTTP ${res.statusCode}${text ? ` — ${text.slice(0, 300)}` : ''}`;
        if (RETRYABLE_STATUS(res.statusCode)) throw new RetryAfterError(detail, retryAfterMs(res.headers['retry-after']));
        throw new NonRetriableError(detail);
      }
      return { status: res.statusCode, headers: res.headers, body: parsed };
    },
    close: () => dispatcher.close(),
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
