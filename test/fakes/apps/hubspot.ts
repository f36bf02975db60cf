import { randomUUID } from 'node:crypto';
import { startAppFake, type AppFake, type FakeAnswer, type RecordedRequest } from '../app-fake';

/**
 * A fake of HubSpot's CRM API v3 (https://developers.hubspot.com/docs/api/crm/understanding-the-crm):
 * account details, contacts and deals (create, update, list paged by `paging.next.after`, search
 * with filters, sorts and an `after` offset in the body), deal pipelines and their stages, and the
 * v4 default association of a deal with a contact. Errors are HubSpot's
 * `{ status: "error", message, correlationId, category }` (https://developers.hubspot.com/docs/api-reference/error-handling).
 */

export const HUBSPOT_TOKEN = 'pat-na1-11f2d3c4-5b6a-4798-a1b2-c3d4e5f60718';
export const HUBSPOT_PORTAL_ID = 62515;

export interface FakeCrmObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

export interface FakePipeline {
  id: string;
  label: string;
  displayOrder: number;
  stages: Array<{ id: string; label: string; displayOrder: number; metadata: { isClosed: string; probability: string } }>;
}

export interface FakeAssociation {
  dealId: string;
  contactId: string;
}

export interface HubSpotFake extends AppFake {
  tokens: Set<string>;
  contacts: FakeCrmObject[];
  deals: FakeCrmObject[];
  pipelines: FakePipeline[];
  associations: FakeAssociation[];
  /** Adds a record as if made in HubSpot (its id and stamps set), without the API's checks. */
  addRecord(type: 'contacts' | 'deals', properties: Record<string, string | null>): FakeCrmObject;
  /** Adds `count` contacts (email <from><n>@example.com, from `contact` by default). */
  addContacts(count: number, from?: string): FakeCrmObject[];
}

const CATEGORIES: Record<number, string> = {
  400: 'VALIDATION_ERROR',
  401: 'INVALID_AUTHENTICATION',
  403: 'MISSING_SCOPES',
  404: 'OBJECT_NOT_FOUND',
  409: 'CONFLICT',
  423: 'LOCKED',
  429: 'RATE_LIMITS',
};

export function hubspotErrorBody(status: number, message: string, category?: string, errors?: unknown[]) {
  return {
    status: 'error',
    message,
    correlationId: randomUUID(),
    category: category ?? CATEGORIES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST'),
    ...(errors ? { errors } : {}),
  };
}

const fail = (status: number, message: string, category?: string, errors?: unknown[]): FakeAnswer => ({ status, body: hubspotErrorBody(status, message, category, errors) });

/** The properties a portal has for each object (what a create may set; anything else is PROPERTY_DOESNT_EXIST). */
const PROPERTIES = {
  contacts: ['email', 'firstname', 'lastname', 'phone', 'company', 'website', 'lifecyclestage', 'jobtitle', 'city', 'country', 'hubspot_owner_id'],
  deals: ['dealname', 'pipeline', 'dealstage', 'amount', 'closedate', 'hubspot_owner_id', 'dealtype', 'description'],
} as const;
const LIFECYCLE = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist', 'other'];
const MODIFIED = { contacts: 'lastmodifieddate', deals: 'hs_lastmodifieddate' } as const;
const DEFAULT_PROPERTIES = { contacts: ['email', 'firstname', 'lastname'], deals: ['dealname', 'amount', 'closedate', 'pipeline', 'dealstage'] } as const;
const DATE_PROPERTIES = new Set(['createdate', 'lastmodifieddate', 'hs_lastmodifieddate', 'closedate']);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type ObjectType = keyof typeof PROPERTIES;

function invalidProperty(name: string, message: string, error: string) {
  const detail = [{ isValid: false, message, error, name }];
  return fail(400, `Property values were not valid: ${JSON.stringify(detail)}`, 'VALIDATION_ERROR', [{ message, code: error, context: { propertyName: [name] } }]);
}

/** A date filter or property value as milliseconds: HubSpot takes epoch milliseconds or ISO 8601. */
function asTime(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

function compare(a: string | null | undefined, b: string, property: string): number | undefined {
  if (a === null || a === undefined) return undefined;
  if (DATE_PROPERTIES.has(property)) {
    const x = asTime(a);
    const y = asTime(b);
    return x === undefined || y === undefined ? undefined : x - y;
  }
  const x = Number(a);
  const y = Number(b);
  if (a !== '' && b !== '' && !Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  return a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0;
}

/** `onCreate`: told of each record made through the API (the demo shows them in its live panel). */
export async function startHubSpotFake(options: { onCreate?: (type: 'contacts' | 'deals', record: FakeCrmObject) => void } = {}): Promise<HubSpotFake> {
  const tokens = new Set([HUBSPOT_TOKEN]);
  const contacts: FakeCrmObject[] = [];
  const deals: FakeCrmObject[] = [];
  const associations: FakeAssociation[] = [];
  const pipelines: FakePipeline[] = [
    {
      id: 'default',
      label: 'Sales Pipeline',
      displayOrder: 0,
      stages: [
        ['appointmentscheduled', 'Appointment Scheduled', '0.2'],
        ['qualifiedtobuy', 'Qualified To Buy', '0.4'],
        ['presentationscheduled', 'Presentation Scheduled', '0.6'],
        ['decisionmakerboughtin', 'Decision Maker Bought-In', '0.8'],
        ['contractsent', 'Contract Sent', '0.9'],
        ['closedwon', 'Closed Won', '1.0'],
        ['closedlost', 'Closed Lost', '0.0'],
      ].map(([id, label, probability], i) => ({ id: id!, label: label!, displayOrder: i, metadata: { isClosed: String(id!.startsWith('closed')), probability: probability! } })),
    },
    {
      id: '75e28846-ad0d-4be2-a027-5e1da6590b98',
      label: 'Partner Deals',
      displayOrder: 1,
      stages: [
        { id: '1234567', label: 'Introduced', displayOrder: 0, metadata: { isClosed: 'false', probability: '0.1' } },
        { id: '1234568', label: 'Signed', displayOrder: 1, metadata: { isClosed: 'true', probability: '1.0' } },
      ],
    },
  ];
  const store: Record<ObjectType, FakeCrmObject[]> = { contacts, deals };
  let nextId = 51;
  // Modification times move forward one millisecond at least, like HubSpot's own stamps never repeat for one writer.
  let clock = Date.parse('2024-05-01T09:00:00.000Z');
  const now = () => {
    clock = Math.max(clock + 1, Date.now());
    return new Date(clock).toISOString();
  };

  const make = (type: ObjectType, properties: Record<string, string | null>, at = now()): FakeCrmObject => {
    const id = String(nextId++);
    const record: FakeCrmObject = {
      id,
      properties: { ...properties, createdate: at, [MODIFIED[type]]: at, hs_object_id: id },
      createdAt: at,
      updatedAt: at,
      archived: false,
    };
    store[type].push(record);
    return record;
  };

  /** The record as HubSpot answers it: the asked properties (or the defaults) and the ones it always adds. */
  const view = (type: ObjectType, r: FakeCrmObject, asked?: string[]) => {
    const names = asked?.length ? asked : [...DEFAULT_PROPERTIES[type], 'createdate', MODIFIED[type]];
    const properties: Record<string, string | null> = { hs_object_id: r.id };
    for (const n of [...names, 'createdate', MODIFIED[type]]) properties[n] = r.properties[n] ?? null;
    return { id: r.id, properties, createdAt: r.createdAt, updatedAt: r.updatedAt, archived: r.archived };
  };

  const asString = (v: unknown): string | null =>
    v === null || v === undefined ? null : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);

  /** Checks a create or update's properties as HubSpot does; the answer to refuse them, or the cleaned values. */
  const check = (type: ObjectType, body: unknown, creating: boolean): FakeAnswer | Record<string, string | null> => {
    const props = (body as { properties?: unknown } | undefined)?.properties;
    if (!props || typeof props !== 'object' || Array.isArray(props)) {
      return fail(400, 'Invalid input JSON on line 1, column 1: Some required fields were not set: [properties]', 'VALIDATION_ERROR');
    }
    const out: Record<string, string | null> = {};
    for (const [name, raw] of Object.entries(props as Record<string, unknown>)) {
      if (!(PROPERTIES[type] as readonly string[]).includes(name)) return invalidProperty(name, `Property "${name}" does not exist`, 'PROPERTY_DOESNT_EXIST');
      out[name] = asString(raw);
    }
    if (type === 'contacts') {
      if (out.email !== undefined && out.email !== null && !EMAIL.test(out.email)) return invalidProperty('email', `Email address ${out.email} is invalid`, 'INVALID_EMAIL');
      if (out.lifecyclestage && !LIFECYCLE.includes(out.lifecyclestage)) {
        return invalidProperty('lifecyclestage', `${out.lifecyclestage} was not one of the allowed options: [${LIFECYCLE.join(', ')}]`, 'INVALID_OPTION');
      }
    }
    if (type === 'deals') {
      if (out.amount !== undefined && out.amount !== null && out.amount !== '' && Number.isNaN(Number(out.amount))) {
        return invalidProperty('amount', `${out.amount} was not a valid number.`, 'INVALID_FLOAT');
      }
      if (out.closedate && asTime(out.closedate) === undefined) return invalidProperty('closedate', `${out.closedate} was not a valid long or ISO 8601 date.`, 'INVALID_DATE');
      if (creating || out.pipeline !== undefined || out.dealstage !== undefined) {
        const pipeline = pipelines.find((p) => p.id === (out.pipeline ?? 'default'));
        if (!pipeline) return invalidProperty('pipeline', `${out.pipeline} was not one of the allowed options: [${pipelines.map((p) => p.id).join(', ')}]`, 'INVALID_OPTION');
        if (creating && !out.dealstage) return invalidProperty('dealstage', 'dealstage is required', 'REQUIRED_FIELD');
        if (out.dealstage && !pipeline.stages.some((s) => s.id === out.dealstage)) {
          return invalidProperty('dealstage', `${out.dealstage} is not a valid stage of pipeline ${pipeline.id}`, 'INVALID_OPTION');
        }
      }
    }
    return out;
  };

  const isAnswer = (v: FakeAnswer | Record<string, string | null>): v is FakeAnswer => 'status' in v && typeof (v as FakeAnswer).status === 'number';

  const create =
    (type: ObjectType) =>
    (req: RecordedRequest): FakeAnswer => {
      const checked = check(type, req.body, true);
      if (isAnswer(checked)) return checked;
      if (type === 'contacts' && checked.email) {
        const existing = contacts.find((c) => c.properties.email?.toLowerCase() === checked.email!.toLowerCase());
        if (existing) return fail(409, `Contact already exists. Existing ID: ${existing.id}`, 'CONFLICT');
      }
      const record = make(type, checked);
      options.onCreate?.(type, record);
      return { status: 201, body: view(type, record, Object.keys(checked)) };
    };

  const update =
    (type: ObjectType) =>
    (req: RecordedRequest, params: Record<string, string>): FakeAnswer => {
      const record = store[type].find((r) => r.id === params.id && !r.archived);
      if (!record) return fail(404, 'resource not found', 'OBJECT_NOT_FOUND');
      const checked = check(type, req.body, false);
      if (isAnswer(checked)) return checked;
      if (type === 'contacts' && checked.email) {
        const other = contacts.find((c) => c !== record && c.properties.email?.toLowerCase() === checked.email!.toLowerCase());
        if (other) return fail(409, `Contact already exists. Existing ID: ${other.id}`, 'CONFLICT');
      }
      const at = now();
      Object.assign(record.properties, checked, { [MODIFIED[type]]: at });
      record.updatedAt = at;
      return { body: view(type, record, Object.keys(checked)) };
    };

  const list =
    (type: ObjectType) =>
    (req: RecordedRequest): FakeAnswer => {
      const limit = req.query.limit === undefined ? 10 : Number(req.query.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) return fail(400, `limit must be between 1 and 100, got ${String(req.query.limit)}`);
      const after = req.query.after === undefined ? 0 : Number(req.query.after);
      if (Number.isNaN(after)) return fail(400, `Unable to parse after "${String(req.query.after)}"`);
      const archived = req.query.archived === 'true';
      const asked =
        typeof req.query.properties === 'string' ? req.query.properties.split(',').filter(Boolean) : Array.isArray(req.query.properties) ? req.query.properties : undefined;
      const rows = store[type].filter((r) => r.archived === archived && Number(r.id) >= after).sort((a, b) => Number(a.id) - Number(b.id));
      const page = rows.slice(0, limit);
      const next = rows[limit];
      return {
        body: {
          results: page.map((r) => view(type, r, asked)),
          ...(next ? { paging: { next: { after: next.id, link: `https://api.hubapi.com/crm/v3/objects/${type}?after=${next.id}` } } } : {}),
        },
      };
    };

  type Filter = { propertyName?: unknown; operator?: unknown; value?: unknown; values?: unknown; highValue?: unknown };

  const matches = (r: FakeCrmObject, f: Filter): boolean | string => {
    const name = String(f.propertyName ?? '');
    const value = r.properties[name];
    const want = asString(f.value);
    switch (f.operator) {
      case 'EQ':
        return want !== null && compare(value, want, name) === 0;
      case 'NEQ':
        return want !== null && compare(value, want, name) !== 0;
      case 'GT':
      case 'GTE':
      case 'LT':
      case 'LTE': {
        if (want === null) return `${String(f.operator)} needs a value`;
        if (DATE_PROPERTIES.has(name) && asTime(want) === undefined) return `${want} is not a valid date for ${name}`;
        const c = compare(value, want, name);
        if (c === undefined) return false;
        return f.operator === 'GT' ? c > 0 : f.operator === 'GTE' ? c >= 0 : f.operator === 'LT' ? c < 0 : c <= 0;
      }
      case 'HAS_PROPERTY':
        return value !== null && value !== undefined && value !== '';
      case 'NOT_HAS_PROPERTY':
        return value === null || value === undefined || value === '';
      case 'IN':
        return Array.isArray(f.values) && f.values.map((v) => String(v).toLowerCase()).includes(String(value ?? '').toLowerCase());
      default:
        return `Unsupported operator ${String(f.operator)}`;
    }
  };

  const search =
    (type: ObjectType) =>
    (req: RecordedRequest): FakeAnswer => {
      const body = (req.body ?? {}) as { filterGroups?: unknown; sorts?: unknown; properties?: unknown; limit?: unknown; after?: unknown; query?: unknown };
      const limit = body.limit === undefined ? 10 : Number(body.limit);
      if (!Number.isInteger(limit) || limit < 0 || limit > 200) return fail(400, `limit must be less than or equal to 200, got ${String(body.limit)}`);
      const after = body.after === undefined ? 0 : Number(body.after);
      if (!Number.isInteger(after) || after < 0) return fail(400, `after must be a non-negative integer, got ${String(body.after)}`);
      const groups = (body.filterGroups ?? []) as Array<{ filters?: Filter[] }>;
      if (!Array.isArray(groups) || groups.length > 5) return fail(400, 'There can be at most 5 filterGroups');
      let problem: string | undefined;
      let rows = store[type].filter((r) => {
        if (r.archived) return false;
        if (groups.length === 0) return true;
        return groups.some((g) =>
          (g.filters ?? []).every((f) => {
            const m = matches(r, f);
            if (typeof m === 'string') problem ??= m;
            return m === true;
          }),
        );
      });
      if (problem) return fail(400, problem);
      const sorts = (Array.isArray(body.sorts) ? body.sorts : []) as Array<{ propertyName?: string; direction?: string } | string>;
      const sort = sorts[0];
      if (sort) {
        const name = typeof sort === 'string' ? sort.replace(/^-/, '') : (sort.propertyName ?? '');
        const desc = typeof sort === 'string' ? sort.startsWith('-') : sort.direction === 'DESCENDING';
        rows = [...rows].sort((a, b) => (compare(a.properties[name], b.properties[name] ?? '', name) ?? 0) * (desc ? -1 : 1) || Number(a.id) - Number(b.id));
      } else rows = [...rows].sort((a, b) => Number(a.id) - Number(b.id));
      const asked = Array.isArray(body.properties) ? (body.properties as string[]) : undefined;
      const page = rows.slice(after, after + limit);
      const more = after + limit < rows.length && after + limit < 10_000;
      return {
        body: {
          total: rows.length,
          results: page.map((r) => view(type, r, asked)),
          ...(more ? { paging: { next: { after: String(after + limit), link: `?after=${after + limit}` } } } : {}),
        },
      };
    };

  const fake = await startAppFake({
    name: 'HubSpot',
    authorize(req) {
      const header = req.headers.authorization ?? '';
      const token = /^Bearer (.+)$/.exec(header)?.[1];
      if (token && tokens.has(token)) return undefined;
      return {
        status: 401,
        body: hubspotErrorBody(
          401,
          'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
          'INVALID_AUTHENTICATION',
        ),
      };
    },
    errorBody: (status, message) => hubspotErrorBody(status, message),
    routes: [
      {
        method: 'GET',
        path: '/account-info/v3/details',
        handle: () => ({
          body: {
            portalId: HUBSPOT_PORTAL_ID,
            accountType: 'STANDARD',
            timeZone: 'US/Eastern',
            companyCurrency: 'USD',
            additionalCurrencies: [],
            utcOffset: '-05:00',
            utcOffsetMilliseconds: -18_000_000,
            uiDomain: 'app.hubspot.com',
            dataHostingLocation: 'na1',
          },
        }),
      },
      { method: 'POST', path: '/crm/v3/objects/contacts', handle: create('contacts') },
      { method: 'GET', path: '/crm/v3/objects/contacts', handle: list('contacts') },
      { method: 'POST', path: '/crm/v3/objects/contacts/search', handle: search('contacts') },
      { method: 'PATCH', path: '/crm/v3/objects/contacts/:id', handle: update('contacts') },
      { method: 'POST', path: '/crm/v3/objects/deals', handle: create('deals') },
      { method: 'GET', path: '/crm/v3/objects/deals', handle: list('deals') },
      { method: 'POST', path: '/crm/v3/objects/deals/search', handle: search('deals') },
      { method: 'PATCH', path: '/crm/v3/objects/deals/:id', handle: update('deals') },
      {
        method: 'GET',
        path: '/crm/v3/pipelines/deals',
        handle: () => ({
          body: {
            results: pipelines.map((p) => ({
              id: p.id,
              label: p.label,
              displayOrder: p.displayOrder,
              archived: false,
              createdAt: '2023-01-10T12:00:00.000Z',
              updatedAt: '2023-01-10T12:00:00.000Z',
              stages: p.stages.map((s) => ({ ...s, archived: false, createdAt: '2023-01-10T12:00:00.000Z', updatedAt: '2023-01-10T12:00:00.000Z' })),
            })),
          },
        }),
      },
      {
        method: 'GET',
        path: '/crm/v3/pipelines/deals/:pipelineId/stages',
        handle: (_req, params) => {
          const pipeline = pipelines.find((p) => p.id === params.pipelineId);
          if (!pipeline) return fail(404, `Unable to find pipeline ${params.pipelineId} for object type deals`, 'OBJECT_NOT_FOUND');
          return { body: { results: pipeline.stages.map((s) => ({ ...s, archived: false, createdAt: '2023-01-10T12:00:00.000Z', updatedAt: '2023-01-10T12:00:00.000Z' })) } };
        },
      },
      {
        method: 'PUT',
        path: '/crm/v4/objects/deal/:dealId/associations/default/contact/:contactId',
        handle: (_req, { dealId, contactId }) => {
          if (!deals.some((d) => d.id === dealId && !d.archived)) return fail(404, `No deal with id ${dealId}`, 'OBJECT_NOT_FOUND');
          if (!contacts.some((c) => c.id === contactId && !c.archived)) return fail(404, `No contact with id ${contactId}`, 'OBJECT_NOT_FOUND');
          if (!associations.some((a) => a.dealId === dealId && a.contactId === contactId)) associations.push({ dealId: dealId!, contactId: contactId! });
          const at = new Date().toISOString();
          return {
            body: {
              status: 'COMPLETE',
              results: [
                { from: { id: dealId }, to: { id: contactId }, associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 3 } },
                { from: { id: contactId }, to: { id: dealId }, associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 4 } },
              ],
              startedAt: at,
              completedAt: at,
            },
          };
        },
      },
    ],
  });

  return Object.assign(fake, {
    tokens,
    contacts,
    deals,
    pipelines,
    associations,
    addRecord: (type: ObjectType, properties: Record<string, string | null>) => make(type, properties),
    addContacts(count: number, from = 'contact') {
      const added: FakeCrmObject[] = [];
      for (let i = 0; i < count; i++) {
        const n = contacts.length + 1;
        added.push(make('contacts', { email: `${from}${n}@example.com`, firstname: 'Contact', lastname: String(n), phone: null, company: null, lifecyclestage: 'lead' }));
      }
      return added;
    },
  });
}
