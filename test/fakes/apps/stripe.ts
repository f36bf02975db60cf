import { createHmac, randomBytes } from 'node:crypto';
import { startAppFake, type AppFake, type FakeAnswer, type RecordedRequest } from '../app-fake';

/**
 * Stripe's API on 127.0.0.1, in its documented shapes: the key's account, customers (create, and
 * list paged with `starting_after`), invoice items, prices (with `expand[]=data.product`) and
 * webhook endpoints, whose creation answers the signing secret. Secret key as a Bearer token;
 * form-encoded bodies (`metadata[key]=v`, `enabled_events[]=…`); errors are
 * `{ error: { type, code, message, param } }`. https://docs.stripe.com/api
 */

export const STRIPE_KEY = 'sk_test_51Pq2RsT3uV4wX5yZ6aB7cD8eF9gH0iJ';
export const STRIPE_EVENTS = [
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.created',
  'invoice.finalized',
  'invoice.paid',
  'invoice.payment_failed',
  'charge.succeeded',
  'charge.refunded',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'checkout.session.completed',
];

type Form = Record<string, string | string[]>;
type StripeObject = Record<string, unknown> & { id: string; created: number };

export type StripeFake = AppFake & {
  data: { customers: StripeObject[]; invoiceItems: StripeObject[]; products: StripeObject[]; prices: StripeObject[]; webhookEndpoints: StripeObject[] };
};

let sequence = 0;
/** A Stripe-looking id: the object's prefix and 14 more characters, unique in the process. */
export function stripeId(prefix: string): string {
  sequence++;
  return `${prefix}_${'1Pq2Rs'}${sequence.toString(36).padStart(8, '0')}`;
}

/** A customer as Stripe answers one. */
export function makeCustomer(fields: { email?: string | null; name?: string | null; created?: number; id?: string; metadata?: Record<string, string> }): StripeObject {
  return {
    id: fields.id ?? stripeId('cus'),
    object: 'customer',
    address: null,
    balance: 0,
    created: fields.created ?? Math.floor(Date.now() / 1000),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    email: fields.email ?? null,
    invoice_prefix: 'A1B2C3D4',
    livemode: false,
    metadata: fields.metadata ?? {},
    name: fields.name ?? null,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
  };
}

/** The `Stripe-Signature` header of a delivery: `t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`. */
export function stripeSignature(secret: string, rawBody: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

function invalid(message: string, param?: string, code?: string, status = 400): FakeAnswer {
  return { status, body: { error: { type: 'invalid_request_error', message, ...(code ? { code } : {}), ...(param ? { param } : {}) } } };
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A form body's keys: `metadata[plan]` → metadata.plan; anything not named in `allowed` is Stripe's parameter_unknown. */
function readForm(req: RecordedRequest, allowed: string[]): { params: Record<string, string | string[]>; metadata: Record<string, string> } | FakeAnswer {
  const form: Form = req.rawBody === '' ? {} : (req.body as Form);
  if (req.rawBody !== '' && !req.headers['content-type']?.includes('application/x-www-form-urlencoded'))
    return invalid('Invalid request: Stripe takes form-encoded parameters (application/x-www-form-urlencoded).');
  const params: Record<string, string | string[]> = {};
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(form)) {
    const meta = /^metadata\[(.+)\]$/.exec(key);
    if (meta) metadata[meta[1]!] = String(one(value));
    else if (allowed.includes(key)) params[key] = value;
    else return invalid(`Received unknown parameter: ${key}`, key, 'parameter_unknown');
  }
  return { params, metadata };
}

function isAnswer(value: unknown): value is FakeAnswer {
  return typeof value === 'object' && value !== null && 'status' in value;
}

/** One page of a list: newest first, `limit` (1–100, default 10) after `starting_after`. */
function page(req: RecordedRequest, url: string, items: StripeObject[], kind: string): FakeAnswer {
  const limit = Number(one(req.query.limit) ?? 10);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) return invalid('This value must be between 1 and 100 (it currently is ' + one(req.query.limit) + ').', 'limit');
  const sorted = [...items].sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
  const after = one(req.query.starting_after);
  let start = 0;
  if (after !== undefined) {
    const at = sorted.findIndex((i) => i.id === after);
    if (at < 0) return invalid(`No such ${kind}: '${after}'`, 'starting_after', 'resource_missing');
    start = at + 1;
  }
  const data = sorted.slice(start, start + limit);
  return { body: { object: 'list', url, has_more: start + limit < sorted.length, data } };
}

export async function startStripeFake(): Promise<StripeFake> {
  const now = Math.floor(Date.now() / 1000);
  const product = { id: 'prod_NWjs8kKbJWmuuc', object: 'product', name: 'Pro plan', active: true, created: now - 86_400, description: null, metadata: {} };
  const data: StripeFake['data'] = {
    customers: [makeCustomer({ id: 'cus_NffrFeUfNV2Hib', email: 'jenny.rosen@example.com', name: 'Jenny Rosen', created: now - 3600 })],
    invoiceItems: [],
    products: [product],
    prices: [
      {
        id: 'price_1MoBy5LkdIwHu7ixZhnattbh',
        object: 'price',
        active: true,
        currency: 'usd',
        unit_amount: 1500,
        type: 'recurring',
        recurring: { interval: 'month', interval_count: 1 },
        product: product.id,
        nickname: null,
        lookup_key: null,
        created: now - 86_000,
        livemode: false,
        metadata: {},
      },
      {
        id: 'price_1MoC3TLkdIwHu7ixcIbKelAC',
        object: 'price',
        active: false,
        currency: 'usd',
        unit_amount: 1000,
        type: 'one_time',
        recurring: null,
        product: product.id,
        nickname: 'Old setup fee',
        lookup_key: null,
        created: now - 85_000,
        livemode: false,
        metadata: {},
      },
    ],
    webhookEndpoints: [],
  };

  const createCustomer = (req: RecordedRequest): FakeAnswer => {
    const form = readForm(req, ['email', 'name', 'phone', 'description']);
    if (isAnswer(form)) return form;
    const email = one(form.params.email);
    // Stripe checks the address's shape (code email_invalid) and refuses it with a 400.
    if (email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return invalid(`Invalid email address: ${email}`, 'email', 'email_invalid');
    const customer = {
      ...makeCustomer({ email, name: one(form.params.name), metadata: form.metadata }),
      phone: one(form.params.phone) ?? null,
      description: one(form.params.description) ?? null,
    };
    data.customers.push(customer);
    return { body: customer };
  };

  const createInvoiceItem = (req: RecordedRequest): FakeAnswer => {
    const form = readForm(req, ['customer', 'price', 'quantity', 'amount', 'currency', 'description', 'invoice']);
    if (isAnswer(form)) return form;
    const p = Object.fromEntries(Object.entries(form.params).map(([k, v]) => [k, one(v)!]));
    if (!p.customer) return invalid('Missing required param: customer.', 'customer', 'parameter_missing');
    if (!data.customers.some((c) => c.id === p.customer)) return invalid(`No such customer: '${p.customer}'`, 'customer', 'resource_missing');
    const quantity = p.quantity === undefined ? 1 : Number(p.quantity);
    if (!Number.isInteger(quantity) || quantity < 0) return invalid('Invalid integer: ' + p.quantity, 'quantity', 'parameter_invalid_integer');
    let amount: number;
    let currency: string;
    let price: StripeObject | null = null;
    if (p.price !== undefined) {
      price = data.prices.find((x) => x.id === p.price) ?? null;
      if (!price) return invalid(`No such price: '${p.price}'`, 'price', 'resource_missing');
      amount = (price.unit_amount as number) * quantity;
      currency = price.currency as string;
    } else {
      if (p.amount === undefined) return invalid('You must specify either `amount`, `price`, or `price_data` to create an invoice item.');
      amount = Number(p.amount);
      if (!Number.isInteger(amount)) return invalid('Invalid integer: ' + p.amount, 'amount', 'parameter_invalid_integer');
      if (!p.currency) return invalid('Missing required param: currency.', 'currency', 'parameter_missing');
      currency = p.currency.toLowerCase();
    }
    const item = {
      id: stripeId('ii'),
      object: 'invoiceitem',
      amount,
      currency,
      customer: p.customer,
      date: Math.floor(Date.now() / 1000),
      created: Math.floor(Date.now() / 1000),
      description: p.description ?? null,
      discountable: true,
      invoice: p.invoice ?? null,
      livemode: false,
      metadata: form.metadata,
      price,
      proration: false,
      quantity,
      unit_amount_decimal: String(amount / (quantity || 1)),
    };
    data.invoiceItems.push(item);
    return { body: item };
  };

  const createWebhookEndpoint = (req: RecordedRequest): FakeAnswer => {
    const form = readForm(req, ['url', 'enabled_events[]', 'api_version', 'description', 'connect']);
    if (isAnswer(form)) return form;
    const url = one(form.params.url);
    if (!url) return invalid('Missing required param: url.', 'url', 'parameter_missing');
    const raw = form.params['enabled_events[]'];
    const events = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    if (events.length === 0) return invalid('Missing required param: enabled_events.', 'enabled_events', 'parameter_missing');
    const unknown = events.findIndex((e) => e !== '*' && !STRIPE_EVENTS.includes(e));
    if (unknown >= 0) return invalid(`Invalid enabled_events[${unknown}]: must be one of the event types Stripe sends`, `enabled_events[${unknown}]`);
    const endpoint = {
      id: stripeId('we'),
      object: 'webhook_endpoint',
      api_version: one(form.params.api_version) ?? null,
      application: null,
      created: Math.floor(Date.now() / 1000),
      description: one(form.params.description) ?? null,
      enabled_events: events,
      livemode: false,
      metadata: form.metadata,
      secret: `whsec_${randomBytes(24).toString('base64url')}`,
      status: 'enabled',
      url,
    };
    data.webhookEndpoints.push(endpoint);
    return { body: endpoint };
  };

  const fake = await startAppFake({
    name: 'Stripe',
    authorize: (req) => {
      const auth = req.headers.authorization;
      if (!auth)
        return invalid(
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
          undefined,
          undefined,
          401,
        );
      if (auth === `Bearer ${STRIPE_KEY}`) return undefined;
      const key = auth.replace(/^Bearer\s+/i, '');
      return invalid(`Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(key.length - 12, 4))}${key.slice(-4)}`, undefined, undefined, 401);
    },
    errorBody: (status, message) => ({
      error: { type: status === 402 ? 'card_error' : status >= 500 ? 'api_error' : 'invalid_request_error', message, ...(status === 429 ? { code: 'rate_limit' } : {}) },
    }),
    routes: [
      {
        method: 'GET',
        path: '/v1/account',
        handle: () => ({
          body: {
            id: 'acct_1Nv0FGQ9RKHgCVdK',
            object: 'account',
            business_profile: { name: 'Acme Goods', url: 'https://acme-goods.example' },
            business_type: 'company',
            country: 'US',
            default_currency: 'usd',
            email: 'billing@acme-goods.example',
            settings: { dashboard: { display_name: 'Acme Goods', timezone: 'America/New_York' } },
            type: 'standard',
          },
        }),
      },
      { method: 'POST', path: '/v1/customers', handle: createCustomer },
      {
        method: 'GET',
        path: '/v1/customers',
        handle: (req) => {
          const email = one(req.query.email);
          return page(
            req,
            '/v1/customers',
            data.customers.filter((c) => email === undefined || c.email === email),
            'customer',
          );
        },
      },
      { method: 'POST', path: '/v1/invoiceitems', handle: createInvoiceItem },
      {
        method: 'GET',
        path: '/v1/prices',
        handle: (req) => {
          const active = one(req.query.active);
          const prices = data.prices.filter((p) => active === undefined || String(p.active) === active);
          const answer = page(req, '/v1/prices', prices, 'price');
          const expand = ([] as string[]).concat(req.query['expand[]'] ?? []);
          if (answer.status === undefined && expand.includes('data.product')) {
            const body = answer.body as { data: StripeObject[] };
            body.data = body.data.map((p) => ({ ...p, product: data.products.find((x) => x.id === p.product) ?? p.product }));
          }
          return answer;
        },
      },
      { method: 'POST', path: '/v1/webhook_endpoints', handle: createWebhookEndpoint },
      {
        method: 'DELETE',
        path: '/v1/webhook_endpoints/:id',
        handle: (_req, { id }) => {
          const at = data.webhookEndpoints.findIndex((w) => w.id === id);
          if (at < 0) return invalid(`No such webhook endpoint: '${id}'`, 'id', 'resource_missing', 404);
          data.webhookEndpoints.splice(at, 1);
          return { body: { id, object: 'webhook_endpoint', deleted: true } };
        },
      },
    ],
  });
  return Object.assign(fake, { data });
}
