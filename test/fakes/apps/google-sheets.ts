import { startAppFake, type AppFake, type FakeAnswer, type RecordedRequest } from '../app-fake';

/**
 * A fake of the Google Sheets API v4 (sheets.googleapis.com): spreadsheets of tabs of rows, read and
 * written in A1 notation. Errors are Google's `{ error: { code, message, status } }`.
 * https://developers.google.com/workspace/sheets/api/reference/rest
 */

export const GOOGLE_SHEETS_TOKEN = 'ya29.a0-good-sheets-token';
/** Google's public quickstart sample spreadsheet, readable with any Sheets token. */
export const GOOGLE_SHEETS_SAMPLE_ID = '1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms';
/** The account's own spreadsheet in the fake. */
export const GOOGLE_SHEETS_SPREADSHEET_ID = '1qpyC0XzvTcKT6EISywvqESX3A0MwQoFDE8p-Bll4hps';

export interface FakeSheet {
  sheetId: number;
  title: string;
  rows: unknown[][];
}

export interface FakeSpreadsheet {
  spreadsheetId: string;
  title: string;
  sheets: FakeSheet[];
}

export interface GoogleSheetsFake extends AppFake {
  spreadsheets: Map<string, FakeSpreadsheet>;
  /** Tokens the fake accepts (Bearer). */
  tokens: Set<string>;
}

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function errorBody(status: number, message: string) {
  return { error: { code: status, message, status: STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION') } };
}

const fail = (status: number, message: string): FakeAnswer => ({ status, body: errorBody(status, message) });

// A1 notation: column letters <-> zero-based index.
function columnIndex(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}
function columnLetters(index: number): string {
  let out = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) out = String.fromCharCode(65 + ((n - 1) % 26)) + out;
  return out;
}
function quoteTitle(title: string): string {
  return /^[A-Za-z0-9_]+$/.test(title) ? title : `'${title.replace(/'/g, "''")}'`;
}

interface Area {
  sheet: FakeSheet;
  r0: number;
  c0: number;
  /** Inclusive ends; Infinity when the range is open (A:C, Sheet1). */
  r1: number;
  c1: number;
}

/** Reads a range in A1 notation (`Sheet1!A1:C10`, `'My tab'!A:C`, `Sheet1`, `A1:B2` on the first tab). */
function parseRange(book: FakeSpreadsheet, range: string): Area | undefined {
  const bang = range.lastIndexOf('!');
  let title: string | undefined;
  let cells: string;
  if (bang >= 0) {
    title = range.slice(0, bang);
    cells = range.slice(bang + 1);
  } else if (book.sheets.some((s) => s.title === range.replace(/^'(.*)'$/, '$1').replace(/''/g, "'"))) {
    title = range;
    cells = '';
  } else {
    cells = range;
  }
  if (title !== undefined) title = title.replace(/^'(.*)'$/, '$1').replace(/''/g, "'");
  const sheet = title === undefined ? book.sheets[0] : book.sheets.find((s) => s.title === title);
  if (!sheet) return undefined;
  if (cells === '') return { sheet, r0: 0, c0: 0, r1: Infinity, c1: Infinity };
  const ends = cells.split(':');
  if (ends.length > 2) return undefined;
  const parsed = ends.map((e) => /^([A-Za-z]*)(\d*)$/.exec(e));
  if (parsed.some((m) => !m || (!m[1] && !m[2]))) return undefined;
  const [a, b = a] = parsed as RegExpExecArray[];
  return {
    sheet,
    c0: a![1] ? columnIndex(a![1]) : 0,
    r0: a![2] ? Number(a![2]) - 1 : 0,
    c1: b![1] ? columnIndex(b![1]) : Infinity,
    r1: b![2] ? Number(b![2]) - 1 : Infinity,
  };
}

function a1(sheet: FakeSheet, r0: number, c0: number, r1: number, c1: number): string {
  return `${quoteTitle(sheet.title)}!${columnLetters(c0)}${r0 + 1}:${columnLetters(c1)}${r1 + 1}`;
}

const isEmpty = (v: unknown) => v === undefined || v === null || v === '';

/** What USER_ENTERED does to a typed value, roughly: numbers and booleans typed as text become numbers and booleans. */
function userEntered(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (/^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  if (/^(true|false)$/i.test(v.trim())) return v.trim().toUpperCase() === 'TRUE';
  return v;
}

function formatted(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return typeof v === 'number' ? String(v) : v;
}

function readValues(req: RecordedRequest, area: Area): unknown[][] {
  const render = req.query.valueRenderOption ?? 'FORMATTED_VALUE';
  const out: unknown[][] = [];
  const lastRow = Math.min(area.r1, area.sheet.rows.length - 1);
  for (let r = area.r0; r <= lastRow; r++) {
    const row = area.sheet.rows[r] ?? [];
    const cells = row.slice(area.c0, area.c1 === Infinity ? undefined : area.c1 + 1).map((v) => (isEmpty(v) ? '' : render === 'FORMATTED_VALUE' ? formatted(v) : v));
    while (cells.length && cells[cells.length - 1] === '') cells.pop();
    out.push(cells);
  }
  while (out.length && out[out.length - 1]!.length === 0) out.pop();
  return out;
}

function checkRows(values: unknown): values is unknown[][] {
  return Array.isArray(values) && values.every((row) => Array.isArray(row));
}

function write(sheet: FakeSheet, r0: number, c0: number, values: unknown[][], input: string) {
  values.forEach((row, i) => {
    const target = (sheet.rows[r0 + i] ??= []);
    row.forEach((v, j) => {
      target[c0 + j] = input === 'USER_ENTERED' ? userEntered(v) : v;
    });
  });
  for (let r = 0; r < sheet.rows.length; r++) sheet.rows[r] ??= [];
}

export async function startGoogleSheetsFake(): Promise<GoogleSheetsFake> {
  const spreadsheets = new Map<string, FakeSpreadsheet>();
  const tokens = new Set([GOOGLE_SHEETS_TOKEN]);
  // Google's public quickstart sample (the connector's account check reads its id), and the account's own spreadsheet.
  spreadsheets.set(GOOGLE_SHEETS_SAMPLE_ID, {
    spreadsheetId: GOOGLE_SHEETS_SAMPLE_ID,
    title: 'Example Spreadsheet',
    sheets: [{ sheetId: 0, title: 'Class Data', rows: [['Student Name', 'Gender', 'Class Level', 'Home State', 'Major', 'Extracurricular Activity']] }],
  });
  spreadsheets.set(GOOGLE_SHEETS_SPREADSHEET_ID, {
    spreadsheetId: GOOGLE_SHEETS_SPREADSHEET_ID,
    title: 'Orders 2024',
    sheets: [
      {
        sheetId: 0,
        title: 'Orders',
        rows: [
          ['Order', 'Customer', 'Total'],
          ['1001', 'Ada Lovelace', 42.5],
        ],
      },
      { sheetId: 1837, title: 'Q3 summary', rows: [] },
    ],
  });

  const book = (id: string) => spreadsheets.get(id);
  const valueInputOption = (req: RecordedRequest): string | FakeAnswer => {
    const v = req.query.valueInputOption;
    if (v === undefined) return fail(400, "'valueInputOption' is required but not specified");
    if (v !== 'RAW' && v !== 'USER_ENTERED') return fail(400, `Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), "${String(v)}"`);
    return v;
  };

  const fake = await startAppFake({
    name: 'Google Sheets',
    errorBody,
    authorize(req) {
      const header = req.headers.authorization;
      if (!header)
        return fail(
          401,
          'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        );
      const token = /^Bearer (.+)$/.exec(header)?.[1];
      if (!token || !tokens.has(token))
        return fail(
          401,
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
        );
      return undefined;
    },
    routes: [
      {
        method: 'GET',
        path: '/v4/spreadsheets/:id',
        handle(req, { id }) {
          const b = book(id!);
          if (!b) return fail(404, 'Requested entity was not found.');
          const sheets = b.sheets.map((s, index) => ({
            properties: {
              sheetId: s.sheetId,
              title: s.title,
              index,
              sheetType: 'GRID',
              gridProperties: { rowCount: Math.max(1000, s.rows.length), columnCount: 26 },
            },
          }));
          // A partial answer (`fields`): the two masks the connector sends.
          if (req.query.fields === 'sheets.properties') return { body: { sheets } };
          if (req.query.fields === 'spreadsheetId') return { body: { spreadsheetId: b.spreadsheetId } };
          return {
            body: {
              spreadsheetId: b.spreadsheetId,
              properties: { title: b.title, locale: 'en_US', timeZone: 'Etc/GMT' },
              sheets,
              spreadsheetUrl: `https://docs.google.com/spreadsheets/d/${b.spreadsheetId}/edit`,
            },
          };
        },
      },
      {
        method: 'GET',
        path: '/v4/spreadsheets/:id/values/:range',
        handle(req, { id, range }) {
          const b = book(id!);
          if (!b) return fail(404, 'Requested entity was not found.');
          const area = parseRange(b, range!);
          if (!area) return fail(400, `Unable to parse range: ${range}`);
          const values = readValues(req, area);
          const lastCol = values.reduce((m, row) => Math.max(m, row.length), 0);
          const shown = a1(
            area.sheet,
            area.r0,
            area.c0,
            area.r1 === Infinity ? Math.max(area.r0, area.sheet.rows.length - 1) : area.r1,
            area.c1 === Infinity ? area.c0 + Math.max(lastCol, 1) - 1 : area.c1,
          );
          // An empty range has no `values` at all.
          return { body: { range: shown, majorDimension: 'ROWS', ...(values.length ? { values } : {}) } };
        },
      },
      {
        method: 'POST',
        path: '/v4/spreadsheets/:id/values/:rangeAppend',
        handle(req, { id, rangeAppend }) {
          if (!rangeAppend!.endsWith(':append')) return fail(404, `no route POST ${req.path}`);
          const range = rangeAppend!.slice(0, -':append'.length);
          const b = book(id!);
          if (!b) return fail(404, 'Requested entity was not found.');
          const input = valueInputOption(req);
          if (typeof input !== 'string') return input;
          const area = parseRange(b, range);
          if (!area) return fail(400, `Unable to parse range: ${range}`);
          const values = (req.body as { values?: unknown } | undefined)?.values;
          if (!checkRows(values)) return fail(400, 'Invalid values[0]: list_value must be a list of lists');
          // The table is the rows with data from the range's start; the values go on the rows after it.
          let last = area.r0 - 1;
          for (let r = area.r0; r < area.sheet.rows.length; r++) if ((area.sheet.rows[r] ?? []).slice(area.c0).some((v) => !isEmpty(v))) last = r;
          const width = values.reduce((m, row) => Math.max(m, row.length), 0);
          const tableRange = last >= area.r0 ? a1(area.sheet, area.r0, area.c0, last, area.c0 + Math.max(width, 1) - 1) : undefined;
          write(area.sheet, last + 1, area.c0, values, input);
          const cells = values.reduce((n, row) => n + row.length, 0);
          return {
            body: {
              spreadsheetId: b.spreadsheetId,
              ...(tableRange ? { tableRange } : {}),
              updates: {
                spreadsheetId: b.spreadsheetId,
                updatedRange: a1(area.sheet, last + 1, area.c0, last + values.length, area.c0 + Math.max(width, 1) - 1),
                updatedRows: values.length,
                updatedColumns: width,
                updatedCells: cells,
              },
            },
          };
        },
      },
      {
        method: 'PUT',
        path: '/v4/spreadsheets/:id/values/:range',
        handle(req, { id, range }) {
          const b = book(id!);
          if (!b) return fail(404, 'Requested entity was not found.');
          const input = valueInputOption(req);
          if (typeof input !== 'string') return input;
          const area = parseRange(b, range!);
          if (!area) return fail(400, `Unable to parse range: ${range}`);
          const body = (req.body ?? {}) as { range?: unknown; values?: unknown };
          if (body.range !== undefined && body.range !== range) return fail(400, `Requested writing within range [${String(body.range)}], but tried writing to [${range}]`);
          if (!checkRows(body.values)) return fail(400, 'Invalid values[0]: list_value must be a list of lists');
          const values = body.values;
          const width = values.reduce((m, row) => Math.max(m, row.length), 0);
          if (area.r1 !== Infinity && values.length > area.r1 - area.r0 + 1)
            return fail(400, `Requested writing within range [${range}], but tried writing ${values.length} rows.`);
          write(area.sheet, area.r0, area.c0, values, input);
          return {
            body: {
              spreadsheetId: b.spreadsheetId,
              updatedRange: a1(area.sheet, area.r0, area.c0, area.r0 + values.length - 1, area.c0 + Math.max(width, 1) - 1),
              updatedRows: values.length,
              updatedColumns: width,
              updatedCells: values.reduce((n, row) => n + row.length, 0),
            },
          };
        },
      },
    ],
  });
  return Object.assign(fake, { spreadsheets, tokens });
}
