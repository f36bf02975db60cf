import type { TryResult } from '../store/webhook-messages';
import { NonRetriableError } from './errors';
import type { HttpClient } from './http';
import { signedHeaders } from './webhook-signature';
import { logger } from '../observability/log';

/** What a sender of signed deliveries to one ISV endpoint is told: where, signed how, retried how. */
export interface SignedSenderOptions {
  /** The ISV's endpoint (ALLOY_ERROR_WEBHOOK_URL, ALLOY_EVENTS_WEBHOOK_URL). */
  url: string;
  /** The ISV's webhook secret, the one every delivery is signed with. */
  secret: string;
  /** Delay before each try after the first (RETRY_SCHEDULE, as for blocks); its length is the number of retries. */
  retrySchedule: number[];
  /** How long a try holds its item (EXECUTION_LEASE_MS): a process killed mid-try leaves it to be sent again after that. */
  leaseMs: number;
  /** How often to look for due items when nothing wakes the sender. */
  pollMs?: number;
}

/**
 * One try of a signed delivery to the ISV (the error webhook's notices, the lifecycle messages):
 * POSTs `body` with Standard Webhooks headers under `id` (the same at every try, so the receiver
 * can drop a repeat) and classifies the answer as Standard Webhooks does: a 2xx is delivered; a
 * network error, 408, 429 or 5xx is tried again after `retrySchedule[tries - 1]` while the
 * schedule lasts; any other 4xx, a redirect (never followed) or a private address (refused unless
 * ALLOY_ALLOW_PRIVATE_URLS=true) is not. `headers()` may add headers of its own; it runs inside the
 * try, so a lookup of its that fails is a failed try, not a lost one.
 */
export async function trySignedDelivery(
  http: HttpClient,
  delivery: { url: string; secret: string; id: string; body: string; tries: number; retrySchedule: readonly number[]; headers?: () => Promise<Record<string, string>> },
): Promise<TryResult> {
  try {
    const headers = { 'content-type': 'application/json', ...(await delivery.headers?.()), ...signedHeaders(delivery.secret, delivery.id, delivery.body) };
    const res = await http.send({ method: 'POST', url: delivery.url, headers, body: delivery.body, lenientJson: true });
    if (res.status >= 300) throw Object.assign(new NonRetriableError(`HTTP ${res.status}: a redirect is not followed`), { status: res.status });
    return { delivered: true, status: res.status };
  } catch (err) {
    const delay = (err as { retriable?: boolean }).retriable === false ? undefined : delivery.retrySchedule[delivery.tries - 1];
    const status = (err as { status?: unknown }).status;
    return {
      delivered: false,
      status: typeof status === 'number' ? status : null,
      error: (err as Error).message,
      retryAt: delay === undefined ? null : Date.now() + delay,
    };
  }
}

/**
 * The loop a sender of due deliveries extends: takes a batch (`claim`), tries each (`send`, which
 * resolves with when that one's next try is due, or null), and sleeps until the soonest of those
 * or the next poll, unless woken. A full batch makes it take again at once. A store that cannot be
 * read is said once, not at every poll.
 */
export abstract class DueLoop<T> {
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private claimFailing = false;

  constructor(
    private readonly name: string,
    private readonly loopOptions: { batch: number; pollMs?: number },
  ) {}

  /** Takes a batch of what is due, each held for a while (its lease). */
  protected abstract claim(): Promise<T[]>;
  /** One try of an item; resolves with when its next try is due (null: none). */
  protected abstract send(item: T): Promise<number | null>;

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Something became due: look now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops taking, and waits for the tries under way. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.woken = false;
      let items: T[] = [];
      try {
        items = await this.claim();
        this.claimFailing = false;
      } catch (err) {
        if (!this.claimFailing) logger.warn(`${this.name}: cannot read what is due (${(err as Error).message}); trying again`);
        this.claimFailing = true;
      }
      // A retry due before the next poll is taken when it is due, not at the poll.
      const retries = await Promise.all(items.map((item) => this.send(item)));
      if (items.length === this.loopOptions.batch || this.woken) continue;
      const soonest = Math.min(...retries.filter((at) => at !== null));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, Math.min(this.loopOptions.pollMs ?? 1000, soonest - Date.now())));
        timer.unref();
        this.wakeUp = () => (clearTimeout(timer), resolve());
      });
      this.wakeUp = undefined;
    }
  }
}
