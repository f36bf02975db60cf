import { createHash, randomBytes } from 'node:crypto';
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
  /** Only a call of this Web API method fails (`auth.test`); any call when left out. */
  method?: string;
}

/** The OAuth app the fake Slack knows (Slack's "Client ID" and "Client Secret"). */
export interface FakeSlackOAuthClient {
  clientId: string;
  clientSecret: string;
  /**
   * Lifetime of the access tokens it issues, in seconds (Slack's token rotation); default 12 h. A
   * string is sent as one, as some providers do.
   */
  expiresIn?: number | string;
}

/** The workspace the fake Slack is (auth.test's `team` and `team_id`). */
export interface FakeSlackTeam {
  id: string;
  name: string;
}

/**
 * Slack's Web API (https://api.slack.com/web) on 127.0.0.1: `auth.test`, `chat.postMessage` and
 * `conversations.list`, with Slack's envelope `{ ok, error?, … }`. `url` ends in `/api` like
 * `https://slack.com/api`. A token is accepted when `acceptToken` says so (default: `xoxb-`/`xoxp-`)
 * or when this fake issued it through OAuth, unless it was `revoke`d: then every method answers
 * `invalid_auth`. `onMessage` hears each message posted (the demo's live feed).
 *
 * With `oauth`, it is also Slack's OAuth v2 (https://api.slack.com/authentication/oauth-v2):
 * `/oauth/v2/authorize` (`authorizeUrl`) approves at once and redirects back with a code;
 * `/api/oauth.v2.access` exchanges codes (checking the client, the redirect URI and the PKCE S256
 * verifier) and refresh tokens, answering as Slack does (`{ ok, access_token, refresh_token, expires_in }`).
 */
export async function startFakeSlack(options: { onMessage?: (message: FakeSlackMessage) => void; oauth?: FakeSlackOAuthClient } = {}) {
  const messages: FakeSlackMessage[] = [];
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const refreshTokens = new Set<string>();
  /** The access tokens issued through OAuth (`xoxe.xoxb-…`): always accepted. */
  const oauthTokens = new Set<string>();
  /** The grant of each token request: `authorization_code` or `refresh_token`. */
  const grants: string[] = [];
  let refusingRefresh = false;
  let pagesOnRefresh = 0;
  const requests: Array<{ method: string; path: string; query: Record<string, string>; token: string | undefined }> = [];
  let failures: Failure[] = [];
  let seq = 0;
  /** Tokens the workspace no longer accepts (the app was uninstalled, the token revoked). */
  const revoked = new Set<string>();
  const state = {
    team: { id: 'T0NORTHWIND', name: 'Northwind Traders' } as FakeSlackTeam,
    channels: [
      { id: 'C0GENERAL', name: 'general' },
      { id: 'C0RANDOM', name: 'random' },
    ] as FakeSlackChannel[],
    acceptToken: (token: string) => /^xox[bp]-/.test(token),
  };

  const send = (res: http.ServerResponse, status: number, body: object, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));

  const issue = (oauth: FakeSlackOAuthClient) => {
    const access = `xoxe.xoxb-${randomBytes(6).toString('hex')}`;
    const refresh = `xoxe-1-${randomBytes(6).toString('hex')}`;
    oauthTokens.add(access);
    refreshTokens.add(refresh);
    return { ok: true, token_type: 'bot', scope: 'chat:write,channels:read,groups:read', access_token: access, refresh_token: refresh, expires_in: oauth.expiresIn ?? 43_200 };
  };

  /** Slack's OAuth v2 endpoints; false when the request is for another one. */
  const serveOAuth = (req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: string): boolean => {
    const oauth = options.oauth;
    if (!oauth) return false;
    if (url.pathname === '/oauth/v2/authorize' && req.method === 'GET') {
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      let back: URL;
      try {
        back = new URL(redirectUri);
      } catch {
        res.writeHead(400, { 'content-type': 'text/plain' }).end('bad redirect_uri');
        return true;
      }
      if (url.searchParams.get('client_id') !== oauth.clientId || url.searchParams.get('code_challenge_method') !== 'S256') {
        back.searchParams.set('error', 'invalid_request');
      } else {
        // The user approves at once.
        const code = randomBytes(8).toString('hex');
        codes.set(code, { challenge: url.searchParams.get('code_challenge') ?? '', redirectUri });
        back.searchParams.set('code', code);
      }
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.toString() }).end();
      return true;
    }
    if (url.pathname === '/api/oauth.v2.access' && req.method === 'POST') {
      const form = new URLSearchParams(body);
      if (form.get('client_id') !== oauth.clientId || form.get('client_secret') !== oauth.clientSecret) send(res, 200, { ok: false, error: 'invalid_client_id' });
      else {
        const grant = form.get('grant_type') ?? 'authorization_code';
        grants.push(grant);
        if (grant === 'refresh_token') {
          if (pagesOnRefresh > 0) {
            pagesOnRefresh--;
            res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Slack is having trouble</body></html>');
          } else if (refusingRefresh || !refreshTokens.delete(form.get('refresh_token') ?? '')) send(res, 200, { ok: false, error: 'invalid_refresh_token' });
          else send(res, 200, issue(oauth));
        } else {
          const code = form.get('code') ?? '';
          const pending = codes.get(code);
          codes.delete(code);
          const challenge = createHash('sha256')
            .update(form.get('code_verifier') ?? '')
            .digest('base64url');
          if (!pending) send(res, 200, { ok: false, error: 'invalid_code' });
          else if (challenge !== pending.challenge) send(res, 200, { ok: false, error: 'invalid_code_verifier' });
          else if (form.get('redirect_uri') !== pending.redirectUri) send(res, 200, { ok: false, error: 'bad_redirect_uri' });
          else send(res, 200, issue(oauth));
        }
      }
      return true;
    }
    return false;
  };

  // Node's 16 KB header limit would answer 431 to a long token before Slack ever saw it.
  const server = http.createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
      requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), token });

      const failing = failures.findIndex((f) => !f.method || url.pathname === `/api/${f.method}`);
      const failure = failing < 0 ? undefined : failures.splice(failing, 1)[0];
      if (failure) {
        const headers: Record<string, string> = failure.status === 429 ? { 'retry-after': failure.retryAfter } : {};
        return send(res, failure.status, { ok: false, error: failure.error }, headers);
      }
      if (serveOAuth(req, res, url, Buffer.concat(chunks).toString('utf8'))) return;
      if (!token) return send(res, 200, { ok: false, error: 'not_authed' });
      if (revoked.has(token) || (!state.acceptToken(token) && !oauthTokens.has(token))) return send(res, 200, { ok: false, error: 'invalid_auth' });

      // Slack takes GET and POST for any method; auth.test needs no scope.
      if (url.pathname === '/api/auth.test') {
        const bot = token.startsWith('xoxb-') || oauthTokens.has(token);
        return send(res, 200, {
          ok: true,
          url: `https://${state.team.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}.slack.com/`,
          team: state.team.name,
          user: bot ? 'alloy' : 'grace',
          team_id: state.team.id,
          user_id: bot ? 'U0ALLOYBOT' : 'W0GRACE',
          ...(bot ? { bot_id: 'B0ALLOYBOT' } : {}),
        });
      }

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
          const m = Buffer.from(cursor, 'base64')
            .toString('utf8')
            .match(/^offset:(\d+)$/);
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
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${base}/api`,
    /** Slack's authorize page (`SLACK_OAUTH_URL`); served only with the `oauth` option. */
    authorizeUrl: `${base}/oauth/v2/authorize`,
    messages,
    requests,
    grants,
    /** Whether this fake issued `token` through OAuth. */
    isOAuthToken: (token: string) => oauthTokens.has(token),
    /** The next `count` refreshes are answered with an HTML page (200), as a proxy in trouble would, and use up nothing. */
    answerRefreshWithPage(count = 1) {
      pagesOnRefresh += count;
    },
    /** From now on every refresh is refused, as when the user revoked the app. */
    refuseRefresh() {
      refusingRefresh = true;
    },
    get channels() {
      return state.channels;
    },
    /** The workspace auth.test names (default Northwind Traders, T0NORTHWIND). */
    get team() {
      return state.team;
    },
    set team(team: FakeSlackTeam) {
      state.team = team;
    },
    /** From now on `token` is refused with `invalid_auth` everywhere, as after the user revoked it. */
    revoke(token: string) {
      revoked.add(token);
    },
    set channels(list: FakeSlackChannel[]) {
      state.channels = list;
    },
    /** Which tokens the workspace knows (default: any `xoxb-` or `xoxp-` token). */
    set acceptToken(check: (token: string) => boolean) {
      state.acceptToken = check;
    },
    /**
     * Makes the next `count` calls (of `method` only, when given) fail with a Slack error:
     * `ratelimited` as HTTP 429 with `Retry-After` (1 s by default), anything else
     * (`internal_error`…) as HTTP 200 `{ ok: false }`, unless `status` says otherwise.
     */
    failNext(error: string, options: { count?: number; status?: number; retryAfter?: string; method?: string } = {}) {
      const failure = { error, status: options.status ?? (error === 'ratelimited' ? 429 : 200), retryAfter: options.retryAfter ?? '1', method: options.method };
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
