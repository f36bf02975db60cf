import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSink } from '../../demo/fakes/sink';
import { definitionsWith, orderStreamIntegration } from '../helpers/definitions';
import { createUserWithSlack, installHeadless, ticket } from '../helpers/flows';
import { processStore, startProcess, type RunningProcess } from '../helpers/process';
import { createUser, startTestServer, storeKind, userToken, waitForExecution, type TestServer } from '../helpers/server';

const TOKEN = 'metrics-token-0123456789';

/**
 * One series of a histogram (all its labels given), as parse-prometheus-text-format reads it:
 * `{ buckets, count, sum }`. The parser reads those only of a histogram without labels (of a
 * labelled one it keeps neither count nor sum, and mixes the series' buckets), so the series' lines
 * are given to it alone, their labels but `le` taken off.
 */
function histogramOf(text: string, name: string, labels: Record<string, string>) {
  const lines = text.split('\n').flatMap((line) => {
    const sample = /^(\w+)\{(.*)\} (.*)$/.exec(line);
    if (!sample || ![`${name}_bucket`, `${name}_sum`, `${name}_count`].includes(sample[1]!)) return [];
    const { le, ...own } = Object.fromEntries([...sample[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (Object.keys(own).length !== Object.keys(labels).length || Object.entries(labels).some(([k, v]) => own[k] !== v)) return [];
    return [`${sample[1]}${le === undefined ? '' : `{le="${le}"}`} ${sample[3]}`];
  });
  if (lines.length === 0) return { buckets: {} as Record<string, string>, count: 0, sum: 0 };
  // Ended by a newline, as an exposition is: the parser drops a last line without one.
  const [family] = parsePrometheusTextFormat(`${[`# TYPE ${name} histogram`, ...lines].join('\n')}\n`);
  const series = family!.metrics[0]!;
  return { buckets: series.buckets ?? {}, count: Number(series.count), sum: Number(series.sum) };
}

/** The families of one scrape, and readers of a sample by name and labels (those given must match; the others may be anything, and matching samples add up). */
function metricsOf(text: string) {
  const families = parsePrometheusTextFormat(text);
  const family = (name: string): PrometheusFamily | undefined => families.find((f) => f.name === name);
  const matching = (name: string, labels: Record<string, string>) => (family(name)?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return {
    family,
    /** A counter's or gauge's value (0 when no sample matches). */
    value: (name: string, labels: Record<string, string> = {}) => matching(name, labels).reduce((sum, m) => sum + Number(m.value), 0),
    /** A histogram's series by all its labels. */
    histogram: (name: string, labels: Record<string, string>) => histogramOf(text, name, labels),
    labels: (name: string) => (family(name)?.metrics ?? []).map((m) => m.labels ?? {}),
  };
}

async function scrape(server: TestServer) {
  const res = await server.request('GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status, String(res.body)).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return metricsOf(res.body as string);
}

describe(`GET /metrics (${storeKind})`, () => {
  describe('behind METRICS_TOKEN on the API port', () => {
    let server: TestServer;
    let sink: Awaited<ReturnType<typeof startSink>>;
    beforeAll(async () => {
      sink = await startSink();
      server = await startTestServer({
        env: {
          METRICS_TOKEN: TOKEN,
          WORKERS: 'on',
          RETRY_SCHEDULE: '20',
          ALLOY_ALLOW_PRIVATE_URLS: 'true',
          // One request per user now and then: the second is refused.
          RATE_LIMIT_USER_PER_SECOND: '0.001',
          RATE_LIMIT_USER_BURST: '1',
        },
        definitions: () => definitionsWith([orderStreamIntegration(`${sink.url}/orders`)]),
      });
    });
    afterAll(async () => {
      await server.close();
      await sink.close();
    });

    it('refuses a scrape without the token, with a wrong one and with the API key', async () => {
      for (const authorization of [undefined, `Bearer ${TOKEN}x`, 'Bearer test_api_key_0123456789abcdef']) {
        const res = await server.request('GET', '/metrics', authorization ? { headers: { authorization } } : { apiKey: null });
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('unauthorized');
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
      }
    });

    it('moves the counters and histograms of requests, events, executions, deliveries, retries, rate limits and store errors between two scrapes', async () => {
      const userId = await createUser(server, 'metered');
      await installHeadless(server, userId, 'acme');
      const before = await scrape(server);

      // The first delivery fails (a 500: retried), the others go through.
      sink.failNext(1, 500);
      const executionIds: string[] = [];
      for (const orderId of ['o-1', 'o-2', 'o-3']) {
        const res = await server.request('POST', '/run/event', { body: { event: 'Order Paid', userId, data: { orderId } } });
        expect(res.status).toBe(200);
        executionIds.push(res.body.executionIds[0]);
      }
      for (const id of executionIds) await waitForExecution(server, userId, 'order-paid', id, 'succeeded');
      // A user's second call within the limit's refill is refused.
      const token = await userToken(server, userId);
      expect((await server.request('GET', '/me/installations', { token })).status).toBe(200);
      expect((await server.request('GET', '/me/installations', { token })).status).toBe(429);
      // A rename to a taken username: the unique index refuses it (a 409).
      await createUser(server, 'taken');
      expect((await server.request('PUT', `/users/${userId}`, { body: { username: 'taken' } })).status).toBe(409);

      const after = await scrape(server);
      const delta = (name: string, labels: Record<string, string> = {}) => after.value(name, labels) - before.value(name, labels);
      expect(delta('http_requests_total', { route: '/run/event', method: 'POST', status: '200' })).toBe(3);
      expect(delta('http_requests_total', { route: '/me/installations', method: 'GET', status: '429' })).toBe(1);
      expect(delta('events_accepted_total', { source: 'isv' })).toBe(3);
      expect(delta('executions_total', { workflow: 'order-paid', outcome: 'succeeded' })).toBe(3);
      expect(delta('executions_total', { workflow: 'order-paid', outcome: 'retrying' })).toBe(1);
      expect(delta('retries_total')).toBe(1);
      expect(delta('deliveries_total', { connector: 'streamData', outcome: 'succeeded' })).toBe(3);
      expect(delta('deliveries_total', { connector: 'streamData', outcome: 'retriable' })).toBe(1);
      expect(delta('rate_limited_total', { scope: 'user' })).toBe(1);
      expect(delta('store_errors_total', { kind: 'constraint' })).toBe(1);
      // The histograms: as many more observations, each in the +Inf bucket and in its own, and their time added to the sum.
      const histograms: Array<[string, Record<string, string>, number]> = [
        ['http_request_duration_seconds', { route: '/run/event', method: 'POST' }, 3],
        // Four runs: the one that failed, its retry, and the two others.
        ['execution_duration_seconds', { workflow: 'order-paid' }, 4],
      ];
      for (const [name, labels, observed] of histograms) {
        const [was, now] = [before.histogram(name, labels), after.histogram(name, labels)];
        expect(now.count - was.count, name).toBe(observed);
        expect(Number(now.buckets['+Inf']), name).toBe(now.count);
        expect(now.sum, name).toBeGreaterThan(was.sum);
        const bounds = Object.keys(now.buckets).filter((le) => le !== '+Inf');
        expect(bounds.length, name).toBeGreaterThan(5);
        expect(
          bounds.reduce((moved, le) => moved + Number(now.buckets[le]) - Number(was.buckets[le] ?? 0), 0),
          name,
        ).toBeGreaterThanOrEqual(observed);
      }

      // Route patterns, never paths: no id or token in a label.
      const routes = after.labels('http_requests_total').map((l) => l.route);
      expect(routes).toContain('/workflows/:workflowId/logs');
      expect(routes).toContain('/users/:userId');
      expect(routes.some((r) => r!.includes(userId))).toBe(false);
      // Gauges and the process's own metrics are there too.
      expect(after.family('queue_depth')?.type).toBe('GAUGE');
      expect(after.family('queue_oldest_age_seconds')?.type).toBe('GAUGE');
      expect(after.family('process_cpu_seconds_total')?.type).toBe('COUNTER');
      expect(after.family('nodejs_heap_size_used_bytes')?.type).toBe('GAUGE');
      if (storeKind === 'postgres') {
        expect(after.value('db_pool_size')).toBe(4);
        expect(after.value('db_pool_in_use')).toBeGreaterThanOrEqual(0);
        expect(after.value('db_pool_in_use')).toBeLessThanOrEqual(4);
      } else {
        expect(after.family('db_pool_size')?.metrics ?? []).toEqual([]);
      }
    });
  });

  describe('the queue gauges', () => {
    let server: TestServer;
    beforeAll(async () => {
      // Workers off: what is accepted stays queued.
      server = await startTestServer({ env: { METRICS_TOKEN: TOKEN } });
    });
    afterAll(() => server.close());

    it('read the depth and the age of the oldest due execution from the store when scraped', async () => {
      const userId = await createUserWithSlack(server, 'queued');
      const empty = await scrape(server);
      expect(empty.value('queue_depth')).toBe(0);
      expect(empty.value('queue_oldest_age_seconds')).toBe(0);
      for (let i = 0; i < 2; i++) expect((await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } })).status).toBe(200);
      // The oldest has waited a minute; a retry due in an hour is queued but not waiting yet.
      const [oldest, other] = await server.services.store.db.all<{ id: string }>("SELECT id FROM executions WHERE status = 'queued' ORDER BY id");
      await server.services.store.db.run('UPDATE executions SET next_attempt_at = ? WHERE id = ?', [Date.now() - 60_000, oldest!.id]);
      await server.services.store.db.run('UPDATE executions SET next_attempt_at = ? WHERE id = ?', [Date.now() + 3_600_000, other!.id]);

      const metrics = await scrape(server);
      expect(metrics.value('queue_depth')).toBe(2);
      expect(metrics.value('queue_oldest_age_seconds')).toBeGreaterThanOrEqual(60);
      expect(metrics.value('queue_oldest_age_seconds')).toBeLessThan(120);
    });
  });

  describe('with neither METRICS_TOKEN nor METRICS_PORT', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer();
    });
    afterAll(() => server.close());

    it('is not served at all: a 404, whatever the credential', async () => {
      for (const options of [{ apiKey: null }, {}, { headers: { authorization: `Bearer ${TOKEN}` } }]) {
        const res = await server.request('GET', '/metrics', options);
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
    });
  });

  describe('with METRICS_PORT', () => {
    let store: Awaited<ReturnType<typeof processStore>>;
    const processes: RunningProcess[] = [];
    beforeAll(async () => {
      store = await processStore();
    });
    afterEach(async () => {
      await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
    });
    afterAll(() => store.dispose());

    /** The address METRICS_PORT listens on, from the process's log. */
    const adminUrl = (proc: RunningProcess) => proc.output().match(/(http:\/\/[^\s",]+)\/metrics/)![1]!;

    it('serves a server’s metrics on that port only, and its probes there too', async () => {
      const server = await startProcess('server/index.ts', { ...store.env, WORKERS: 'off', METRICS_PORT: '0', METRICS_TOKEN: TOKEN });
      processes.push(server);
      const admin = adminUrl(server);
      expect(admin).not.toBe(server.url);
      const scraped = await fetch(`${admin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(scraped.status).toBe(200);
      expect(metricsOf(await scraped.text()).family('http_requests_total')?.type).toBe('COUNTER');
      // The token is asked for there too, when one is set.
      expect((await fetch(`${admin}/metrics`)).status).toBe(401);
      // Not on the API's port, even with the token.
      expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
      expect(await (await fetch(`${admin}/health/live`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${admin}/health/ready`)).status).toBe(200);
    });

    it('serves a worker process’s metrics, open to whoever reaches the port when no token is set', async () => {
      const worker = await startProcess('server/worker.ts', { ...store.env, METRICS_PORT: '0' });
      processes.push(worker);
      const admin = adminUrl(worker);
      const scraped = await fetch(`${admin}/metrics`);
      expect(scraped.status).toBe(200);
      const metrics = metricsOf(await scraped.text());
      expect(metrics.family('queue_depth')?.type).toBe('GAUGE');
      expect(metrics.family('executions_total')?.type).toBe('COUNTER');
      expect(await (await fetch(`${admin}/health/ready`)).json()).toMatchObject({ status: 'ready' });
    });
  });
});
