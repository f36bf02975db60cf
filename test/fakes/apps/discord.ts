import { startAppFake, type AppFake, type FakeAnswer, type RecordedRequest } from '../app-fake';

/**
 * A fake of Discord's incoming webhooks (API v10): the webhook read with its token, messages
 * executed, edited and deleted through it. The token is in the path, so the fake checks it there.
 * Errors are Discord's `{ code, message, errors? }`; 429 answers `{ message, retry_after, global }`.
 * https://discord.com/developers/docs/resources/webhook
 */

export const DISCORD_WEBHOOK = {
  webhookId: '1205439761235878011',
  webhookToken: 'Rk9vQmFyQmF6LXdlYmhvb2stdG9rZW4tZm9yLXRlc3RzLW9ubHktX2FiY2RlZmdoaWo',
};

export interface FakeDiscordMessage {
  id: string;
  content: string;
  username: string;
  avatarUrl: string | null;
  tts: boolean;
  embeds: unknown[];
  threadId: string | null;
  timestamp: string;
  editedTimestamp: string | null;
}

export interface DiscordFake extends AppFake {
  webhook: { id: string; token: string; name: string; channelId: string; guildId: string };
  messages: FakeDiscordMessage[];
}

function errorBody(status: number, message: string) {
  // A rate limit has its own shape (its seconds to wait in the body as well as in Retry-After).
  if (status === 429) return { message: 'You are being rate limited.', retry_after: 1.5, global: false };
  return { message, code: 0 };
}

/** An error answer (its status always set, so `'status' in x` tells it from a value). */
type Failure = FakeAnswer & { status: number };

const fail = (status: number, code: number, message: string, errors?: unknown): Failure => ({ status, body: { message, code, ...(errors ? { errors } : {}) } });

const fieldError = (field: string, code: string, message: string) => ({ [field]: { _errors: [{ code, message }] } });

export async function startDiscordFake(): Promise<DiscordFake> {
  const webhook = { id: DISCORD_WEBHOOK.webhookId, token: DISCORD_WEBHOOK.webhookToken, name: 'Order alerts', channelId: '1205439705074135102', guildId: '1205439704398860289' };
  const messages: FakeDiscordMessage[] = [];
  let snowflake = 1_205_440_000_000_000_000n;

  const messageObject = (m: FakeDiscordMessage) => ({
    id: m.id,
    type: 0,
    content: m.content,
    channel_id: m.threadId ?? webhook.channelId,
    author: { id: webhook.id, username: m.username, avatar: null, discriminator: '0000', public_flags: 0, flags: 0, bot: true, global_name: null },
    attachments: [],
    embeds: m.embeds,
    mentions: [],
    mention_roles: [],
    pinned: false,
    mention_everyone: false,
    tts: m.tts,
    timestamp: m.timestamp,
    edited_timestamp: m.editedTimestamp,
    flags: 0,
    components: [],
    webhook_id: webhook.id,
  });

  /** Validates content and embeds as Discord does for the cases tests use: content ≤ 2000 characters, embeds an array of ≤ 10 objects. */
  const validate = (body: Record<string, unknown>): Failure | undefined => {
    if (body.content !== undefined && typeof body.content !== 'string')
      return fail(400, 50035, 'Invalid Form Body', fieldError('content', 'BASE_TYPE_STRING', 'Must be a string.'));
    if (typeof body.content === 'string' && body.content.length > 2000)
      return fail(400, 50035, 'Invalid Form Body', fieldError('content', 'BASE_TYPE_MAX_LENGTH', 'Must be 2000 or fewer in length.'));
    if (body.embeds !== undefined && (!Array.isArray(body.embeds) || body.embeds.some((e) => typeof e !== 'object' || e === null)))
      return fail(400, 50035, 'Invalid Form Body', fieldError('embeds', 'BASE_TYPE_ARRAY', 'Must be an array of embed objects.'));
    if (Array.isArray(body.embeds) && body.embeds.length > 10)
      return fail(400, 50035, 'Invalid Form Body', fieldError('embeds', 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.'));
    return undefined;
  };

  const findMessage = (req: RecordedRequest, messageId: string): FakeDiscordMessage | Failure => {
    const thread = typeof req.query.thread_id === 'string' ? req.query.thread_id : null;
    const m = messages.find((x) => x.id === messageId && x.threadId === thread);
    return m ?? fail(404, 10008, 'Unknown Message');
  };

  const fake = await startAppFake({
    name: 'Discord',
    errorBody,
    authorize(req) {
      // The webhook's id and token are the first two segments after /webhooks/.
      const m = /^\/v10\/webhooks\/([^/]+)\/([^/]+)(\/|$)/.exec(req.path);
      if (!m) return fail(401, 0, '401: Unauthorized');
      if (decodeURIComponent(m[1]!) !== webhook.id) return fail(404, 10015, 'Unknown Webhook');
      if (decodeURIComponent(m[2]!) !== webhook.token) return fail(401, 50027, 'Invalid Webhook Token');
      return undefined;
    },
    routes: [
      {
        method: 'GET',
        path: '/v10/webhooks/:id/:token',
        handle: () => ({
          body: { application_id: null, avatar: null, channel_id: webhook.channelId, guild_id: webhook.guildId, id: webhook.id, name: webhook.name, type: 1, token: webhook.token },
        }),
      },
      {
        method: 'POST',
        path: '/v10/webhooks/:id/:token',
        handle(req) {
          const body = (req.body ?? {}) as Record<string, unknown>;
          const invalid = validate(body);
          if (invalid) return invalid;
          const embeds = Array.isArray(body.embeds) ? body.embeds : [];
          if (!body.content && embeds.length === 0) return fail(400, 50006, 'Cannot send an empty message');
          snowflake += 4_194_304n;
          const m: FakeDiscordMessage = {
            id: String(snowflake),
            content: typeof body.content === 'string' ? body.content : '',
            username: typeof body.username === 'string' ? body.username : webhook.name,
            avatarUrl: typeof body.avatar_url === 'string' ? body.avatar_url : null,
            tts: body.tts === true,
            embeds: embeds.map((e) => ({ type: 'rich', ...(e as object) })),
            threadId: typeof req.query.thread_id === 'string' ? req.query.thread_id : null,
            timestamp: new Date().toISOString().replace('Z', '000+00:00'),
            editedTimestamp: null,
          };
          messages.push(m);
          // Without wait=true Discord answers 204 and no message.
          return req.query.wait === 'true' ? { body: messageObject(m) } : { status: 204 };
        },
      },
      {
        method: 'PATCH',
        path: '/v10/webhooks/:id/:token/messages/:messageId',
        handle(req, { messageId }) {
          const found = findMessage(req, messageId!);
          if ('status' in found) return found;
          const body = (req.body ?? {}) as Record<string, unknown>;
          const invalid = validate(body);
          if (invalid) return invalid;
          const content = typeof body.content === 'string' ? body.content : found.content;
          const embeds = Array.isArray(body.embeds) ? body.embeds.map((e) => ({ type: 'rich', ...(e as object) })) : found.embeds;
          if (!content && embeds.length === 0) return fail(400, 50006, 'Cannot send an empty message');
          Object.assign(found, { content, embeds });
          found.editedTimestamp = new Date().toISOString().replace('Z', '000+00:00');
          return { body: messageObject(found) };
        },
      },
      {
        method: 'DELETE',
        path: '/v10/webhooks/:id/:token/messages/:messageId',
        handle(req, { messageId }) {
          const found = findMessage(req, messageId!);
          if ('status' in found) return found;
          messages.splice(messages.indexOf(found), 1);
          return { status: 204 };
        },
      },
    ],
  });
  return Object.assign(fake, { webhook, messages });
}
