import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Slack workspace the fake hosts; its app is installed there through OAuth. */
export interface OAuthSlackTeam {
  id: string;
  name: string;
  /** Channel ids (`conversations.list` names each after its id in lower case). */
  channels: string[];
}

export interface OAuthSlackMessage {
  team: string;
  channel: string;
  text: string;
  token: string;
}

/** One request to the token endpoint, as the fake saw it and what it answered. */
export interface TokenRequest {
  grant: 'authorization_code' | 'refresh_token';
  /** The refresh token presented (refresh_token grant only). */
  refreshToken?: string;
  /** `pending` until answered; then `issued`, or the failure or refusal it answered (`http_500`, `invalid_grant`, `invalid_refresh_token`…). */
  answer: string;
}

/** A token pair the fake issued, for one workspace. */
export interface IssuedTokens {
  team: string;
  grant: TokenRequest['grant'];
  accessToken: string;
  refreshToken: string;
}

/**
 * How the token endpoint fails: `http_500` (a plain-text 500), `http_429` (Slack's 429
 * `{ ok: false, error: 'ratelimited' }` with `Retry-After`), `invalid_grant` (RFC 6749's
 * `400 { error: 'invalid_grant' }`, as Slack answers some refreshes), or any other Slack error
 * code as Slack answers it: HTTP 200 `{ ok: false, error }` (`invalid_refresh_token`, `token_revoked`…).
 */
export type TokenFailure = 'http_500' | 'http_429' | 'invalid_grant' | (string & {});

/**
 * Slack with token rotation (https://docs.slack.dev/authentication/using-token-rotation) on
 * 127.0.0.1, for several workspaces:
 * - `/oauth/v2/authorize` approves at once, into the workspace named by its `team` query parameter
 *   (the one the user picks on Slack's consent page; default the first), and redirects back with a code;
 * - `/api/oauth.v2.access` exchanges a code (client, redirect URI and PKCE S256 checked) or a
 *   refresh token, answering in oauth.v2.access's shape. Each refresh token works once: its
 *   refresh answers a new access token and a new refresh token, and a second use is refused with
 *   `invalid_refresh_token`, as Slack does. `failTokenRequests` makes it fail or refuse, and
 *   `holdTokenRequests` keeps requests in flight until the test lets them be answered;
 * - `auth.test`, `conversations.list` and `chat.postMessage` take only access tokens it issued,
 *   `token_expired` once `expireAccessTokens()` made them lapse, and record which token each call used.
 */
export async function startOAuthSlack(options: { clientId?: string; clientSecret?: string; teams?: OAuthSlackTeam[]; expiresIn?: number } = {}) {
  const client = { clientId: options.clientId ?? 'slack-client-1', clientSecret: options.clientSecret ?? 'slack-secret-1' };
  const teams = options.teams ?? [{ id: 'T0ACME', name: 'Acme', channels: ['C1'] }];
  const codes = new Map<string, { challenge: string; redirectUri: string; team: string }>();
  /** Refresh tokens not used yet, by their workspace. */
  const refreshTokens = new Map<string, string>();
  /** Access tokens issued, by their workspace and whether they expired. */
  const accessTokens = new Map<string, { team: string; expired: boolean }>();
  const tokenRequests: TokenRequest[] = [];
  const issued: IssuedTokens[] = [];
  const messages: OAuthSlackMessage[] = [];
  const calls: Array<{ method: string; token: string | undefined; error?: string }> = [];
  let failures: TokenFailure[] = [];
  let failingForGood: TokenFailure | undefined;
  const settings = { retryAfterS: 1 };
  /** While set, token requests are recorded as they come but answered only once it resolves. */
  let gate: { opened: Promise<void>; open: () => void } | undefined;
  let seq = 0;

  const send = (res: http.ServerResponse, status: number, body: object, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));

  const issue = (team: OAuthSlackTeam, grant: TokenRequest['grant']) => {
    const accessToken = `xoxe.xoxb-1-${randomBytes(8).toString('hex')}`;
    const refreshToken = `xoxe-1-${randomBytes(8).toString('hex')}`;
    accessTokens.set(accessToken, { team: team.id, expired: false });
    refreshTokens.set(refreshToken, team.id);
    issued.push({ team: team.id, grant, accessToken, refreshToken });
    return {
      ok: true,
      app_id: 'A0FAKEAPP',
      authed_user: { id: 'U0INSTALLER' },
      scope: 'chat:write,channels:read,groups:read',
      token_type: 'bot',
      access_token: accessToken,
      bot_user_id: 'U0BOT',
      refresh_token: refreshToken,
      expires_in: options.expiresIn ?? 43_200,
      team: { id: team.id, name: team.name },
      enterprise: null,
      is_enterprise_install: false,
    };
  };

  /** Answers a token request with the induced failure; false when none is due. */
  const fail = (res: http.ServerResponse, request: TokenRequest): boolean => {
    const failure = failures.shift() ?? failingForGood;
    if (!failure) return false;
    request.answer = failure;
    if (failure === 'http_500') res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream connect error');
    else if (failure === 'http_429') send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(settings.retryAfterS) });
    else if (failure === 'invalid_grant') send(res, 400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    else send(res, 200, { ok: false, error: failure });
    return true;
  };

  const tokenEndpoint = (res: http.ServerResponse, form: URLSearchParams, request: TokenRequest) => {
    if (form.get('client_id') !== client.clientId || form.get('client_secret') !== client.clientSecret)
      return send(res, 200, { ok: false, error: (request.answer = 'invalid_client_id') });
    if (fail(res, request)) return;
    const grant = request.grant;
    if (grant === 'refresh_token') {
      // Spent once answered: a second refresh with it, even one sent at the same moment, is refused.
      const team = refreshTokens.get(request.refreshToken!);
      refreshTokens.delete(request.refreshToken!);
      if (!team) return send(res, 200, { ok: false, error: (request.answer = 'invalid_refresh_token') });
      request.answer = 'issued';
      return send(
        res,
        200,
        issue(
          teams.find((t) => t.id === team)!,
          grant,
        ),
      );
    }
    const code = form.get('code') ?? '';
    const pending = codes.get(code);
    codes.delete(code);
    const challenge = createHash('sha256')
      .update(form.get('code_verifier') ?? '')
      .digest('base64url');
    if (!pending) return send(res, 200, { ok: false, error: (request.answer = 'invalid_code') });
    if (challenge !== pending.challenge) return send(res, 200, { ok: false, error: (request.answer = 'invalid_code_verifier') });
    if (form.get('redirect_uri') !== pending.redirectUri) return send(res, 200, { ok: false, error: (request.answer = 'bad_redirect_uri') });
    request.answer = 'issued';
    send(
      res,
      200,
      issue(
        teams.find((t) => t.id === pending.team)!,
        grant,
      ),
    );
  };

  const authorize = (res: http.ServerResponse, url: URL) => {
    const redirectUri = url.searchParams.get('redirect_uri') ?? '';
    let back: URL;
    try {
      back = new URL(redirectUri);
    } catch {
      return res.writeHead(400, { 'content-type': 'text/plain' }).end('bad redirect_uri');
    }
    const team = teams.find((t) => t.id === (url.searchParams.get('team') ?? teams[0]!.id));
    if (url.searchParams.get('client_id') !== client.clientId || url.searchParams.get('code_challenge_method') !== 'S256' || !team) {
      back.searchParams.set('error', 'invalid_request');
    } else {
      const code = randomBytes(8).toString('hex');
      codes.set(code, { challenge: url.searchParams.get('code_challenge') ?? '', redirectUri, team: team.id });
      back.searchParams.set('code', code);
    }
    back.searchParams.set('state', url.searchParams.get('state') ?? '');
    res.writeHead(302, { location: back.toString() }).end();
  };

  /** The Web API methods: the workspace of the call's token, or Slack's refusal. */
  const webApi = (res: http.ServerResponse, method: string, token: string | undefined, body: string, url: URL) => {
    const held = token ? accessTokens.get(token) : undefined;
    const refusal = !token ? 'not_authed' : !held ? 'invalid_auth' : held.expired ? 'token_expired' : undefined;
    calls.push({ method, token, ...(refusal ? { error: refusal } : {}) });
    if (refusal) return send(res, 200, { ok: false, error: refusal });
    const team = teams.find((t) => t.id === held!.team)!;
    if (method === 'auth.test')
      return send(res, 200, { ok: true, url: `https://${team.id.toLowerCase()}.slack.test/`, team: team.name, team_id: team.id, user: 'alloy', user_id: 'U0BOT', bot_id: 'B0BOT' });
    if (method === 'conversations.list') {
      const channels = team.channels.map((id) => ({ id, name: id.toLowerCase(), is_channel: true, is_archived: false, is_private: false }));
      return send(res, 200, { ok: true, channels, response_metadata: { next_cursor: '' } });
    }
    if (method === 'chat.postMessage') {
      let args: { channel?: unknown; text?: unknown };
      try {
        args = JSON.parse(body);
      } catch {
        return send(res, 200, { ok: false, error: 'invalid_json' });
      }
      if (typeof args.channel !== 'string' || !team.channels.includes(args.channel)) return send(res, 200, { ok: false, error: 'channel_not_found' });
      messages.push({ team: team.id, channel: args.channel, text: typeof args.text === 'string' ? args.text : '', token: token! });
      const ts = `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
      return send(res, 200, { ok: true, channel: args.channel, ts });
    }
    send(res, 404, { ok: false, error: 'unknown_method', url: url.pathname });
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = Buffer.concat(chunks).toString('utf8');
      if (url.pathname === '/oauth/v2/authorize' && req.method === 'GET') return authorize(res, url);
      if (url.pathname === '/api/oauth.v2.access' && req.method === 'POST') {
        const form = new URLSearchParams(body);
        const grant = form.get('grant_type') === 'refresh_token' ? 'refresh_token' : 'authorization_code';
        const request: TokenRequest = { grant, answer: 'pending', ...(grant === 'refresh_token' ? { refreshToken: form.get('refresh_token') ?? '' } : {}) };
        tokenRequests.push(request);
        if (gate) void gate.opened.then(() => tokenEndpoint(res, form, request));
        else tokenEndpoint(res, form, request);
        return;
      }
      const auth = req.headers.authorization;
      webApi(res, url.pathname.replace(/^\/api\//, ''), auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined, body, url);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    /** The Web API's base (`SLACK_API_URL`), like `https://slack.com/api`. */
    url: `${base}/api`,
    /** Slack's consent page (`SLACK_OAUTH_URL`). */
    authorizeUrl: `${base}/oauth/v2/authorize`,
    client,
    /** What a server needs to use this Slack for the Web API and OAuth. */
    env: (): Record<string, string> => ({
      SLACK_API_URL: `${base}/api`,
      SLACK_OAUTH_URL: `${base}/oauth/v2/authorize`,
      SLACK_CLIENT_ID: client.clientId,
      SLACK_CLIENT_SECRET: client.clientSecret,
    }),
    tokenRequests,
    issued,
    messages,
    calls,
    /** The refresh requests the token endpoint received, answered or not. */
    refreshRequests: () => tokenRequests.filter((r) => r.grant === 'refresh_token'),
    /** The tokens last issued for a workspace (default: the first). */
    latest: (team = teams[0]!.id) => issued.filter((t) => t.team === team).at(-1),
    messagesTo: (team: string) => messages.filter((m) => m.team === team),
    /** Lets every access token issued so far lapse: Web API calls with one answer `token_expired`. */
    expireAccessTokens() {
      for (const held of accessTokens.values()) held.expired = true;
    },
    /** Answers the next `count` token requests with `failure`; `Infinity`: every one until `stopFailing()`. */
    failTokenRequests(failure: TokenFailure, count = 1) {
      if (count === Infinity) failingForGood = failure;
      else failures = [...failures, ...Array.from({ length: count }, () => failure)];
    },
    stopFailing() {
      failures = [];
      failingForGood = undefined;
    },
    /**
     * Holds every token request from now on (recorded in `tokenRequests` as `pending`) until
     * `answerTokenRequests()`: a refresh stays in flight while the test looks at who waits for it.
     */
    holdTokenRequests() {
      let open!: () => void;
      gate ??= { opened: new Promise<void>((resolve) => (open = resolve)), open: () => open() };
    },
    /** Answers the held token requests, and the next ones at once. */
    answerTokenRequests() {
      gate?.open();
      gate = undefined;
    },
    /** The `Retry-After` of an `http_429` answer, in seconds. */
    set retryAfterS(seconds: number) {
      settings.retryAfterS = seconds;
    },
    close: () =>
      new Promise<void>((resolve) => {
        gate?.open();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type OAuthSlack = Awaited<ReturnType<typeof startOAuthSlack>>;
