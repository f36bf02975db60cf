import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** BigCommerce's built-in order statuses (GET /v2/order_statuses). */
export const ORDER_STATUSES: Record<number, string> = {
  0: 'Incomplete',
  1: 'Pending',
  2: 'Shipped',
  3: 'Partially Shipped',
  4: 'Refunded',
  5: 'Cancelled',
  6: 'Declined',
  7: 'Awaiting Payment',
  8: 'Awaiting Pickup',
  9: 'Awaiting Shipment',
  10: 'Completed',
  11: 'Awaiting Fulfillment',
  12: 'Manual Verification Required',
  13: 'Disputed',
  14: 'Partially Refunded',
};

export interface FakeOrder {
  id: number;
  status_id: number;
  status: string;
  /** Set by `createOrder`; an order set directly answers GET with defaults for them. */
  customer_id?: number;
  date_created?: string;
  billing_address?: Record<string, string>;
}

export interface FakeOrderUpdate {
  storeHash: string;
  /** The order after the update. */
  order: FakeOrder;
  staffNotes?: string;
}

/** An order's line as `createOrder` takes it; the fake prices it as Orders v2 shows it (strings with four decimals). */
export interface FakeOrderLine {
  name: string;
  sku: string;
  quantity: number;
  /** Unit price, tax included (the fake charges no tax). */
  price?: number;
  productId?: number;
}

/** A hook as Webhooks v3 keeps it (`GET /v3/hooks` answers these). */
export interface FakeHook {
  id: number;
  client_id: string;
  store_hash: string;
  scope: string;
  destination: string;
  is_active: boolean;
  headers: Record<string, string>;
  created_at: number;
  updated_at: number;
}

/** One callback the fake POSTed to a hook's destination, and what the destination answered (`status` 0: no answer). */
export interface FakeWebhookDelivery {
  hookId: number;
  destination: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  /** The answer's body, as text. */
  answer: string;
}

/**
 * A store as Get Store Information (GET /stores/{store_hash}/v2/store) answers it: the documented
 * fields a client reads first (the full answer also carries currency, timezone, plan, features…).
 */
export function storeInformation(storeHash: string, name: string) {
  const domain = `${storeHash.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}.mybigcommerce.com`;
  return {
    id: storeHash,
    domain,
    secure_url: `https://${domain}`,
    control_panel_base_url: `https://store-${storeHash}.mybigcommerce.com`,
    status: 'live',
    name,
    country: 'United States',
    country_code: 'US',
    language: 'en',
    currency: 'USD',
    plan_name: 'Standard',
    default_channel_id: 1,
  };
}

/** A store's name made from its hash when none was given: `acme-store` → `Acme Store`. */
const nameOf = (storeHash: string) =>
  storeHash
    .split(/[-_]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ') || storeHash;

/** What Get Store Information answers for a token without the Information & Settings scope. */
export const MISSING_SCOPE = "You don't have a required scope to access the endpoint";

export interface FakeBigCommerceRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const V3_ERRORS = 'https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes';
const money = (n: number) => n.toFixed(4);
const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Why a hook's destination would be refused: BigCommerce wants https on port 443; this fake also takes http on loopback, for tests. */
function destinationProblem(destination: unknown): string | undefined {
  if (typeof destination !== 'string' || destination === '') return 'destination is required';
  let url: URL;
  try {
    url = new URL(destination);
  } catch {
    return 'destination must be a valid URL';
  }
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return undefined;
  if (url.protocol !== 'https:' || (url.port !== '' && url.port !== '443')) return 'destination must be an https URL served on port 443';
  return undefined;
}

/**
 * BigCommerce's REST API on 127.0.0.1, with `X-Auth-Token`, answering like BigCommerce:
 * - Orders v2: `GET` and `PUT /stores/:hash/v2/orders/:id` (the documented order shape), `GET …/v2/orders/:id/products`
 *   (204 when it has none), Get Store Information `GET …/v2/store`; errors as `[{ status, message }]`.
 * - Webhooks v3: `GET` (filtered by `scope`, `destination`, `is_active`) and `POST …/v3/hooks`, and `GET`,
 *   `PUT`, `DELETE …/v3/hooks/:id`; answers `{ data, meta }`, errors `{ status, title, type, errors }`.
 *   A destination must be https on port 443, or http on loopback (tests).
 * `createOrder(storeHash, lines)` stores a new order and, as BigCommerce does, POSTs the documented
 * `store/order/created` payload (`{ scope, store_id, data: { type, id }, hash, created_at, producer }`)
 * to every active hook of the store with that scope (or `store/order/*`), with the hook's custom
 * headers; `redeliver` sends one of those again (BigCommerce retries), `deliveries` lists them.
 *
 * `tokens` maps a store hash to its access token (default store `abc123`, token `bc-token`;
 * `state.acceptToken` can widen that); `names` a store hash to its name (default: made from the hash,
 * `acme-store` → `Acme Store`); `orders` starts with orders 100 and 101 awaiting fulfillment. `unscoped`
 * tokens lack the Information & Settings scope (403 on the store); while `unavailable`, every call is a 503
 * with `Retry-After`. `onUpdate` hears each order update it applied (the demo's live feed).
 */
export async function startFakeBigCommerce(options: { onUpdate?: (update: FakeOrderUpdate) => void } = {}) {
  const tokens = new Map<string, string>([['abc123', 'bc-token']]);
  const names = new Map<string, string>([['abc123', 'Abc Outdoor Supply']]);
  const unscoped = new Set<string>();
  const state = {
    unavailable: false,
    /** Whether `token` opens the store `storeHash`: by default, the one `tokens` holds for it. */
    acceptToken: (storeHash: string, token: string) => tokens.get(storeHash) === token,
  };
  const orders = new Map<number, FakeOrder>([
    [100, { id: 100, status_id: 11, status: ORDER_STATUSES[11]! }],
    [101, { id: 101, status_id: 11, status: ORDER_STATUSES[11]! }],
  ]);
  const products = new Map<number, Array<Record<string, unknown>>>();
  const hooks = new Map<number, FakeHook>();
  const deliveries: FakeWebhookDelivery[] = [];
  const requests: FakeBigCommerceRequest[] = [];
  let nextHookId = 18048287;
  const storeIds = new Map<string, string>();
  const storeId = (storeHash: string) => storeIds.get(storeHash) ?? storeIds.set(storeHash, String(1025646 + storeIds.size)).get(storeHash)!;

  const send = (res: http.ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const error = (res: http.ServerResponse, status: number, message: string) => send(res, status, [{ status, message }]);
  const v3Error = (res: http.ServerResponse, status: number, title: string, errors: Record<string, string> = {}) => send(res, status, { status, title, type: V3_ERRORS, errors });

  let url = '';
  const orderView = (storeHash: string, order: FakeOrder) => {
    const lines = products.get(order.id) ?? [];
    const total = lines.reduce((sum, l) => sum + Number(l.total_inc_tax), 0);
    const resource = (name: string) => ({ url: `${url}/stores/${storeHash}/v2/orders/${order.id}/${name}`, resource: `/orders/${order.id}/${name}` });
    const created = order.date_created ?? rfc2822(new Date(0));
    return {
      id: order.id,
      customer_id: order.customer_id ?? 0,
      date_created: created,
      date_modified: created,
      date_shipped: '',
      status_id: order.status_id,
      status: order.status,
      subtotal_ex_tax: money(total),
      subtotal_inc_tax: money(total),
      subtotal_tax: money(0),
      base_shipping_cost: money(0),
      shipping_cost_ex_tax: money(0),
      shipping_cost_inc_tax: money(0),
      total_ex_tax: money(total),
      total_inc_tax: money(total),
      total_tax: money(0),
      items_total: lines.reduce((sum, l) => sum + Number(l.quantity), 0),
      items_shipped: 0,
      payment_method: 'Manual',
      payment_status: '',
      refunded_amount: money(0),
      order_is_digital: false,
      currency_code: 'USD',
      default_currency_code: 'USD',
      currency_exchange_rate: '1.0000000000',
      customer_message: '',
      staff_notes: '',
      order_source: 'manual',
      channel_id: 1,
      external_id: null,
      billing_address: order.billing_address ?? { first_name: '', last_name: '', email: '', country_iso2: 'US' },
      products: resource('products'),
      shipping_addresses: resource('shipping_addresses'),
      coupons: resource('coupons'),
    };
  };

  /** Webhooks v3: `/v3/hooks` and `/v3/hooks/:id` of one store. */
  const hooksApi = (res: http.ServerResponse, method: string, storeHash: string, rawId: string | undefined, query: URLSearchParams, body: string) => {
    if (rawId === undefined && method === 'GET') {
      const list = [...hooks.values()].filter(
        (h) =>
          h.store_hash === storeHash &&
          (!query.has('scope') || h.scope === query.get('scope')) &&
          (!query.has('destination') || h.destination === query.get('destination')) &&
          (!query.has('is_active') || String(h.is_active) === query.get('is_active')),
      );
      return send(res, 200, { data: list, meta: { pagination: { count: list.length, current_page: 1, per_page: 50, total: list.length, total_pages: 1 } } });
    }
    const hook = rawId === undefined ? undefined : hooks.get(Number(rawId));
    if (rawId !== undefined && (!hook || hook.store_hash !== storeHash)) return v3Error(res, 404, 'Webhook not found');
    if (method === 'GET') return send(res, 200, { data: hook, meta: {} });
    if (method === 'DELETE') {
      hooks.delete(hook!.id);
      return send(res, 200, { data: hook, meta: {} });
    }
    if (method !== 'POST' && method !== 'PUT') return v3Error(res, 405, 'The requested method is not supported for this resource.');
    if ((method === 'POST') !== (rawId === undefined)) return v3Error(res, 405, 'The requested method is not supported for this resource.');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body) as Record<string, unknown>;
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error('not an object');
    } catch {
      return v3Error(res, 400, 'The request body is not valid JSON.');
    }
    const merged = { scope: hook?.scope, destination: hook?.destination, is_active: hook?.is_active ?? true, headers: hook?.headers ?? {}, ...input };
    const problems: Record<string, string> = {};
    if (typeof merged.scope !== 'string' || !/^store\/\S+$/.test(merged.scope)) problems.scope = 'scope is required and must be a webhook scope such as store/order/created';
    const bad = destinationProblem(merged.destination);
    if (bad) problems.destination = bad;
    if (typeof merged.is_active !== 'boolean') problems.is_active = 'is_active must be a boolean';
    const headers = merged.headers ?? {};
    if (typeof headers !== 'object' || Array.isArray(headers) || Object.values(headers).some((v) => typeof v !== 'string'))
      problems.headers = 'headers must be an object of strings';
    if (Object.keys(problems).length > 0) return v3Error(res, 422, 'JSON data is missing or invalid', problems);
    const now = Math.floor(Date.now() / 1000);
    const saved: FakeHook = {
      id: hook?.id ?? nextHookId++,
      client_id: 'fake-client-id',
      store_hash: storeHash,
      scope: merged.scope as string,
      destination: merged.destination as string,
      is_active: merged.is_active as boolean,
      headers: headers as Record<string, string>,
      created_at: hook?.created_at ?? now,
      updated_at: now,
    };
    hooks.set(saved.id, saved);
    return send(res, 200, { data: saved, meta: {} });
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const target = new URL(req.url ?? '/', 'http://fake');
      const path = target.pathname;
      const method = req.method ?? 'GET';
      requests.push({ method, path, headers: req.headers, body });

      const v3 = path.match(/^\/stores\/([^/]+)\/v3\/hooks(?:\/([^/]+))?$/);
      if (state.unavailable) {
        const answer = v3 ? { status: 503, title: 'Service Unavailable', type: V3_ERRORS } : [{ status: 503, message: 'Service Unavailable' }];
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '30' }).end(JSON.stringify(answer));
        return;
      }
      const store = path.match(/^\/stores\/([^/]+)\/v2\/store$/);
      const m = path.match(/^\/stores\/([^/]+)\/v2\/orders\/([^/]+)(\/products)?$/);
      const storeHash = decodeURIComponent((store ?? m ?? v3)?.[1] ?? '');
      if (!store && !m && !v3) return error(res, 404, 'The requested resource was not found.');
      if (!state.acceptToken(storeHash, String(req.headers['x-auth-token'] ?? ''))) {
        const words = 'You are not authorized to access this resource. Check your X-Auth-Token.';
        return v3 ? v3Error(res, 401, words) : error(res, 401, words);
      }
      if (v3) return hooksApi(res, method, storeHash, v3[2], target.searchParams, body);
      if (store) {
        if (method !== 'GET') return error(res, 405, 'The requested method is not supported for this resource.');
        if (unscoped.has(String(req.headers['x-auth-token']))) return error(res, 403, MISSING_SCOPE);
        return send(res, 200, storeInformation(storeHash, names.get(storeHash) ?? nameOf(storeHash)));
      }
      const rawId = m![2];
      const order = /^\d+$/.test(rawId!) ? orders.get(Number(rawId)) : undefined;
      if (method === 'GET') {
        if (!order) return error(res, 404, 'The requested resource was not found.');
        if (!m![3]) return send(res, 200, orderView(storeHash, order));
        const lines = products.get(order.id) ?? [];
        const limit = Math.min(Number(target.searchParams.get('limit') ?? 50) || 50, 250);
        const page = Math.max(Number(target.searchParams.get('page') ?? 1) || 1, 1);
        const slice = lines.slice((page - 1) * limit, page * limit);
        return slice.length === 0 ? res.writeHead(204).end() : send(res, 200, slice);
      }
      if (method !== 'PUT' || m![3]) return error(res, 405, 'The requested method is not supported for this resource.');
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        return error(res, 415, 'The request body must be JSON (Content-Type: application/json).');
      }
      if (!order) return error(res, 404, 'The requested resource was not found.');
      let update: { status_id?: unknown; staff_notes?: unknown };
      try {
        update = JSON.parse(body);
      } catch {
        return error(res, 400, 'The request body is not valid JSON.');
      }
      const statusId = update.status_id;
      if (typeof statusId !== 'number' || !Number.isInteger(statusId) || !(statusId in ORDER_STATUSES)) {
        return error(res, 400, "The field 'status_id' is invalid.");
      }
      order.status_id = statusId;
      order.status = ORDER_STATUSES[statusId]!;
      options.onUpdate?.({ storeHash, order: { ...order }, staffNotes: typeof update.staff_notes === 'string' ? update.staff_notes : undefined });
      return send(res, 200, { ...order, custom_status: order.status, date_modified: new Date().toUTCString() });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** POSTs one callback as BigCommerce does (JSON, with the hook's custom headers), recording it and the answer's status. */
  const deliver = async (delivery: Omit<FakeWebhookDelivery, 'status' | 'answer'>): Promise<FakeWebhookDelivery> => {
    let status = 0;
    let answer = '';
    try {
      const res = await fetch(delivery.destination, { method: 'POST', headers: delivery.headers, body: delivery.body });
      answer = await res.text();
      status = res.status;
    } catch {
      // No answer: BigCommerce would retry later; the test decides.
    }
    const done = { ...delivery, status, answer };
    deliveries.push(done);
    return done;
  };

  return {
    url,
    tokens,
    names,
    unscoped,
    state,
    orders,
    /** Each order's lines, as GET /v2/orders/:id/products answers them. */
    products,
    hooks,
    deliveries,
    requests,
    /**
     * A new order in `storeHash` (id: one more than the highest), then its `store/order/created`
     * callback to each of the store's active hooks for it. Resolves with the order and the deliveries.
     */
    async createOrder(storeHash: string, lines: FakeOrderLine[] = [], customer: { firstName?: string; lastName?: string; email?: string } = {}) {
      const id = Math.max(0, ...orders.keys()) + 1;
      const date = new Date();
      orders.set(id, {
        id,
        status_id: 11,
        status: ORDER_STATUSES[11]!,
        customer_id: 0,
        date_created: rfc2822(date),
        billing_address: { first_name: customer.firstName ?? '', last_name: customer.lastName ?? '', email: customer.email ?? '', country_iso2: 'US' },
      });
      products.set(
        id,
        lines.map((line, index) => {
          const price = money(line.price ?? 0);
          const total = money((line.price ?? 0) * line.quantity);
          return {
            id: id * 100 + index + 1,
            order_id: id,
            product_id: line.productId ?? 0,
            order_address_id: 0,
            name: line.name,
            sku: line.sku,
            type: 'physical',
            base_price: price,
            price_ex_tax: price,
            price_inc_tax: price,
            price_tax: money(0),
            base_total: total,
            total_ex_tax: total,
            total_inc_tax: total,
            total_tax: money(0),
            quantity: line.quantity,
            is_refunded: false,
            quantity_refunded: 0,
            quantity_shipped: 0,
            applied_discounts: [],
            product_options: [],
          };
        }),
      );
      const event = {
        scope: 'store/order/created',
        store_id: storeId(storeHash),
        data: { type: 'order', id },
        created_at: Math.floor(date.getTime() / 1000),
        producer: `stores/${storeHash}`,
      };
      // "The payload data encoded in JSON format and then passed through SHA-1."
      const body = JSON.stringify({ ...event, hash: createHash('sha1').update(JSON.stringify(event)).digest('hex') });
      const targets = [...hooks.values()].filter((h) => h.store_hash === storeHash && h.is_active && (h.scope === event.scope || h.scope === 'store/order/*'));
      const sent = await Promise.all(
        targets.map((h) => deliver({ hookId: h.id, destination: h.destination, headers: { 'content-type': 'application/json', ...h.headers }, body })),
      );
      return { order: orderView(storeHash, orders.get(id)!), deliveries: sent };
    },
    /** Sends a callback again, as BigCommerce retries one: the same body and headers. */
    redeliver: (delivery: FakeWebhookDelivery) => deliver({ hookId: delivery.hookId, destination: delivery.destination, headers: delivery.headers, body: delivery.body }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type FakeBigCommerce = Awaited<ReturnType<typeof startFakeBigCommerce>>;
