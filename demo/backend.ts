import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { readJson, type AppEnv } from '../server/api';
import { verifyWebhook } from '../server/engine/webhook-signature';
import { ApiError, validationError } from '../server/errors';
import type { DemoFakes, Feed } from './fakes';
import { reactDemoRoutes } from './react-routes';

const publicDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');

/** The one AcmeCo user of the demo. */
export const DEMO_USER = 'acme-demo';

export interface BackendOptions {
  feed: Feed;
  /** The ISV API key: used here, on the server, never sent to the page. */
  apiKey: string;
  /** The Standard Webhooks secret the Stream Data deliveries are signed with. */
  webhookSecret: string;
  /** Where this server listens (known once it does): the backend calls the API there over HTTP. */
  selfUrl(): string;
  /** A new order in the demo's fake BigCommerce store, which sends its webhooks; absent with a real BigCommerce. */
  createOrder?: DemoFakes['createOrder'];
}

const Ticket = z.object({ ticketName: z.string().trim().min(1), customerEmail: z.string().trim().email(), description: z.string().trim().min(1) });
const Fulfillment = z.object({ orderId: z.union([z.string().regex(/^\d+$/, 'an order id is a number'), z.number().int().positive()]), status: z.string().trim().min(1) });
/** The lines of every simulated order. */
const ORDER_LINES = [
  { sku: 'MUG-01', name: 'AcmeCo mug', quantity: 2 },
  { sku: 'TEE-M', name: 'AcmeCo T-shirt (M)', quantity: 1 },
  { sku: 'STK-10', name: 'Sticker pack', quantity: 3 },
];
/** What the demo store charges for each (the order BigCommerce's webhook points at carries them). */
const PRICES: Record<string, number> = { 'MUG-01': 12, 'TEE-M': 25, 'STK-10': 4 };

async function parse<S extends z.ZodType>(schema: S, value: unknown): Promise<z.output<S>> {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

/**
 * AcmeCo's own backend, as an ISV would write it: it holds the API key and calls the kit's ISV
 * API over HTTP like any other client. Registered through `createApp(…, { extraRoutes })`.
 */
export function demoRoutes(options: BackendOptions): (app: Hono<AppEnv>) => void {
  const { feed } = options;

  /** One ISV API call; answers `{ status, body }` whatever the status. */
  const api = async (method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${options.selfUrl()}${url}`, {
      method,
      headers: { authorization: `bearer ${options.apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const ok = async (method: string, url: string, body?: unknown) => {
    const res = await api(method, url, body);
    if (res.status >= 400)
      throw new ApiError(
        res.status as ContentfulStatusCode,
        res.body?.error?.code ?? 'invalid_request',
        res.body?.error?.message ?? `${method} ${url}: ${res.status}`,
        res.body?.error?.details,
      );
    return res.body;
  };

  // Created once per process: a 409 means an earlier run created it.
  let user: Promise<void> | undefined;
  const ensureUser = () =>
    (user ??= api('POST', '/users', { username: DEMO_USER, fullName: 'AcmeCo demo' }).then((res) => {
      if (res.status !== 201 && res.status !== 409) throw new Error(`Could not create the demo user: ${res.status} ${JSON.stringify(res.body)}`);
    })).catch((err) => {
      user = undefined;
      throw err;
    });

  const runEvent = async (event: string, data: Record<string, unknown>) => {
    await ensureUser();
    return api('POST', '/run/event', { event, userId: DEMO_USER, data });
  };

  return (app) => {
    const page = (file: string, type: string) => () =>
      new Response(fs.readFileSync(path.join(publicDir, file)), { headers: { 'content-type': type, 'cache-control': 'no-cache' } });
    app.get('/', page('index.html', 'text/html; charset=utf-8'));
    app.get('/demo/app.js', page('app.js', 'text/javascript; charset=utf-8'));
    reactDemoRoutes(app);

    // The page's user token, minted with the API key; the key itself stays here.
    app.get('/demo/session', async (c) => {
      await ensureUser();
      const { token, expiresAt } = await ok('GET', `/users/${DEMO_USER}/token`);
      return c.json({ token, expiresAt, user: DEMO_USER }, 200, { 'cache-control': 'no-store' });
    });

    app.post('/demo/tickets', async (c) => {
      const ticket = await parse(Ticket, await readJson(c));
      const res = await runEvent('Ticket Created', ticket);
      return c.json(res.body, res.status as ContentfulStatusCode);
    });

    app.post('/demo/fulfillments', async (c) => {
      const { orderId, status } = await parse(Fulfillment, await readJson(c));
      const res = await runEvent('Fulfillment Updated', { orderId: String(orderId), status });
      return c.json(res.body, res.status as ContentfulStatusCode);
    });

    // A new order in the demo store: the fake BigCommerce sends its store/order/created webhook to
    // each installation subscribed to it (the app trigger subscribed when BigCommerce was installed).
    app.post('/demo/orders', async (c) => {
      if (!options.createOrder) throw new ApiError(409, 'conflict', "Orders are simulated in the demo's own fake BigCommerce only (BIGCOMMERCE_API_URL is set)");
      await ensureUser();
      const { order, deliveries } = await options.createOrder(ORDER_LINES.map((line) => ({ ...line, price: PRICES[line.sku] })));
      const [delivery] = deliveries;
      if (!delivery) throw new ApiError(409, 'conflict', 'Install BigCommerce (its "new order" workflow) first; it subscribes to new orders as it is installed');
      // AcmeCo's own "Order Created" event, with the order's lines: the Heartbeat integration's
      // order-lines workflow (a filter, then a forEach) sends each line to AcmeCo's receiver.
      await runEvent('Order Created', { orderId: String(order.id), lineItems: ORDER_LINES });
      let answer: unknown = {};
      try {
        answer = JSON.parse(delivery.answer);
      } catch {
        // not JSON: nothing to add
      }
      return c.json({ orderId: order.id, ...(answer as object) }, (delivery.status || 502) as ContentfulStatusCode);
    });

    // AcmeCo's Stream Data receiver: only deliveries signed with the webhook secret are taken.
    app.post('/demo/sink/acmeco', async (c) => {
      const body = await c.req.text();
      const headers = { 'webhook-id': c.req.header('webhook-id'), 'webhook-timestamp': c.req.header('webhook-timestamp'), 'webhook-signature': c.req.header('webhook-signature') };
      if (!verifyWebhook(options.webhookSecret, headers, body)) throw new ApiError(401, 'unauthorized', 'Bad or missing Standard Webhooks signature');
      let json: unknown = body;
      try {
        json = JSON.parse(body);
      } catch {
        // keep the text
      }
      // The app trigger's event: the order BigCommerce's webhook pointed at, fetched, with its products and the payload.
      const order = (json as { order?: { id?: unknown } })?.order?.id ?? (json as { data?: { id?: unknown } })?.data?.id;
      feed.add('acmeco', order !== undefined ? `New AcmeCo record for BigCommerce order ${String(order)}` : body.slice(0, 120), {
        webhookId: headers['webhook-id'],
        verified: true,
        body: json,
      });
      return c.json({ received: true });
    });

    app.get('/demo/feed', (c) => {
      const after = Number(c.req.query('after') ?? 0);
      return c.json({ entries: feed.after(Number.isFinite(after) ? after : 0), last: feed.last }, 200, { 'cache-control': 'no-store' });
    });

    // The demo user's recent runs and errors, per installed workflow, through the ISV API.
    app.get('/demo/logs', async (c) => {
      await ensureUser();
      const { data: workflows } = await ok('GET', `/workflows?userId=${DEMO_USER}`);
      const installed = (workflows as Array<{ workflowId: string; name: string; installed: boolean }>).filter((w) => w.installed);
      const per = await Promise.all(
        installed.map(async (w) => {
          const q = `userId=${DEMO_USER}&limit=10`;
          const [logs, errors] = await Promise.all([ok('GET', `/workflows/${w.workflowId}/logs?${q}`), ok('GET', `/workflows/${w.workflowId}/errors?${q}`)]);
          const named = (list: Array<Record<string, unknown>>) => list.map((x) => ({ ...x, workflowName: w.name }));
          return { executions: named(logs.data), errors: named(errors.data) };
        }),
      );
      const newest = (key: string) => (a: Record<string, unknown>, b: Record<string, unknown>) => String(b[key]).localeCompare(String(a[key]));
      return c.json(
        {
          workflows: installed.map((w) => ({ workflowId: w.workflowId, name: w.name })),
          executions: per
            .flatMap((p) => p.executions)
            .sort(newest('createdAt'))
            .slice(0, 20),
          errors: per
            .flatMap((p) => p.errors)
            .sort(newest('errorOccurredAt'))
            .slice(0, 20),
        },
        200,
        { 'cache-control': 'no-store' },
      );
    });
  };
}
