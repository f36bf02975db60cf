import { createHash, randomUUID } from 'node:crypto';
import { startAppFake, type AppFake, type FakeAnswer, type RecordedRequest } from '../app-fake';

/**
 * A fake of the Mailchimp Marketing API 3.0 (https://mailchimp.com/developer/marketing/api/): the
 * API root, audiences paged by `offset` and `count` (with the `fields` partial answer), audience
 * members (add, add or update, tags, notes; a member path takes the MD5 subscriber hash, the email
 * address or the contact_id) and campaigns filtered by status and send time. Errors are
 * problem+json `{ type, title, status, detail, instance }` (https://mailchimp.com/developer/marketing/docs/errors/).
 */

export const MAILCHIMP_API_KEY = '3f6c2a9d8e7b41c5a0d9e8f7c6b5a4d3-us21';
export const MAILCHIMP_DC = 'us21';
export const MAILCHIMP_ACCOUNT_NAME = "Freddie's Jokes Co.";

export interface FakeMember {
  id: string;
  email_address: string;
  unique_email_id: string;
  contact_id: string;
  status: string;
  merge_fields: Record<string, unknown>;
  language: string;
  tags: Array<{ id: number; name: string }>;
  last_changed: string;
  timestamp_signup: string;
}

export interface FakeNote {
  note_id: number;
  created_at: string;
  created_by_name: string;
  updated_at: string;
  note: string;
  list_id: string;
  email_id: string;
  contact_id: string;
}

export interface FakeAudience {
  id: string;
  web_id: number;
  name: string;
  date_created: string;
  members: FakeMember[];
  notes: FakeNote[];
}

export interface FakeCampaign {
  id: string;
  web_id: number;
  type: 'regular' | 'plaintext' | 'absplit' | 'rss' | 'variate';
  create_time: string;
  status: 'save' | 'paused' | 'schedule' | 'sending' | 'sent';
  send_time: string;
  emails_sent: number;
  list_id: string;
  subject_line: string;
  title: string;
}

export interface MailchimpFake extends AppFake {
  apiKeys: Set<string>;
  audiences: FakeAudience[];
  campaigns: FakeCampaign[];
  /** Adds `count` audiences named Audience <n>. */
  addAudiences(count: number): FakeAudience[];
}

const TITLES: Record<number, string> = {
  400: 'Invalid Resource',
  401: 'API Key Invalid',
  403: 'Forbidden',
  404: 'Resource Not Found',
  405: 'Method Not Allowed',
  414: 'Resource Nesting Too Deep',
  422: 'Invalid Method Override',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function mailchimpErrorBody(status: number, detail: string, title?: string, errors?: Array<{ field: string; message: string }>) {
  return {
    type: 'https://mailchimp.com/developer/marketing/docs/errors/',
    title: title ?? TITLES[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request'),
    status,
    detail,
    instance: randomUUID(),
    ...(errors ? { errors } : {}),
  };
}

const fail = (status: number, detail: string, title?: string, errors?: Array<{ field: string; message: string }>): FakeAnswer => ({
  status,
  headers: { 'content-type': 'application/problem+json; charset=utf-8' },
  body: mailchimpErrorBody(status, detail, title, errors),
});
const notFound = () => fail(404, 'The requested resource could not be found.', 'Resource Not Found');
const invalid = (errors: Array<{ field: string; message: string }>) =>
  fail(400, "The resource submitted could not be validated. For field-specific details, see the 'errors' array.", 'Invalid Resource', errors);

const STATUSES = ['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;
const md5 = (text: string) => createHash('md5').update(text.toLowerCase()).digest('hex');
/** Mailchimp's times: ISO 8601 with a +00:00 offset, to the second. */
const mcTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');

/** Keeps the dotted `fields` of an answer (`lists.id,lists.name,total_items`), as Mailchimp's partial responses do. */
function pick(value: unknown, paths: string[][]): unknown {
  if (Array.isArray(value)) return value.map((v) => pick(v, paths));
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const under = paths.filter((p) => p[0] === key);
    if (under.length === 0) continue;
    out[key] = under.some((p) => p.length === 1)
      ? v
      : pick(
          v,
          under.map((p) => p.slice(1)),
        );
  }
  return out;
}

function partial(req: RecordedRequest, body: unknown): unknown {
  const fields = req.query.fields;
  if (typeof fields !== 'string' || !fields) return body;
  return pick(
    body,
    fields.split(',').map((f) => f.trim().split('.')),
  );
}

/** `count` and `offset` as Mailchimp reads them: count 10 by default and at most 1000. */
function paging(req: RecordedRequest): { count: number; offset: number } | FakeAnswer {
  const count = req.query.count === undefined ? 10 : Number(req.query.count);
  const offset = req.query.offset === undefined ? 0 : Number(req.query.offset);
  if (!Number.isInteger(count) || count < 0) return invalid([{ field: 'count', message: 'Schema describes integer, string found instead' }]);
  if (!Number.isInteger(offset) || offset < 0) return invalid([{ field: 'offset', message: 'Schema describes integer, string found instead' }]);
  return { count: Math.min(count, 1000), offset };
}
const isAnswer = (v: unknown): v is FakeAnswer => !!v && typeof v === 'object' && 'status' in v && 'body' in v;

export async function startMailchimpFake(): Promise<MailchimpFake> {
  const apiKeys = new Set([MAILCHIMP_API_KEY]);
  const audiences: FakeAudience[] = [];
  const campaigns: FakeCampaign[] = [];
  let webId = 100_000;
  let noteId = 1;
  let clock = Date.parse('2024-05-01T09:00:00Z');
  const now = () => {
    clock = Math.max(clock + 1000, Math.floor(Date.now() / 1000) * 1000);
    return mcTime(clock);
  };

  const addAudience = (name: string, id?: string): FakeAudience => {
    const n = audiences.length + 1;
    const audience: FakeAudience = { id: id ?? md5(`audience-${n}-${name}`).slice(0, 10), web_id: ++webId, name, date_created: now(), members: [], notes: [] };
    audiences.push(audience);
    return audience;
  };
  addAudience('Newsletter', 'a1b2c3d4e5');
  addAudience('Customers', 'f6e5d4c3b2');

  const memberView = (a: FakeAudience, m: FakeMember) => ({
    id: m.id,
    email_address: m.email_address,
    unique_email_id: m.unique_email_id,
    contact_id: m.contact_id,
    full_name: [m.merge_fields.FNAME, m.merge_fields.LNAME].filter((v) => typeof v === 'string' && v).join(' '),
    web_id: 0,
    email_type: 'html',
    status: m.status,
    merge_fields: { FNAME: '', LNAME: '', ...m.merge_fields },
    stats: { avg_open_rate: 0, avg_click_rate: 0 },
    ip_signup: '',
    timestamp_signup: m.timestamp_signup,
    ip_opt: '',
    timestamp_opt: m.status === 'subscribed' ? m.timestamp_signup : '',
    member_rating: 2,
    last_changed: m.last_changed,
    language: m.language,
    vip: false,
    email_client: '',
    location: { latitude: 0, longitude: 0, gmtoff: 0, dstoff: 0, country_code: '', timezone: '' },
    source: 'API - Generic',
    tags_count: m.tags.length,
    tags: m.tags,
    list_id: a.id,
  });

  const audienceView = (a: FakeAudience) => ({
    id: a.id,
    web_id: a.web_id,
    name: a.name,
    contact: { company: MAILCHIMP_ACCOUNT_NAME, address1: '675 Ponce de Leon Ave NE', city: 'Atlanta', state: 'GA', zip: '30308', country: 'US' },
    permission_reminder: 'You signed up on our website.',
    campaign_defaults: { from_name: 'Freddie', from_email: 'freddie@example.com', subject: '', language: 'en' },
    date_created: a.date_created,
    list_rating: 0,
    email_type_option: false,
    visibility: 'pub',
    double_optin: false,
    stats: { member_count: a.members.filter((m) => m.status === 'subscribed').length, unsubscribe_count: a.members.filter((m) => m.status === 'unsubscribed').length },
  });

  const audienceOf = (id: string | undefined) => audiences.find((a) => a.id === id);
  /** A member by its path segment: the MD5 subscriber hash, the email address or the contact_id. */
  const memberOf = (a: FakeAudience, key: string) =>
    a.members.find((m) => m.id === key.toLowerCase() || m.email_address.toLowerCase() === key.toLowerCase() || m.contact_id === key);

  /** Checks the member fields a write sends; an answer refusing them, or undefined. */
  const checkMember = (body: Record<string, unknown>, statusKeys: string[]): FakeAnswer | undefined => {
    if (body.email_address !== undefined && (typeof body.email_address !== 'string' || !EMAIL.test(body.email_address))) {
      return fail(400, `${String(body.email_address)} looks fake or invalid, please enter a real email address.`, 'Invalid Resource');
    }
    for (const key of statusKeys) {
      if (body[key] !== undefined && !STATUSES.includes(String(body[key]))) {
        return invalid([{ field: key, message: `Data presented is not one of the accepted values: ${STATUSES.join(', ')}.` }]);
      }
    }
    if (body.merge_fields !== undefined && (typeof body.merge_fields !== 'object' || body.merge_fields === null || Array.isArray(body.merge_fields))) {
      return invalid([{ field: 'merge_fields', message: 'Schema describes object, array found instead' }]);
    }
    return undefined;
  };

  const newMember = (a: FakeAudience, body: Record<string, unknown>, status: string): FakeMember => {
    const email = String(body.email_address);
    const at = now();
    const m: FakeMember = {
      id: md5(email),
      email_address: email,
      unique_email_id: md5(`unique-${email}`).slice(0, 10),
      contact_id: md5(`contact-${email}`),
      status,
      merge_fields: { ...(body.merge_fields as Record<string, unknown> | undefined) },
      language: typeof body.language === 'string' ? body.language : '',
      tags: [],
      last_changed: at,
      timestamp_signup: at,
    };
    a.members.push(m);
    return m;
  };

  const campaignView = (c: FakeCampaign) => {
    const a = audienceOf(c.list_id);
    return {
      id: c.id,
      web_id: c.web_id,
      type: c.type,
      create_time: c.create_time,
      archive_url: `https://us21.campaign-archive.com/?u=fake&id=${c.id}`,
      status: c.status,
      emails_sent: c.emails_sent,
      send_time: c.send_time,
      content_type: 'template',
      recipients: { list_id: c.list_id, list_is_active: true, list_name: a?.name ?? '', segment_text: '', recipient_count: c.emails_sent },
      settings: { subject_line: c.subject_line, title: c.title, from_name: 'Freddie', reply_to: 'freddie@example.com' },
      report_summary: { opens: 0, unique_opens: 0, open_rate: 0, clicks: 0, subscriber_clicks: 0, click_rate: 0 },
    };
  };

  const sentAt = (offsetSeconds: number) => mcTime(Date.parse('2024-04-01T12:00:00Z') + offsetSeconds * 1000);
  campaigns.push(
    {
      id: '42694e9e57',
      web_id: 2001,
      type: 'regular',
      create_time: sentAt(-86_400),
      status: 'sent',
      send_time: sentAt(0),
      emails_sent: 1200,
      list_id: 'a1b2c3d4e5',
      subject_line: 'April news',
      title: 'April newsletter',
    },
    {
      id: '8d1b4c6e2f',
      web_id: 2002,
      type: 'regular',
      create_time: sentAt(86_400),
      status: 'sent',
      send_time: sentAt(7 * 86_400),
      emails_sent: 1250,
      list_id: 'a1b2c3d4e5',
      subject_line: 'Spring sale',
      title: 'Spring sale',
    },
    {
      id: 'c3f9a7b1d0',
      web_id: 2003,
      type: 'regular',
      create_time: sentAt(8 * 86_400),
      status: 'save',
      send_time: '',
      emails_sent: 0,
      list_id: 'f6e5d4c3b2',
      subject_line: 'Draft',
      title: 'Draft for customers',
    },
  );

  const fake = await startAppFake({
    name: 'Mailchimp',
    authorize(req) {
      const header = req.headers.authorization ?? '';
      let key: string | undefined;
      const basic = /^Basic (.+)$/i.exec(header)?.[1];
      if (basic) {
        const decoded = Buffer.from(basic, 'base64').toString('utf8');
        key = decoded.slice(decoded.indexOf(':') + 1);
      } else key = /^(?:Bearer|OAuth|apikey) (.+)$/i.exec(header)?.[1];
      if (key && apiKeys.has(key)) return undefined;
      return {
        status: 401,
        headers: { 'content-type': 'application/problem+json; charset=utf-8' },
        body: mailchimpErrorBody(401, "Your API key may be invalid, or you've attempted to access the wrong datacenter.", 'API Key Invalid'),
      };
    },
    errorBody: (status, message) => mailchimpErrorBody(status, message),
    routes: [
      {
        method: 'GET',
        path: '/3.0/',
        handle: (req) => ({
          body: partial(req, {
            account_id: '8d3a3db4d97663a9074efcc16',
            login_id: '107382',
            account_name: MAILCHIMP_ACCOUNT_NAME,
            email: 'freddie@example.com',
            first_name: 'Freddie',
            last_name: 'Chimp',
            username: 'freddie',
            avatar_url: '',
            role: 'owner',
            member_since: '2015-02-19T14:56:53+00:00',
            pricing_plan_type: 'monthly',
            first_payment: '2015-02-19T14:56:53+00:00',
            account_timezone: 'America/New_York',
            account_industry: 'Entertainment & Events',
            contact: { company: MAILCHIMP_ACCOUNT_NAME, addr1: '675 Ponce de Leon Ave NE', city: 'Atlanta', state: 'GA', zip: '30308', country: 'US' },
            pro_enabled: false,
            last_login: '2024-05-01T08:00:00+00:00',
            total_subscribers: audiences.reduce((n, a) => n + a.members.length, 0),
          }),
        }),
      },
      {
        method: 'GET',
        path: '/3.0/lists',
        handle: (req) => {
          const p = paging(req);
          if (isAnswer(p)) return p;
          return {
            body: partial(req, {
              lists: audiences.slice(p.offset, p.offset + p.count).map(audienceView),
              total_items: audiences.length,
              constraints: { may_create: true, max_instances: 1, current_total_instances: audiences.length },
            }),
          };
        },
      },
      {
        method: 'POST',
        path: '/3.0/lists/:listId/members',
        handle: (req, params) => {
          const a = audienceOf(params.listId);
          if (!a) return notFound();
          const body = (req.body ?? {}) as Record<string, unknown>;
          const missing = ['email_address', 'status'].filter((k) => body[k] === undefined || body[k] === null || body[k] === '');
          if (missing.length) return invalid(missing.map((field) => ({ field, message: 'This value should not be blank.' })));
          const bad = checkMember(body, ['status']);
          if (bad) return bad;
          if (memberOf(a, String(body.email_address))) {
            return fail(400, `${String(body.email_address)} is already a list member. Use PUT to insert or update list members.`, 'Member Exists');
          }
          return { body: memberView(a, newMember(a, body, String(body.status))) };
        },
      },
      {
        method: 'PUT',
        path: '/3.0/lists/:listId/members/:member',
        handle: (req, params) => {
          const a = audienceOf(params.listId);
          if (!a) return notFound();
          const body = (req.body ?? {}) as Record<string, unknown>;
          const bad = checkMember(body, ['status', 'status_if_new']);
          if (bad) return bad;
          const existing = memberOf(a, params.member!);
          if (existing) {
            if (typeof body.email_address === 'string' && memberOf(a, body.email_address) && memberOf(a, body.email_address) !== existing) {
              return fail(400, `${body.email_address} is already a list member. Use PATCH to update existing members.`, 'Member Exists');
            }
            if (typeof body.status === 'string') existing.status = body.status;
            if (body.merge_fields) Object.assign(existing.merge_fields, body.merge_fields);
            if (typeof body.language === 'string') existing.language = body.language;
            existing.last_changed = now();
            return { body: memberView(a, existing) };
          }
          if (typeof body.email_address !== 'string' || !body.email_address) return invalid([{ field: 'email_address', message: 'This value should not be blank.' }]);
          const key = params.member!.toLowerCase();
          if (key !== md5(body.email_address) && key !== body.email_address.toLowerCase()) {
            return fail(400, 'The email address submitted does not match the subscriber hash in the URL.', 'Invalid Resource');
          }
          const status = (body.status ?? body.status_if_new) as string | undefined;
          if (!status) return invalid([{ field: 'status_if_new', message: 'This value should not be blank.' }]);
          return { body: memberView(a, newMember(a, body, status)) };
        },
      },
      {
        method: 'POST',
        path: '/3.0/lists/:listId/members/:member/tags',
        handle: (req, params) => {
          const a = audienceOf(params.listId);
          const m = a && memberOf(a, params.member!);
          if (!a || !m) return notFound();
          const tags = (req.body as { tags?: unknown } | undefined)?.tags;
          if (!Array.isArray(tags)) return invalid([{ field: 'tags', message: 'Required' }]);
          for (const t of tags as Array<{ name?: unknown; status?: unknown }>) {
            if (typeof t?.name !== 'string' || !t.name) return invalid([{ field: 'tags.name', message: 'This value should not be blank.' }]);
            if (t.status !== 'active' && t.status !== 'inactive')
              return invalid([{ field: 'tags.status', message: 'Data presented is not one of the accepted values: active, inactive.' }]);
            const had = m.tags.findIndex((x) => x.name === t.name);
            if (t.status === 'active' && had < 0) m.tags.push({ id: 1000 + m.tags.length, name: t.name });
            if (t.status === 'inactive' && had >= 0) m.tags.splice(had, 1);
          }
          m.last_changed = now();
          return { status: 204 };
        },
      },
      {
        method: 'POST',
        path: '/3.0/lists/:listId/members/:member/notes',
        handle: (req, params) => {
          const a = audienceOf(params.listId);
          const m = a && memberOf(a, params.member!);
          if (!a || !m) return notFound();
          const note = (req.body as { note?: unknown } | undefined)?.note;
          if (typeof note !== 'string' || !note) return invalid([{ field: 'note', message: 'This value should not be blank.' }]);
          if (note.length > 1000) return invalid([{ field: 'note', message: 'Note length is limited to 1,000 characters.' }]);
          const at = now();
          const created: FakeNote = { note_id: noteId++, created_at: at, created_by_name: 'API', updated_at: at, note, list_id: a.id, email_id: m.id, contact_id: m.contact_id };
          a.notes.push(created);
          return { body: created };
        },
      },
      {
        method: 'GET',
        path: '/3.0/campaigns',
        handle: (req) => {
          const p = paging(req);
          if (isAnswer(p)) return p;
          let found = [...campaigns];
          const { status, since_send_time: since, sort_field: sortField, sort_dir: sortDir } = req.query;
          if (typeof status === 'string') found = found.filter((c) => c.status === status);
          if (typeof since === 'string') {
            const t = Date.parse(since);
            if (Number.isNaN(t)) return invalid([{ field: 'since_send_time', message: 'Data did not match any of the schemas described in anyOf.' }]);
            // "campaigns sent after the set time"
            found = found.filter((c) => c.send_time !== '' && Date.parse(c.send_time) > t);
          }
          if (sortField !== undefined && sortField !== 'create_time' && sortField !== 'send_time') {
            return invalid([{ field: 'sort_field', message: 'Data presented is not one of the accepted values: create_time, send_time.' }]);
          }
          if (sortField === 'create_time' || sortField === 'send_time') {
            const f = sortField;
            found.sort((x, y) => (x[f] < y[f] ? -1 : x[f] > y[f] ? 1 : 0) * (sortDir === 'DESC' ? -1 : 1));
          }
          return { body: partial(req, { campaigns: found.slice(p.offset, p.offset + p.count).map(campaignView), total_items: found.length }) };
        },
      },
    ],
  });

  return Object.assign(fake, {
    apiKeys,
    audiences,
    campaigns,
    addAudiences(count: number) {
      const added: FakeAudience[] = [];
      for (let i = 0; i < count; i++) added.push(addAudience(`Audience ${audiences.length + 1}`));
      return added;
    },
  });
}
