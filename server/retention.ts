import type { Store } from './store';
import { logger } from './observability/log';

const HOUR = 60 * 60 * 1000;

/**
 * Deletes logs (the lifecycle webhook's sent and failed messages, and finished replays, with them) older than the
 * retention period, expired OAuth requests and throttle keys unused for an hour, now and every hour. Several processes may run it
 * at once on PostgreSQL: the deletes are idempotent, so that only costs a little work.
 */
export function startRetentionSweep(store: Store, retentionDays: number): () => void {
  const sweep = async () => {
    try {
      const cutoff = Date.now() - retentionDays * 24 * HOUR;
      const deleted = await store.logs.deleteOlderThan(cutoff);
      // The lifecycle webhook's delivery log is a log too: kept as long as the others.
      const messages = await store.webhookMessages.deleteOlderThan(cutoff);
      // Finished bulk replays, their progress no longer of use.
      const replays = await store.replays.deleteFinishedBefore(cutoff);
      const total = deleted.executions + deleted.errors + deleted.events + messages + replays;
      if (total > 0) {
        logger.info(
          `retention: deleted ${deleted.executions} executions, ${deleted.errors} errors, ${deleted.events} events, ${messages} webhook messages, ${replays} finished replays older than ${retentionDays} days`,
        );
      }
      await store.credentials.deleteExpiredOAuthStates(Date.now());
      // Connector throttles and 429 holds long past: an hour behind is no turn anyone waits for.
      await store.throttles.deleteFreeBefore(Date.now() - HOUR);
    } catch (err) {
      logger.warn(`retention: sweep failed (${(err as Error).message}); will retry`);
    }
  };
  void sweep();
  const timer = setInterval(sweep, HOUR);
  timer.unref();
  return () => clearInterval(timer);
}
