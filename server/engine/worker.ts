import { hostname } from 'node:os';
import { isStoreUnavailable } from '../errors';
import { newId } from '../ids';
import type { Dispatcher } from '../store/events';
import type { ClaimedExecution } from '../store/executions';
import { runExecution, type ExecutorDeps, type Outcome } from './executor';
import { observeExecution } from '../observability/metrics';
import { logger } from '../observability/log';

export interface WorkerOptions {
  concurrency: number;
  /** The most executions of one user running at once, across every worker on the store (USER_CONCURRENCY); none when left out. */
  userConcurrency?: number;
  leaseMs: number;
  /** How often to look for due work when nothing wakes the worker. */
  pollMs?: number;
  onOutcome?: (executionId: string, outcome: Outcome) => void;
}

/**
 * Runs executions, up to `concurrency` at a time: those handed to it as their event is recorded
 * (`reserve`, `dispatched`: while it has room and no backlog), and those it claims from the
 * queue. `wake()` makes it claim at once (the server calls it when an event queued executions,
 * PostgreSQL's NOTIFY when another process did); otherwise it polls, which also picks up retries
 * coming due and executions whose worker died (their lease ran out). No user gets more than
 * `userConcurrency` running at once, counted across every worker on the store (the claim and the
 * hand-over both count them).
 */
export class Worker implements Dispatcher {
  readonly owner = `${hostname()}:${process.pid}:${newId().slice(-8)}`;
  private readonly running = new Map<string, Promise<void>>();
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** While the store cannot be reached: since when, how many claims failed, executions it cut short. */
  private outage: { since: number; failures: number; interrupted: number } | undefined;
  /** When the last outage ended: an execution claimed before then and failing now was cut short by it. */
  private recoveredAt = 0;

  constructor(
    private readonly deps: ExecutorDeps,
    private readonly options: WorkerOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
    // Long executions keep their lease; a dead worker's lapse after leaseMs.
    this.heartbeat = setInterval(
      () => {
        if (this.running.size > 0) {
          void this.deps.store.executions.extendLease(this.owner, Date.now() + this.options.leaseMs).catch(() => undefined);
        }
      },
      Math.max(500, Math.floor(this.options.leaseMs / 3)),
    );
    this.heartbeat.unref();
  }

  /** Set by a wake (new work queued) until a claim runs: one that came while the loop was busy makes it claim again at once. */
  private woken = false;
  /**
   * The last claim filled every free slot (or none ran yet): more may be due, so a finished
   * execution makes room for a claim, and new executions queue behind that work.
   */
  private more = true;
  /**
   * The last claim passed over due work of users at their limit (USER_CONCURRENCY): one of their
   * executions ending makes room for it, so it claims again. Not a backlog that holds back new
   * executions (`reserve`): the store hands over none beyond a user's room.
   */
  private heldBack = false;
  /** Slots held for executions being recorded as this worker's (`reserve`), not yet handed over. */
  private reserved = 0;

  get leaseMs(): number {
    return this.options.leaseMs;
  }

  get userConcurrency(): number | undefined {
    return this.options.userConcurrency;
  }

  /** Looks for work now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * Holds free slots for executions about to be recorded as claimed by this worker (see
   * `Dispatcher`), only while it has no known backlog: work already queued goes first.
   */
  reserve(count: number): number {
    if (this.stopped || this.outage || this.woken || this.more) return 0;
    const granted = Math.max(0, Math.min(count, this.options.concurrency - this.running.size - this.reserved));
    this.reserved += granted;
    return granted;
  }

  dispatched(executions: ClaimedExecution[], reserved: number): void {
    this.reserved -= reserved;
    const claimedAt = Date.now();
    for (const execution of executions) this.begin(execution, claimedAt);
  }

  private begin(execution: ClaimedExecution, claimedAt: number): void {
    const task = runExecution(this.deps, execution, this.owner)
      .then((outcome) => {
        observeExecution(execution.workflowId, outcome, claimedAt);
        this.options.onOutcome?.(execution.executionId, outcome);
      })
      .catch((err) => {
        observeExecution(execution.workflowId, isStoreUnavailable(err) ? 'interrupted' : 'crashed', claimedAt);
        // Given back at shutdown, its end here is moot (another worker runs it); the store may be closed under it.
        if (this.released) logger.debug({ err, executionId: execution.executionId }, `worker: execution ${execution.executionId} ended after it was given back`);
        // Cut short by an outage, it is claimed again once its lease runs out.
        else if (isStoreUnavailable(err)) this.storeUnavailable(err, claimedAt);
        else logger.error({ err, executionId: execution.executionId }, `worker: execution ${execution.executionId} crashed`);
      })
      .finally(() => {
        this.running.delete(execution.executionId);
        // A slot is free: worth a claim only if work may be waiting for one.
        if (this.more || this.woken || this.heldBack) this.wakeUp?.();
      });
    this.running.set(execution.executionId, task);
  }

  private async run(): Promise<void> {
    const pollMs = this.options.pollMs ?? 250;
    while (!this.stopped) {
      const free = this.options.concurrency - this.running.size - this.reserved;
      let claimed = 0;
      if (free > 0) {
        this.woken = false;
        try {
          const batch = await this.deps.store.executions.claim(this.owner, free, this.options.leaseMs, Date.now(), this.options.userConcurrency);
          if (this.outage) this.storeBack();
          claimed = batch.length;
          this.more = claimed === free;
          this.heldBack = batch.heldBack === true;
          const claimedAt = Date.now();
          for (const execution of batch) this.begin(execution, claimedAt);
        } catch (err) {
          // The store is unavailable (PostgreSQL restarting): wait longer each time and try again, losing nothing.
          this.storeUnavailable(err);
          this.outage!.failures++;
        }
      }
      if (this.stopped) break;
      if (claimed > 0 && claimed === free) continue;
      // A wake that came while the claim ran (which may have missed that work) skips the wait,
      // unless no slot is free; during an outage the backoff holds, whatever wakes the worker.
      if (free <= 0 || !this.woken || this.outage) {
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
          this.timer = setTimeout(resolve, this.outage ? Math.min(5000, pollMs * 2 ** this.outage.failures) : pollMs);
        });
        clearTimeout(this.timer);
        this.wakeUp = undefined;
      }
      // Executions finishing together wake the loop once each: let them all land, then claim
      // once for the lot instead of once per finished execution.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Says once that the store cannot be reached (not on every poll), and counts what it cut short.
   * `claimedAt` marks an execution cut short: one claimed before the last outage ended belongs to
   * that outage (already said and over), not to a new one.
   */
  private storeUnavailable(err: unknown, claimedAt?: number): void {
    if (!this.outage) {
      if (claimedAt !== undefined && claimedAt < this.recoveredAt) return;
      this.outage = { since: Date.now(), failures: 0, interrupted: 0 };
      const what = isStoreUnavailable(err) ? 'store unavailable' : 'claim failed';
      logger.warn(`worker: ${what} (${(err as Error).message}); claiming paused, trying again every few seconds`);
    }
    if (claimedAt !== undefined) this.outage.interrupted++;
  }

  private storeBack(): void {
    const { since, interrupted } = this.outage!;
    this.outage = undefined;
    this.recoveredAt = Date.now();
    const cut = interrupted ? `; ${interrupted} execution(s) cut short run again when their lease ends` : '';
    logger.info(`worker: store available again after ${((Date.now() - since) / 1000).toFixed(1)} s; claiming resumed${cut}`);
  }

  /** Set once `stop` gave back the leases of executions still running. */
  private released = false;

  /**
   * Stops claiming, lets running executions finish for up to `graceMs`, then gives back the
   * leases of any still running so another worker takes them at once. Returns how many it gave back.
   */
  async stop(graceMs = 10_000): Promise<number> {
    if (this.stopped) return 0;
    this.stopped = true;
    this.wake();
    await this.loop;
    clearInterval(this.heartbeat);
    const all = Promise.allSettled([...this.running.values()]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    if (this.running.size === 0) return 0;
    this.released = true;
    const released = await this.deps.store.executions.release(this.owner);
    logger.info({ released, graceMs }, `worker: gave back ${released} execution(s) still running after ${graceMs} ms; another worker takes them now`);
    return released;
  }
}
