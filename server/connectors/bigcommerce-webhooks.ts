import { z } from 'zod';
import { NonRetriableError } from '../engine/errors';
import type { HttpRequest } from '../engine/http';
import { sameText } from '../engine/webhook-signature';
import { inAppWords } from './app-errors';
import type { ConnectorApi, ConnectorWebhooks, OptionContext } from './types';

/**
 * The custom header each delivery carries: BigCommerce signs nothing, but sends back the `headers`
 * a hook was created with, so the hook's own random secret goes there.
 */
export const SECRET_HEADER = 'x-alloy-webhook-secret';

/** A hook as Webhooks v3 answers it (`{ data, meta }`). */
interface Hook {
  id: number;
  scope: string;
  destination: string;
}

/**
 * What an order event's payload must hold (Webhooks v3 callback: `{ scope, store_id, data: { type:
 * "order", id }, hash, created_at, producer: "stores/{store_hash}" }`).
 */
const OrderPayload = z.object({
  producer: z.string().optional(),
  data: z.object({ type: z.literal('order'), id: z.union([z.int().positive(), z.string().regex(/^\d+$/)]) }),
});

/** Order products asked per page (GET /v2/orders/{id}/products answers 50 unless told), and the most pages read. */
const PRODUCTS_PER_PAGE = 250;
const PRODUCT_PAGES = 20;

const dataOf = <T>(body: unknown): T | undefined => (typeof body === 'object' && body !== null ? (body as { data?: T }).data : undefined);

/**
 * BigCommerce's webhooks (Webhooks v3, `/stores/{store_hash}/v3/hooks`) over the connector's API:
 * a hook per installation and event, whose custom header carries the secret each delivery is
 * checked against, and the order a delivery names fetched with its products (Orders v2).
 */
export function bigcommerceWebhooks(api: ConnectorApi): ConnectorWebhooks {
  // v3 errors are `{ status, title, type, errors: { field: reason } }`: the title and each reason.
  const says = (body: unknown): string | undefined => {
    const said = api.says?.(body);
    const errors = (body as { errors?: unknown } | null)?.errors;
    const reasons = errors && typeof errors === 'object' && !Array.isArray(errors) ? Object.entries(errors).map(([field, why]) => `${field}: ${String(why)}`) : [];
    return reasons.length ? `${said ?? 'invalid'} (${reasons.join('; ')})` : said;
  };
  const send = (ctx: OptionContext, req: Omit<HttpRequest, 'url' | 'headers'> & { path: string }) => {
    const { path, ...rest } = req;
    return ctx.http.send({ ...rest, url: `${api.baseUrl(ctx)}${path}`, headers: { ...api.authorize(ctx), accept: 'application/json' } });
  };
  /** A call whose failure reads in BigCommerce's words, saying what it was for (`BigCommerce: order 250: HTTP 404 …`). */
  const call = async (ctx: OptionContext, what: string, req: Omit<HttpRequest, 'url' | 'headers'> & { path: string }) => {
    try {
      return await send(ctx, req);
    } catch (err) {
      throw inAppWords(`BigCommerce: ${what}`, err, says);
    }
  };

  return {
    events: ['store/order/created', 'store/order/updated', 'store/order/statusUpdated'],
    secretHeader: SECRET_HEADER,

    async subscribe(ctx, { event, url, secret }) {
      const headers = { [SECRET_HEADER]: secret };
      // A subscribe whose answer was lost made its hook already: it is taken over, not doubled.
      const query = `scope=${encodeURIComponent(event)}&destination=${encodeURIComponent(url)}`;
      const listed = await call(ctx, 'listing webhooks', { path: `/v3/hooks?${query}` });
      const found = (dataOf<Hook[]>(listed.body) ?? []).find((h) => h.scope === event && h.destination === url);
      if (found) {
        await call(ctx, `updating webhook ${found.id}`, { method: 'PUT', path: `/v3/hooks/${found.id}`, body: { is_active: true, headers } });
        return { subscriptionId: String(found.id) };
      }
      const created = await call(ctx, 'creating a webhook', { method: 'POST', path: '/v3/hooks', body: { scope: event, destination: url, is_active: true, headers } });
      const id = dataOf<Hook>(created.body)?.id;
      // Retried like an outage: the next try finds the hook by its destination.
      if (id === undefined || id === null) throw new Error('BigCommerce: creating a webhook: the answer names no webhook id');
      return { subscriptionId: String(id) };
    },

    async unsubscribe(ctx, subscriptionId) {
      try {
        await send(ctx, { method: 'DELETE', path: `/v3/hooks/${encodeURIComponent(subscriptionId)}` });
      } catch (err) {
        if ((err as { status?: unknown }).status === 404) return; // gone already: what we wanted
        throw inAppWords(`BigCommerce: deleting webhook ${subscriptionId}`, err, says);
      }
    },

    verify({ headers, secret }) {
      const given = headers[SECRET_HEADER];
      return typeof given === 'string' && given !== '' && sameText(given, secret);
    },

    // The payload's SHA-1: BigCommerce sends the same payload, so the same hash, on each retry.
    deliveryId(payload) {
      const hash = (payload as { hash?: unknown } | null)?.hash;
      return typeof hash === 'string' && hash.length > 0 && hash.length <= 255 ? hash : undefined;
    },

    async fetch(ctx, event, payload) {
      const parsed = OrderPayload.safeParse(payload);
      if (!parsed.success) {
        const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
        throw new NonRetriableError(`BigCommerce: the ${event} delivery names no order (${why})`);
      }
      const { producer, data } = parsed.data;
      const storeHash = ctx.credential?.storeHash;
      if (producer && storeHash && producer !== `stores/${storeHash}`) {
        throw new NonRetriableError(`BigCommerce: the delivery comes from ${producer}, not from this installation's store (stores/${storeHash})`);
      }
      const order = (await call(ctx, `order ${data.id}`, { path: `/v2/orders/${data.id}` })).body;
      const products: unknown[] = [];
      for (let page = 1; page <= PRODUCT_PAGES; page++) {
        const res = await call(ctx, `products of order ${data.id}`, { path: `/v2/orders/${data.id}/products?page=${page}&limit=${PRODUCTS_PER_PAGE}` });
        // v2 answers an empty list with 204 and no body.
        const batch = Array.isArray(res.body) ? (res.body as unknown[]) : [];
        products.push(...batch);
        if (batch.length < PRODUCTS_PER_PAGE) break;
      }
      return { order, products, payload };
    },
  };
}
