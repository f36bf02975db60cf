import { hostname } from 'node:os';
import { newId } from '../ids';
import { runExecution, type ExecutorDeps, type Outcome } from './executor';

export interface WorkerOptions {
  concurrency: number;
  leaseMs: number;
  /** How often to look for due work when nothing wakes the worker. */
  pollMs?: number;
  onOutcome?: (executionId: string, outcome: Outcome) => void;
}

/**
 * Claims due executions and runs them, up to `concurrency` at a time. `wake()` makes it look at
 * once (the server calls it after accepting an event); otherwise it polls, which also picks up
 * retries coming due and executions whose worker died (their lease ran out).
 */
export class Worker {
  readonly owner = `${hostname()}:${process.pid}:${newId().slice(0, 8)}`;
  private readonly running = new Map<string, Promise<void>>();
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly options: WorkerOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
    // Long executions keep their lease; a dead worker's lapse after leaseMs.
    this.heartbeat = setInterval(() => {
      if (this.running.size > 0) {
        void this.deps.store.executions.extendLease(this.owner, Date.now() + this.options.leaseMs).catch(() => undefined);
      }
    }, Math.max(500, Math.floor(this.options.leaseMs / 3)));
    this.heartbeat.unref();
  }

  /** Looks for work now instead of at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    const pollMs = this.options.pollMs ?? 250;
    while (!this.stopped) {
      const free = this.options.concurrency - this.running.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const batch = await this.deps.store.executions.claim(this.owner, free, this.options.leaseMs);
          claimed = batch.length;
          for (const execution of batch) {
            const task = runExecution(this.deps, execution, this.owner)
              .then((outcome) => this.options.onOutcome?.(execution.executionId, outcome))
              .catch((err) => console.error(`worker: execution ${execution.executionId} crashed`, err))
              .finally(() => {
                this.running.delete(execution.executionId);
                this.wake();
              });
            this.running.set(execution.executionId, task);
          }
        } catch (err) {
          // The store is unavailable (PostgreSQL restarting): wait and try again, losing nothing.
          console.warn(`worker: claim failed (${(err as Error).message}); retrying`);
        }
      }
      if (this.stopped) break;
      if (claimed > 0 && claimed === free) continue;
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        this.timer = setTimeout(resolve, pollMs);
      });
      clearTimeout(this.timer);
      this.wakeUp = undefined;
    }
  }

  /**
   * Stops claiming, lets running executions finish for up to `graceMs`, then gives back the
   * leases of any still running so another worker takes them at once.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wake();
    await this.loop;
    clearInterval(this.heartbeat);
    const all = Promise.allSettled([...this.running.values()]);
    await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
    if (this.running.size > 0) await this.deps.store.executions.release(this.owner);
  }
}
