import type { OverviewRow } from '../../store/console';

/** A group's counts and duration percentiles (a bucket, a workflow, the whole window). */
export interface Outcome {
  executions: number;
  succeeded: number;
  failed: number;
  /** succeeded / (succeeded + failed): a run a filter skipped is neither; null when none ended so. */
  successRate: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** The nearest-rank percentile `q` (0–100) of durations sorted ascending: the value at rank ceil(n·q/100); null for none. */
export function percentile(sorted: ArrayLike<number>, q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(1, Math.ceil((sorted.length * q) / 100)) - 1]!;
}

class Tally {
  executions = 0;
  succeeded = 0;
  failed = 0;
  readonly durations: number[] = [];

  add(row: OverviewRow): void {
    this.executions++;
    if (row.status === 'succeeded') this.succeeded++;
    if (row.status === 'failed') this.failed++;
    if (row.durationMs !== null) this.durations.push(row.durationMs);
  }

  outcome(): Outcome {
    // A typed array sorts numerically, without a comparator call per pair.
    const sorted = Float64Array.from(this.durations).sort();
    const ended = this.succeeded + this.failed;
    return {
      executions: this.executions,
      succeeded: this.succeeded,
      failed: this.failed,
      successRate: ended === 0 ? null : this.succeeded / ended,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
    };
  }
}

/**
 * The overview's numbers from the window's executions: per bucket (every bucket, empty ones
 * too), per workflow and in all.
 *
 * @example summarize(await lists.overviewRows(range), range.buckets).totals.p99Ms
 */
export function summarize(rows: readonly OverviewRow[], buckets: number): { buckets: Outcome[]; workflows: Map<string, Outcome>; totals: Outcome } {
  const perBucket = Array.from({ length: buckets }, () => new Tally());
  const perWorkflow = new Map<string, Tally>();
  const all = new Tally();
  for (const row of rows) {
    perBucket[row.bucket]?.add(row);
    let workflow = perWorkflow.get(row.workflowId);
    if (!workflow) perWorkflow.set(row.workflowId, (workflow = new Tally()));
    workflow.add(row);
    all.add(row);
  }
  return { buckets: perBucket.map((t) => t.outcome()), workflows: new Map([...perWorkflow].map(([id, t]) => [id, t.outcome()])), totals: all.outcome() };
}
