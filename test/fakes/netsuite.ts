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

// RFC 3986 percent-encoding, as OAuth 1.0a (RFC 5849 §3.6) requires: everything but ALPHA DIGIT - . _ ~.
const pct = (s: string) =>
  Buffer.from(s, 'utf8').reduce(
    (out, b) => out + (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`),
    '',
  );

/** Why an `Authorization: OAuth …` header does not authenticate the request, or undefined when it does. */
function checkOAuth(req: http.IncomingMessage, account: typeof NETSUITE_ACCOUNT, nonces: Set<string>, anyAccount: boolean): string | undefined {
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
  const url = new URL(req.url ?? '/', `http://${(req.headers.host ?? '').toLowerCase()}`);
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
 * errors NetSuite's RFC 7807 error body. With `anyAccount` it also takes a request of any other
 * account, as a sandbox that knows every account would, checking all but the signature (whose
 * secrets it does not know): what a test server gets when its test brings no NetSuite.
 */
export async function startFakeNetSuite(account = NETSUITE_ACCOUNT, options: { anyAccount?: boolean } = {}) {
  const invoices: FakeInvoice[] = [];
  const rejections: string[] = [];
  const nonces = new Set<string>();
  let nextId = 5001;

  const fail = (res: http.ServerResponse, status: number, title: string, detail: string, code: string) =>
    res.writeHead(status, { 'content-type': 'application/vnd.oracle.resource+json; type=error' }).end(
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

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const why = checkOAuth(req, account, nonces, options.anyAccount ?? false);
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
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type FakeNetSuite = Awaited<ReturnType<typeof startFakeNetSuite>>;
