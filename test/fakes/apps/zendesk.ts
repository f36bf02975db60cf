import { startAppFake, type AppFake, type FakeAnswer, type RecordedRequest } from '../app-fake';

/**
 * Zendesk's Support API (/api/v2) on 127.0.0.1, in its documented shapes: the current user,
 * tickets (create, update with a comment), groups (cursor pagination with `page[size]` and
 * `page[after]`, offset pagination without), and the cursor-based incremental ticket export.
 * API token authentication is HTTP basic with `{email}/token` and the token; errors are
 * `{ error, description }` or 422 `{ error: "RecordInvalid", description, details }`.
 * https://developer.zendesk.com/api-reference/
 */

export const ZENDESK_EMAIL = 'ada@acme-support.example';
export const ZENDESK_TOKEN = 'Q8vN3kR2mT7wX1yB4cD6fG9hJ0lP5sA';

export interface ZendeskTicket {
  id: number;
  url: string;
  subject: string;
  raw_subject: string;
  description: string;
  status: 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed';
  priority: 'urgent' | 'high' | 'normal' | 'low' | null;
  type: 'problem' | 'incident' | 'question' | 'task' | null;
  group_id: number | null;
  assignee_id: number | null;
  requester_id: number;
  submitter_id: number;
  external_id: string | null;
  tags: string[];
  created_at: string;
  updated_at: string;
  /** Unix seconds of the ticket's last change, system ones included: what the incremental export compares start_time with. */
  generated_timestamp: number;
}

export interface ZendeskGroup {
  id: number;
  name: string;
  description: string;
  default: boolean;
  deleted: boolean;
  created_at: string;
  updated_at: string;
}

export type ZendeskFake = AppFake & {
  data: { tickets: ZendeskTicket[]; groups: ZendeskGroup[]; comments: Array<{ ticketId: number; body: string; public: boolean }> };
};

const ME = { id: 35436, name: 'Ada Lovelace', email: ZENDESK_EMAIL, role: 'admin', active: true, time_zone: 'London', locale: 'en-US' };
const PRIORITIES = ['urgent', 'high', 'normal', 'low'];
const TYPES = ['problem', 'incident', 'question', 'task'];
const STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];

/** A group as Zendesk answers one. */
export function makeGroup(id: number, name: string): ZendeskGroup {
  return { id, name, description: '', default: false, deleted: false, created_at: '2024-01-02T09:00:00Z', updated_at: '2024-01-02T09:00:00Z' };
}

/** A ticket as Zendesk answers one, last changed at `at` (ISO, whole seconds). */
export function makeTicket(id: number, subject: string, at: string, fields: Partial<ZendeskTicket> = {}): ZendeskTicket {
  return {
    id,
    url: `https://acme.zendesk.com/api/v2/tickets/${id}.json`,
    subject,
    raw_subject: subject,
    description: subject,
    status: 'open',
    priority: null,
    type: null,
    group_id: null,
    assignee_id: null,
    requester_id: ME.id,
    submitter_id: ME.id,
    external_id: null,
    tags: [],
    created_at: at,
    updated_at: at,
    generated_timestamp: Math.floor(Date.parse(at) / 1000),
    ...fields,
  };
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function invalid(details: Record<string, Array<{ description: string; error: string }>>): FakeAnswer {
  return { status: 422, body: { error: 'RecordInvalid', description: 'Record validation errors', details } };
}

const notFound: FakeAnswer = { status: 404, body: { error: 'RecordNotFound', description: 'Not found' } };

/** `123.json` → 123. */
function idOf(file: string): number | undefined {
  const m = /^(\d+)\.json$/.exec(file);
  return m ? Number(m[1]) : undefined;
}

const cursorOf = (n: number) => Buffer.from(`i:${n}`).toString('base64url');
const readCursor = (c: string) => {
  const m = /^i:(\d+)$/.exec(Buffer.from(c, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
};

export async function startZendeskFake(): Promise<ZendeskFake> {
  const data: ZendeskFake['data'] = {
    tickets: [
      makeTicket(101, 'Printer on fire', '2024-03-01T10:00:00Z', { priority: 'urgent', group_id: 360001 }),
      makeTicket(102, 'Cannot log in', '2024-03-02T11:30:00Z', { priority: 'normal', group_id: 360002 }),
      makeTicket(103, 'Refund for order #1001', '2024-03-03T08:15:00Z', { type: 'question', group_id: 360002 }),
    ],
    groups: [makeGroup(360001, 'Support'), makeGroup(360002, 'Billing'), makeGroup(360003, 'Escalations')],
    comments: [],
  };
  let nextTicket = 1000;
  const stamp = (t: ZendeskTicket) => {
    const now = new Date();
    t.updated_at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    t.generated_timestamp = Math.floor(now.getTime() / 1000);
  };

  /** Zendesk's checks of a ticket's fields, as 422 RecordInvalid details; none when all is well. */
  const check = (t: Record<string, unknown>) => {
    const details: Record<string, Array<{ description: string; error: string }>> = {};
    if (t.priority != null && !PRIORITIES.includes(String(t.priority))) details.priority = [{ description: `Priority: ${String(t.priority)} is not valid`, error: 'InvalidValue' }];
    if (t.type != null && !TYPES.includes(String(t.type))) details.type = [{ description: `Type: ${String(t.type)} is not valid`, error: 'InvalidValue' }];
    if (t.status != null && !STATUSES.includes(String(t.status))) details.status = [{ description: `Status: ${String(t.status)} is not valid`, error: 'InvalidValue' }];
    if (t.group_id != null && !data.groups.some((g) => g.id === t.group_id)) details.group = [{ description: 'Group: is invalid', error: 'InvalidValue' }];
    return details;
  };

  const audit = (ticket: ZendeskTicket, comment?: { body: string; public: boolean }) => ({
    id: Math.floor(Math.random() * 1e9),
    ticket_id: ticket.id,
    created_at: ticket.updated_at,
    author_id: ME.id,
    events: comment ? [{ id: Math.floor(Math.random() * 1e9), type: 'Comment', body: comment.body, public: comment.public, author_id: ME.id }] : [],
  });

  const createTicket = (req: RecordedRequest): FakeAnswer => {
    const input = (req.body as { ticket?: Record<string, unknown> } | undefined)?.ticket;
    if (!input || typeof input !== 'object') return { status: 400, body: { error: 'InvalidEndpoint', description: 'ticket parameter is missing' } };
    const comment = (input.comment ?? {}) as { body?: unknown; html_body?: unknown; public?: unknown };
    const body = typeof comment.body === 'string' ? comment.body : typeof comment.html_body === 'string' ? comment.html_body : '';
    const details = check(input);
    // A ticket's first comment is its description: Zendesk refuses a blank one.
    if (!body.trim()) details.base = [{ description: 'Description: cannot be blank', error: 'BlankValue' }];
    if (Object.keys(details).length) return invalid(details);
    const assignee = typeof input.assignee_email === 'string' ? (input.assignee_email === ME.email ? ME.id : undefined) : null;
    if (assignee === undefined) return invalid({ assignee: [{ description: 'Assignee: is not an agent', error: 'InvalidValue' }] });
    const ticket = makeTicket(nextTicket++, typeof input.subject === 'string' && input.subject ? input.subject : body.slice(0, 50), '2024-01-01T00:00:00Z', {
      description: body,
      status: assignee ? 'open' : 'new',
      priority: (input.priority as ZendeskTicket['priority']) ?? null,
      type: (input.type as ZendeskTicket['type']) ?? null,
      group_id: (input.group_id as number | undefined) ?? null,
      assignee_id: assignee,
      external_id: (input.external_id as string | undefined) ?? null,
    });
    stamp(ticket);
    ticket.created_at = ticket.updated_at;
    const c = { body, public: comment.public !== false };
    data.tickets.push(ticket);
    data.comments.push({ ticketId: ticket.id, ...c });
    return { status: 201, body: { ticket, audit: audit(ticket, c) } };
  };

  const updateTicket = (req: RecordedRequest, file: string): FakeAnswer => {
    const ticket = data.tickets.find((t) => t.id === idOf(file));
    if (!ticket) return notFound;
    const input = (req.body as { ticket?: Record<string, unknown> } | undefined)?.ticket;
    if (!input || typeof input !== 'object') return { status: 400, body: { error: 'InvalidEndpoint', description: 'ticket parameter is missing' } };
    const details = check(input);
    if (ticket.status === 'closed') details.status = [{ description: 'Status: closed prevents ticket update', error: 'ClosedPreventsUpdate' }];
    if (Object.keys(details).length) return invalid(details);
    const comment = input.comment as { body?: unknown; public?: unknown } | undefined;
    if (input.status !== undefined) ticket.status = input.status as ZendeskTicket['status'];
    if (input.priority !== undefined) ticket.priority = input.priority as ZendeskTicket['priority'];
    if (input.group_id !== undefined) ticket.group_id = input.group_id as number;
    const c = typeof comment?.body === 'string' && comment.body.trim() ? { body: comment.body, public: comment.public !== false } : undefined;
    if (c) data.comments.push({ ticketId: ticket.id, ...c });
    stamp(ticket);
    return { body: { ticket, audit: audit(ticket, c) } };
  };

  const listGroups = (req: RecordedRequest): FakeAnswer => {
    const origin = `http://${req.headers.host}/api/v2/groups.json`;
    const groups = data.groups.filter((g) => !g.deleted).sort((a, b) => a.id - b.id);
    const size = one(req.query['page[size]']);
    if (size === undefined) {
      // Offset pagination, what Zendesk does without page[size]: 100 a page, next_page a URL.
      const perPage = Math.min(Number(one(req.query.per_page) ?? 100) || 100, 100);
      const pageNo = Number(one(req.query.page) ?? 1) || 1;
      const slice = groups.slice((pageNo - 1) * perPage, pageNo * perPage);
      const more = pageNo * perPage < groups.length;
      return {
        body: {
          groups: slice,
          next_page: more ? `${origin}?page=${pageNo + 1}&per_page=${perPage}` : null,
          previous_page: pageNo > 1 ? `${origin}?page=${pageNo - 1}&per_page=${perPage}` : null,
          count: groups.length,
        },
      };
    }
    const limit = Number(size);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return { status: 400, body: { error: 'InvalidPaginationParameter', description: 'page[size] must be between 1 and 100' } };
    const after = one(req.query['page[after]']);
    const start = after === undefined ? 0 : readCursor(after);
    if (start === undefined) return { status: 400, body: { error: 'InvalidPaginationParameter', description: 'page[after] is not a valid cursor' } };
    const slice = groups.slice(start, start + limit);
    const hasMore = start + limit < groups.length;
    const afterCursor = slice.length ? cursorOf(start + slice.length) : null;
    const beforeCursor = slice.length ? cursorOf(start) : null;
    return {
      body: {
        groups: slice,
        meta: { has_more: hasMore, after_cursor: afterCursor, before_cursor: beforeCursor },
        links: {
          next: hasMore ? `${origin}?page%5Bafter%5D=${afterCursor}&page%5Bsize%5D=${limit}` : null,
          prev: start > 0 ? `${origin}?page%5Bbefore%5D=${beforeCursor}&page%5Bsize%5D=${limit}` : null,
        },
      },
    };
  };

  /**
   * The cursor-based incremental ticket export: tickets whose generated_timestamp is at or after
   * start_time, oldest change first, leaving out the last minute's (Zendesk excludes it so that an
   * export never misses a ticket still being written). after_url is answered even at end_of_stream.
   */
  const exportTickets = (req: RecordedRequest): FakeAnswer => {
    const origin = `http://${req.headers.host}/api/v2/incremental/tickets/cursor.json`;
    const perPage = Math.min(Number(one(req.query.per_page) ?? 1000) || 1000, 1000);
    const cursor = one(req.query.cursor);
    const startTime = one(req.query.start_time);
    const now = Math.floor(Date.now() / 1000);
    let from: { ts: number; id: number };
    if (cursor !== undefined) {
      const m = /^(\d+)\|(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (!m) return { status: 400, body: { error: 'InvalidPaginationParameter', description: 'cursor is invalid' } };
      from = { ts: Number(m[1]), id: Number(m[2]) + 1 };
    } else {
      if (startTime === undefined) return { status: 400, body: { error: 'InvalidValue', description: 'start_time or cursor is required' } };
      if (!/^\d+$/.test(startTime)) return { status: 400, body: { error: 'InvalidValue', description: 'start_time must be a unix timestamp (seconds)' } };
      if (Number(startTime) > now - 60) return { status: 400, body: { error: 'InvalidValue', description: 'Too recent start_time. Use a start_time older than 1 minute' } };
      from = { ts: Number(startTime), id: 0 };
    }
    const stable = data.tickets
      .filter((t) => t.generated_timestamp <= now - 60)
      .filter((t) => t.generated_timestamp > from.ts || (t.generated_timestamp === from.ts && t.id >= from.id))
      .filter((t) => one(req.query.exclude_deleted) !== 'true' || (t.status as string) !== 'deleted')
      .sort((a, b) => a.generated_timestamp - b.generated_timestamp || a.id - b.id);
    const tickets = stable.slice(0, perPage);
    const last = tickets.at(-1);
    const afterCursor = Buffer.from(last ? `${last.generated_timestamp}|${last.id}` : `${from.ts}|${from.id - 1}`).toString('base64url');
    return {
      body: {
        tickets,
        after_url: `${origin}?cursor=${afterCursor}`,
        after_cursor: afterCursor,
        before_url: null,
        before_cursor: null,
        end_of_stream: stable.length <= perPage,
      },
    };
  };

  const fake = await startAppFake({
    name: 'Zendesk',
    authorize: (req) => {
      const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
      const [user, ...password] = scheme === 'Basic' && encoded ? Buffer.from(encoded, 'base64').toString('utf8').split(':') : [];
      return user === `${ZENDESK_EMAIL}/token` && password.join(':') === ZENDESK_TOKEN ? undefined : { status: 401, body: { error: "Couldn't authenticate you" } };
    },
    errorBody: (status, message) => {
      if (status === 403) return { error: { title: 'Forbidden', message } };
      const names: Record<number, string> = { 400: 'InvalidEndpoint', 404: 'RecordNotFound', 409: 'UpdateConflict', 422: 'RecordInvalid', 429: 'TooManyRequests' };
      const error = names[status] ?? 'ServerError';
      return { error, description: message };
    },
    routes: [
      { method: 'GET', path: '/api/v2/users/me.json', handle: () => ({ body: { user: ME } }) },
      { method: 'POST', path: '/api/v2/tickets.json', handle: createTicket },
      { method: 'PUT', path: '/api/v2/tickets/:file', handle: (req, { file }) => updateTicket(req, file!) },
      {
        method: 'GET',
        path: '/api/v2/tickets/:file',
        handle: (_req, { file }) => {
          const ticket = data.tickets.find((t) => t.id === idOf(file!));
          return ticket ? { body: { ticket } } : notFound;
        },
      },
      { method: 'GET', path: '/api/v2/groups.json', handle: listGroups },
      { method: 'GET', path: '/api/v2/incremental/tickets/cursor.json', handle: exportTickets },
    ],
  });
  return Object.assign(fake, { data });
}
