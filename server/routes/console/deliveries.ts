import { z } from 'zod';
import { param, type Api } from '../../api';
import { pageOf, readCursor, TimeIdKey } from '../../domain/console/cursor';
import * as C from '../../domain/console/schemas';
import { safeUrl } from '../../engine/http';
import { ApiError } from '../../errors';
import type { ErrorNoticeRow } from '../../store/console';
import type { WebhookMessage } from '../../store/webhook-messages';
import type { ConsoleContext } from './index';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const IdKey = z.tuple([z.string()]);
type DeliveryView = z.input<typeof C.Delivery>;

/** The error webhook's notice of an error log entry: its `webhook-id` is `err_<entry id>` (server/engine/error-webhook.ts). */
const noticeView = (n: ErrorNoticeRow, url: string | null): DeliveryView => ({
  deliveryId: `err_${n.id}`,
  stream: 'errors',
  event: 'workflow.error',
  url,
  status: n.pending ? 'pending' : n.lastAt === null ? 'unknown' : n.lastError === null ? 'delivered' : 'failed',
  attempts: n.tries,
  lastStatus: n.lastStatus,
  lastResponse: n.lastError,
  createdAt: iso(n.occurredAt)!,
  lastAttemptAt: iso(n.lastAt),
  nextAttemptAt: iso(n.nextAt),
});

const messageView = (m: WebhookMessage, url: string | null): DeliveryView => ({
  deliveryId: m.id,
  stream: 'lifecycle',
  event: m.type,
  url,
  status: m.status,
  attempts: m.attempts,
  lastStatus: m.lastStatus,
  lastResponse: m.lastError,
  createdAt: iso(m.createdAt)!,
  lastAttemptAt: iso(m.lastAttemptAt),
  nextAttemptAt: m.status === 'pending' ? iso(m.nextAt) : null,
});

/** Deliveries of the error webhook (ALLOY_ERROR_WEBHOOK_URL) and of the lifecycle webhooks (ALLOY_EVENTS_WEBHOOK_URL), and redelivery. */
export function deliveryRoutes(api: Api, { services, lists, now }: ConsoleContext) {
  const { store, config } = services;
  const tags = ['Console'];
  const urlOf = (stream: 'errors' | 'lifecycle') => {
    const url = stream === 'errors' ? config.errorWebhookUrl : config.eventsWebhookUrl;
    return url === undefined ? null : safeUrl(url);
  };

  api.get(
    '/console/api/deliveries',
    { summary: 'Deliveries of a webhook stream, newest first', tags, query: C.DeliveriesQuery, response: C.DeliveriesPage },
    async (c, { query }) => {
      const url = urlOf(query.stream);
      if (query.stream === 'errors') {
        const rows = await lists.errorNotices(query.status, readCursor(query.cursor, TimeIdKey), query.limit + 1);
        const page = pageOf(rows, query.limit, (n) => [n.occurredAt, n.id]);
        return c.json({ data: page.data.map((n) => noticeView(n, url)), nextCursor: page.nextCursor, configured: url !== null });
      }
      const after = readCursor(query.cursor, IdKey)?.[0];
      const rows = await store.webhookMessages.list({ status: query.status, cursor: after, limit: query.limit + 1 });
      if (!rows) throw new ApiError(400, 'invalid_request', 'Unknown cursor: use nextCursor from the previous page', [{ path: 'cursor', message: 'no such delivery' }]);
      const page = pageOf(rows, query.limit, (m) => [m.id]);
      return c.json({ data: page.data.map((m) => messageView(m, url)), nextCursor: page.nextCursor, configured: url !== null });
    },
  );

  api.post(
    '/console/api/deliveries/:deliveryId/redeliver',
    {
      summary: 'Send a delivery again, under its own webhook-id',
      description: 'Due at once, its tries counted afresh. 409 when its stream has no endpoint in this configuration.',
      tags,
      response: C.RedeliverResponse,
      status: 202,
      errors: [404, 409],
    },
    async (c) => {
      const deliveryId = param(c, 'deliveryId');
      const stream = deliveryId.startsWith('err_') ? 'errors' : 'lifecycle';
      if (urlOf(stream) === null) {
        const setting = stream === 'errors' ? 'ALLOY_ERROR_WEBHOOK_URL' : 'ALLOY_EVENTS_WEBHOOK_URL';
        throw new ApiError(409, 'conflict', `The ${stream === 'errors' ? 'error webhook' : 'lifecycle webhooks'} are off: set ${setting} and restart`, [
          { path: setting, message: 'not set' },
        ]);
      }
      const found =
        stream === 'errors' ? await lists.redeliverErrorNotice(deliveryId.slice('err_'.length), now()) : (await store.webhookMessages.redeliver(deliveryId, now())) !== undefined;
      if (!found) throw new ApiError(404, 'not_found', `No delivery "${deliveryId}"`, [{ path: 'deliveryId', message: 'not found' }]);
      if (stream === 'errors') services.engine.notifier?.wake();
      else services.engine.lifecycle?.wake();
      return c.json({ deliveryId, status: 'pending' as const }, 202);
    },
  );
}
