import { param, type Api } from '../api';
import type { Services } from '../domain/context';
import { safeUrl } from '../engine/http';
import { ApiError } from '../errors';
import * as S from '../schemas';
import type { WebhookMessage } from '../store/webhook-messages';

const tags = ['Lifecycle webhooks'];

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A message as the delivery log shows it. */
const deliveryView = (m: WebhookMessage) => ({
  id: m.id,
  type: m.type as S.WebhookDeliveryType,
  status: m.status,
  attempts: m.attempts,
  lastResponseCode: m.lastStatus,
  lastError: m.lastError,
  lastAttemptAt: iso(m.lastAttemptAt),
  nextAttemptAt: m.status === 'pending' ? iso(m.nextAt) : null,
  createdAt: iso(m.createdAt)!,
  data: m.data,
});

/**
 * The lifecycle webhooks' delivery log, redelivery and endpoint state (docs/webhooks.md). Without
 * ALLOY_EVENTS_WEBHOOK_URL nothing is stored, so each route is a 409 saying to set it.
 */
export function webhookDeliveryRoutes(api: Api, services: Services) {
  const { store, config } = services;
  const endpointUrl = (): string => {
    if (!config.eventsWebhookUrl) {
      throw new ApiError(409, 'conflict', 'Lifecycle webhooks are off: set ALLOY_EVENTS_WEBHOOK_URL to the endpoint that should receive them, and restart', [
        { path: 'ALLOY_EVENTS_WEBHOOK_URL', message: 'not set' },
      ]);
    }
    return config.eventsWebhookUrl;
  };
  const notFound = (id: string) => new ApiError(404, 'not_found', `No webhook message "${id}"`, [{ path: 'id', message: 'not found' }]);
  const endpointView = async (url: string) => {
    const [endpoint, pending] = await Promise.all([store.webhookMessages.endpoint(url), store.webhookMessages.countPending()]);
    return {
      url: safeUrl(url),
      status: endpoint.disabledAt === null ? ('enabled' as const) : ('disabled' as const),
      failingSince: iso(endpoint.failingSince),
      disabledAt: iso(endpoint.disabledAt),
      disableAfterDays: config.eventsWebhookDisableAfterDays,
      pending,
    };
  };

  api.get(
    '/webhook-deliveries',
    {
      summary: 'The lifecycle webhooks’ delivery log, newest first',
      tags,
      query: S.WebhookDeliveriesQuery,
      response: S.WebhookDeliveriesPage,
      operationId: 'listWebhookDeliveries',
      errors: [409],
    },
    async (c, { query }) => {
      endpointUrl();
      const messages = await store.webhookMessages.list(query);
      if (!messages)
        throw new ApiError(400, 'invalid_request', `Unknown cursor "${query.cursor}": use nextCursor from the previous page`, [{ path: 'cursor', message: 'unknown' }]);
      return c.json({ data: messages.map(deliveryView), nextCursor: messages.length === query.limit ? messages.at(-1)!.id : null });
    },
  );

  api.get(
    '/webhook-deliveries/:id',
    { summary: 'One lifecycle webhook message and its delivery', tags, response: S.WebhookDelivery, operationId: 'getWebhookDelivery', errors: [409] },
    async (c) => {
      endpointUrl();
      const message = await store.webhookMessages.find(param(c, 'id'));
      if (!message) throw notFound(param(c, 'id'));
      return c.json(deliveryView(message));
    },
  );

  api.post(
    '/webhook-deliveries/:id/redeliver',
    {
      summary: 'Send a lifecycle webhook message again',
      description:
        'Under the same `webhook-id`, due at once, its tries counted afresh: a failed one, a delivered one (the receiver lost it), or one waiting for its next retry. While the endpoint is disabled it waits until it is enabled.',
      tags,
      response: S.WebhookDelivery,
      operationId: 'redeliverWebhookMessage',
      errors: [409],
      status: 202,
    },
    async (c) => {
      endpointUrl();
      const message = await store.webhookMessages.redeliver(param(c, 'id'));
      if (!message) throw notFound(param(c, 'id'));
      services.engine.lifecycle?.wake();
      return c.json(deliveryView(message), 202);
    },
  );

  api.get(
    '/webhook-endpoint',
    {
      summary: 'The lifecycle webhooks’ endpoint: enabled or disabled, failing since when',
      tags,
      response: S.WebhookEndpointView,
      operationId: 'getWebhookEndpoint',
      errors: [409],
    },
    async (c) => c.json(await endpointView(endpointUrl())),
  );

  api.post(
    '/webhook-endpoint/enable',
    {
      summary: 'Enable the lifecycle webhooks’ endpoint again',
      description: 'Its failures are forgotten, and the messages held while it was disabled are sent at once.',
      tags,
      response: S.WebhookEndpointView,
      operationId: 'enableWebhookEndpoint',
      errors: [409],
    },
    async (c) => {
      const url = endpointUrl();
      await store.webhookMessages.enableEndpoint(url);
      services.engine.lifecycle?.wake();
      return c.json(await endpointView(url));
    },
  );
}
