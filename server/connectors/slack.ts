import { z } from 'zod';
import { NonRetriableError, RetryAfterError } from '../engine/errors';
import type { HttpResponse } from '../engine/http';
import { inAppWords } from './app-errors';
import { defineAction, HEADER_TOKEN, type Connector, type ConnectorContext } from './types';

// Slack answers HTTP 200 with { ok: false, error } for most failures; these codes are Slack's own
// "try again" conditions, every other one (invalid_auth, channel_not_found…) will not heal by itself.
const TRANSIENT = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);

function token(ctx: Pick<ConnectorContext, 'credential'>): string {
  const t = ctx.credential?.botToken ?? ctx.credential?.accessToken;
  if (!t) throw new NonRetriableError('Slack: the credential has no bot or access token; reconnect the account');
  return t;
}

function unwrap(method: string, res: HttpResponse): Record<string, unknown> {
  const body = res.body as { ok?: boolean; error?: string } | string;
  if (typeof body !== 'object' || body === null) throw new RetryAfterError(`Slack ${method}: unexpected answer ${String(body).slice(0, 80)}`);
  if (body.ok) return body as Record<string, unknown>;
  const message = `Slack ${method}: ${body.error ?? 'unknown error'}`;
  throw TRANSIENT.has(body.error ?? '') ? new RetryAfterError(message) : new NonRetriableError(message);
}

/** Slack Web API (https://api.slack.com/methods), base URL from SLACK_API_URL. */
export const slack: Connector = {
  id: 'slack',
  name: 'Slack',
  icon: '/icons/slack.svg',
  auth: [
    {
      type: 'apiKey',
      fields: [
        {
          name: 'botToken',
          label: 'Bot token',
          type: 'secret',
          required: true,
          placeholder: 'xoxb-…',
          description: 'From your Slack app: OAuth & Permissions → Bot User OAuth Token.',
        },
      ],
    },
    { type: 'oauth2', scopes: ['chat:write', 'channels:read', 'groups:read'] },
  ],
  credentialChecks: { botToken: HEADER_TOKEN },
  // Slack's OAuth v2 (https://api.slack.com/authentication/oauth-v2): the token endpoint is a Web API method.
  apiUrl: { env: 'SLACK_API_URL', default: 'https://slack.com/api' },
  oauth: { env: 'SLACK', authorizeUrl: 'https://slack.com/oauth/v2/authorize', tokenUrl: (settings) => `${settings.apiUrls.slack}/oauth.v2.access`, scopeSeparator: ',' },
  actions: {
    postMessage: defineAction({
      description: 'Post a message to a channel (chat.postMessage)',
      input: z.object({ channel: z.string().min(1), text: z.string().min(1), blocks: z.array(z.unknown()).optional() }),
      async run(input, ctx) {
        const res = await ctx.http.send({
          method: 'POST',
          url: `${ctx.settings.apiUrls.slack}/chat.postMessage`,
          headers: { authorization: `Bearer ${token(ctx)}`, 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify(input),
        });
        const body = unwrap('chat.postMessage', res);
        return { channel: body.channel, ts: body.ts };
      },
    }),
  },
  /**
   * auth.test (https://api.slack.com/methods/auth.test): needs no scope, so it proves the token
   * itself. The account is named by its workspace (`team`, else `team_id`).
   */
  async test(ctx) {
    const authorization = `Bearer ${token(ctx)}`;
    let res: HttpResponse;
    try {
      res = await ctx.http.send({ method: 'POST', url: `${ctx.settings.apiUrls.slack}/auth.test`, headers: { authorization } });
    } catch (err) {
      throw inAppWords('Slack auth.test', err, (body) => (body as { error?: string } | null)?.error);
    }
    const body = unwrap('auth.test', res) as { team?: string; team_id?: string };
    return { displayName: body.team || body.team_id || null };
  },
  optionSources: {
    /** Public and private channels the token can see (conversations.list, every page). */
    async channels(ctx) {
      const options = [];
      let cursor = '';
      for (let page = 0; page < 50; page++) {
        const qs = new URLSearchParams({ types: 'public_channel,private_channel', exclude_archived: 'true', limit: '200', ...(cursor ? { cursor } : {}) });
        const res = await ctx.http.send({ url: `${ctx.settings.apiUrls.slack}/conversations.list?${qs}`, headers: { authorization: `Bearer ${token(ctx)}` } });
        const body = unwrap('conversations.list', res) as { channels?: Array<{ id: string; name: string }>; response_metadata?: { next_cursor?: string } };
        for (const c of body.channels ?? []) options.push({ label: `#${c.name}`, value: c.id });
        cursor = body.response_metadata?.next_cursor ?? '';
        if (!cursor) break;
      }
      return options;
    },
  },
};
