import { z } from 'zod';
import { findConnector } from '../connectors';
import { defineTrigger } from './types';

const Name = z.string().min(1, 'must not be empty');

/**
 * An event of a third-party app (`store/order/created` of BigCommerce), delivered to the
 * installation's URL; routed as `connector:event`.
 */
export const appTrigger = defineTrigger({
  type: 'app',
  schema: z.strictObject({ type: z.literal('app'), connector: Name, event: Name }),
  key: (trigger) => `${trigger.connector}:${trigger.event}`,
  needsUrl: true,
  view(trigger) {
    const app = findConnector(trigger.connector);
    return {
      block: { name: `${app?.name ?? trigger.connector} Trigger`, type: `${trigger.connector}Trigger`, icon: app?.icon ?? '/icons/app-event.svg' },
      summary: { type: 'app', event: trigger.event },
    };
  },
});
