import { safeUrl, type HttpClient } from './http';
import type { Store } from '../store';
import type { ClaimedMessage } from '../store/webhook-messages';
import { DueLoop, trySignedDelivery, type SignedSenderOptions } from './signed-delivery';
import { logger } from '../observability/log';

export interface LifecycleSenderOptions extends SignedSenderOptions {
  /** How long the endpoint may fail, with no success, before it is disabled (ALLOY_EVENTS_WEBHOOK_DISABLE_AFTER_DAYS). */
  disableAfterMs: number;
}

/** Messages taken at a time; a full batch makes it look again at once. */
const BATCH = 20;

/**
 * Sends the lifecycle messages (installation.*, credential.*, execution.failed) to the ISV's
 * ALLOY_EVENTS_WEBHOOK_URL: `{ type, timestamp, data }`, Standard Webhooks signed, the message id
 * as `webhook-id` at every try and redelivery. Each message was stored before it is sent (in the
 * transaction of its change), and stays due until the endpoint answers 2xx, refuses it for good,
 * or RETRY_SCHEDULE is used up; every try is recorded for the delivery log. A process killed
 * mid-try leaves it to be taken again when its hold runs out, with the same id. Runs beside each
 * worker; on PostgreSQL several take messages at once without taking the same one. An endpoint
 * failing for ALLOY_EVENTS_WEBHOOK_DISABLE_AFTER_DAYS is disabled: messages are then stored, not
 * sent, until the ISV enables it again.
 */
export class LifecycleWebhookSender extends DueLoop<ClaimedMessage> {
  constructor(
    private readonly store: Store,
    private readonly http: HttpClient,
    private readonly options: LifecycleSenderOptions,
  ) {
    super('lifecycle webhook', { batch: BATCH, pollMs: options.pollMs });
  }

  protected claim(): Promise<ClaimedMessage[]> {
    return this.store.webhookMessages.claim(this.options.url, BATCH, this.options.leaseMs);
  }

  /** One try of a message; resolves with when its next try is due (null: none). */
  protected async send(message: ClaimedMessage): Promise<number | null> {
    const { url, secret, retrySchedule, disableAfterMs } = this.options;
    // The timestamp is when the change happened (the message was stored), the same at every try.
    const body = JSON.stringify({ type: message.type, timestamp: new Date(message.createdAt).toISOString(), data: message.data });
    const result = await trySignedDelivery(this.http, { url, secret, id: message.id, body, tries: message.attempts, retrySchedule });
    if (!result.delivered && result.retryAt === null) {
      logger.warn(`lifecycle webhook: giving up on ${message.id} (${message.type}) after ${message.attempts} ${message.attempts === 1 ? 'try' : 'tries'} (${result.error})`);
    }
    try {
      const { disabled } = await this.store.webhookMessages.recordTry(message, result, { url, disableAfterMs });
      if (disabled) {
        const days = disableAfterMs / 86_400_000;
        logger.warn(
          `lifecycle webhook: ${safeUrl(url)} disabled after ${days} ${days === 1 ? 'day' : 'days'} of failures; new messages are kept, not sent, until POST /webhook-endpoint/enable`,
        );
      }
    } catch {
      // Not recorded (the store is down): the message is taken again when its hold runs out.
    }
    return result.delivered ? null : result.retryAt;
  }
}
