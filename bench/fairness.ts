/**
 * 6. Fairness: user A floods 5,000 events, then user B sends one. How long B's execution waits
 *    behind A's backlog, from accept (its `created_at`, written in the event's commit) to its start
 *    (`started_at`) and to its arrival at the sink, in milliseconds and in units of A's median
 *    execution time (`finished_at - started_at`). Run twice per store: with USER_CONCURRENCY at half
 *    the worker, and with the default, USER_CONCURRENCY = WORKER_CONCURRENCY, where only the
 *    claims' turns between users keep B's wait short.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer } from './process';
import { API_KEY, call, headers, installStreaming, int, mark, ms, openBenchStore, orderBody, quantile, streamingDefinitions, type Row, type StoreKind } from './common';

const FLOOD = 5000;
const WORKER_CONCURRENCY = 50;
/** How long the sink takes to answer: a destination doing a little work, so an execution takes a few ms. */
const SINK_DELAY_MS = 5;
/** Requests the flood keeps in flight. */
const FLOOD_CONNECTIONS = 50;

export interface FairnessResult {
  store: StoreKind;
  userConcurrency: number;
  /** B's accept → start and accept → arrival, ms. */
  toStart: number;
  toArrival: number;
  /** A's median execution time (start → finish), ms. */
  aMedian: number;
  /** A's executions that started between B's accept and B's start. */
  aStartedBetween: number;
  /** A's executions not yet started when B started: the backlog B was behind. */
  aWaiting: number;
}

/** A Stream Data receiver answering after SINK_DELAY_MS, keeping each delivery's arrival time by execution id. */
async function startSlowSink() {
  const arrivals = new Map<string, number>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '').split('_')[0]!;
      if (!arrivals.has(id)) arrivals.set(id, performance.timeOrigin + performance.now());
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}'), SINK_DELAY_MS);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function fairness(kind: StoreKind, userConcurrency: number, pgUrl?: string): Promise<FairnessResult> {
  const sink = await startSlowSink();
  const store = await openBenchStore(kind, pgUrl);
  const env = {
    WORKERS: 'on',
    DEMO: 'off',
    ALLOY_API_KEY: API_KEY,
    INTEGRATIONS_DIR: streamingDefinitions(sink.url),
    ALLOY_ALLOW_PRIVATE_URLS: 'true',
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    // The default leaves it unset: no cap beyond the worker's slots, and nothing counted.
    ...(userConcurrency < WORKER_CONCURRENCY ? { USER_CONCURRENCY: String(userConcurrency) } : {}),
    ...store.env,
  };
  const server = await startServer('server/index.ts', env);
  try {
    const a = await installStreaming(server.url, 'flood');
    const b = await installStreaming(server.url, 'single');
    const url = `${server.url}/run/event`;
    process.stdout.write(`  ${kind}, USER_CONCURRENCY ${userConcurrency}: A floods ${int(FLOOD)} events… `);
    let sent = 0;
    const body = orderBody(a);
    await Promise.all(
      Array.from({ length: FLOOD_CONNECTIONS }, async () => {
        while (sent < FLOOD) {
          sent++;
          const res = await fetch(url, { method: 'POST', headers, body });
          if (!res.ok) throw new Error(`flood: ${res.status} ${await res.text()}`);
          await res.arrayBuffer();
        }
      }),
    );
    const { executionIds } = await call(url, 'POST', JSON.parse(orderBody(b)));
    const bId = executionIds[0] as string;
    const deadline = Date.now() + 120_000;
    while (!sink.arrivals.has(bId)) {
      if (Date.now() > deadline) throw new Error("B's delivery never arrived");
      await new Promise((r) => setTimeout(r, 10));
    }
    const [bRow] = await store.query<{ created_at: number | string; started_at: number | string }>('SELECT created_at, started_at FROM executions WHERE id = ?', [bId]);
    const accepted = Number(bRow!.created_at);
    const started = Number(bRow!.started_at);
    const aRows = await store.query<{ started_at: number | string | null; finished_at: number | string | null }>(
      'SELECT started_at, finished_at FROM executions WHERE user_id = ?',
      [a],
    );
    const durations = aRows.filter((r) => r.finished_at !== null && r.started_at !== null).map((r) => Number(r.finished_at) - Number(r.started_at));
    const result: FairnessResult = {
      store: kind,
      userConcurrency,
      toStart: started - accepted,
      toArrival: sink.arrivals.get(bId)! - accepted,
      aMedian: quantile(durations, 0.5),
      aStartedBetween: aRows.filter((r) => r.started_at !== null && Number(r.started_at) >= accepted && Number(r.started_at) < started).length,
      aWaiting: aRows.filter((r) => r.started_at === null || Number(r.started_at) > started).length,
    };
    console.log(
      `B: accept → start ${ms(result.toStart)}, → arrival ${ms(result.toArrival)}; A's median execution ${ms(result.aMedian)}, ${int(result.aWaiting)} of A's still waiting`,
    );
    return result;
  } catch (err) {
    console.error(server.output());
    throw err;
  } finally {
    await server.kill();
    await sink.close();
    await store.dispose();
  }
}

/** Both settings on one store: USER_CONCURRENCY at half the worker, and the default (none below the worker's own slots). */
export async function fairnessRuns(kind: StoreKind, pgUrl?: string): Promise<FairnessResult[]> {
  return [await fairness(kind, Math.ceil(WORKER_CONCURRENCY / 2), pgUrl), await fairness(kind, WORKER_CONCURRENCY, pgUrl)];
}

export function fairnessRows(results: FairnessResult[]): Row[] {
  return results.map((f): Row => {
    const units = (v: number) => (f.aMedian > 0 ? (v / f.aMedian).toFixed(2) : '—');
    const setting =
      f.userConcurrency === WORKER_CONCURRENCY
        ? `USER_CONCURRENCY unset (the default: no cap beyond WORKER_CONCURRENCY ${f.userConcurrency}), turns alone`
        : `USER_CONCURRENCY ${f.userConcurrency} (half the worker)`;
    return [
      `${f.store} fairness, ${setting}: B's one event behind A's ${int(FLOOD)}: accept → start / → delivery`,
      `${ms(f.toStart)} / ${ms(f.toArrival)} = ${units(f.toStart)} / ${units(f.toArrival)} of A's median execution (${ms(f.aMedian)}); ` +
        `${f.aStartedBetween} of A's started in between, ${int(f.aWaiting)} still waiting`,
      `WORKER_CONCURRENCY ${WORKER_CONCURRENCY}, a Stream Data sink answering in ${SINK_DELAY_MS} ms; A's events sent ${FLOOD_CONNECTIONS} at a time, B's right after`,
      "start within about one of A's executions",
      mark(f.toStart <= Math.max(1, f.aMedian) * 1.5),
    ];
  });
}
