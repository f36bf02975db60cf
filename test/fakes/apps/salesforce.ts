import { startAppFake, type AppFake, type FakeAnswer, type RecordedRequest } from '../app-fake';

/**
 * A fake of the Salesforce REST API v60.0 (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/):
 * describeGlobal and describe, sObject rows (create, read, update) checked against each object's
 * fields, and a small SOQL (SELECT fields FROM object [WHERE a op v AND …] [ORDER BY …] [LIMIT n])
 * answered in batches (2000, or the `Sforce-Query-Options: batchSize` asked) linked by
 * `nextRecordsUrl`. Errors are Salesforce's array `[{ message, errorCode, fields? }]`
 * (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm).
 */

export const SALESFORCE_TOKEN = '00D5g000004ABCD!AQ8AQH1kLq0rF.fake.session.token.value';
export const SALESFORCE_ORG = { Id: '00D5g000004ABCDEA2', Name: 'Acme Corporation' };
const VERSION = 'v60.0';
const DATA = `/services/data/${VERSION}`;

export type FakeRow = Record<string, unknown> & { Id: string; CreatedDate: string; LastModifiedDate: string; SystemModstamp: string };

interface FieldDef {
  name: string;
  label: string;
  type: 'id' | 'string' | 'email' | 'phone' | 'reference' | 'currency' | 'date' | 'datetime' | 'picklist' | 'textarea' | 'boolean';
  required?: boolean;
  createable?: boolean;
}

interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  fields: FieldDef[];
}

const SYSTEM: FieldDef[] = [
  { name: 'Id', label: 'Record ID', type: 'id', createable: false },
  { name: 'CreatedDate', label: 'Created Date', type: 'datetime', createable: false },
  { name: 'LastModifiedDate', label: 'Last Modified Date', type: 'datetime', createable: false },
  { name: 'SystemModstamp', label: 'System Modstamp', type: 'datetime', createable: false },
  { name: 'OwnerId', label: 'Owner ID', type: 'reference' },
];

const OBJECTS: ObjectDef[] = [
  {
    name: 'Account',
    label: 'Account',
    labelPlural: 'Accounts',
    keyPrefix: '001',
    fields: [
      { name: 'Name', label: 'Account Name', type: 'string', required: true },
      { name: 'Phone', label: 'Account Phone', type: 'phone' },
      { name: 'Website', label: 'Website', type: 'string' },
      { name: 'Industry', label: 'Industry', type: 'picklist' },
    ],
  },
  {
    name: 'Contact',
    label: 'Contact',
    labelPlural: 'Contacts',
    keyPrefix: '003',
    fields: [
      { name: 'FirstName', label: 'First Name', type: 'string' },
      { name: 'LastName', label: 'Last Name', type: 'string', required: true },
      { name: 'Email', label: 'Email', type: 'email' },
      { name: 'Phone', label: 'Business Phone', type: 'phone' },
      { name: 'Title', label: 'Title', type: 'string' },
      { name: 'AccountId', label: 'Account ID', type: 'reference' },
    ],
  },
  {
    name: 'Lead',
    label: 'Lead',
    labelPlural: 'Leads',
    keyPrefix: '00Q',
    fields: [
      { name: 'FirstName', label: 'First Name', type: 'string' },
      { name: 'LastName', label: 'Last Name', type: 'string', required: true },
      { name: 'Company', label: 'Company', type: 'string', required: true },
      { name: 'Email', label: 'Email', type: 'email' },
      { name: 'Phone', label: 'Phone', type: 'phone' },
      { name: 'Status', label: 'Lead Status', type: 'picklist' },
    ],
  },
  {
    name: 'Opportunity',
    label: 'Opportunity',
    labelPlural: 'Opportunities',
    keyPrefix: '006',
    fields: [
      { name: 'Name', label: 'Name', type: 'string', required: true },
      { name: 'StageName', label: 'Stage', type: 'picklist', required: true },
      { name: 'CloseDate', label: 'Close Date', type: 'date', required: true },
      { name: 'Amount', label: 'Amount', type: 'currency' },
      { name: 'AccountId', label: 'Account ID', type: 'reference' },
    ],
  },
];

export interface SalesforceFake extends AppFake {
  tokens: Set<string>;
  /** The rows of each object, by object name. */
  rows: Record<string, FakeRow[]>;
  /** Inserts a row as if made in Salesforce (its Id, CreatedDate and SystemModstamp set), without the API's checks. */
  add(object: string, values: Record<string, unknown>): FakeRow;
  /** Adds `count` contacts (LastName Number <n>), each modified a second after the one before. */
  addContacts(count: number): FakeRow[];
}

export function salesforceErrorBody(status: number, message: string, errorCode?: string, fields?: string[]) {
  const code =
    errorCode ??
    (
      { 400: 'BAD_REQUEST', 401: 'INVALID_SESSION_ID', 403: 'REQUEST_LIMIT_EXCEEDED', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 503: 'SERVER_UNAVAILABLE' } as Record<
        number,
        string
      >
    )[status] ??
    (status >= 500 ? 'UNKNOWN_EXCEPTION' : 'BAD_REQUEST');
  return [{ message, errorCode: code, ...(fields ? { fields } : {}) }];
}

const fail = (status: number, message: string, errorCode?: string, fields?: string[]): FakeAnswer => ({ status, body: salesforceErrorBody(status, message, errorCode, fields) });

/** Salesforce's dateTime as its REST API writes it: `2024-05-01T10:00:00.000+0000`. */
const sfTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

/** A SOQL dateTime literal (no quotes): YYYY-MM-DDThh:mm:ss, optional fraction, then Z or ±hh:mm (±hhmm as the API answers it). */
const DATETIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)(Z|[+-]\d{2}:?\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function literalTime(text: string): number | undefined {
  const m = DATETIME.exec(text);
  if (!m) return undefined;
  const zone = m[2] === 'Z' ? 'Z' : m[2]!.replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  const t = Date.parse(m[1] + zone);
  return Number.isNaN(t) ? undefined : t;
}

/** A stored value as something to compare: datetimes as milliseconds. */
function comparable(value: unknown, field: FieldDef | undefined): unknown {
  if (field?.type === 'datetime' && typeof value === 'string') return literalTime(value) ?? Date.parse(value);
  return value;
}

type Condition = { field: string; op: string; value: unknown };
interface Soql {
  fields: string[];
  object: ObjectDef | undefined;
  objectName: string;
  where: Condition[];
  order: Array<{ field: string; desc: boolean }>;
  limit?: number;
}

const malformed = (q: string, why: string): FakeAnswer => fail(400, `\n${q}\n^\nERROR at Row:1:Column:1\n${why}`, 'MALFORMED_QUERY');

/** Reads the fake's kind of SOQL, or answers why Salesforce would refuse it. */
function parseSoql(q: string): Soql | FakeAnswer {
  const m = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+(.+?))?(?:\s+LIMIT\s+(\d+))?\s*$/is.exec(q);
  if (!m) return malformed(q, 'unexpected token: the query must be SELECT … FROM …');
  const [, select, objectName, where, order, limit] = m;
  const object = OBJECTS.find((o) => o.name.toLowerCase() === objectName!.toLowerCase());
  if (!object && objectName!.toLowerCase() !== 'organization') {
    return fail(
      400,
      `\n${q}\n^\nERROR at Row:1:Column:1\nsObject type '${objectName}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name.`,
      'INVALID_TYPE',
    );
  }
  const fields = select!.split(',').map((f) => f.trim());
  const known = object ? [...SYSTEM, ...object.fields].map((f) => f.name) : ['Id', 'Name'];
  const resolve = (name: string) => known.find((k) => k.toLowerCase() === name.toLowerCase());
  for (const f of fields) if (!resolve(f)) return fail(400, `\n${q}\n^\nERROR at Row:1:Column:8\nNo such column '${f}' on entity '${objectName}'.`, 'INVALID_FIELD');
  const conditions: Condition[] = [];
  if (where) {
    for (const part of where.split(/\s+AND\s+/i)) {
      const c = /^\s*(\w+)\s*(=|!=|<>|>=|<=|>|<)\s*(.+?)\s*$/.exec(part);
      if (!c) return malformed(q, `unexpected token: '${part.trim()}'`);
      const field = resolve(c[1]!);
      if (!field) return fail(400, `No such column '${c[1]}' on entity '${objectName}'.`, 'INVALID_FIELD');
      const raw = c[3]!;
      const def = [...SYSTEM, ...(object?.fields ?? [])].find((f) => f.name === field);
      let value: unknown;
      if (/^'.*'$/.test(raw)) {
        if (def?.type === 'datetime' || def?.type === 'date') {
          return fail(
            400,
            `\n${q}\nvalue of filter criterion for field '${field}' must be of type ${def.type === 'date' ? 'date' : 'dateTime'} and should not be enclosed in quotes`,
            'INVALID_FIELD',
          );
        }
        value = raw.slice(1, -1).replace(/\\'/g, "'");
      } else if (def?.type === 'datetime') {
        value = literalTime(raw);
        if (value === undefined) return malformed(q, `line 1: invalid dateTime literal '${raw}'`);
      } else if (DATE.test(raw)) value = raw;
      else if (/^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
      else if (/^(true|false)$/i.test(raw)) value = raw.toLowerCase() === 'true';
      else if (/^null$/i.test(raw)) value = null;
      else return malformed(q, `unexpected token: '${raw}'`);
      conditions.push({ field, op: c[2] === '<>' ? '!=' : c[2]!, value });
    }
  }
  const sort: Array<{ field: string; desc: boolean }> = [];
  if (order) {
    for (const part of order.split(',')) {
      const o = /^\s*(\w+)(?:\s+(ASC|DESC))?(?:\s+NULLS\s+(?:FIRST|LAST))?\s*$/i.exec(part);
      const field = o && resolve(o[1]!);
      if (!field) return malformed(q, `unexpected token in ORDER BY: '${part.trim()}'`);
      sort.push({ field, desc: o![2]?.toUpperCase() === 'DESC' });
    }
  }
  return { fields: fields.map((f) => resolve(f)!), object, objectName: object?.name ?? 'Organization', where: conditions, order: sort, ...(limit ? { limit: Number(limit) } : {}) };
}

function test(row: Record<string, unknown>, c: Condition, def: FieldDef | undefined): boolean {
  const a = comparable(row[c.field] ?? null, def);
  const b = c.value;
  if (c.op === '=') return a === b || (typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase());
  if (c.op === '!=') return !(a === b || (typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase()));
  if (a === null || b === null || a === undefined) return false;
  const x = a as number | string;
  const y = b as number | string;
  return c.op === '>' ? x > y : c.op === '>=' ? x >= y : c.op === '<' ? x < y : x <= y;
}

let locatorCount = 0;

export async function startSalesforceFake(): Promise<SalesforceFake> {
  const tokens = new Set([SALESFORCE_TOKEN]);
  const rows: Record<string, FakeRow[]> = Object.fromEntries(OBJECTS.map((o) => [o.name, []]));
  /** Query locators (`nextRecordsUrl` is …/query/<id>-<position>): the rows still to answer, by id. */
  const cursors = new Map<string, { rows: Record<string, unknown>[]; size: number; at: number }>();
  let serial = 0;
  let clock = Date.parse('2024-05-01T09:00:00.000Z');
  // Stamps move forward a second at least: SystemModstamp has second precision in comparisons.
  const now = () => {
    clock = Math.max(clock + 1000, Math.floor(Date.now() / 1000) * 1000);
    return sfTime(clock);
  };
  const newId = (o: ObjectDef) => `${o.keyPrefix}5g00000${String(++serial).padStart(5, '0')}AAA`.slice(0, 18);
  const url = (object: string, id: string) => `${DATA}/sobjects/${object}/${id}`;
  const objectOf = (name: string | undefined) => OBJECTS.find((o) => o.name.toLowerCase() === (name ?? '').toLowerCase());
  const fieldOf = (o: ObjectDef, name: string) => [...SYSTEM, ...o.fields].find((f) => f.name.toLowerCase() === name.toLowerCase());

  const insert = (o: ObjectDef, values: Record<string, unknown>): FakeRow => {
    const at = now();
    const row = { ...values, Id: newId(o), CreatedDate: at, LastModifiedDate: at, SystemModstamp: at, OwnerId: '0055g00000ABCDEAA4' } as FakeRow;
    rows[o.name]!.push(row);
    return row;
  };

  /** Checks written fields as Salesforce does: known, createable, and (on create) the required ones present. */
  const checkFields = (o: ObjectDef, body: unknown, creating: boolean): FakeAnswer | Record<string, unknown> => {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      return fail(400, 'Can not deserialize SObject out of START_ARRAY token at [line:1, column:1]', 'JSON_PARSER_ERROR');
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if (key === 'attributes') continue;
      const f = fieldOf(o, key);
      if (!f) return fail(400, `No such column '${key}' on sobject of type ${o.name}`, 'INVALID_FIELD');
      if (f.createable === false)
        return fail(
          400,
          `Unable to create/update fields: ${f.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
          'INVALID_FIELD_FOR_INSERT_UPDATE',
          [f.name],
        );
      if (f.type === 'email' && value !== null && typeof value === 'string' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
        return fail(400, `${f.label}: invalid email address: ${value}`, 'INVALID_EMAIL_ADDRESS', [f.name]);
      }
      if (f.type === 'date' && value !== null && (typeof value !== 'string' || !DATE.test(value))) {
        return fail(
          400,
          `Cannot deserialize instance of date from VALUE_STRING value ${String(value)} or request may be missing a required field at [line:1, column:1]`,
          'JSON_PARSER_ERROR',
        );
      }
      out[f.name] = value;
    }
    if (creating) {
      const missing = o.fields.filter((f) => f.required && (out[f.name] === undefined || out[f.name] === null || out[f.name] === '')).map((f) => f.name);
      if (missing.length) return fail(400, `Required fields are missing: [${missing.join(', ')}]`, 'REQUIRED_FIELD_MISSING', missing);
    }
    return out;
  };
  const isAnswer = (v: unknown): v is FakeAnswer => !!v && typeof v === 'object' && 'status' in v && typeof (v as FakeAnswer).status === 'number' && 'body' in v;

  const batchSize = (req: RecordedRequest): number => {
    const asked = /batchSize=(\d+)/i.exec(req.headers['sforce-query-options'] ?? '')?.[1];
    return asked ? Math.min(2000, Math.max(200, Number(asked))) : 2000;
  };

  const answerBatch = (locator: string, cursor: { rows: Record<string, unknown>[]; size: number; at: number }): FakeAnswer => {
    const batch = cursor.rows.slice(cursor.at, cursor.at + cursor.size);
    cursor.at += batch.length;
    const done = cursor.at >= cursor.rows.length;
    if (done) cursors.delete(locator);
    return { body: { totalSize: cursor.rows.length, done, ...(done ? {} : { nextRecordsUrl: `${DATA}/query/${locator}-${cursor.at}` }), records: batch } };
  };

  const query = (req: RecordedRequest): FakeAnswer => {
    const q = req.query.q;
    if (typeof q !== 'string' || !q.trim()) return fail(400, 'A query string has to be specified', 'MALFORMED_QUERY');
    const parsed = parseSoql(q);
    if (isAnswer(parsed)) return parsed;
    let found: Record<string, unknown>[];
    const o = parsed.object;
    if (!o) found = [{ ...SALESFORCE_ORG }];
    else {
      found = rows[o.name]!.filter((r) => parsed.where.every((c) => test(r, c, fieldOf(o, c.field))));
      if (parsed.order.length) {
        found = [...found].sort((a, b) => {
          for (const { field, desc } of parsed.order) {
            const x = comparable(a[field] ?? null, fieldOf(o, field)) as string | number | null;
            const y = comparable(b[field] ?? null, fieldOf(o, field)) as string | number | null;
            if (x === y) continue;
            if (x === null) return desc ? 1 : -1;
            if (y === null) return desc ? -1 : 1;
            return (x < y ? -1 : 1) * (desc ? -1 : 1);
          }
          return 0;
        });
      }
    }
    if (parsed.limit !== undefined) found = found.slice(0, parsed.limit);
    const records = found.map((r) => ({
      attributes: { type: parsed.objectName, url: url(parsed.objectName, String(r.Id)) },
      ...Object.fromEntries(parsed.fields.map((f) => [f, r[f] ?? null])),
    }));
    const locator = `01g5g00000${String(++locatorCount).padStart(8, '0')}`;
    const cursor = { rows: records, size: batchSize(req), at: 0 };
    cursors.set(locator, cursor);
    return answerBatch(locator, cursor);
  };

  const fake = await startAppFake({
    name: 'Salesforce',
    authorize(req) {
      const token = /^(?:Bearer|OAuth) (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (token && tokens.has(token)) return undefined;
      return { status: 401, body: salesforceErrorBody(401, 'Session expired or invalid', 'INVALID_SESSION_ID') };
    },
    errorBody: (status, message) => salesforceErrorBody(status, message),
    routes: [
      {
        method: 'GET',
        path: `${DATA}/sobjects`,
        handle: () => ({
          body: {
            encoding: 'UTF-8',
            maxBatchSize: 200,
            sobjects: OBJECTS.map((o) => ({
              name: o.name,
              label: o.label,
              labelPlural: o.labelPlural,
              keyPrefix: o.keyPrefix,
              custom: false,
              createable: true,
              updateable: true,
              queryable: true,
              urls: { sobject: `${DATA}/sobjects/${o.name}`, describe: `${DATA}/sobjects/${o.name}/describe`, rowTemplate: `${DATA}/sobjects/${o.name}/{ID}` },
            })),
          },
        }),
      },
      {
        method: 'GET',
        path: `${DATA}/sobjects/:object/describe`,
        handle: (_req, params) => {
          const o = objectOf(params.object);
          if (!o) return fail(404, 'The requested resource does not exist', 'NOT_FOUND');
          return {
            body: {
              name: o.name,
              label: o.label,
              keyPrefix: o.keyPrefix,
              createable: true,
              fields: [...SYSTEM, ...o.fields].map((f) => ({
                name: f.name,
                label: f.label,
                type: f.type,
                createable: f.createable !== false,
                updateable: f.createable !== false,
                nillable: !f.required && f.type !== 'id',
                defaultedOnCreate: f.createable === false,
              })),
            },
          };
        },
      },
      {
        method: 'POST',
        path: `${DATA}/sobjects/:object`,
        handle: (req, params) => {
          const o = objectOf(params.object);
          if (!o) return fail(404, 'The requested resource does not exist', 'NOT_FOUND');
          const checked = checkFields(o, req.body, true);
          if (isAnswer(checked)) return checked;
          const row = insert(o, checked);
          return { status: 201, body: { id: row.Id, success: true, errors: [] } };
        },
      },
      {
        method: 'GET',
        path: `${DATA}/sobjects/:object/:id`,
        handle: (req, params) => {
          const o = objectOf(params.object);
          const row = o && rows[o.name]!.find((r) => r.Id === params.id || r.Id.slice(0, 15) === params.id);
          if (!o || !row) return fail(404, 'The requested resource does not exist', 'NOT_FOUND');
          const asked = typeof req.query.fields === 'string' ? req.query.fields.split(',').map((f) => f.trim()) : undefined;
          const names = asked ?? [...SYSTEM, ...o.fields].map((f) => f.name);
          for (const n of names) if (!fieldOf(o, n)) return fail(400, `No such column '${n}' on sobject of type ${o.name}`, 'INVALID_FIELD');
          return {
            body: { attributes: { type: o.name, url: url(o.name, row.Id) }, ...Object.fromEntries(names.map((n) => [fieldOf(o, n)!.name, row[fieldOf(o, n)!.name] ?? null])) },
          };
        },
      },
      {
        method: 'PATCH',
        path: `${DATA}/sobjects/:object/:id`,
        handle: (req, params) => {
          const o = objectOf(params.object);
          const row = o && rows[o.name]!.find((r) => r.Id === params.id || r.Id.slice(0, 15) === params.id);
          if (!o || !row) return fail(404, 'The requested resource does not exist', 'NOT_FOUND');
          const checked = checkFields(o, req.body, false);
          if (isAnswer(checked)) return checked;
          for (const f of o.fields)
            if (f.required && f.name in checked && (checked[f.name] === null || checked[f.name] === ''))
              return fail(400, `Required fields are missing: [${f.name}]`, 'REQUIRED_FIELD_MISSING', [f.name]);
          const at = now();
          Object.assign(row, checked, { LastModifiedDate: at, SystemModstamp: at });
          return { status: 204 };
        },
      },
      { method: 'GET', path: `${DATA}/query`, handle: query },
      {
        method: 'GET',
        path: `${DATA}/query/:locator`,
        handle: (_req, params) => {
          const [id, at] = (params.locator ?? '').split('-');
          const cursor = cursors.get(id ?? '');
          if (!cursor || String(cursor.at) !== at) return fail(400, 'invalid query locator', 'INVALID_QUERY_LOCATOR');
          return answerBatch(id!, cursor);
        },
      },
    ],
  });

  return Object.assign(fake, {
    tokens,
    rows,
    add(object: string, values: Record<string, unknown>) {
      const o = objectOf(object);
      if (!o) throw new Error(`the fake has no ${object} object`);
      return insert(o, values);
    },
    addContacts(count: number) {
      const contact = OBJECTS.find((o) => o.name === 'Contact')!;
      const added: FakeRow[] = [];
      for (let i = 0; i < count; i++) {
        const n = rows.Contact!.length + 1;
        added.push(insert(contact, { FirstName: 'Contact', LastName: `Number ${n}`, Email: `contact${n}@example.com` }));
      }
      return added;
    },
  });
}
