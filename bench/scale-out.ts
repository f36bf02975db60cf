/**
 * 4. Scale-out on PostgreSQL: executions/s with 1 worker process, then 2 (`npm run worker`).
 *    A server with WORKERS=off queues N "Order Paid" events (Stream Data to a sink on loopback);
 *    then the workers start and drain the queue. The rate is taken between the 10th and the 90th
 *    percentile of arrivals, so start-up and the tail do not count. The machine's CPU use during
 *    the drain tells whether a second process had any core left to use.
 */
import { autocannon, startServer, type Server } from './process';
import {
  API_KEY,
  busyShare,
  cpuTimes,
  headers,
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
const TARGET_FACTOR = 1.7;

export interface ScaleOutStep {
  workers: number;
  perSecond: number;
  cpuBusy: number;
  delivered: number;
  duplicates: number;
}

export async function scaleOut(pgUrl: string): Promise<ScaleOutStep[]> {
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
    const steps: ScaleOutStep[] = [];
    for (const count of [1, 2]) {
      sink.reset();
      process.stdout.write(`  PostgreSQL: ${int(EVENTS)} executions queued, ${count} worker process${count > 1 ? 'es' : ''}… `);
      const queued = await autocannon(`${server.url}/run/event`, orderBody(userId), headers, { connections: 50, amount: EVENTS });
      if (queued.ok2xx !== EVENTS) throw new Error(`queued ${queued.ok2xx} of ${EVENTS}`);
      const before = cpuTimes();
      for (let i = 0; i < count; i++) workers.push(await startServer('server/worker.ts', env, /worker (\S+) running/));
      const all = await sink.waitFor(EVENTS, 300_000);
      const after = cpuTimes();
      await Promise.all(workers.splice(0).map((w) => w.kill()));
      const times = [...sink.arrivals.values()];
      const t10 = quantile(times, 0.1);
      const t90 = quantile(times, 0.9);
      const perSecond = (0.8 * times.length) / ((t90 - t10) / 1000);
      steps.push({ workers: count, perSecond, cpuBusy: busyShare(before, after), delivered: sink.arrivals.size, duplicates: sink.duplicates() });
      console.log(`${int(perSecond)} executions/s, machine CPU ${(busyShare(before, after) * 100).toFixed(0)}% busy${all ? '' : ' (not all delivered in 300 s)'}`);
    }
    return steps;
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

export function scaleOutRows(steps: ScaleOutStep[]): Row[] {
  const one = steps.find((s) => s.workers === 1)!;
  const two = steps.find((s) => s.workers === 2)!;
  const factor = two.perSecond / one.perSecond;
  const saturated = one.cpuBusy >= 0.9;
  return [
    ...steps.map((s): Row => [
      `PostgreSQL scale-out: executions/s with ${s.workers} worker process${s.workers > 1 ? 'es' : ''}`,
      `${int(s.perSecond)} (machine CPU ${(s.cpuBusy * 100).toFixed(0)}% busy; ${int(s.delivered)} delivered, ${s.duplicates} twice)`,
      '',
      '',
      '',
    ]),
    [
      'PostgreSQL scale-out: 2 workers / 1 worker',
      `${factor.toFixed(2)}×`,
      saturated
        ? `with 1 worker the 2 cores were already ${(one.cpuBusy * 100).toFixed(0)}% busy (worker, PostgreSQL, sink): a second process has no core to run on`
        : '',
      `≥ ${TARGET_FACTOR}× (or the reason, measured)`,
      factor >= TARGET_FACTOR ? '✓' : saturated ? '✗ (CPU-bound on 2 cores)' : '✗',
    ],
  ];
}
