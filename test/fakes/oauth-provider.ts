import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A Slack-like OAuth v2 provider on 127.0.0.1: `/oauth/v2/authorize` approves at once and
 * redirects back with a code; `/api/oauth.v2.access` exchanges codes (checking the PKCE verifier)
 * and refresh tokens, answering as Slack does (`{ ok, access_token, refresh_token, expires_in }`);
 * `/api/chat.postMessage` records which access token was used.
 */
export async function startOAuthProvider(options: { clientId: string; clientSecret: string; expiresIn: number }) {
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const refreshTokens = new Set<string>();
  const accessTokens = new Set<string>();
  const grants: string[] = [];
  const posts: Array<{ token: string; channel: string; text: string }> = [];
  let refusingRefresh = false;

  const issue = () => {
    const access = `xoxe.xoxb-${randomBytes(6).toString('hex')}`;
    const refresh = `xoxe-1-${randomBytes(6).toString('hex')}`;
    accessTokens.add(access);
    refreshTokens.add(refresh);
    return { ok: true, token_type: 'bot', scope: 'chat:write', access_token: access, refresh_token: refresh, expires_in: options.expiresIn };
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname === '/oauth/v2/authorize') {
        const code = randomBytes(8).toString('hex');
        codes.set(code, { challenge: url.searchParams.get('code_challenge') ?? '', redirectUri: url.searchParams.get('redirect_uri') ?? '' });
        const back = new URL(url.searchParams.get('redirect_uri')!);
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        res.writeHead(302, { location: back.toString() }).end();
        return;
      }
      if (url.pathname === '/api/oauth.v2.access') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        if (form.get('client_id') !== options.clientId || form.get('client_secret') !== options.clientSecret) return json(200, { ok: false, error: 'invalid_client_id' });
        const grant = form.get('grant_type') ?? 'authorization_code';
        grants.push(grant);
        if (grant === 'refresh_token') {
          const token = form.get('refresh_token') ?? '';
          if (refusingRefresh || !refreshTokens.delete(token)) return json(200, { ok: false, error: 'invalid_refresh_token' });
          return json(200, issue());
        }
        const pending = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        if (!pending) return json(200, { ok: false, error: 'invalid_code' });
        const challenge = createHash('sha256').update(form.get('code_verifier') ?? '').digest('base64url');
        if (challenge !== pending.challenge) return json(200, { ok: false, error: 'invalid_code_verifier' });
        if (form.get('redirect_uri') !== pending.redirectUri) return json(200, { ok: false, error: 'bad_redirect_uri' });
        return json(200, issue());
      }
      if (url.pathname === '/api/chat.postMessage') {
        const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        if (!accessTokens.has(token)) return json(200, { ok: false, error: 'invalid_auth' });
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { channel: string; text: string };
        posts.push({ token, channel: body.channel, text: body.text });
        return json(200, { ok: true, channel: body.channel, ts: `${Date.now() / 1000}` });
      }
      json(404, { ok: false, error: 'unknown_method' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    authorizeUrl: `${base}/oauth/v2/authorize`,
    apiUrl: `${base}/api`,
    grants,
    posts,
    /** From now on every refresh is refused, as when the user revoked the app. */
    refuseRefresh() {
      refusingRefresh = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
