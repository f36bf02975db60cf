import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { NonRetriableError } from '../engine/errors';
import { inAppWords } from './app-errors';
import { defineAction, defineListSource, type Connector, type ListPage, type OptionContext } from './types';

const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The OAuth 1.0a header NetSuite's token-based authentication wants: HMAC-SHA256 over the method,
 * the URL without its query, and every oauth and query parameter, sorted.
 */
export function netsuiteAuthorization(
  method: string,
  url: string,
  c: { accountId: string; consumerKey: string; consumerSecret: string; tokenId: string; tokenSecret: string },
  nonce = randomBytes(16).toString('hex'),
  timestamp = Math.floor(Date.now() / 1000),
): string {
  const u = new URL(url);
  const oauth: Record<string, string> = {
    oauth_consumer_key: c.consumerKey,
    oauth_nonce: nonce,
    oauth_signature_method: 'HMAC-SHA256',
    oauth_timestamp: String(timestamp),
    oauth_token: c.tokenId,
    oauth_version: '1.0',
  };
  const params = [...Object.entries(oauth), ...u.searchParams.entries()]
    .map(([k, v]) => [enc(k), enc(v)])
    .sort(([a, x], [b, y]) => (a === b ? (x! < y! ? -1 : 1) : a! < b! ? -1 : 1));
  const base = [method.toUpperCase(), enc(`${u.origin}${u.pathname}`), enc(params.map(([k, v]) => `${k}=${v}`).join('&'))].join('&');
  const signature = createHmac('sha256', `${enc(c.consumerSecret)}&${enc(c.tokenSecret)}`)
    .update(base)
    .digest('base64');
  const realm = c.accountId.toUpperCase().replace(/-/g, '_');
  return `OAuth realm="${realm}", ${Object.entries({ ...oauth, oauth_signature: signature })
    .map(([k, v]) => `${k}="${enc(v)}"`)
    .join(', ')}`;
}

/**
 * A NetSuite account id (`1234567`, `1234567_SB1`, `TSTDRV1234567`; `1234567-sb1` as in its
 * hostnames): letters, digits, `_` and `-`, starting and ending with a letter or digit, at most 63
 * characters. Its host form (lower case, `_` as `-`) is then exactly one DNS label, so the default
 * API host is always a subdomain of suitetalk.api.netsuite.com.
 */
export const NETSUITE_ACCOUNT_ID = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;
const ACCOUNT_ID_MESSAGE = 'must be a NetSuite account id: letters, digits, "_" and "-", such as 1234567 or 1234567_SB1';

type TokenCredential = Parameters<typeof netsuiteAuthorization>[2];

/** The account's token-based-authentication credential, checked, and where its REST API is. */
function accountApi(ctx: Pick<OptionContext, 'credential' | 'settings'>): { c: TokenCredential; base: string } {
  const c = ctx.credential;
  if (!c?.accountId || !c.consumerKey || !c.consumerSecret || !c.tokenId || !c.tokenSecret) {
    throw new NonRetriableError('NetSuite: the credential needs the account id, consumer key and secret, token id and secret');
  }
  // Credentials stored before the id was checked on the way in are checked here too.
  if (!NETSUITE_ACCOUNT_ID.test(c.accountId)) throw new NonRetriableError(`NetSuite: the credential's account id ${ACCOUNT_ID_MESSAGE}`);
  const base = ctx.settings.apiUrls.netsuite ?? `https://${c.accountId.toLowerCase().replace(/_/g, '-')}.suitetalk.api.netsuite.com`;
  return { c: c as TokenCredential, base };
}

/**
 * What NetSuite says in its RFC 9457 error body: the first `o:errorDetails` entry's code and detail,
 * else the title. Its details are long (a login failure's points to the Login Audit Trail), so the
 * body often arrives cut short: then the code and detail are read from the text, as far as they came.
 */
function netsuiteSays(body: unknown): string | undefined {
  let code: unknown;
  let detail: unknown;
  if (typeof body === 'string') {
    code = body.match(/"o:errorCode"\s*:\s*"([^"]+)"/)?.[1];
    detail = body.match(/"detail"\s*:\s*"((?:[^"\\]|\\.)+)"/)?.[1] ?? body.match(/"title"\s*:\s*"([^"]+)"/)?.[1];
  } else {
    const b = body as { title?: unknown; 'o:errorDetails'?: Array<{ detail?: unknown; 'o:errorCode'?: unknown }> } | null;
    const first = Array.isArray(b?.['o:errorDetails']) ? b['o:errorDetails'][0] : undefined;
    code = first?.['o:errorCode'];
    detail = first?.detail ?? b?.title;
  }
  const words = [code, detail].filter((w): w is string => typeof w === 'string' && w !== '');
  return words.length ? words.join(' ') : undefined;
}

// SuiteQL reads and writes datetimes as text in this one format (TO_CHAR / TO_TIMESTAMP), so a
// checkpoint round-trips exactly whatever the account's date preferences.
const SUITEQL_TIME = 'YYYY-MM-DD HH24:MI:SS';
const TIME_TEXT = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;
/** Each round starts this far behind the last invoice it saw: one saved late with an earlier last-modified time is still read (and the repeats are dropped by version). */
const LOOKBACK_MS = 60_000;

/** Where the invoice list goes on: after (`id` set) or from (`id` null, a round's start) a last-modified time. */
const InvoiceCursor = z.object({ at: z.string().regex(TIME_TEXT), id: z.string().regex(/^\d+$/).nullable() });
type InvoiceCursor = z.infer<typeof InvoiceCursor>;

function readCursor(checkpoint: string): InvoiceCursor {
  try {
    return InvoiceCursor.parse(JSON.parse(checkpoint));
  } catch {
    throw new NonRetriableError(`NetSuite: the checkpoint ${JSON.stringify(checkpoint.slice(0, 100))} is not one the invoice list wrote`);
  }
}

const minus = (at: string, ms: number) => new Date(Date.parse(`${at.replace(' ', 'T')}Z`) - ms).toISOString().slice(0, 19).replace('T', ' ');

/**
 * The SuiteQL of one page of invoices in (last-modified, id) order, from a cursor: a keyset, so an
 * invoice changed meanwhile moves behind the cursor instead of shifting the pages (offsets would skip one).
 */
function invoicesQuery(cursor: InvoiceCursor | null): string {
  const at = cursor && `TO_TIMESTAMP('${cursor.at}', '${SUITEQL_TIME}')`;
  const where = !cursor ? '' : cursor.id === null ? ` AND lastmodifieddate >= ${at}` : ` AND (lastmodifieddate > ${at} OR (lastmodifieddate = ${at} AND id > ${cursor.id}))`;
  return (
    `SELECT id, tranid, entity, trandate, foreigntotal, currency, status, TO_CHAR(lastmodifieddate, '${SUITEQL_TIME}') AS lastmodified ` +
    `FROM transaction WHERE type = 'CustInvc'${where} ORDER BY lastmodifieddate, id`
  );
}

const SuiteQLPage = z.object({ hasMore: z.boolean(), items: z.array(z.looseObject({ id: z.union([z.string(), z.number()]), lastmodified: z.string().regex(TIME_TEXT) })) });

/** NetSuite SuiteTalk REST (record API). NETSUITE_API_URL overrides `https://<account>.suitetalk.api.netsuite.com`. */
export const netsuite: Connector = {
  id: 'netsuite',
  name: 'NetSuite',
  icon: '/icons/netsuite.svg',
  // No default: each account has its own host, https://<account>.suitetalk.api.netsuite.com.
  apiUrl: { env: 'NETSUITE_API_URL' },
  auth: [
    {
      type: 'apiKey',
      fields: [
        { name: 'accountId', label: 'Account ID', type: 'text', required: true },
        { name: 'consumerKey', label: 'Consumer key', type: 'secret', required: true },
        { name: 'consumerSecret', label: 'Consumer secret', type: 'secret', required: true },
        { name: 'tokenId', label: 'Token ID', type: 'secret', required: true },
        { name: 'tokenSecret', label: 'Token secret', type: 'secret', required: true },
      ],
    },
  ],
  credentialChecks: { accountId: z.string().regex(NETSUITE_ACCOUNT_ID, ACCOUNT_ID_MESSAGE) },
  /**
   * One page of one invoice (GET /services/rest/record/v1/invoice?limit=1, REST collection paging),
   * signed like the actions: it proves the token, and that its role sees the invoices the actions
   * create. NetSuite has no cheap call that names the company, so the account is named by its id.
   */
  async test(ctx) {
    const { c, base } = accountApi(ctx);
    const url = `${base}/services/rest/record/v1/invoice?limit=1`;
    try {
      await ctx.http.send({ url, headers: { authorization: netsuiteAuthorization('GET', url, c) } });
    } catch (err) {
      throw inAppWords('NetSuite', err, netsuiteSays);
    }
    return { displayName: c.accountId };
  },
  listSources: {
    /**
     * Invoices created or changed (SuiteQL over `transaction`, type CustInvc): key its internal id,
     * version its last-modified time, data its id, number (tranid), customer (entity), date, total,
     * currency and status. `since` (a date) leaves out those last changed before it on the first round.
     */
    invoices: defineListSource({
      label: 'New or changed invoices',
      params: z.strictObject({ pageSize: z.int().min(1).max(1000).default(200), since: z.iso.date().optional() }),
      async list(ctx, checkpoint, { pageSize, since }): Promise<ListPage> {
        const { c, base } = accountApi(ctx);
        const cursor = checkpoint === null ? (since ? { at: `${since} 00:00:00`, id: null } : null) : readCursor(checkpoint);
        // Always the first page of what is left: the cursor, not the offset, moves on.
        const url = `${base}/services/rest/query/v1/suiteql?limit=${pageSize}&offset=0`;
        let body: unknown;
        try {
          const headers = { authorization: netsuiteAuthorization('POST', url, c), prefer: 'transient' };
          body = (await ctx.http.send({ method: 'POST', url, headers, body: { q: invoicesQuery(cursor) } })).body;
        } catch (err) {
          throw inAppWords('NetSuite', err, netsuiteSays);
        }
        const parsed = SuiteQLPage.safeParse(body);
        if (!parsed.success) throw new NonRetriableError(`NetSuite: the SuiteQL answer is not a page of invoices (${parsed.error.issues[0]?.message})`);
        const { items, hasMore } = parsed.data;
        const records = items.map(({ links: _links, ...row }) => ({ key: String(row.id), version: row.lastmodified, data: row }));
        // More pages: on after the last invoice. The round's end: the next round starts a little behind it.
        const last = items.at(-1);
        let next: InvoiceCursor | null = cursor && { at: cursor.at, id: null };
        if (last) next = hasMore ? { at: last.lastmodified, id: String(last.id) } : { at: minus(last.lastmodified, LOOKBACK_MS), id: null };
        return { records, checkpoint: next && JSON.stringify(next), hasMore: hasMore && last !== undefined };
      },
    }),
  },
  actions: {
    createInvoice: defineAction({
      description: 'Create an invoice (POST /services/rest/record/v1/invoice)',
      input: z.object({
        externalId: z.string().min(1),
        invoiceNumber: z.string().min(1),
        amount: z.number().nonnegative(),
        subsidiary: z.string().min(1),
        customer: z.string().min(1),
        item: z.string().min(1),
      }),
      async run(input, ctx) {
        const { c, base } = accountApi(ctx);
        const url = `${base}/services/rest/record/v1/invoice`;
        let res;
        try {
          res = await ctx.http.send({
            method: 'POST',
            url,
            headers: { authorization: netsuiteAuthorization('POST', url, c) },
            body: {
              externalId: input.externalId,
              tranId: input.invoiceNumber,
              entity: { id: input.customer },
              subsidiary: { id: input.subsidiary },
              item: { items: [{ item: { id: input.item }, amount: input.amount }] },
            },
          });
        } catch (err) {
          // In NetSuite's words (`NetSuite: HTTP 400 <detail>`), as its account check and invoice list read, not the raw URL and body.
          throw inAppWords('NetSuite', err, netsuiteSays);
        }
        // NetSuite answers 204 with the new record's URL in Location.
        const location = String(res.headers.location ?? '');
        return { invoiceId: location.split('/').pop() || null, location: location || null };
      },
    }),
  },
};
