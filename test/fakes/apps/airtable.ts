import { randomBytes } from 'node:crypto';
import { startAppFake, type AppFake, type FakeAnswer, type RecordedRequest } from '../app-fake';

/**
 * A fake of the Airtable Web API (https://api.airtable.com/v0): bases of tables of records, their
 * schema, and the account behind the token. Bearer tokens (a personal access token or an OAuth
 * access token); errors are `{ error: { type, message } }`, or `{ error: "NOT_FOUND" }` for a base
 * that is not there. filterByFormula understands `{Field} = 'text'` only.
 * https://airtable.com/developers/web/api/introduction
 */

export const AIRTABLE_TOKEN = 'patQ3mYy8dLx2kTfW.6b1e0c4d9a7f3e2b8c5d1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d';
export const AIRTABLE_USER = { id: 'usrL2PNC5o3H4lBEi', email: 'grace@example.com' };

export type FakeFieldType = 'singleLineText' | 'multilineText' | 'email' | 'number' | 'checkbox' | 'singleSelect';

export interface FakeAirtableField {
  id: string;
  name: string;
  type: FakeFieldType;
  /** singleSelect choices. */
  choices?: string[];
}

export interface FakeAirtableRecord {
  id: string;
  createdTime: string;
  fields: Record<string, unknown>;
}

export interface FakeAirtableTable {
  id: string;
  name: string;
  fields: FakeAirtableField[];
  views: Array<{ id: string; name: string; type: 'grid' }>;
  records: FakeAirtableRecord[];
}

export interface FakeAirtableBase {
  id: string;
  name: string;
  permissionLevel: 'owner' | 'create' | 'edit' | 'comment' | 'read';
  tables: FakeAirtableTable[];
}

export interface AirtableFake extends AppFake {
  bases: FakeAirtableBase[];
  /** Tokens the fake accepts (Bearer). */
  tokens: Set<string>;
  /** Adds a record to a table of a base (by ids or names), made now unless told, with a new id unless given one. */
  addRecord(baseId: string, table: string, fields: Record<string, unknown>, options?: { id?: string; createdTime?: Date }): FakeAirtableRecord;
}

const TYPES: Record<number, string> = {
  400: 'INVALID_REQUEST_UNKNOWN',
  401: 'AUTHENTICATION_REQUIRED',
  403: 'INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND',
  404: 'NOT_FOUND',
  413: 'REQUEST_TOO_LARGE',
  422: 'INVALID_REQUEST_UNKNOWN',
  429: 'RATE_LIMIT_REACHED',
  500: 'SERVER_ERROR',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
};

function errorBody(status: number, message: string) {
  return { error: { type: TYPES[status] ?? (status >= 500 ? 'SERVER_ERROR' : 'INVALID_REQUEST_UNKNOWN'), message } };
}

const fail = (status: number, type: string, message: string): FakeAnswer => ({ status, body: { error: { type, message } } });
const invalidRequest = () => fail(422, 'INVALID_REQUEST_UNKNOWN', 'Invalid request: parameter validation failed. Check your request data.');

/** An Airtable-looking id: a prefix and 14 letters and digits. */
function airtableId(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return prefix + [...randomBytes(14)].map((b) => alphabet[b % alphabet.length]).join('');
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A cell value for a field, converted as `typecast` allows; undefined when Airtable would refuse it. */
function cellValue(field: FakeAirtableField, value: unknown, typecast: boolean): { ok: true; value: unknown } | { ok: false } {
  if (value === null) return { ok: true, value: null };
  switch (field.type) {
    case 'singleLineText':
    case 'multilineText':
      if (typeof value === 'string') return { ok: true, value };
      return typecast && (typeof value === 'number' || typeof value === 'boolean') ? { ok: true, value: String(value) } : { ok: false };
    case 'email':
      return typeof value === 'string' ? { ok: true, value } : { ok: false };
    case 'number':
      if (typeof value === 'number') return { ok: true, value };
      if (typecast && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return { ok: true, value: Number(value) };
      return { ok: false };
    case 'checkbox':
      if (typeof value === 'boolean') return { ok: true, value };
      return typecast && typeof value === 'string' ? { ok: true, value: ['true', 'yes', 'checked', '1'].includes(value.toLowerCase()) } : { ok: false };
    case 'singleSelect':
      if (typeof value !== 'string') return { ok: false };
      if (field.choices!.includes(value)) return { ok: true, value };
      if (typecast) {
        field.choices!.push(value);
        return { ok: true, value };
      }
      return { ok: false };
  }
}

export async function startAirtableFake(): Promise<AirtableFake> {
  const tokens = new Set([AIRTABLE_TOKEN]);
  const contacts: FakeAirtableTable = {
    id: 'tblContacts000001',
    name: 'Contacts',
    fields: [
      { id: 'fldName0000000001', name: 'Name', type: 'singleLineText' },
      { id: 'fldEmail000000001', name: 'Email', type: 'email' },
      { id: 'fldSeats000000001', name: 'Seats', type: 'number' },
      { id: 'fldActive00000001', name: 'Active', type: 'checkbox' },
      { id: 'fldStage000000001', name: 'Stage', type: 'singleSelect', choices: ['Lead', 'Customer'] },
    ],
    views: [{ id: 'viwGrid0000000001', name: 'Grid view', type: 'grid' }],
    records: [],
  };
  const bases: FakeAirtableBase[] = [
    {
      id: 'appSalesCRM000001',
      name: 'Sales CRM',
      permissionLevel: 'create',
      tables: [contacts, { id: 'tblDeals000000001', name: 'Deals', fields: [{ id: 'fldTitle000000001', name: 'Title', type: 'singleLineText' }], views: [], records: [] }],
    },
    { id: 'appHiring00000001', name: 'Hiring', permissionLevel: 'read', tables: [] },
  ];

  const findBase = (id: string) => bases.find((b) => b.id === id);
  const findTable = (base: FakeAirtableBase, ref: string) => base.tables.find((t) => t.id === ref || t.name === ref);

  const addRecord = (baseId: string, table: string, fields: Record<string, unknown>, options: { id?: string; createdTime?: Date } = {}) => {
    const base = bases.find((b) => b.id === baseId || b.name === baseId);
    const t = base && findTable(base, table);
    if (!t) throw new Error(`no table ${table} in ${baseId}`);
    const record = { id: options.id ?? airtableId('rec'), createdTime: (options.createdTime ?? new Date()).toISOString(), fields: { ...fields } };
    t.records.push(record);
    return record;
  };
  addRecord('appSalesCRM000001', 'Contacts', { Name: 'Ada Lovelace', Email: 'ada@example.com', Seats: 3, Active: true, Stage: 'Customer' }, { id: 'recAdaLovelace001' });
  addRecord('appSalesCRM000001', 'Contacts', { Name: 'Alan Turing', Email: 'alan@example.com', Seats: 1, Stage: 'Lead' }, { id: 'recAlanTuring0001' });

  /** The base and table of a record route, or Airtable's refusal. */
  const locate = (params: Record<string, string>): { base: FakeAirtableBase; table: FakeAirtableTable } | { refusal: FakeAnswer } => {
    const base = findBase(params.baseId!);
    if (!base) return { refusal: { status: 404, body: { error: 'NOT_FOUND' } } };
    const table = findTable(base, params.table!);
    if (!table) return { refusal: fail(404, 'TABLE_NOT_FOUND', `Could not find table ${params.table} in application ${base.id}`) };
    return { base, table };
  };

  /** Fields checked against the table: names known, values of the right type (after typecast). */
  const checkFields = (table: FakeAirtableTable, fields: unknown, typecast: boolean): { fields: Record<string, unknown> } | { refusal: FakeAnswer } => {
    if (!fields || typeof fields !== 'object' || Array.isArray(fields)) return { refusal: invalidRequest() };
    const out: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(fields)) {
      const field = table.fields.find((f) => f.name === name || f.id === name);
      if (!field) return { refusal: fail(422, 'UNKNOWN_FIELD_NAME', `Unknown field name: "${name}"`) };
      const cell = cellValue(field, value, typecast);
      if (!cell.ok) return { refusal: fail(422, 'INVALID_VALUE_FOR_COLUMN', `Field "${field.name}" cannot accept the provided value`) };
      out[field.name] = cell.value;
    }
    return { fields: out };
  };

  const authorize = (req: RecordedRequest): FakeAnswer | undefined => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (m && tokens.has(m[1]!)) return undefined;
    return fail(401, 'AUTHENTICATION_REQUIRED', 'Authentication required');
  };

  const fake = await startAppFake({
    name: 'Airtable',
    authorize,
    errorBody,
    routes: [
      { method: 'GET', path: '/v0/meta/whoami', handle: () => ({ body: { id: AIRTABLE_USER.id, email: AIRTABLE_USER.email } }) },
      {
        method: 'GET',
        path: '/v0/meta/bases',
        handle: (req) => {
          // Airtable answers up to 1000 bases a page; the next page's `offset` is opaque.
          const size = 1000;
          const offset = first(req.query.offset);
          const start = offset === undefined ? 0 : bases.findIndex((b) => `itr${b.id}` === offset);
          if (start < 0) return fail(422, 'LIST_BASES_ITERATOR_NOT_AVAILABLE', 'The offset is not valid; start the list again.');
          const page = bases.slice(start, start + size);
          const next = bases[start + size];
          return { body: { bases: page.map((b) => ({ id: b.id, name: b.name, permissionLevel: b.permissionLevel })), ...(next ? { offset: `itr${next.id}` } : {}) } };
        },
      },
      {
        method: 'GET',
        path: '/v0/meta/bases/:baseId/tables',
        handle: (_req, { baseId }) => {
          const base = findBase(baseId!);
          if (!base) return { status: 404, body: { error: 'NOT_FOUND' } };
          return {
            body: {
              tables: base.tables.map((t) => ({
                id: t.id,
                name: t.name,
                primaryFieldId: t.fields[0]?.id,
                fields: t.fields.map(({ id, name, type }) => ({ id, name, type })),
                views: t.views,
              })),
            },
          };
        },
      },
      {
        method: 'GET',
        path: '/v0/:baseId/:table',
        handle: (req, params) => {
          const at = locate(params);
          if ('refusal' in at) return at.refusal;
          const { table } = at;
          const pageSizeText = first(req.query.pageSize);
          const pageSize = pageSizeText === undefined ? 100 : Number(pageSizeText);
          if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) return invalidRequest();
          const maxText = first(req.query.maxRecords);
          const maxRecords = maxText === undefined ? Infinity : Number(maxText);
          if (!Number.isInteger(maxRecords) && maxRecords !== Infinity) return invalidRequest();
          const view = first(req.query.view);
          if (view !== undefined && !table.views.some((v) => v.id === view || v.name === view))
            return fail(422, 'VIEW_NAME_NOT_FOUND', `Could not find view ${view} in table ${table.name}`);
          let records = [...table.records];
          const formula = first(req.query.filterByFormula);
          if (formula !== undefined) {
            const m = /^\{([^}]+)\}\s*=\s*'([^']*)'$/.exec(formula.trim());
            if (!m) return fail(422, 'INVALID_FILTER_BY_FORMULA', "The formula for filtering records is invalid: this fake understands only {Field} = 'text'");
            if (!table.fields.some((f) => f.name === m[1]))
              return fail(422, 'INVALID_FILTER_BY_FORMULA', `The formula for filtering records is invalid: Unknown field names: ${m[1]!.toLowerCase()}`);
            records = records.filter((r) => String(r.fields[m[1]!] ?? '') === m[2]);
          }
          const sortField = first(req.query['sort[0][field]']);
          if (sortField !== undefined) {
            if (!table.fields.some((f) => f.name === sortField || f.id === sortField)) return fail(422, 'UNKNOWN_FIELD_NAME', `Unknown field name: "${sortField}"`);
            const direction = first(req.query['sort[0][direction]']) ?? 'asc';
            if (direction !== 'asc' && direction !== 'desc') return invalidRequest();
            const name = table.fields.find((f) => f.name === sortField || f.id === sortField)!.name;
            const value = (r: FakeAirtableRecord) => (r.fields[name] ?? '') as string | number;
            records.sort((a, b) => (value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : 0) * (direction === 'desc' ? -1 : 1));
          }
          records = records.slice(0, maxRecords);
          const offset = first(req.query.offset);
          let start = 0;
          if (offset !== undefined) {
            const m = /^itr[A-Za-z0-9]+\/(rec[A-Za-z0-9]+)$/.exec(offset);
            start = m ? records.findIndex((r) => r.id === m[1]) : -1;
            if (start < 0) return fail(422, 'LIST_RECORDS_ITERATOR_NOT_AVAILABLE', 'The offset is no longer valid; start the list again.');
          }
          const page = records.slice(start, start + pageSize);
          const next = records[start + pageSize];
          return { body: { records: page, ...(next ? { offset: `itr${table.id.slice(3)}/${next.id}` } : {}) } };
        },
      },
      {
        method: 'POST',
        path: '/v0/:baseId/:table',
        handle: (req, params) => {
          const at = locate(params);
          if ('refusal' in at) return at.refusal;
          const { base, table } = at;
          if (base.permissionLevel === 'read' || base.permissionLevel === 'comment') return fail(403, 'INVALID_PERMISSIONS', 'You are not permitted to perform this operation');
          const body = (req.body ?? {}) as { fields?: unknown; records?: unknown; typecast?: unknown };
          if (body.typecast !== undefined && typeof body.typecast !== 'boolean') return invalidRequest();
          const typecast = body.typecast === true;
          if (body.records !== undefined) {
            if (!Array.isArray(body.records) || body.records.length === 0 || body.records.length > 10) return invalidRequest();
            const checked: Array<Record<string, unknown>> = [];
            for (const r of body.records as Array<{ fields?: unknown }>) {
              const fields = checkFields(table, r?.fields, typecast);
              if ('refusal' in fields) return fields.refusal;
              checked.push(fields.fields);
            }
            return { body: { records: checked.map((f) => addRecord(base.id, table.id, f)) } };
          }
          if (body.fields === undefined) return fail(422, 'INVALID_REQUEST_MISSING_FIELDS', 'Could not find field "fields" in the request body');
          const fields = checkFields(table, body.fields, typecast);
          if ('refusal' in fields) return fields.refusal;
          return { body: addRecord(base.id, table.id, fields.fields) };
        },
      },
      {
        method: 'GET',
        path: '/v0/:baseId/:table/:recordId',
        handle: (_req, params) => {
          const at = locate(params);
          if ('refusal' in at) return at.refusal;
          const record = at.table.records.find((r) => r.id === params.recordId);
          if (!record) return fail(404, 'MODEL_ID_NOT_FOUND', `Could not find a record with ID "${params.recordId}".`);
          return { body: record };
        },
      },
      {
        method: 'PATCH',
        path: '/v0/:baseId/:table/:recordId',
        handle: (req, params) => {
          const at = locate(params);
          if ('refusal' in at) return at.refusal;
          const { base, table } = at;
          if (base.permissionLevel === 'read' || base.permissionLevel === 'comment') return fail(403, 'INVALID_PERMISSIONS', 'You are not permitted to perform this operation');
          const record = table.records.find((r) => r.id === params.recordId);
          if (!record) return fail(404, 'MODEL_ID_NOT_FOUND', `Could not find a record with ID "${params.recordId}".`);
          const body = (req.body ?? {}) as { fields?: unknown; typecast?: unknown };
          if (body.typecast !== undefined && typeof body.typecast !== 'boolean') return invalidRequest();
          if (body.fields === undefined) return fail(422, 'INVALID_REQUEST_MISSING_FIELDS', 'Could not find field "fields" in the request body');
          const fields = checkFields(table, body.fields, body.typecast === true);
          if ('refusal' in fields) return fields.refusal;
          Object.assign(record.fields, fields.fields);
          return { body: record };
        },
      },
    ],
  });
  return Object.assign(fake, { bases, tokens, addRecord });
}
