import { isStoreUnavailable } from '../errors';
import type { TriggerRunner, TriggerRunnerDeps } from '../triggers/types';
import { logger } from '../observability/log';

/**
 * A trigger runner's loop beside each worker (the scheduler, the poller, the subscriber): a round
 * every `deps.pollMs` and at each `tick()`, one at a time (the timer's rounds do not pile up behind
 * a slow one, and a tick waits for the round under way). A round that fails leaves its work due for
 * the next; the failure is said once, and its end once, except a store outage, which the worker
 * beside the loop already says (and the API answers 503).
 */
export abstract class RoundLoop implements TriggerRunner {
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private pending: Promise<void> | undefined;
  private failing = false;
  /** Set by `stop()`: a round under way lets go at its next step. */
  protected stopping = false;

  /** `name` and `what` say who failed and what it could not take: "scheduler: cannot take due schedules (…)". */
  constructor(
    protected readonly deps: TriggerRunnerDeps,
    private readonly name: string,
    private readonly what: string,
  ) {}

  /** One round: take what is due and do it. Throws to leave the rest due for the next round. */
  protected abstract round(): Promise<void>;

  /** Called when the loop starts and stops (a subscription to the store's changes, say). */
  protected started(): void {}
  protected stopped(): void {}

  start(): void {
    if (this.timer) return;
    this.stopping = false;
    this.timer = setInterval(() => this.soon(), this.deps.pollMs);
    this.timer.unref();
    this.started();
    this.soon();
  }

  /** A round as soon as the one under way (if any) ends, unless one is already waiting. */
  protected soon(): void {
    this.pending ??= this.tick().finally(() => (this.pending = undefined));
  }

  tick(): Promise<void> {
    const round = this.chain.then(() => this.guarded());
    this.chain = round.catch(() => undefined);
    return round;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopped();
    await this.chain;
  }

  private async guarded(): Promise<void> {
    try {
      await this.round();
      if (this.failing) logger.info(`${this.name}: ${this.what} resumed`);
      this.failing = false;
    } catch (err) {
      if (!this.failing && !isStoreUnavailable(err)) logger.warn(`${this.name}: cannot take due ${this.what} (${(err as Error).message}); trying again`);
      this.failing = true;
    }
  }
}
