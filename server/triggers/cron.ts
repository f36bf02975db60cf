import { Cron } from 'croner';

/** When a schedule fires: a 5-field cron expression read in an IANA time zone. */
export interface ScheduleSpec {
  cron: string;
  timezone: string;
}

/** Missed occurrences counted one by one up to here (each costs about 50 µs); a longer outage reports this many. */
export const MAX_COUNTED = 1000;

const crons = new Map<string, Cron>();

// No callback: croner only computes occurrences, it starts no timer of its own. OR of the
// day-of-month and day-of-week fields, as Vixie cron has it.
function cronOf(spec: ScheduleSpec): Cron {
  const key = `${spec.timezone} ${spec.cron}`;
  let cron = crons.get(key);
  if (!cron) crons.set(key, (cron = new Cron(spec.cron, { timezone: spec.timezone, mode: '5-part', domAndDow: false })));
  return cron;
}

/** Why `cron` is not a 5-field cron expression (or a nickname such as `@daily`) that ever occurs; undefined when it is. */
export function cronProblem(cron: string): string | undefined {
  let parsed: Cron;
  try {
    parsed = new Cron(cron, { timezone: 'UTC', mode: '5-part' });
  } catch (err) {
    const reason = (err as Error).message.replace(/^CronPattern: /, '');
    return `invalid cron expression "${cron}": ${reason} (expected minute hour day-of-month month day-of-week, or @hourly, @daily, @weekly, @monthly, @yearly)`;
  }
  return parsed.nextRun() ? undefined : `the cron expression "${cron}" never occurs`;
}

/** Why `timezone` is not an IANA time zone name; undefined when it is. */
export function timezoneProblem(timezone: string): string | undefined {
  const expected = `unknown time zone "${timezone}": expected an IANA name such as "Europe/Paris" or "UTC"`;
  // Intl also takes offsets ("+01:00"), which know no daylight saving time: not a time zone.
  if (/^[+-]/.test(timezone)) return expected;
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
    return undefined;
  } catch {
    return expected;
  }
}

/** The first occurrence strictly after `after` (epoch ms), or null when there is none. */
export function nextOccurrence(spec: ScheduleSpec, after: number): number | null {
  return cronOf(spec).nextRun(new Date(after))?.getTime() ?? null;
}

/**
 * The occurrences due at `now` from `dueAt` (itself one, at or before `now`): the latest of them,
 * how many there are (up to MAX_COUNTED), and the first one after `now`.
 */
export function occurrencesDue(spec: ScheduleSpec, dueAt: number, now: number): { latest: number; count: number; next: number | null } {
  const cron = cronOf(spec);
  let latest = dueAt;
  for (let count = 1; count < MAX_COUNTED; count++) {
    const next = cron.nextRun(new Date(latest))?.getTime() ?? null;
    if (next === null || next > now) return { latest, count, next };
    latest = next;
  }
  // Too many to count one by one: the latest is found directly.
  latest = Math.max(latest, cron.previousRuns(1, new Date(now + 1))[0]?.getTime() ?? latest);
  return { latest, count: MAX_COUNTED, next: nextOccurrence(spec, now) };
}
