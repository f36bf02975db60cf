import { z } from 'zod';
import { NonRetriableError } from '../engine/errors';
import { defineAction, type Connector } from './types';

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

/** BigCommerce REST API v2 (https://developer.bigcommerce.com), base URL from BIGCOMMERCE_API_URL. */
export const bigcommerce: Connector = {
  id: 'bigcommerce',
  name: 'BigCommerce',
  icon: '/icons/bigcommerce.svg',
  apiUrl: { env: 'BIGCOMMERCE_API_URL', default: 'https://api.bigcommerce.com' },
  auth: [
    {
      type: 'apiKey',
      fields: [
        { name: 'storeHash', label: 'Store hash', type: 'text', required: true, description: 'The part after /stores/ in your API path.' },
        { name: 'accessToken', label: 'Access token', type: 'secret', required: true, description: 'An API account access token with Orders modify scope.' },
      ],
    },
  ],
  actions: {
    updateOrderStatus: defineAction({
      description: "Update an order's status (PUT /stores/{store_hash}/v2/orders/{order_id})",
      input: z.object({
        orderId: z.union([z.string().regex(/^\d+$/, 'an order id is a number'), z.number().int().positive()]),
        status: z.union([z.string().min(1), z.number().int()]),
        staffNotes: z.string().nullish(),
      }),
      async run(input, ctx) {
        const storeHash = ctx.credential?.storeHash;
        const accessToken = ctx.credential?.accessToken;
        if (!storeHash || !accessToken) throw new NonRetriableError('BigCommerce: the credential needs a store hash and an access token');
        const statusId = orderStatusId(input.status);
        const res = await ctx.http.send({
          method: 'PUT',
          url: `${ctx.settings.apiUrls.bigcommerce}/stores/${encodeURIComponent(storeHash)}/v2/orders/${input.orderId}`,
          headers: { 'x-auth-token': accessToken, accept: 'application/json' },
          body: { status_id: statusId, ...(input.staffNotes ? { staff_notes: input.staffNotes } : {}) },
        });
        // Read leniently: the update has taken effect, and an odd answer (`null`, say) must not make it a retry.
        const order = (typeof res.body === 'object' && res.body !== null ? res.body : {}) as { id?: number; status_id?: number; status?: string };
        return { orderId: order.id ?? Number(input.orderId), statusId: order.status_id ?? statusId, status: order.status };
      },
    }),
  },
};
