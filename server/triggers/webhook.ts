import { z } from 'zod';
import { defineTrigger } from './types';

/** Any JSON object POSTed to the installation's own URL (`/hooks/<token>`) starts it. */
export const webhookTrigger = defineTrigger({
  type: 'webhook',
  schema: z.strictObject({ type: z.literal('webhook') }),
  key: () => null,
  needsUrl: true,
  view: () => ({ block: { name: 'Webhook', type: 'webhook', icon: '/icons/webhook.svg' }, summary: { type: 'webhook' } }),
});
