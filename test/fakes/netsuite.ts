import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The token-based-authentication integration the fake account knows. */
export const NETSUITE_ACCOUNT = {
  accountId: '1234567_SB1',
  consumerKey: 'ck_4f1b2c',
  consumerSecret: 'cs_secret/with+odd=chars&more',
  tokenId: 'tk_9a8b7c',
  tokenSecret: 'ts_secret!*()~',
};

export interface FakeInvoice {
  id: string;
  body: Record<string, unknown>;
  headers: http.IncomingHttpHeaders;
}

/** An invoice as SuiteQL's `transaction` table has it (type CustInvc); `lastmodified` is `YYYY-MM-DD HH24:MI:SS`. */
export interface FakeTransaction {
  id: number;
  tranid: string;
  entity: string;
  trandate: string;
  foreigntotal: number;
  currency: string;
  status: string;
  lastmodified: string;
}

/** A SuiteQL request as the fake received it. */
export interface SuiteQLRequest {
  q: string;
  limit: number;
  offset: number;
  prefer: string | undefined;
}

/** A request the fake holds unanswered (a NetSuite that hangs): `arrived` resolves when it comes. */
export interface HeldRequest {
  arrived: Promise<SuiteQLRequest>;
  /** Answers it after all (if its client is still there). */
  release(): void;
}

const TIME = `'YYYY-MM-DD HH24:MI:SS'`;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// The queries the fake understands: invoices in (last-modified, id) order, from or after a last-modified time.
const SUITEQL = new RegExp(`^SELECT (.+?) FROM transaction WHERE type = 'CustInvc'(.*?) ORDER BY lastmodifieddate, id$`, 's');
const FROM = new RegExp(`^ AND lastmodifieddate >= TO_TIMESTAMP\\('([^']+)', ${esc(TIME)}\\)$`);
const AFTER = new RegExp(
  `^ AND \\(lastmodifieddate > TO_TIMESTAMP\\('([^']+)', ${esc(TIME)}\\) OR \\(lastmodifieddate = TO_TIMESTAMP\\('\\1', ${esc(TIME)}\\) AND id > (\\d+)\\)\\)$`,
);
/** The columns of `transaction` the fake has (its last-modified time only through TO_CHAR, as the source asks for it). */
const COLUMNS = new Set(['id', 'tranid', 'entity', 'trandate', 'foreigntotal', 'currency', 'status']);
const TO_CHAR = new RegExp(`^TO_CHAR\\(lastmodifieddate, ${esc(TIME)}\\) AS (\\w+)$`, 'i');

/**
 * Runs the fake's kind of SuiteQL over `invoices`: the rows (selected columns, with SuiteQL's empty
 * `links`) in (last-modified, id) order from its cursor, or why NetSuite would refuse the query.
 */
function runSuiteQL(q: string, invoices: readonly FakeTransaction[]): { rows: Record<string, unknown>[] } | { error: string } {
  const query = SUITEQL.exec(q.trim());
  if (!query) return { error: 'Invalid search query. Detailed unprocessed description follows. Search error occurred: Invalid or unsupported search.' };
  const [, select, where] = query;
  let keep: (t: FakeTransaction) => boolean = () => true;
  const from = FROM.exec(where!);
  const after = AFTER.exec(where!);
  if (from) keep = (t) => t.lastmodified >= from[1]!;
  else if (after) keep = (t) => t.lastmodified > after[1]! || (t.lastmodified === after[1]! && t.id > Number(after[2]));
  else if (where) return { error: `Invalid search query. Detailed unprocessed description follows. Search error occurred: Invalid or unsupported search: ${where.trim()}` };
  const columns: Array<[string, keyof FakeTransaction]> = [];
  // Commas inside TO_CHAR(…) do not separate columns.
  for (const item of select!.split(/,(?![^(]*\))/).map((c) => c.trim())) {
    const alias = TO_CHAR.exec(item);
    if (alias) columns.push([alias[1]!.toLowerCase(), 'lastmodified']);
    else if (COLUMNS.has(item.toLowerCase())) columns.push([item.toLowerCase(), item.toLowerCase() as keyof FakeTransaction]);
    else return { error: `Invalid search query. Detailed unprocessed description follows. Search error occurred: Field '${item}' for record 'transaction' was not found.` };
  }
  const rows = invoices
    .filter(keep)
    .sort((a, b) => (a.lastmodified < b.lastmodified ? -1 : a.lastmodified > b.lastmodified ? 1 : a.id - b.id))
    // SuiteQL answers every value as text.
    .map((t) => ({ links: [], ...Object.fromEntries(columns.map(([name, field]) => [name, String(t[field])])) }));
  return { rows };
}

// RFC 3986 percent-encoding, as OAuth 1.0a (RFC 5849 §3.6) requires: everything but ALPHA DIGIT - . _ ~.
const pct = (s: string) =>
  Buffer.from(s, 'utf8').reduce(
    (out, b) => out + (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`),
    '',
  );

/** Why an `Authorization: OAuth …` header does not authenticate the request, or undefined when it does. */
function checkOAuth(req: http.IncomingMessage, account: typeof NETSUITE_ACCOUNT, nonces: Set<string>, anyAccount: boolean, signedOrigin?: string): string | undefined {
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('OAuth ')) return 'no OAuth authorization header';
  const params = new Map<string, string>();
  for (const [, k, v] of header.slice(6).matchAll(/([A-Za-z_]+)="([^"]*)"/g)) params.set(k!, decodeURIComponent(v!));
  if (params.get('oauth_signature_method') !== 'HMAC-SHA256') return 'signature method is not HMAC-SHA256';
  if (!anyAccount) {
    if (params.get('realm') !== account.accountId) return `wrong realm ${params.get('realm')}`;
    if (params.get('oauth_consumer_key') !== account.consumerKey) return 'unknown consumer key';
    if (params.get('oauth_token') !== account.tokenId) return 'unknown token';
  }
  if (params.has('oauth_version') && params.get('oauth_version') !== '1.0') return 'oauth_version is not 1.0';
  const timestamp = Number(params.get('oauth_timestamp'));
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return 'timestamp missing or too far from now';
  const nonce = params.get('oauth_nonce') ?? '';
  if (!nonce || nonces.has(nonce)) return 'nonce missing or already used';
  const given = params.get('oauth_signature') ?? '';
  // An account the fake was not given: its secrets are unknown, so the signature cannot be checked.
  const known = params.get('realm') === account.accountId && params.get('oauth_consumer_key') === account.consumerKey && params.get('oauth_token') === account.tokenId;
  if (anyAccount && !known) {
    if (!given) return 'no signature';
    nonces.add(nonce);
    return undefined;
  }

  // RFC 5849 §3.4.1: METHOD & base URI & sorted, encoded parameters (oauth_* but realm and signature, plus the query).
  // The client signs for the origin it called: the Host header, unless it reached the fake through a proxy (`signedOrigin`).
  const url = new URL(req.url ?? '/', signedOrigin ?? `http://${(req.headers.host ?? '').toLowerCase()}`);
  const pairs: Array<[string, string]> = [...params].filter(([k]) => k !== 'realm' && k !== 'oauth_signature');
  for (const [k, v] of url.searchParams) pairs.push([k, v]);
  const normalized = pairs
    .map(([k, v]) => [pct(k), pct(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const base = `${req.method!.toUpperCase()}&${pct(`${url.protocol}//${url.host}${url.pathname}`)}&${pct(normalized)}`;
  const expected = createHmac('sha256', `${pct(account.consumerSecret)}&${pct(account.tokenSecret)}`)
    .update(base)
    .digest('base64');
  if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) return 'signature mismatch';
  nonces.add(nonce);
  return undefined;
}

/**
 * NetSuite's SuiteTalk REST record service on 127.0.0.1: `POST /services/rest/record/v1/invoice`
 * and the invoice collection `GET /services/rest/record/v1/invoice?limit=&offset=`, authenticated
 * with token-based authentication (OAuth 1.0a, HMAC-SHA256), which the fake checks by recomputing
 * the signature from the header's own nonce and timestamp (query included). A POST answers 204 with
 * the new record's `Location`, a GET a page `{ links, count, hasMore, items, offset, totalResults }`;
 * errors NetSuite's RFC 7807 error body. SuiteQL (`POST /services/rest/query/v1/suiteql`, `Prefer:
 * transient`) answers the invoice queries of the `invoices` list source over `transactions`, page by
 * page; a test adds and changes invoices, makes requests fail (`failSuiteQL`) or hang
 * (`holdNextSuiteQL`). With `anyAccount` it also takes a request of any other
 * account, as a sandbox that knows every account would, checking all but the signature (whose
 * secrets it does not know): what a test server gets when its test brings no NetSuite.
 */
export async function startFakeNetSuite(account = NETSUITE_ACCOUNT, options: { anyAccount?: boolean } = {}) {
  const invoices: FakeInvoice[] = [];
  const rejections: string[] = [];
  const nonces = new Set<string>();
  let nextId = 5001;

  const fail = (res: http.ServerResponse, status: number, title: string, detail: string, code: string, headers: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': 'application/vnd.oracle.resource+json; type=error', ...headers }).end(
      JSON.stringify({
        type: `https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.${status === 401 ? 2 : status === 404 ? 5 : 1}`,
        title,
        status,
        'o:errorDetails': [{ detail, 'o:errorCode': code }],
      }),
    );

  /** One page of the invoice collection (REST web services collection paging: `limit` 1–1000, `offset`). */
  const listInvoices = (res: http.ServerResponse, requestUrl: URL) => {
    const limit = Number(requestUrl.searchParams.get('limit') ?? 1000);
    const offset = Number(requestUrl.searchParams.get('offset') ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000 || !Number.isInteger(offset) || offset < 0) {
      return fail(res, 400, 'Bad Request', 'Invalid limit or offset.', 'INVALID_PARAMETER');
    }
    const page = invoices.slice(offset, offset + limit);
    const href = (id: string) => `${url}/services/rest/record/v1/invoice/${id}`;
    res.writeHead(200, { 'content-type': 'application/vnd.oracle.resource+json; type=collection' }).end(
      JSON.stringify({
        links: [{ rel: 'self', href: `${url}${requestUrl.pathname}${requestUrl.search}` }],
        count: page.length,
        hasMore: offset + limit < invoices.length,
        items: page.map((i) => ({ links: [{ rel: 'self', href: href(i.id) }], id: i.id })),
        offset,
        totalResults: invoices.length,
      }),
    );
  };

  const transactions: FakeTransaction[] = [];
  const suiteqlRequests: SuiteQLRequest[] = [];
  // By the index of the SuiteQL request they are for.
  const suiteqlFailures = new Map<number, { status: number; title: string; detail: string; code: string; headers?: Record<string, string> }>();
  const holds = new Map<number, { arrive: (r: SuiteQLRequest) => void; released: Promise<void> }>();
  const pending = new Set<http.ServerResponse>();
  let signedOrigin: string | undefined;

  /**
   * `POST /services/rest/query/v1/suiteql?limit=&offset=` with `Prefer: transient` and `{ "q": … }`:
   * a page `{ links, count, hasMore, items, offset, totalResults }` of what the query selects.
   */
  const suiteql = async (req: http.IncomingMessage, res: http.ServerResponse, requestUrl: URL, raw: string) => {
    const limit = Number(requestUrl.searchParams.get('limit') ?? 1000);
    const offset = Number(requestUrl.searchParams.get('offset') ?? 0);
    let q: unknown;
    try {
      q = (JSON.parse(raw) as { q?: unknown }).q;
    } catch {
      return fail(res, 400, 'Bad Request', 'Invalid JSON in the request body.', 'INVALID_CONTENT');
    }
    const request = { q: String(q), limit, offset, prefer: req.headers.prefer as string | undefined };
    const index = suiteqlRequests.push(request) - 1;
    const hold = holds.get(index);
    if (hold) {
      pending.add(res);
      hold.arrive(request);
      await hold.released;
      pending.delete(res);
      if (res.destroyed) return;
    }
    const failure = suiteqlFailures.get(index);
    if (failure) return fail(res, failure.status, failure.title, failure.detail, failure.code, failure.headers);
    if (req.headers.prefer !== 'transient') return fail(res, 400, 'Bad Request', 'The request must have the header Prefer: transient.', 'INVALID_HEADER');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000 || !Number.isInteger(offset) || offset < 0) {
      return fail(res, 400, 'Bad Request', 'Invalid limit or offset.', 'INVALID_PARAMETER');
    }
    if (typeof q !== 'string') return fail(res, 400, 'Bad Request', 'The request body must have the query in "q".', 'INVALID_CONTENT');
    const result = runSuiteQL(q, transactions);
    if ('error' in result) return fail(res, 400, 'Bad Request', result.error, 'INVALID_PARAMETER');
    const page = result.rows.slice(offset, offset + limit);
    const hasMore = offset + limit < result.rows.length;
    const link = (rel: string, at: number) => ({ rel, href: `${url}${requestUrl.pathname}?limit=${limit}&offset=${at}` });
    res.writeHead(200, { 'content-type': 'application/vnd.oracle.resource+json; type=collection' }).end(
      JSON.stringify({
        links: [...(hasMore ? [link('next', offset + limit)] : []), link('self', offset)],
        count: page.length,
        hasMore,
        items: page,
        offset,
        totalResults: result.rows.length,
      }),
    );
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const why = checkOAuth(req, account, nonces, options.anyAccount ?? false, signedOrigin);
      if (why) {
        rejections.push(why);
        return fail(
          res,
          401,
          'Unauthorized',
          'Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.',
          'INVALID_LOGIN',
        );
      }
      const requestUrl = new URL(req.url ?? '/', 'http://fake');
      const path = requestUrl.pathname;
      if (path === '/services/rest/record/v1/invoice' && req.method === 'GET') return listInvoices(res, requestUrl);
      if (path === '/services/rest/query/v1/suiteql' && req.method === 'POST') return void suiteql(req, res, requestUrl, Buffer.concat(chunks).toString('utf8'));
      if (path !== '/services/rest/record/v1/invoice' || req.method !== 'POST') return fail(res, 404, 'Not Found', `Record type or path ${path} does not exist.`, 'NONEXISTENT_ID');
      if (!/^application\/(json|vnd\.oracle\.resource\+json)/i.test(req.headers['content-type'] ?? '')) {
        return fail(res, 415, 'Unsupported Media Type', 'The request body must be JSON.', 'INVALID_CONTENT_TYPE');
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return fail(res, 400, 'Bad Request', 'Invalid JSON in the request body.', 'INVALID_CONTENT');
      }
      if (invoices.some((i) => body.externalId !== undefined && i.body.externalId === body.externalId)) {
        return fail(res, 400, 'Bad Request', 'A record with the same external ID already exists.', 'DUP_RCRD');
      }
      const id = String(nextId++);
      invoices.push({ id, body, headers: req.headers });
      res.writeHead(204, { location: `${url}/services/rest/record/v1/invoice/${id}` }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    account,
    invoices,
    /** Why each refused request was refused (`signature mismatch`, `nonce missing or already used`…). */
    rejections,
    /** The invoices SuiteQL sees (`transaction` of type CustInvc): a test adds and changes them. */
    transactions,
    /** Every SuiteQL request, in order. */
    suiteqlRequests,
    /**
     * The origin (`http://127.0.0.1:8123`) clients sign their requests for when they reach the fake
     * through a proxy (the connector kit's recording proxy), which sends the fake's own Host: the
     * signature's base URI is then checked with it. Unset (the default), the Host header is used.
     */
    set signedOrigin(origin: string | undefined) {
      signedOrigin = origin === undefined ? undefined : new URL(origin).origin;
    },
    /** Adds an invoice to what SuiteQL sees, last modified at `lastmodified` (`YYYY-MM-DD HH:MM:SS`). */
    addInvoice(lastmodified: string, fields: Partial<Omit<FakeTransaction, 'lastmodified'>> = {}): FakeTransaction {
      const id = fields.id ?? nextId++;
      const invoice = { tranid: `INV${id}`, entity: '42', trandate: lastmodified.slice(0, 10), foreigntotal: 100, currency: '1', status: 'A', ...fields, id, lastmodified };
      transactions.push(invoice);
      return invoice;
    },
    /** Changes an invoice, as saving it in NetSuite would: its last-modified time moves to `lastmodified`. */
    changeInvoice(id: number, lastmodified: string, fields: Partial<Omit<FakeTransaction, 'id' | 'lastmodified'>> = {}): void {
      const invoice = transactions.find((t) => t.id === id);
      if (!invoice) throw new Error(`fake NetSuite: no invoice ${id}`);
      Object.assign(invoice, fields, { lastmodified });
    },
    /**
     * `count` SuiteQL requests fail with `status` and NetSuite's error body (429: concurrency limit;
     * 503: unavailable): the next ones, or those after the next `after`.
     */
    failSuiteQL(count: number, status: 429 | 500 | 503 | 400 | 401, options: { headers?: Record<string, string>; after?: number } = {}) {
      const kinds = {
        429: { title: 'Too Many Requests', detail: 'Concurrent request limit exceeded. Request blocked.', code: 'CONCURRENCY_LIMIT_EXCEEDED' },
        500: { title: 'Internal Server Error', detail: 'An unexpected error occurred.', code: 'UNEXPECTED_ERROR' },
        503: { title: 'Service Unavailable', detail: 'The service is temporarily unavailable.', code: 'SERVICE_UNAVAILABLE' },
        400: { title: 'Bad Request', detail: 'Invalid search query.', code: 'INVALID_PARAMETER' },
        401: { title: 'Unauthorized', detail: 'Invalid login attempt.', code: 'INVALID_LOGIN' },
      };
      const first = suiteqlRequests.length + (options.after ?? 0);
      for (let i = 0; i < count; i++) suiteqlFailures.set(first + i, { status, headers: options.headers, ...kinds[status] });
    },
    /** Holds a SuiteQL request unanswered until `release()` (a NetSuite that hangs mid-poll): the next one, or the one after the next `after`. */
    holdSuiteQL(after = 0): HeldRequest {
      let arrive!: (r: SuiteQLRequest) => void;
      let release!: () => void;
      const arrived = new Promise<SuiteQLRequest>((resolve) => (arrive = resolve));
      holds.set(suiteqlRequests.length + after, { arrive, released: new Promise<void>((resolve) => (release = resolve)) });
      return { arrived, release };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of pending) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type FakeNetSuite = Awaited<ReturnType<typeof startFakeNetSuite>>;
