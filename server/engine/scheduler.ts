import { readFileSync } from 'node:fs';
import { nextOccurrence, occurrencesDue } from '../triggers/cron';
import { directEventName, type TriggerRunnerDeps } from '../triggers/types';
import { RoundLoop } from './round-loop';
import type { DueSchedule } from '../store/schedules';
import { logger } from '../observability/log';

/** Schedules taken per query; a full batch makes it look again at once. */
const BATCH = 50;
/** A run this long after its occurrence is late (the scheduler looks every second or so). */
export const LATE_AFTER_MS = 60_000;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The schedule trigger's runner, beside each worker: it takes the schedules that are due
 * (server/store/schedules.ts) and records each occurrence's event and execution. Several processes
 * may run one: a take moves the schedule on only from the occurrence it read, in the transaction
 * that records it, so each occurrence runs once. Occurrences missed while no scheduler ran (the
 * server was down) run once, late, and the event's data says how many and since when.
 *
 * At its first round it plans the active installations that have no schedule (installed before
 * schedules were kept). Its clock is `deps.now`, so tests drive it instead of waiting.
 */
export class Scheduler extends RoundLoop {
  private planned = false;

  constructor(deps: TriggerRunnerDeps) {
    super(deps, 'scheduler', 'schedules');
  }

  protected async round(): Promise<void> {
    if (!this.planned) await this.planUnplanned();
    for (;;) {
      const now = this.deps.now();
      const due = await this.deps.store.schedules.due(now, BATCH);
      for (const schedule of due) await this.fire(schedule, now);
      if (due.length < BATCH) break;
    }
  }

  private async planUnplanned(): Promise<void> {
    const { store, now } = this.deps;
    let count = 0;
    for (const version of await store.versions.all()) {
      const { trigger } = version.definition;
      if (trigger.type !== 'schedule') continue;
      const spec = { cron: trigger.cron, timezone: trigger.timezone };
      const next = nextOccurrence(spec, now());
      if (next !== null) count += await store.schedules.planActive(version.workflowId, version.version, spec, next);
    }
    if (count > 0) logger.info(`scheduler: planned the schedules of ${count} active installation${count === 1 ? '' : 's'} that had none`);
    this.planned = true;
  }

  private async fire(schedule: DueSchedule, now: number): Promise<void> {
    const { latest, count, next } = occurrencesDue(schedule.spec, schedule.dueAt, now);
    const late = count > 1 || now - latest > LATE_AFTER_MS;
    const data = { scheduledAt: iso(latest), firedAt: iso(now), ...(late ? { late: { missed: count, since: iso(schedule.dueAt) } } : {}) };
    const taken = await this.deps.store.schedules.take(schedule, next, {
      name: directEventName('schedule', schedule.workflowId),
      data,
      idempotencyKey: `schedule:${schedule.installationId}:${data.scheduledAt}`,
    });
    if (!taken) return; // another process took it, or the installation is no longer active
    if (late) {
      const missed = count === 1 ? `the occurrence of ${iso(schedule.dueAt)}` : `${count} occurrences since ${iso(schedule.dueAt)}`;
      logger.warn(
        `scheduler: "${schedule.workflowId}" of user ${schedule.userId} runs late (execution ${taken.executionId}): ${missed} did not run on time; it runs once for them`,
      );
    }
    this.deps.wake();
  }
}

/**
 * The engine's clock: `Date.now`, or, in tests only (NODE_ENV=test; server/config.ts refuses
 * ALLOY_TEST_CLOCK_FILE otherwise), the epoch milliseconds written in `testClockFile`, read at
 * each call, so a test moves the time of every process it started by writing one file.
 */
export function engineClock(testClockFile: string | undefined): () => number {
  if (!testClockFile) return Date.now;
  return () => {
    const ms = Number(readFileSync(testClockFile, 'utf8').trim());
    if (!Number.isFinite(ms)) throw new Error(`ALLOY_TEST_CLOCK_FILE: ${testClockFile} holds no epoch milliseconds`);
    return ms;
  };
}
