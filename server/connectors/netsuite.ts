import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { NonRetriableError } from '../engine/errors';
import { inAppWords } from './app-errors';
import { defineAction, type Connector, type OptionContext } from './types';

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
        const res = await ctx.http.send({
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
        // NetSuite answers 204 with the new record's URL in Location.
        const location = String(res.headers.location ?? '');
        return { invoiceId: location.split('/').pop() || null, location: location || null };
      },
    }),
  },
};
