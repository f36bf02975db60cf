import { randomUUID } from 'node:crypto';
import { startAppFake, type AppFake, type FakeAnswer, type RecordedRequest } from '../app-fake';

/**
 * A fake of the Microsoft Graph v1.0 Teams endpoints: the signed-in user, the teams they joined
 * (paged by the server with an absolute `@odata.nextLink`), channels, channel messages and replies.
 * Errors are Graph's `{ error: { code, message, innerError } }`. https://learn.microsoft.com/graph/errors
 */

export const MICROSOFT_TEAMS_TOKEN = 'eyJ0eXAiOiJKV1QiLCJub25jZSI6ImZha2UifQ.eyJzY3AiOiJDaGFubmVsTWVzc2FnZS5TZW5kIn0.c2lnbmF0dXJl';

export interface FakeTeam {
  id: string;
  displayName: string;
  description: string | null;
  channels: Array<{ id: string; displayName: string; membershipType: 'standard' | 'private' | 'shared' }>;
}

export interface FakeChatMessage {
  id: string;
  replyToId: string | null;
  teamId: string;
  channelId: string;
  subject: string | null;
  body: { contentType: 'text' | 'html'; content: string };
  createdDateTime: string;
}

export interface MicrosoftTeamsFake extends AppFake {
  user: { id: string; displayName: string; userPrincipalName: string; mail: string };
  teams: FakeTeam[];
  messages: FakeChatMessage[];
  tokens: Set<string>;
  /** How many items a page of a collection holds before `@odata.nextLink` (Graph pages on the server). */
  pageSize: number;
}

const CODES: Record<number, string> = {
  400: 'BadRequest',
  401: 'InvalidAuthenticationToken',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceNotAvailable',
  504: 'GatewayTimeout',
};

function errorBody(status: number, message: string, code?: string) {
  const id = randomUUID();
  return {
    error: {
      code: code ?? CODES[status] ?? (status >= 500 ? 'InternalServerError' : 'BadRequest'),
      message,
      innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': id, 'client-request-id': id },
    },
  };
}

/** An error answer (its status always set, so `'status' in x` tells it from a value). */
type Failure = FakeAnswer & { status: number };

const fail = (status: number, message: string, code?: string): Failure => ({ status, body: errorBody(status, message, code) });

const TENANT = 'dcd219dd-bc68-4b9b-bf0b-4a33a796be35';

export async function startMicrosoftTeamsFake(): Promise<MicrosoftTeamsFake> {
  const user = {
    id: '87d349ed-44d7-43e1-9a83-5f2406dee5bd',
    displayName: 'Megan Bowen',
    userPrincipalName: 'MeganB@contoso.onmicrosoft.com',
    mail: 'MeganB@contoso.onmicrosoft.com',
  };
  const teams: FakeTeam[] = [
    {
      id: '172b0cce-e65d-44ce-9a49-91d9f2e8493a',
      displayName: 'Contoso Team',
      description: 'This is a Contoso team, used to showcase the range of properties supported by this API',
      channels: [
        { id: '19:561fbdbbfca848a484f0a6f00ce9dbbd@thread.tacv2', displayName: 'General', membershipType: 'standard' },
        { id: '19:0f3a1c2b7d8e4f50a1b2c3d4e5f60718@thread.tacv2', displayName: 'Shipping', membershipType: 'standard' },
      ],
    },
    { id: '02bd9fd6-8f93-4758-87c3-1fb73740a315', displayName: 'Sales and Marketing', description: null, channels: [] },
  ];
  const messages: FakeChatMessage[] = [];
  const tokens = new Set([MICROSOFT_TEAMS_TOKEN]);
  let clock = 1_616_963_377_068;

  const origin = (req: RecordedRequest) => `http://${req.headers.host}`;

  /** A page of a collection, with `@odata.nextLink` (absolute, carrying `$skiptoken`) while more remain. */
  const page = (req: RecordedRequest, items: unknown[], context: string): FakeAnswer => {
    const raw = req.query.$skiptoken;
    const start =
      raw === undefined
        ? 0
        : Number(
            Buffer.from(String(raw), 'base64url')
              .toString('utf8')
              .replace(/^offset:/, ''),
          );
    if (!Number.isInteger(start) || start < 0) return fail(400, `Invalid $skiptoken value '${String(raw)}'.`);
    const slice = items.slice(start, start + state.pageSize);
    const next = start + state.pageSize < items.length ? Buffer.from(`offset:${start + state.pageSize}`).toString('base64url') : undefined;
    return {
      body: {
        '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#${context}`,
        ...(req.query.$count === 'true' ? { '@odata.count': items.length } : {}),
        ...(next ? { '@odata.nextLink': `${origin(req)}${req.path}?$skiptoken=${next}` } : {}),
        value: slice,
      },
    };
  };

  const chatMessage = (m: FakeChatMessage) => ({
    id: m.id,
    replyToId: m.replyToId,
    etag: m.id,
    messageType: 'message',
    createdDateTime: m.createdDateTime,
    lastModifiedDateTime: m.createdDateTime,
    lastEditedDateTime: null,
    deletedDateTime: null,
    subject: m.subject,
    summary: null,
    chatId: null,
    importance: 'normal',
    locale: 'en-us',
    webUrl: `https://teams.microsoft.com/l/message/${encodeURIComponent(m.channelId)}/${m.id}?groupId=${m.teamId}&tenantId=${TENANT}&createdTime=${m.id}&parentMessageId=${m.replyToId ?? m.id}`,
    policyViolation: null,
    eventDetail: null,
    from: {
      application: null,
      device: null,
      user: { '@odata.type': '#microsoft.graph.teamworkUserIdentity', id: user.id, displayName: user.displayName, userIdentityType: 'aadUser', tenantId: TENANT },
    },
    body: m.body,
    channelIdentity: { teamId: m.teamId, channelId: m.channelId },
    attachments: [],
    mentions: [],
    reactions: [],
  });

  /** Reads a chatMessage body as Graph binds it: `body.content` required, `body.contentType` one of text|html (default text). */
  const readBody = (req: RecordedRequest): Failure | { subject: string | null; body: FakeChatMessage['body'] } => {
    const sent = (req.body ?? {}) as { subject?: unknown; body?: { content?: unknown; contentType?: unknown } };
    if (!sent.body || typeof sent.body !== 'object') return fail(400, 'Missing body content');
    const contentType = sent.body.contentType ?? 'text';
    if (contentType !== 'text' && contentType !== 'html') return fail(400, `Cannot convert the literal '${String(contentType)}' to the expected type 'microsoft.graph.bodyType'.`);
    if (typeof sent.body.content !== 'string' || sent.body.content === '') return fail(400, 'Missing body content');
    return { subject: typeof sent.subject === 'string' ? sent.subject : null, body: { contentType, content: sent.body.content } };
  };

  const findChannel = (teamId: string, channelId: string): Failure | undefined => {
    const team = teams.find((t) => t.id === teamId);
    if (!team) return fail(404, `No team found with Group Id ${teamId}`);
    if (!team.channels.some((c) => c.id === channelId)) return fail(404, `Channel ${channelId} not found in team ${teamId}.`);
    return undefined;
  };

  const post = (teamId: string, channelId: string, read: { subject: string | null; body: FakeChatMessage['body'] }, replyToId: string | null): FakeAnswer => {
    clock += 1000;
    const m: FakeChatMessage = { id: String(clock), replyToId, teamId, channelId, subject: read.subject, body: read.body, createdDateTime: new Date(clock).toISOString() };
    messages.push(m);
    const context = replyToId
      ? `teams('${teamId}')/channels('${encodeURIComponent(channelId)}')/messages('${replyToId}')/replies/$entity`
      : `teams('${teamId}')/channels('${encodeURIComponent(channelId)}')/messages/$entity`;
    return { status: 201, body: { '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#${context}`, ...chatMessage(m) } };
  };

  const fake = await startAppFake({
    name: 'Microsoft Graph',
    errorBody,
    authorize(req) {
      const header = req.headers.authorization;
      if (!header) return fail(401, 'Access token is empty.');
      const token = /^Bearer (.+)$/.exec(header)?.[1];
      if (!token || !tokens.has(token)) return fail(401, 'CompactToken parsing failed with error code: 80049217');
      return undefined;
    },
    routes: [
      {
        method: 'GET',
        path: '/v1.0/me',
        handle: () => ({
          body: {
            '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity',
            businessPhones: [],
            displayName: user.displayName,
            givenName: 'Megan',
            jobTitle: 'Marketing Manager',
            mail: user.mail,
            mobilePhone: null,
            officeLocation: null,
            preferredLanguage: 'en-US',
            surname: 'Bowen',
            userPrincipalName: user.userPrincipalName,
            id: user.id,
          },
        }),
      },
      {
        method: 'GET',
        path: '/v1.0/me/joinedTeams',
        handle: (req) =>
          page(
            req,
            teams.map((t) => ({ id: t.id, createdDateTime: null, displayName: t.displayName, description: t.description, isArchived: false, tenantId: TENANT, webUrl: null })),
            'teams',
          ),
      },
      {
        method: 'GET',
        path: '/v1.0/teams/:teamId/channels',
        handle(req, { teamId }) {
          const team = teams.find((t) => t.id === teamId);
          if (!team) return fail(404, `No team found with Group Id ${teamId}`);
          const select = typeof req.query.$select === 'string' ? req.query.$select.split(',') : undefined;
          const full = team.channels.map((c) => ({
            id: c.id,
            createdDateTime: '2020-05-27T19:22:25.692Z',
            displayName: c.displayName,
            description: null,
            isFavoriteByDefault: null,
            email: '',
            tenantId: TENANT,
            webUrl: `https://teams.microsoft.com/l/channel/${encodeURIComponent(c.id)}/${encodeURIComponent(c.displayName)}?groupId=${team.id}&tenantId=${TENANT}`,
            membershipType: c.membershipType,
          }));
          const items = select ? full.map((c) => Object.fromEntries(Object.entries(c).filter(([k]) => select.includes(k)))) : full;
          return page(req, items, `teams('${team.id}')/channels`);
        },
      },
      {
        method: 'POST',
        path: '/v1.0/teams/:teamId/channels/:channelId/messages',
        handle(req, { teamId, channelId }) {
          const missing = findChannel(teamId!, channelId!);
          if (missing) return missing;
          const read = readBody(req);
          if ('status' in read) return read;
          return post(teamId!, channelId!, read, null);
        },
      },
      {
        method: 'POST',
        path: '/v1.0/teams/:teamId/channels/:channelId/messages/:messageId/replies',
        handle(req, { teamId, channelId, messageId }) {
          const missing = findChannel(teamId!, channelId!);
          if (missing) return missing;
          if (!messages.some((m) => m.id === messageId && m.teamId === teamId && m.channelId === channelId && m.replyToId === null))
            return fail(404, `Message ${messageId} not found.`, 'NotFound');
          const read = readBody(req);
          if ('status' in read) return read;
          return post(teamId!, channelId!, read, messageId!);
        },
      },
    ],
  });
  const state = Object.assign(fake, { user, teams, messages, tokens, pageSize: 20 });
  return state;
}
