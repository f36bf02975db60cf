import { z } from 'zod';
import { findConnector, listConnectors } from '../connectors';
import { NonRetriableError } from '../engine/errors';
import { Subscriber } from '../engine/subscriber';
import { ApiError } from '../errors';
import type { Installation } from '../store/installations';
import { defineTrigger, type TriggerHookContext } from './types';

const Name = z.string().min(1, 'must not be empty');

const schema = z
  .strictObject({ type: z.literal('app'), connector: Name, event: Name })
  // A typo in a connector, or an event its app does not send, stops the start, naming where.
  .superRefine((trigger, ctx) => {
    if (typeof trigger.connector !== 'string' || typeof trigger.event !== 'string') return;
    const connector = findConnector(trigger.connector);
    if (!connector) {
      const known = listConnectors().map((c) => c.id);
      return ctx.addIssue({ code: 'custom', path: ['connector'], message: `no connector "${trigger.connector}" (known: ${known.join(', ')})` });
    }
    const events = connector.webhooks?.events;
    if (events && !events.includes(trigger.event)) {
      ctx.addIssue({ code: 'custom', path: ['event'], message: `${connector.name} sends no webhook event "${trigger.event}" (it sends: ${events.join(', ')})` });
    }
  });

type AppTrigger = z.output<typeof schema>;

// What the installation wants of the app is written in its own transaction (no call to the app in
// there); the runner beside each worker asks the app (server/engine/subscriber.ts).
const want =
  (subscribed: (installation: Installation) => boolean) =>
  async ({ tx, store, now }: TriggerHookContext, installation: Installation, trigger: AppTrigger): Promise<void> => {
    const connector = findConnector(trigger.connector);
    if (!connector?.webhooks) return store.subscriptions.retire(installation.installationId, now, tx);
    const { installationId, userId, credentialIds } = installation;
    const wanted = { installationId, userId, connector: connector.id, event: trigger.event, credentialId: credentialIds[0] ?? null, subscribed: subscribed(installation) };
    await store.subscriptions.want(wanted, now, tx);
  };

/**
 * An event of a third-party app (`store/order/created` of BigCommerce), delivered to the
 * installation's URL (`/hooks/<token>`); routed as `connector:event`.
 *
 * For a connector with `webhooks` (server/connectors/types.ts `ConnectorWebhooks`), the app is told:
 * an active installation is subscribed at the app, with the installation's account, to its URL under
 * the server's public URL; deactivating or uninstalling it unsubscribes. Each delivery must then
 * prove it came from that subscription (a 401 names the header otherwise, and nothing is recorded),
 * and a redelivery (same payload `hash` for BigCommerce) is a repeat, not a second run. Before the
 * first block, the resource the payload points at is fetched, as the step `trigger`; the blocks
 * see it as `event`: for BigCommerce `{ order, products, payload }` (the order as
 * `GET /v2/orders/{id}` answers it, its lines as `GET /v2/orders/{id}/products`, the delivery as sent).
 *
 * For a connector without `webhooks`, the URL is all there is: someone gives it to the app, any JSON
 * object posted to it starts the workflow, and `event` is that object.
 * @example { "type": "app", "connector": "bigcommerce", "event": "store/order/created" }
 */
export const appTrigger = defineTrigger({
  type: 'app',
  schema,
  key: (trigger) => `${trigger.connector}:${trigger.event}`,
  needsUrl: true,
  // Only a connector with webhooks uses the account: it subscribes and fetches with it.
  account: (trigger) => (findConnector(trigger.connector)?.webhooks ? trigger.connector : undefined),
  view(trigger) {
    const app = findConnector(trigger.connector);
    return {
      block: { name: `${app?.name ?? trigger.connector} Trigger`, type: `${trigger.connector}Trigger`, icon: app?.icon ?? '/icons/app-event.svg' },
      summary: { type: 'app', event: trigger.event },
    };
  },
  installed: want((installation) => installation.active),
  activated: want(() => true),
  deactivated: want(() => false),
  uninstalled: ({ tx, store, now }, installation) => store.subscriptions.retire(installation.installationId, now, tx),

  async receive({ store, vault }, installation, trigger, delivery) {
    const connector = findConnector(trigger.connector);
    const webhooks = connector?.webhooks;
    if (!connector || !webhooks) return {};
    const secret = await store.subscriptions.secretOf(installation.installationId, trigger.event);
    // Until its first subscribe (or on a server that cannot subscribe), the URL's token is the only
    // check, as for a connector without webhooks; from then on, only the app's deliveries get in.
    if (secret !== undefined && !webhooks.verify({ headers: delivery.headers, rawBody: delivery.rawBody, secret: vault.decrypt(secret) })) {
      const header = webhooks.secretHeader;
      throw new ApiError(401, 'unauthorized', `Not a delivery of this installation's ${connector.name} subscription: the ${header} header is missing or wrong`, [
        { path: header, message: 'missing or not the subscription’s secret' },
      ]);
    }
    return { idempotencyKey: webhooks.deliveryId?.(delivery.data, delivery.headers) };
  },

  prepare(trigger) {
    const connector = findConnector(trigger.connector);
    const webhooks = connector?.webhooks;
    if (!connector || !webhooks) return undefined;
    return async (ctx, data) => {
      if (ctx.credential?.app !== connector.id)
        throw new NonRetriableError(`${connector.name}: the installation has no ${connector.name} account to fetch what the delivery points at`);
      return webhooks.fetch({ http: ctx.http, settings: ctx.settings, credential: ctx.credential.data }, trigger.event, data);
    };
  },

  runner: (deps) => new Subscriber(deps),
});
