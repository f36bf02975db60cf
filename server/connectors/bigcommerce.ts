import { z } from 'zod';
import { NonRetriableError } from '../engine/errors';
import { inAppWords } from './app-errors';
import { bigcommerceWebhooks } from './bigcommerce-webhooks';
import { defineAction, defineOptionSource, HEADER_TOKEN, type ApiContext, type Connector, type ConnectorApi, type FieldOption, type OptionContext } from './types';

// BigCommerce's order status ids (GET /v2/order_statuses), by name, plus the words an
// order system like AcmeCo's sends for the same states.
const STATUS_IDS: Record<string, number> = {
  incomplete: 0,
  pending: 1,
  shipped: 2,
  fulfilled: 2,
  'partially shipped': 3,
  refunded: 4,
  cancelled: 5,
  canceled: 5,
  declined: 6,
  'awaiting payment': 7,
  'awaiting pickup': 8,
  'awaiting shipment': 9,
  completed: 10,
  'awaiting fulfillment': 11,
  'manual verification required': 12,
  disputed: 13,
  'partially refunded': 14,
};

/** A status id from an id or a name (`FULFILLED`, `awaiting_shipment`, `Shipped`). */
export function orderStatusId(status: string | number): number {
  if (typeof status === 'number' || /^\d+$/.test(status)) {
    const id = Number(status);
    if (id >= 0 && id <= 14) return id;
  } else {
    const id = STATUS_IDS[status.toLowerCase().replace(/[_-]+/g, ' ').trim()];
    if (id !== undefined) return id;
  }
  throw new NonRetriableError(`BigCommerce: unknown order status "${status}" (use a status id 0–14 or a name such as Shipped, Completed, Cancelled)`);
}

/** The store hash and access token of the credential; an account lacking either is refused. */
function storeCredential(ctx: ApiContext) {
  const storeHash = ctx.credential?.storeHash;
  const accessToken = ctx.credential?.accessToken;
  if (!storeHash || !accessToken) throw new NonRetriableError('BigCommerce: the credential needs a store hash and an access token');
  return { storeHash, accessToken };
}

/** Where the store's API is and the headers of a call, from the credential. */
function storeApi(ctx: ApiContext) {
  return { base: bigcommerceApi.baseUrl(ctx), headers: { ...bigcommerceApi.authorize(ctx), accept: 'application/json' } };
}

/** What BigCommerce says in an error body: v2's `[{ status, message }]`, v3's `{ status, title }`. */
function bigcommerceSays(body: unknown): string | undefined {
  const first = (Array.isArray(body) ? body[0] : body) as { message?: unknown; title?: unknown } | null | undefined;
  const said = first?.message ?? first?.title;
  return typeof said === 'string' ? said : undefined;
}

/** A store's REST API: v2 and v3 under `/stores/{store_hash}`, authenticated by the `X-Auth-Token` header. */
const bigcommerceApi: ConnectorApi = {
  baseUrl: (ctx) => `${ctx.settings.apiUrls.bigcommerce}/stores/${encodeURIComponent(storeCredential(ctx).storeHash)}`,
  authorize: (ctx) => ({ 'x-auth-token': storeCredential(ctx).accessToken }),
  says: bigcommerceSays,
};

type Page<T> = { data?: T[]; meta?: { pagination?: { total_pages?: number } } };

/** Every item of a paginated v3 list (`{ data, meta: { pagination: { total_pages } } }`), 50 pages at most. */
async function allPages<T>(ctx: OptionContext, path: string, query: string, limit: number): Promise<T[]> {
  const { base, headers } = storeApi(ctx);
  const items: T[] = [];
  for (let page = 1; page <= 50; page++) {
    const res = await ctx.http.send({ url: `${base}/v3${path}?${query ? `${query}&` : ''}page=${page}&limit=${limit}`, headers });
    const body = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as Page<T>;
    items.push(...(body.data ?? []));
    if (page >= (body.meta?.pagination?.total_pages ?? 1)) break;
  }
  return items;
}

// The fields every BigCommerce customer has (Customers V3, "Create Customers": email, first_name and
// last_name are required); custom ones are the store's customer attributes.
const CUSTOMER_FIELDS: FieldOption[] = [
  { label: 'Email', value: 'email', required: true },
  { label: 'First name', value: 'first_name', required: true },
  { label: 'Last name', value: 'last_name', required: true },
  { label: 'Company', value: 'company' },
  { label: 'Phone', value: 'phone' },
  { label: 'Notes', value: 'notes' },
];

/** BigCommerce REST API v2 and v3 (https://developer.bigcommerce.com), base URL from BIGCOMMERCE_API_URL. */
export const bigcommerce: Connector = {
  id: 'bigcommerce',
  name: 'BigCommerce',
  icon: '/icons/bigcommerce.svg',
  apiUrl: { env: 'BIGCOMMERCE_API_URL', default: 'https://api.bigcommerce.com' },
  api: bigcommerceApi,
  // store/order/created and the other order events, for the `app` trigger (server/connectors/bigcommerce-webhooks.ts).
  webhooks: bigcommerceWebhooks(bigcommerceApi),
  auth: [
    {
      type: 'apiKey',
      fields: [
        { name: 'storeHash', label: 'Store hash', type: 'text', required: true, description: 'The part after /stores/ in your API path.' },
        {
          name: 'accessToken',
          label: 'Access token',
          type: 'secret',
          required: true,
          description: 'An API account access token with Orders modify scope (and Products and Customers read-only to list categories and customer fields).',
        },
      ],
    },
  ],
  credentialChecks: { accessToken: HEADER_TOKEN },
  actions: {
    updateOrderStatus: defineAction({
      description: "Update an order's status (PUT /stores/{store_hash}/v2/orders/{order_id})",
      input: z.object({
        orderId: z.union([z.string().regex(/^\d+$/, 'an order id is a number'), z.number().int().positive()]),
        status: z.union([z.string().min(1), z.number().int()]),
        staffNotes: z.string().nullish(),
      }),
      async run(input, ctx) {
        const { base, headers } = storeApi(ctx);
        const statusId = orderStatusId(input.status);
        const res = await ctx.http.send({
          method: 'PUT',
          url: `${base}/v2/orders/${input.orderId}`,
          headers,
          body: { status_id: statusId, ...(input.staffNotes ? { staff_notes: input.staffNotes } : {}) },
        });
        // Read leniently: the update has taken effect, and an odd answer (`null`, say) must not make it a retry.
        const order = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as { id?: number; status_id?: number; status?: string };
        return { orderId: order.id ?? Number(input.orderId), statusId: order.status_id ?? statusId, status: order.status };
      },
    }),
  },
  /**
   * Get Store Information (GET /stores/{store_hash}/v2/store): a wrong token is a 401, a wrong store
   * hash a 404. The endpoint wants the Information & Settings scope, which the actions do not: a 403
   * means the store knows the token but withholds its name, so the account is accepted, named by its hash.
   */
  async test(ctx) {
    const { base, headers } = storeApi(ctx);
    try {
      const res = await ctx.http.send({ url: `${base}/v2/store`, headers });
      const store = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as { name?: unknown; domain?: unknown };
      const name = [store.name, store.domain].find((v): v is string => typeof v === 'string' && v.trim() !== '');
      return { displayName: name ?? ctx.credential!.storeHash! };
    } catch (err) {
      const words = inAppWords('BigCommerce', err, bigcommerceSays);
      if (/^BigCommerce: HTTP 403\b/.test(words.message)) return { displayName: ctx.credential!.storeHash! };
      throw words;
    }
  },
  optionSources: {
    /** The store's category trees, one per storefront channel (GET /v3/catalog/trees). */
    async categoryTrees(ctx) {
      const trees = await allPages<{ id: number; name: string }>(ctx, '/catalog/trees', '', 50);
      return trees.map((t) => ({ label: t.name, value: String(t.id) }));
    },
    /**
     * The categories of the tree chosen in the field `treeId` (GET /v3/catalog/trees/categories?tree_id:in=),
     * each labelled with its path from the top of the tree.
     */
    categories: defineOptionSource(z.object({ treeId: z.string().regex(/^\d+$/, 'a category tree id is a number') }), async (ctx, { treeId }) => {
      type Category = { category_id: number; parent_id: number; name: string };
      const categories = await allPages<Category>(ctx, '/catalog/trees/categories', `tree_id:in=${treeId}`, 250);
      const byId = new Map(categories.map((c) => [c.category_id, c]));
      const path = (c: Category): string[] => {
        const names = [c.name];
        for (let p = byId.get(c.parent_id), depth = 0; p && depth < 50; p = byId.get(p.parent_id), depth++) names.unshift(p.name);
        return names;
      };
      return categories.map((c) => ({ label: path(c).join(' › '), value: String(c.category_id) }));
    }),
    /**
     * A customer's fields, to map to: the ones every customer has (email and names required), then
     * the store's own customer attributes (GET /v3/customers/attributes) as `attribute:<id>`, marked custom.
     */
    async customerFields(ctx) {
      const attributes = await allPages<{ id: number; name: string }>(ctx, '/customers/attributes', '', 50);
      return [...CUSTOMER_FIELDS, ...attributes.map((a) => ({ label: a.name, value: `attribute:${a.id}`, custom: true }))];
    },
  },
};
