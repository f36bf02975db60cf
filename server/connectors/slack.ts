import { z } from 'zod';
import { NonRetriableError, RetryAfterError } from '../engine/errors';
import type { HttpResponse } from '../engine/http';
import { inAppWords } from './app-errors';
import { defineAction, HEADER_TOKEN, type Connector, type ConnectorApi, type ConnectorContext } from './types';

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
  throw refusal(`Slack ${method}`, body.error);
}

/** Slack's `{ ok: false, error }` as the error to throw, `what` naming the call: retried only for Slack's own "try again" codes. */
function refusal(what: string, error: string | undefined): Error {
  const message = `${what}: ${error ?? 'unknown error'}`;
  return TRANSIENT.has(error ?? '') ? new RetryAfterError(message) : new NonRetriableError(message);
}

/** What Slack says in an error answer: its `error` code (`invalid_auth`, `ratelimited`). */
function slackSays(body: unknown): string | undefined {
  const error = (body as { error?: unknown } | null)?.error;
  return typeof error === 'string' ? error : undefined;
}

/** The Web API: each method is `<base>/<method>`, authenticated by the bot (or OAuth) token as a Bearer token. */
const slackApi: ConnectorApi = {
  baseUrl: (ctx) => ctx.settings.apiUrls.slack ?? '',
  authorize: (ctx) => ({ authorization: `Bearer ${token(ctx)}` }),
  says: slackSays,
  // A proxied call that Slack refuses with HTTP 200 must not pass for a success.
  assertOk(res, what) {
    const body = res.body as { ok?: unknown; error?: string } | null;
    if (typeof body === 'object' && body !== null && body.ok === false) throw refusal(what, body.error);
  },
};

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
  api: slackApi,
  oauth: { env: 'SLACK', authorizeUrl: 'https://slack.com/oauth/v2/authorize', tokenUrl: (settings) => `${settings.apiUrls.slack}/oauth.v2.access`, scopeSeparator: ',' },
  actions: {
    postMessage: defineAction({
      description: 'Post a message to a channel (chat.postMessage)',
      input: z.object({ channel: z.string().min(1), text: z.string().min(1), blocks: z.array(z.unknown()).optional() }),
      // Slack allows about one message a second per channel (https://api.slack.com/methods/chat.postMessage#rate_limiting); per account, as the account is what names the workspace here.
      throttle: { key: (input, credential) => `${credential?.id ?? '-'}:${input.channel}`, everyMs: 1000 },
      async run(input, ctx) {
        const res = await ctx.http.send({
          method: 'POST',
          url: `${slackApi.baseUrl(ctx)}/chat.postMessage`,
          headers: { ...slackApi.authorize(ctx), 'content-type': 'application/json; charset=utf-8' },
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
    const headers = slackApi.authorize(ctx);
    let res: HttpResponse;
    try {
      res = await ctx.http.send({ method: 'POST', url: `${slackApi.baseUrl(ctx)}/auth.test`, headers });
    } catch (err) {
      throw inAppWords('Slack auth.test', err, slackSays);
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
        const res = await ctx.http.send({ url: `${slackApi.baseUrl(ctx)}/conversations.list?${qs}`, headers: slackApi.authorize(ctx) });
        const body = unwrap('conversations.list', res) as { channels?: Array<{ id: string; name: string }>; response_metadata?: { next_cursor?: string } };
        for (const c of body.channels ?? []) options.push({ label: `#${c.name}`, value: c.id });
        cursor = body.response_metadata?.next_cursor ?? '';
        if (!cursor) break;
      }
      return options;
    },
  },
};
