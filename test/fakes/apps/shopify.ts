import { createHmac } from 'node:crypto';
import { startAppFake, type AppFake, type FakeAnswer, type RecordedRequest } from '../app-fake';

/**
 * Shopify's Admin REST API (2024-10) on 127.0.0.1, in its documented shapes: the shop, products
 * (create, and list paged by the `Link` header's `page_info`), orders by id, and webhook
 * subscriptions. A custom app's token goes in `X-Shopify-Access-Token`; errors are
 * `{ errors: "…" }` or, for a record Shopify refuses (422), `{ errors: { field: ["…"] } }`.
 * https://shopify.dev/docs/api/admin-rest/2024-10, https://shopify.dev/docs/api/usage/pagination-rest
 */

const VERSION = '/admin/api/2024-10';
export const SHOPIFY_TOKEN = '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';
export const SHOPIFY_API_SECRET = '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';
export const SHOPIFY_EVENTS = ['orders/create', 'orders/updated', 'orders/paid', 'orders/cancelled', 'orders/fulfilled', 'products/create', 'products/update'];

export interface ShopifyProduct {
  id: number;
  title: string;
  body_html: string | null;
  vendor: string;
  product_type: string;
  status: 'active' | 'archived' | 'draft';
  tags: string;
  handle: string;
  created_at: string;
  updated_at: string;
  variants: Array<{ id: number; product_id: number; title: string; price: string; sku: string | null }>;
  options: Array<{ id: number; product_id: number; name: string; position: number; values: string[] }>;
  images: unknown[];
}

export interface ShopifyWebhook {
  id: number;
  address: string;
  topic: string;
  format: string;
  created_at: string;
  updated_at: string;
  fields: string[];
  metafield_namespaces: string[];
  api_version: string;
}

export type ShopifyFake = AppFake & {
  data: { products: ShopifyProduct[]; orders: Array<Record<string, unknown>>; webhooks: ShopifyWebhook[] };
};

/** The order the fake knows (and what an orders/* webhook carries: the order itself). */
export function sampleOrder(id = 450789469): Record<string, unknown> {
  return {
    id,
    admin_graphql_api_id: `gid://shopify/Order/${id}`,
    name: '#1001',
    order_number: 1001,
    email: 'bob.norman@example.com',
    created_at: '2024-10-01T12:00:00-04:00',
    updated_at: '2024-10-01T12:05:00-04:00',
    currency: 'USD',
    financial_status: 'paid',
    fulfillment_status: null,
    total_price: '199.00',
    subtotal_price: '189.00',
    total_tax: '10.00',
    customer: { id: 207119551, email: 'bob.norman@example.com', first_name: 'Bob', last_name: 'Norman' },
    line_items: [{ id: 466157049, product_id: 632910392, variant_id: 39072856, title: 'Trail tent', quantity: 1, price: '189.00', sku: 'TENT-2P' }],
  };
}

/** A product as Shopify answers one, with its default variant. */
export function makeProduct(id: number, fields: Partial<ShopifyProduct> & { title: string }): ShopifyProduct {
  const at = '2024-10-01T12:00:00-04:00';
  return {
    id,
    body_html: null,
    vendor: 'Acme Outdoor',
    product_type: '',
    status: 'active',
    tags: '',
    handle: fields.title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, ''),
    created_at: at,
    updated_at: at,
    variants: [{ id: id * 10 + 1, product_id: id, title: 'Default Title', price: '0.00', sku: null }],
    options: [{ id: id * 10 + 2, product_id: id, name: 'Title', position: 1, values: ['Default Title'] }],
    images: [],
    ...fields,
  };
}

/** The `X-Shopify-Hmac-Sha256` of a delivery: base64 HMAC-SHA256 of the raw body with the app's API secret key. */
export function shopifyHmac(secret: string, rawBody: string): string {
  return createHmac('sha256', secret).update(rawBody, 'utf8').digest('base64');
}

const notFound: FakeAnswer = { status: 404, body: { errors: 'Not Found' } };

/** `450789469.json` → 450789469; anything else is not a Shopify resource path. */
function idOf(file: string): number | undefined {
  const m = /^(\d+)\.json$/.exec(file);
  return m ? Number(m[1]) : undefined;
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

interface PageInfo {
  after: number;
  status?: string;
  vendor?: string;
  product_type?: string;
}

export async function startShopifyFake(): Promise<ShopifyFake> {
  const data: ShopifyFake['data'] = {
    products: [makeProduct(632910392, { title: 'Trail tent', product_type: 'Camping' }), makeProduct(921728736, { title: 'Camp stove', product_type: 'Camping' })],
    orders: [sampleOrder()],
    webhooks: [],
  };
  let nextId = 1_000_000_000;

  const listProducts = (req: RecordedRequest): FakeAnswer => {
    const limit = Math.min(Math.max(Number(one(req.query.limit) ?? 50) || 50, 1), 250);
    const token = one(req.query.page_info);
    let page: PageInfo = { after: 0, status: one(req.query.status), vendor: one(req.query.vendor), product_type: one(req.query.product_type) };
    if (token !== undefined) {
      // Shopify: a page_info request takes only limit and fields; the filters travel inside page_info.
      if (['status', 'vendor', 'product_type', 'since_id', 'ids'].some((k) => req.query[k] !== undefined))
        return { status: 400, body: { errors: 'page_info - Unable to use page_info with other parameters (except limit and fields).' } };
      try {
        page = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as PageInfo;
      } catch {
        return { status: 400, body: { errors: { page_info: 'Invalid value.' } } };
      }
    }
    const matching = data.products
      .filter(
        (p) =>
          (!page.status || page.status.split(',').includes(p.status)) && (!page.vendor || p.vendor === page.vendor) && (!page.product_type || p.product_type === page.product_type),
      )
      .sort((a, b) => a.id - b.id);
    const rest = matching.filter((p) => p.id > page.after);
    const products = rest.slice(0, limit);
    const origin = `http://${req.headers.host}`;
    const link = (info: PageInfo) => `<${origin}${VERSION}/products.json?limit=${limit}&page_info=${Buffer.from(JSON.stringify(info)).toString('base64url')}>`;
    const links: string[] = [];
    if (page.after > 0) links.push(`${link({ ...page, after: 0 })}; rel="previous"`);
    if (rest.length > limit) links.push(`${link({ ...page, after: products.at(-1)!.id })}; rel="next"`);
    return { body: { products }, headers: links.length ? { link: links.join(', ') } : {} };
  };

  const createProduct = (req: RecordedRequest): FakeAnswer => {
    const input = (req.body as { product?: Record<string, unknown> } | undefined)?.product;
    if (!input || typeof input !== 'object') return { status: 400, body: { errors: { product: 'Required parameter missing or invalid' } } };
    const title = typeof input.title === 'string' ? input.title.trim() : '';
    if (!title) return { status: 422, body: { errors: { title: ["can't be blank"] } } };
    if (input.status !== undefined && !['active', 'archived', 'draft'].includes(String(input.status)))
      return { status: 422, body: { errors: { status: ['is not included in the list'] } } };
    const product = makeProduct(nextId++, {
      title,
      body_html: typeof input.body_html === 'string' ? input.body_html : null,
      vendor: typeof input.vendor === 'string' ? input.vendor : 'Acme Outdoor',
      product_type: typeof input.product_type === 'string' ? input.product_type : '',
      status: (input.status as ShopifyProduct['status'] | undefined) ?? 'active',
      tags: typeof input.tags === 'string' ? input.tags : '',
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
    });
    data.products.push(product);
    return { status: 201, body: { product } };
  };

  const createWebhook = (req: RecordedRequest): FakeAnswer => {
    const input = (req.body as { webhook?: Record<string, unknown> } | undefined)?.webhook;
    if (!input || typeof input !== 'object') return { status: 400, body: { errors: { webhook: 'Required parameter missing or invalid' } } };
    const { topic, address, format = 'json' } = input as { topic?: unknown; address?: unknown; format?: unknown };
    const errors: Record<string, string[]> = {};
    if (typeof topic !== 'string' || !topic) errors.topic = ["can't be blank"];
    else if (!SHOPIFY_EVENTS.includes(topic)) errors.topic = ['Invalid topic specified.'];
    if (typeof address !== 'string' || !address) errors.address = ["can't be blank"];
    else if (data.webhooks.some((w) => w.address === address && w.topic === topic)) errors.address = ['for this topic has already been taken'];
    if (format !== 'json' && format !== 'xml') errors.format = ['is not included in the list'];
    if (Object.keys(errors).length) return { status: 422, body: { errors } };
    const at = new Date().toISOString();
    const webhook: ShopifyWebhook = {
      id: nextId++,
      address: address as string,
      topic: topic as string,
      format: format as string,
      created_at: at,
      updated_at: at,
      fields: [],
      metafield_namespaces: [],
      api_version: '2024-10',
    };
    data.webhooks.push(webhook);
    return { status: 201, body: { webhook } };
  };

  const fake = await startAppFake({
    name: 'Shopify',
    authorize: (req) =>
      req.headers['x-shopify-access-token'] === SHOPIFY_TOKEN
        ? undefined
        : { status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } },
    errorBody: (_status, message) => ({ errors: message }),
    routes: [
      {
        method: 'GET',
        path: `${VERSION}/shop.json`,
        handle: () => ({
          body: {
            shop: {
              id: 548380009,
              name: 'Acme Outdoor',
              email: 'owner@acme-outdoor.example',
              domain: 'shop.acme-outdoor.example',
              myshopify_domain: 'acme-outdoor.myshopify.com',
              currency: 'USD',
              iana_timezone: 'America/New_York',
              plan_name: 'basic',
            },
          },
        }),
      },
      { method: 'GET', path: `${VERSION}/products.json`, handle: listProducts },
      { method: 'POST', path: `${VERSION}/products.json`, handle: createProduct },
      {
        method: 'GET',
        path: `${VERSION}/orders/:file`,
        handle: (req, { file }) => {
          const order = data.orders.find((o) => o.id === idOf(file!));
          if (!order) return notFound;
          const fields = one(req.query.fields)
            ?.split(',')
            .map((f) => f.trim())
            .filter(Boolean);
          return { body: { order: fields?.length ? Object.fromEntries(fields.filter((f) => f in order).map((f) => [f, order[f]])) : order } };
        },
      },
      { method: 'POST', path: `${VERSION}/webhooks.json`, handle: createWebhook },
      {
        method: 'DELETE',
        path: `${VERSION}/webhooks/:file`,
        handle: (_req, { file }) => {
          const at = data.webhooks.findIndex((w) => w.id === idOf(file!));
          if (at < 0) return notFound;
          data.webhooks.splice(at, 1);
          return { body: {} };
        },
      },
    ],
  });
  return Object.assign(fake, { data });
}
