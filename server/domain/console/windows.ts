import type { Window } from './schemas';

/** Each window of the overview and the error groups: how many buckets of how long. */
const WINDOWS: Record<Window, { buckets: number; bucketMs: number }> = {
  hour: { buckets: 60, bucketMs: 60_000 },
  day: { buckets: 96, bucketMs: 15 * 60_000 },
  week: { buckets: 168, bucketMs: 3_600_000 },
};

export interface WindowRange {
  /** Epoch ms: the first bucket's start (inclusive). */
  from: number;
  /** Epoch ms: the last bucket's end (exclusive). */
  to: number;
  bucketMs: number;
  buckets: number;
}

/**
 * The window ending with the bucket `now` falls in: whole buckets on the clock (minutes, quarter
 * hours, hours), so two loads a moment apart draw the same bars, the last one still filling.
 */
export function windowRange(window: Window, now: number): WindowRange {
  const { buckets, bucketMs } = WINDOWS[window];
  const to = (Math.floor(now / bucketMs) + 1) * bucketMs;
  return { from: to - buckets * bucketMs, to, bucketMs, buckets };
}
