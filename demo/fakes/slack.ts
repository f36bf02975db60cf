import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSlackChannel {
  id: string;
  name: string;
}

export interface FakeSlackMessage {
  channel: string;
  text: string;
  token: string;
}

/** An induced failure: `ratelimited` answers HTTP 429 with `Retry-After`; any other error HTTP 200 `{ ok: false }`. */
interface Failure {
  error: string;
  status: number;
  retryAfter: string;
}

/**
 * Slack's Web API (https://api.slack.com/web) on 127.0.0.1: `chat.postMessage` and
 * `conversations.list`, with Slack's envelope `{ ok, error?, … }`. `url` ends in `/api` like
 * `https://slack.com/api`. A token is accepted when `acceptToken` says so (default: `xoxb-`/`xoxp-`).
 * `onMessage` hears each message posted (the demo's live feed).
 */
export async function startFakeSlack(options: { onMessage?: (message: FakeSlackMessage) => void } = {}) {
  const messages: FakeSlackMessage[] = [];
  const requests: Array<{ method: string; path: string; query: Record<string, string>; token: string | undefined }> = [];
  let failures: Failure[] = [];
  let seq = 0;
  const state = {
    channels: [
      { id: 'C0GENERAL', name: 'general' },
      { id: 'C0RANDOM', name: 'random' },
    ] as FakeSlackChannel[],
    acceptToken: (token: string) => /^xox[bp]-/.test(token),
  };

  const send = (res: http.ServerResponse, status: number, body: object, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
      requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), token });

      const failure = failures.shift();
      if (failure) {
        const headers: Record<string, string> = failure.status === 429 ? { 'retry-after': failure.retryAfter } : {};
        return send(res, failure.status, { ok: false, error: failure.error }, headers);
      }
      if (!token) return send(res, 200, { ok: false, error: 'not_authed' });
      if (!state.acceptToken(token)) return send(res, 200, { ok: false, error: 'invalid_auth' });

      if (url.pathname === '/api/chat.postMessage' && req.method === 'POST') {
        if (!/^application\/json/i.test(req.headers['content-type'] ?? '')) return send(res, 200, { ok: false, error: 'invalid_arguments' });
        let args: { channel?: unknown; text?: unknown; blocks?: unknown };
        try {
          args = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return send(res, 200, { ok: false, error: 'invalid_json' });
        }
        if (typeof args.channel !== 'string' || !args.channel) return send(res, 200, { ok: false, error: 'channel_not_found' });
        if (typeof args.text !== 'string' && !Array.isArray(args.blocks)) return send(res, 200, { ok: false, error: 'no_text' });
        // Slack takes a channel id or a name (with or without '#') and always answers with the id.
        const wanted = args.channel.replace(/^#/, '');
        const channel = state.channels.find((c) => c.id === wanted || c.name === wanted);
        if (!channel) return send(res, 200, { ok: false, error: 'channel_not_found' });
        const text = typeof args.text === 'string' ? args.text : '';
        const message = { channel: channel.id, text, token };
        messages.push(message);
        options.onMessage?.(message);
        const ts = `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
        return send(res, 200, { ok: true, channel: channel.id, ts, message: { type: 'message', text, ts } });
      }

      if (url.pathname === '/api/conversations.list' && req.method === 'GET') {
        const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 100) || 100, 1), 1000);
        const cursor = url.searchParams.get('cursor') ?? '';
        let offset = 0;
        if (cursor) {
          const m = Buffer.from(cursor, 'base64').toString('utf8').match(/^offset:(\d+)$/);
          if (!m) return send(res, 200, { ok: false, error: 'invalid_cursor' });
          offset = Number(m[1]);
        }
        const page = state.channels.slice(offset, offset + limit);
        const next = offset + limit < state.channels.length ? Buffer.from(`offset:${offset + limit}`).toString('base64') : '';
        return send(res, 200, {
          ok: true,
          channels: page.map((c) => ({ id: c.id, name: c.name, is_channel: true, is_archived: false, is_private: false })),
          response_metadata: { next_cursor: next },
        });
      }

      return send(res, 404, { ok: false, error: 'unknown_method' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;

  return {
    url,
    messages,
    requests,
    get channels() {
      return state.channels;
    },
    set channels(list: FakeSlackChannel[]) {
      state.channels = list;
    },
    /** Which tokens the workspace knows (default: any `xoxb-` or `xoxp-` token). */
    set acceptToken(check: (token: string) => boolean) {
      state.acceptToken = check;
    },
    /**
     * Makes the next `count` calls fail with a Slack error: `ratelimited` as HTTP 429 with
     * `Retry-After` (1 s by default), anything else (`internal_error`…) as HTTP 200 `{ ok: false }`.
     */
    failNext(error: string, options: { count?: number; status?: number; retryAfter?: string } = {}) {
      const failure = { error, status: options.status ?? (error === 'ratelimited' ? 429 : 200), retryAfter: options.retryAfter ?? '1' };
      failures = [...failures, ...Array.from({ length: options.count ?? 1 }, () => failure)];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type FakeSlack = Awaited<ReturnType<typeof startFakeSlack>>;
