import { z } from 'zod';
import { Scheduler } from '../engine/scheduler';
import { cronProblem, nextOccurrence, timezoneProblem } from './cron';
import { defineTrigger, type TriggerHookContext } from './types';
import type { Installation } from '../store/installations';

/** Checks a string with `problem`, reporting what it answers at the string's own path. */
const checked = (problem: (value: string) => string | undefined) =>
  z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  });

const schema = z.strictObject({
  type: z.literal('schedule'),
  /** Five fields (minute hour day-of-month month day-of-week) or a nickname (`@daily`). */
  cron: checked(cronProblem),
  /** The IANA time zone the cron expression is read in: `0 9 * * 1-5` in `Europe/Paris` is 9:00 in Paris, summer and winter. */
  timezone: checked(timezoneProblem),
});

type ScheduleTrigger = z.output<typeof schema>;

// Each active installation has a row with its next occurrence (server/store/schedules.ts); the
// scheduler beside each worker takes the due ones (server/engine/scheduler.ts).
async function plan({ tx, store, now }: TriggerHookContext, installation: Installation, { cron, timezone }: ScheduleTrigger) {
  if (!installation.active) return store.schedules.remove(installation.installationId, tx);
  const spec = { cron, timezone };
  const next = nextOccurrence(spec, now);
  if (next === null) return store.schedules.remove(installation.installationId, tx);
  await store.schedules.plan(installation.installationId, spec, next, tx);
}

const unplan = ({ tx, store }: TriggerHookContext, installation: Installation) => store.schedules.remove(installation.installationId, tx);

/**
 * Starts each active installation at every occurrence of a cron expression in a time zone, once
 * per occurrence whatever the number of worker processes. Occurrences missed while no worker ran
 * run once, late, saying so. The event's data: `{ scheduledAt, firedAt, late?: { missed, since } }`.
 */
export const scheduleTrigger = defineTrigger({
  type: 'schedule',
  schema,
  key: () => null,
  needsUrl: false,
  view: () => ({ block: { name: 'Schedule', type: 'schedule', icon: '/icons/schedule.svg' }, summary: { type: 'schedule' } }),
  installed: plan,
  activated: plan,
  deactivated: unplan,
  uninstalled: unplan,
  runner: (deps) => new Scheduler(deps),
});
