import type { Api } from '../../api';
import { summarize, type Outcome } from '../../domain/console/overview';
import * as C from '../../domain/console/schemas';
import { windowRange } from '../../domain/console/windows';
import { workflowName, type ConsoleContext } from './index';

const iso = (ms: number) => new Date(ms).toISOString();
const NONE: Outcome = { executions: 0, succeeded: 0, failed: 0, successRate: null, p50Ms: null, p99Ms: null };

/** The overview: executions per bucket, success rate, p50 and p99 duration and errors, over the last hour, day or week. */
export function overviewRoutes(api: Api, { services, lists, now }: ConsoleContext) {
  api.get(
    '/console/api/overview',
    {
      summary: 'Executions, success rate, durations and errors over a window',
      description:
        'hour: 60 one-minute buckets; day: 96 of fifteen minutes; week: 168 hourly. Executions count by when they were created; durations are from the event to the end of the run; errors are the error log entries of the window.',
      tags: ['Console'],
      query: C.OverviewQuery,
      response: C.Overview,
    },
    async (c, { query }) => {
      const range = windowRange(query.window, now());
      const [rows, errors] = await Promise.all([lists.overviewRows(range, query.workflowId), lists.errorCounts(range, query.workflowId)]);
      const found = summarize(rows, range.buckets);
      const byWorkflow = [...new Set([...found.workflows.keys(), ...errors.keys()])]
        .map((workflowId) => {
          const { executions, successRate, p50Ms, p99Ms } = found.workflows.get(workflowId) ?? NONE;
          return { workflowId, name: workflowName(services, workflowId), executions, successRate, p50Ms, p99Ms, errors: errors.get(workflowId) ?? 0 };
        })
        .sort((a, b) => b.executions - a.executions || a.workflowId.localeCompare(b.workflowId));
      const { executions, successRate, p50Ms, p99Ms } = found.totals;
      return c.json({
        window: query.window,
        bucketSeconds: range.bucketMs / 1000,
        from: iso(range.from),
        to: iso(range.to),
        series: found.buckets.map((o, b) => ({
          t: iso(range.from + b * range.bucketMs),
          executions: o.executions,
          succeeded: o.succeeded,
          failed: o.failed,
          p50Ms: o.p50Ms,
          p99Ms: o.p99Ms,
        })),
        totals: { executions, successRate, p50Ms, p99Ms, errors: [...errors.values()].reduce((a, b) => a + b, 0) },
        byWorkflow,
      });
    },
  );
}
