/**
 * 4. Scale-out on PostgreSQL: executions/s with 1 worker process, then 2 (`npm run worker`).
 *    A server with WORKERS=off queues N "Order Paid" events (Stream Data to a sink on loopback);
 *    then the workers start and drain the queue. The rate is taken between the 10th and the 90th
 *    percentile of arrivals, so start-up and the tail do not count. The cores the 1-worker
 *    drain used (worker, PostgreSQL, sink, over the whole drain: if anything, too few) tell
 *    whether the target factor could fit on the machine at all.
 */
import os from 'node:os';
import { autocannon, startServer, type Server } from './process';
import {
  acceptToArrival,
  API_KEY,
  busyShare,
  cpuTimes,
  headers,
  postgresCpuSince,
  processCpuSeconds,
  installStreaming,
  int,
  openBenchStore,
  orderBody,
  quantile,
  startSink,
  streamingDefinitions,
  type Row,
} from './common';

const EVENTS = 8000;
const LATENCY_RATE = 500;
const TARGET_FACTOR = 1.7;

export interface ScaledLatency {
  rate: number;
  accepted: number;
  delivered: number;
  p50: number;
  p99: number;
}

export interface ScaleOutStep {
  workers: number;
  perSecond: number;
  cpuBusy: number;
  /** Cores used during the drain, on average: by the worker processes, by PostgreSQL, by the benchmark's sink. */
  cores: { workers: number; postgres: number; sink: number };
  delivered: number;
  duplicates: number;
}

export async function scaleOut(pgUrl: string): Promise<{ steps: ScaleOutStep[]; latency: ScaledLatency }> {
  const sink = await startSink();
  const store = await openBenchStore('PostgreSQL', pgUrl);
  const env = {
    DEMO: 'off',
    ALLOY_API_KEY: API_KEY,
    INTEGRATIONS_DIR: streamingDefinitions(sink.url),
    ALLOY_ALLOW_PRIVATE_URLS: 'true',
    ...store.env,
  };
  const server = await startServer('server/index.ts', { ...env, WORKERS: 'off' });
  const workers: Server[] = [];
  try {
    const userId = await installStreaming(server.url);

    // Latency across processes: the server accepts, a worker process of its own delivers, woken
    // by PostgreSQL's NOTIFY in the event's commit (not its 250 ms poll).
    process.stdout.write(`  PostgreSQL: ${LATENCY_RATE} events/s for 5 s, server + 1 worker process… `);
    workers.push(await startServer('server/worker.ts', env, /worker (\S+) running/));
    await autocannon(`${server.url}/run/event`, orderBody(userId), headers, { connections: 10, seconds: 2, rate: LATENCY_RATE });
    await sink.waitFor(1, 10_000);
    await new Promise((r) => setTimeout(r, 1000));
    sink.reset();
    const steady = await autocannon(`${server.url}/run/event`, orderBody(userId), headers, { connections: 10, seconds: 5, rate: LATENCY_RATE });
    await sink.waitFor(steady.ok2xx, 60_000);
    await Promise.all(workers.splice(0).map((w) => w.kill()));
    const latencies = await acceptToArrival(store, sink);
    const latency = { rate: LATENCY_RATE, accepted: steady.ok2xx, delivered: sink.arrivals.size, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
    console.log(`accept → arrival p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms`);

    const steps: ScaleOutStep[] = [];
    for (const count of [1, 2]) {
      sink.reset();
      process.stdout.write(`  PostgreSQL: ${int(EVENTS)} executions queued, ${count} worker process${count > 1 ? 'es' : ''}… `);
      const queued = await autocannon(`${server.url}/run/event`, orderBody(userId), headers, { connections: 50, amount: EVENTS });
      if (queued.ok2xx !== EVENTS) throw new Error(`queued ${queued.ok2xx} of ${EVENTS}`);
      for (let i = 0; i < count; i++) workers.push(await startServer('server/worker.ts', env, /worker (\S+) running/));
      // CPU is counted from when every worker is running (their start-up is not the drain's).
      const before = cpuTimes();
      const postgresCpu = postgresCpuSince();
      const workersBefore = processCpuSeconds(workers.map((w) => w.pid));
      const sinkBefore = process.cpuUsage();
      const started = Date.now();
      const all = await sink.waitFor(EVENTS, 300_000);
      const after = cpuTimes();
      const seconds = (Date.now() - started) / 1000;
      const sinkUsage = process.cpuUsage(sinkBefore);
      const cores = {
        workers: (processCpuSeconds(workers.map((w) => w.pid)) - workersBefore) / seconds,
        postgres: postgresCpu() / seconds,
        sink: (sinkUsage.user + sinkUsage.system) / 1e6 / seconds,
      };
      await Promise.all(workers.splice(0).map((w) => w.kill()));
      const times = [...sink.arrivals.values()];
      const t10 = quantile(times, 0.1);
      const t90 = quantile(times, 0.9);
      const perSecond = (0.8 * times.length) / ((t90 - t10) / 1000);
      steps.push({ workers: count, perSecond, cpuBusy: busyShare(before, after), cores, delivered: sink.arrivals.size, duplicates: sink.duplicates() });
      console.log(
        `${int(perSecond)} executions/s, machine CPU ${(busyShare(before, after) * 100).toFixed(0)}% busy ` +
          `(cores: workers ${cores.workers.toFixed(2)}, PostgreSQL ${cores.postgres.toFixed(2)}, sink ${cores.sink.toFixed(2)})${all ? '' : ' (not all delivered in 300 s)'}`,
      );
    }
    return { steps, latency };
  } catch (err) {
    console.error(server.output());
    throw err;
  } finally {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    await server.kill();
    await sink.close();
    await store.dispose();
  }
}

export function scaleOutRows({ steps, latency }: { steps: ScaleOutStep[]; latency: ScaledLatency }): Row[] {
  const one = steps.find((s) => s.workers === 1)!;
  const two = steps.find((s) => s.workers === 2)!;
  const factor = two.perSecond / one.perSecond;
  // The cores the 1-worker pipeline (worker, PostgreSQL, sink) used, times the factor asked for:
  // more than the machine has, and the target cannot be reached on it, however the work is split.
  const used = one.cores.workers + one.cores.postgres + one.cores.sink;
  const needed = TARGET_FACTOR * used;
  const cores = os.cpus().length;
  const saturated = needed > cores;
  return [
    [
      `PostgreSQL scaled out (server + 1 worker process) at ${latency.rate} events/s: accept → arrival p50 / p99`,
      `${latency.p50.toFixed(1)} ms / ${latency.p99.toFixed(1)} ms (${int(latency.delivered)} / ${int(latency.accepted)} delivered)`,
      "the worker is woken by LISTEN/NOTIFY in the event's commit; without it, by its 250 ms poll",
      '',
      '',
    ],
    ...steps.map((s): Row => [
      `PostgreSQL scale-out: executions/s with ${s.workers} worker process${s.workers > 1 ? 'es' : ''}`,
      `${int(s.perSecond)} (machine CPU ${(s.cpuBusy * 100).toFixed(0)}% busy; cores used: worker processes ${s.cores.workers.toFixed(2)}, PostgreSQL ${s.cores.postgres.toFixed(2)}, sink ${s.cores.sink.toFixed(2)}; ${int(s.delivered)} delivered, ${s.duplicates} twice)`,
      '',
      '',
      '',
    ]),
    [
      'PostgreSQL scale-out: 2 workers / 1 worker',
      `${factor.toFixed(2)}×`,
      saturated
        ? `${TARGET_FACTOR}× the 1-worker rate needs ${TARGET_FACTOR} × ${used.toFixed(2)} = ${needed.toFixed(2)} cores (1 worker used worker ${one.cores.workers.toFixed(2)} + PostgreSQL ${one.cores.postgres.toFixed(2)} + sink ${one.cores.sink.toFixed(2)}), more than the machine's ${cores}; with 2 workers the machine was ${(two.cpuBusy * 100).toFixed(0)}% busy`
        : '',
      `≥ ${TARGET_FACTOR}× (or the reason, measured)`,
      factor >= TARGET_FACTOR ? '✓' : saturated ? `✗ (CPU-bound on ${cores} cores)` : '✗',
    ],
  ];
}
