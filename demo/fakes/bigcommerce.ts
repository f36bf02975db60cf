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
}

export interface FakeOrderUpdate {
  storeHash: string;
  /** The order after the update. */
  order: FakeOrder;
  staffNotes?: string;
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

/**
 * BigCommerce's REST API v2 on 127.0.0.1: the orders endpoint `PUT /stores/:hash/v2/orders/:id` and
 * Get Store Information `GET /stores/:hash/v2/store`, with `X-Auth-Token`, answering like BigCommerce
 * (errors as `[{ status, message }]`). `tokens` maps a store hash to its access token (default store
 * `abc123`, token `bc-token`; `state.acceptToken` can widen that); `names` a store hash to its name (default: made from the hash, `acme-store` → `Acme Store`);
 * `orders` starts with orders 100 and 101 awaiting fulfillment. `unscoped` tokens lack the
 * Information & Settings scope (403 on the store); while `unavailable`, every call is a 503 with
 * `Retry-After`. `onUpdate` hears each order update it applied (the demo's live feed).
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
  const requests: FakeBigCommerceRequest[] = [];

  const send = (res: http.ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const error = (res: http.ServerResponse, status: number, message: string) => send(res, status, [{ status, message }]);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url ?? '/', 'http://fake').pathname;
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });

      if (state.unavailable) {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '30' }).end(JSON.stringify([{ status: 503, message: 'Service Unavailable' }]));
        return;
      }
      const store = path.match(/^\/stores\/([^/]+)\/v2\/store$/);
      const m = path.match(/^\/stores\/([^/]+)\/v2\/orders\/([^/]+)$/);
      const storeHash = decodeURIComponent((store ?? m)?.[1] ?? '');
      if (!store && !m) return error(res, 404, 'The requested resource was not found.');
      if (!state.acceptToken(storeHash, String(req.headers['x-auth-token'] ?? ''))) {
        return error(res, 401, 'You are not authorized to access this resource. Check your X-Auth-Token.');
      }
      if (store) {
        if (req.method !== 'GET') return error(res, 405, 'The requested method is not supported for this resource.');
        if (unscoped.has(String(req.headers['x-auth-token']))) return error(res, 403, MISSING_SCOPE);
        return send(res, 200, storeInformation(storeHash, names.get(storeHash) ?? nameOf(storeHash)));
      }
      const rawId = m![2];
      if (req.method !== 'PUT') return error(res, 405, 'The requested method is not supported for this resource.');
      if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
        return error(res, 415, 'The request body must be JSON (Content-Type: application/json).');
      }
      const order = /^\d+$/.test(rawId!) ? orders.get(Number(rawId)) : undefined;
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

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tokens,
    names,
    unscoped,
    state,
    orders,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type FakeBigCommerce = Awaited<ReturnType<typeof startFakeBigCommerce>>;
