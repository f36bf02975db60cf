import { randomUUID } from 'node:crypto';
import type { Store } from '../store';

/** The most executions one batch requeues (one transaction); a higher rate is more batches a second. */
const MAX_BATCH = 100;

/** How often a process looks for a replay to work while none runs. */
const IDLE_MS = 1000;

/**
 * Works the running bulk replay (docs/replay.md) beside each worker: every tick it requeues the
 * next batch, at most `ratePerSecond` executions a second. The replay is leased to one process at
 * a time (store.replays.advance), so several processes together still requeue at that rate, and
 * a process that dies leaves the rest to another once its lease runs out. The batch and the
 * replay's cursor commit together: each execution is requeued once.
 *
 * @example new ReplayRunner(store, { ratePerSecond: 50, leaseMs: 60_000, onRequeued: () => worker.wake() }).start()
 */
export class ReplayRunner {
  readonly owner = `replay-${randomUUID()}`;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;
  private stopped = false;
  private readonly batch: number;
  private readonly everyMs: number;

  constructor(
    private readonly store: Store,
    private readonly options: { ratePerSecond: number; leaseMs: number; onRequeued?: () => void },
  ) {
    this.batch = Math.max(1, Math.min(MAX_BATCH, Math.floor(options.ratePerSecond)));
    this.everyMs = Math.ceil((1000 * this.batch) / options.ratePerSecond);
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.schedule(this.everyMs);
  }

  /** The next tick: soon while a replay runs, at most once a second while none does. */
  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      void this.tick().then((worked) => {
        if (!this.stopped) this.schedule(worked ? this.everyMs : Math.max(this.everyMs, IDLE_MS));
      });
    }, ms);
    this.timer.unref();
  }

  /** One batch now (also what the timer runs); resolves once it is committed. */
  tick(): Promise<boolean> {
    this.running ??= this.advance().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Whether there was a replay to work. */
  private async advance(): Promise<boolean> {
    try {
      const result = await this.store.replays.advance(this.owner, this.batch, this.options.leaseMs);
      if (result && result.requeued > 0) this.options.onRequeued?.();
      return result !== undefined && !result.done;
    } catch {
      // The store is down: the next tick tries again, and nothing of this batch was committed.
      return false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
