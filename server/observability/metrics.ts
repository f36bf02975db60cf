import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isStoreUnavailable } from '../errors';
import type { Store } from '../store';
import { logger } from './log';

/**
 * The Prometheus metrics (`GET /metrics`, docs/operations.md#metrics). A registry of our own, not
 * prom-client's global one, so that nothing a dependency registers shows up. Counters and
 * histograms are moved where their numbers are produced (one call each, below); the queue and pool
 * gauges are read from the scraped process's store when it is scraped.
 *
 * Every label is bounded: a route is the matched route pattern (never the path, which holds ids
 * and webhook tokens), a workflow or connector an id from the definitions.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const httpRequests = new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests answered, by route pattern, method and status.',
  labelNames: ['route', 'method', 'status'] as const,
  registers: [registry],
});
const httpDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by route pattern and method.',
  labelNames: ['route', 'method'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
const eventsAccepted = new Counter({
  name: 'events_accepted_total',
  help: 'Events recorded (with their executions), by who sent them: isv, browser or webhook. Idempotent repeats are not counted.',
  labelNames: ['source'] as const,
  registers: [registry],
});
const executions = new Counter({
  name: 'executions_total',
  help: 'Runs of executions by this process, by workflow and outcome (succeeded, skipped, failed, retrying, deferred, lost, interrupted, crashed).',
  labelNames: ['workflow', 'outcome'] as const,
  registers: [registry],
});
const executionDuration = new Histogram({
  name: 'execution_duration_seconds',
  help: 'Time a run of an execution took, from its claim to its outcome (one attempt; deferred runs are not counted), by workflow.',
  labelNames: ['workflow'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [registry],
});
const retries = new Counter({
  name: 'retries_total',
  help: 'Runs that ended in a retriable failure and were scheduled for another attempt.',
  registers: [registry],
});
const deliveries = new Counter({
  name: 'deliveries_total',
  help: "Calls of connectors' actions (one per action block run), by connector and outcome: succeeded, retriable (to be tried again) or failed (not retried).",
  labelNames: ['connector', 'outcome'] as const,
  registers: [registry],
});
const rateLimited = new Counter({
  name: 'rate_limited_total',
  help: 'Requests refused with 429 by a rate limit, by its scope (api_key, user).',
  labelNames: ['scope'] as const,
  registers: [registry],
});
const storeErrors = new Counter({
  name: 'store_errors_total',
  help: 'Queries the store failed, by kind: unavailable (the database cannot be reached or is out of resources), constraint (a unique or foreign key refused a row) or other.',
  labelNames: ['kind'] as const,
  registers: [registry],
});
const queueDepth = new Gauge({
  name: 'queue_depth',
  help: 'Executions queued in the store, due or waiting for a retry, across every process.',
  registers: [registry],
});
const queueOldestAge = new Gauge({
  name: 'queue_oldest_age_seconds',
  help: 'How long the longest-waiting due execution has been due without a worker taking it (0 when none is).',
  registers: [registry],
});
// Registered at the first scrape of a PostgreSQL store: SQLite has no pool, and a gauge never set would say 0.
const poolInUse = new Gauge({ name: 'db_pool_in_use', help: "PostgreSQL: this process's connections running a query or a transaction.", registers: [] });
const poolSize = new Gauge({ name: 'db_pool_size', help: "PostgreSQL: the most connections this process's pool opens.", registers: [] });
const poolWaiting = new Gauge({ name: 'db_pool_waiting', help: 'PostgreSQL: queries waiting for a free connection of the pool.', registers: [] });

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** One HTTP request answered: `route` is the matched route pattern (`unmatched` for none). */
export function observeHttp(route: string, method: string, status: number, seconds: number): void {
  const m = METHODS.has(method) ? method : 'OTHER';
  httpRequests.inc({ route, method: m, status: String(status) });
  httpDuration.observe({ route, method: m }, seconds);
}

export function countAcceptedEvent(source: string): void {
  eventsAccepted.inc({ source });
}

/** One run of an execution ended with `outcome`, `claimedAt` (epoch ms) after it was claimed. */
export function observeExecution(workflow: string, outcome: string, claimedAt: number): void {
  executions.inc({ workflow, outcome });
  if (outcome === 'retrying') retries.inc();
  if (outcome !== 'deferred') executionDuration.observe({ workflow }, (Date.now() - claimedAt) / 1000);
}

/** One call of a connector's action and how it ended: `retriable` when the engine tries it again, `failed` when it does not. */
export function countDelivery(connector: string, outcome: 'succeeded' | 'retriable' | 'failed'): void {
  deliveries.inc({ connector, outcome });
}

/** A rate limit refused a request; `what` is its scope as the 429 names it ("API key", "user"). */
export function countRateLimited(what: string): void {
  rateLimited.inc({ scope: what.toLowerCase().replace(/\W+/g, '_') });
}

/** A unique index (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_*) or a foreign key refused a row. */
const isConstraint = (code: unknown) => typeof code === 'string' && (/^23\d{3}$/.test(code) || code.startsWith('SQLITE_CONSTRAINT'));

/** Counts a failed store query and gives the error back, to be thrown on: `throw storeError(err)`. */
export function storeError(err: unknown): unknown {
  const kind = isStoreUnavailable(err) ? 'unavailable' : isConstraint((err as { code?: unknown })?.code) ? 'constraint' : 'other';
  storeErrors.inc({ kind });
  return err;
}

/**
 * The metrics in Prometheus's text format, the queue and pool gauges read from `store` first. A
 * store that does not answer leaves them as they were (its failure is counted in
 * store_errors_total): the rest of the scrape is still worth having.
 */
export async function renderMetrics(store: Store): Promise<string> {
  const pool = store.db.poolStats?.();
  if (pool) {
    if (!registry.getSingleMetric('db_pool_size')) for (const gauge of [poolInUse, poolSize, poolWaiting]) registry.registerMetric(gauge);
    poolInUse.set(pool.inUse);
    poolSize.set(pool.size);
    poolWaiting.set(pool.waiting);
  }
  try {
    const now = Date.now();
    const queue = await store.executions.queueStats(now);
    queueDepth.set(queue.depth);
    queueOldestAge.set(queue.oldestDueAt === null ? 0 : Math.max(0, now - queue.oldestDueAt) / 1000);
  } catch (err) {
    logger.debug({ err }, 'metrics: the queue gauges could not be read');
  }
  return registry.metrics();
}

export const METRICS_CONTENT_TYPE = registry.contentType;
