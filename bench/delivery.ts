/**
 * 2. Delivery path: a Stream Data workflow posting each "Order Paid" event to a sink on
 *    loopback, with the executions run inside the server process (the embedded default).
 *    a) At a steady 1 k events/s (autocannon `-R 1000`) for 10 s: latency from accept (the
 *       execution's `created_at`, written in the event's commit) to the sink's arrival, p50 / p99.
 *    b) Flat out (50 connections for 10 s): events/s fully delivered, from the first request to the
 *       last arrival, and nothing delivered twice.
 */
import { autocannon, runToEnd, startServer } from './process';
import os from 'node:os';
import {
  acceptToArrival,
  busyShare,
  coresText,
  cpuTimes,
  headers,
  installStreaming,
  int,
  mainThreadCpuSeconds,
  mark,
  ms,
  openBenchStore,
  orderBody,
  postgresCpuSince,
  processCpuSeconds,
  quantile,
  startSink,
  streamingServerEnv,
  type Row,
  type StoreKind,
} from './common';

const RATE = 1000;
const SECONDS = 10;
const TARGET_P50_MS = 5;
const TARGET_P99_MS = 50;
/** Flat-out delivered events per second asked of each store on this 2-core machine. */
const TARGET_FLAT: Record<StoreKind, number> = { SQLite: 5000, PostgreSQL: 3000 };
/** The bare client's run: 50 requests in flight for this long. */
const BARE_SECONDS = 3;

export interface DeliveryResult {
  store: StoreKind;
  steady: { accepted: number; delivered: number; p50: number; p99: number; max: number };
  flat: {
    accepted: number;
    delivered: number;
    perSecond: number;
    acceptPerSecond: number;
    drainSeconds: number;
    duplicates: number;
    /**
     * Cores per 1,000 events/s delivered (CPU seconds per 1,000 events), from the first request to
     * the last arrival (/proc): the server process (all threads), its main thread (all its
     * JavaScript), PostgreSQL's processes, and the whole machine (busy share × cores × wall time).
     */
    cpu: { server: number; serverMain: number; postgres: number; machine: number };
  };
  /** A bare undici client posting the same body to the same sink, 50 at a time, in the same run: POSTs per second. */
  bare: number;
}

/**
 * The reference for the flat-out rate: undici alone posting to the same sink, in a process of its
 * own (bench/bare-undici.ts), 50 requests in flight for BARE_SECONDS. The sink counts its
 * requests, then forgets them.
 */
async function bareUndici(sink: Awaited<ReturnType<typeof startSink>>): Promise<number> {
  const { out } = await runToEnd('bench/bare-undici.ts', process.execPath, ['--import', 'tsx', 'bench/bare-undici.ts'], {
    SINK_URL: `${sink.url}/orders`,
    SECONDS: String(BARE_SECONDS),
  });
  const { sent, ms } = JSON.parse(out) as { sent: number; ms: number };
  sink.reset();
  return sent / (ms / 1000);
}

export async function delivery(kind: StoreKind, pgUrl?: string): Promise<DeliveryResult> {
  const sink = await startSink();
  const store = await openBenchStore(kind, pgUrl);
  const server = await startServer('server/index.ts', streamingServerEnv(sink.url, store));
  try {
    process.stdout.write(`  ${kind}: bare undici posting to the sink, 50 at a time for ${BARE_SECONDS} s… `);
    const bare = await bareUndici(sink);
    console.log(`${int(bare)} POST/s`);
    const userId = await installStreaming(server.url);
    const url = `${server.url}/run/event`;
    const body = orderBody(userId);

    // Warm-up, unmeasured.
    const warm = await autocannon(url, body, headers, { connections: 10, seconds: 2, rate: RATE });
    await sink.waitFor(warm.ok2xx, 60_000);
    sink.reset();

    process.stdout.write(`  ${kind}: ${int(RATE)} events/s for ${SECONDS} s… `);
    const steadyLoad = await autocannon(url, body, headers, { connections: 10, seconds: SECONDS, rate: RATE });
    await sink.waitFor(steadyLoad.ok2xx, 60_000);
    const latencies = await acceptToArrival(store, sink);
    const steady = {
      accepted: steadyLoad.ok2xx,
      delivered: sink.arrivals.size,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      max: Math.max(...latencies),
    };
    console.log(`accept → arrival p50 ${steady.p50.toFixed(1)} ms, p99 ${steady.p99.toFixed(1)} ms`);

    sink.reset();
    process.stdout.write(`  ${kind}: flat out, 50 connections for ${SECONDS} s… `);
    const pg = kind === 'PostgreSQL' ? postgresCpuSince() : () => 0;
    const server0 = processCpuSeconds([server.pid]);
    const main0 = mainThreadCpuSeconds(server.pid);
    const machine0 = cpuTimes();
    const started = performance.timeOrigin + performance.now();
    const flatLoad = await autocannon(url, body, headers, { connections: 50, seconds: SECONDS });
    const all = await sink.waitFor(flatLoad.ok2xx, 300_000);
    const last = Math.max(...sink.arrivals.values());
    const thousands = Math.max(1, sink.arrivals.size) / 1000;
    const wall = (performance.timeOrigin + performance.now() - started) / 1000;
    const cpu = {
      server: (processCpuSeconds([server.pid]) - server0) / thousands,
      serverMain: (mainThreadCpuSeconds(server.pid) - main0) / thousands,
      postgres: pg() / thousands,
      machine: (busyShare(machine0, cpuTimes()) * os.cpus().length * wall) / thousands,
    };
    const flat = {
      accepted: flatLoad.ok2xx,
      delivered: sink.arrivals.size,
      perSecond: sink.arrivals.size / ((last - started) / 1000),
      acceptPerSecond: flatLoad.reqPerSec,
      drainSeconds: (last - started) / 1000 - SECONDS,
      duplicates: sink.duplicates(),
      cpu,
    };
    if (!all) console.log(`(not all delivered within 300 s) `);
    console.log(`${int(flat.perSecond)} events/s delivered (${int(flat.acceptPerSecond)} accepted/s)`);
    return { store: kind, steady, flat, bare };
  } catch (err) {
    console.error(server.output());
    throw err;
  } finally {
    await server.kill();
    await sink.close();
    await store.dispose();
  }
}

export function deliveryRows(results: DeliveryResult[]): Row[] {
  return results.flatMap((d): Row[] => [
    [
      `${d.store} delivery at ${int(RATE)} events/s: accept → arrival p50 / p99`,
      `${ms(d.steady.p50, 1)} / ${ms(d.steady.p99, 1)} (max ${ms(d.steady.max, 0)})`,
      "the worker in the server process, handed new executions in their event's commit (queued and claimed when it is busy)",
      `p50 ≤ ${TARGET_P50_MS} ms, p99 ≤ ${TARGET_P99_MS} ms`,
      mark(d.steady.p50 <= TARGET_P50_MS && d.steady.p99 <= TARGET_P99_MS),
    ],
    [
      `${d.store} delivery at ${int(RATE)} events/s: delivered / accepted`,
      `${int(d.steady.delivered)} / ${int(d.steady.accepted)}`,
      `accepted ${int(d.steady.accepted / SECONDS)}/s of the ${int(RATE)}/s offered (10 connections: a slow answer lowers the rate)`,
      'all',
      mark(d.steady.delivered >= d.steady.accepted),
    ],
    [
      `${d.store} delivery flat out: events/s fully delivered`,
      `${int(d.flat.perSecond)} (accepted at ${int(d.flat.acceptPerSecond)}/s; backlog drained ${d.flat.drainSeconds.toFixed(1)} s after the load)`,
      `the server accepts and delivers on one JavaScript thread, autocannon and the sink${d.store === 'PostgreSQL' ? ' and PostgreSQL' : ''} share the other core`,
      `≥ ${int(TARGET_FLAT[d.store])}`,
      mark(d.flat.perSecond >= TARGET_FLAT[d.store]),
    ],
    [
      `${d.store} delivery flat out: CPU per 1,000 events/s delivered`,
      `server ${coresText(d.flat.cpu.server)} (its JavaScript thread ${coresText(d.flat.cpu.serverMain)})${d.store === 'PostgreSQL' ? ` · PostgreSQL ${coresText(d.flat.cpu.postgres)}` : ''} · the whole machine ${coresText(d.flat.cpu.machine)}`,
      'CPU from /proc over the load and the drain, per event delivered: the server process (all threads) and its main thread, which runs all its JavaScript (HTTP in and out, the store calls); the machine includes autocannon and the sink',
      '',
      '',
    ],
    targetAtTheseCosts(d),
    [
      `${d.store} delivery flat out: ratio to bare undici posting to the same sink`,
      `${(d.flat.perSecond / d.bare).toFixed(2)} (${int(d.flat.perSecond)} / ${int(d.bare)} POST/s)`,
      `bare undici (bench/bare-undici.ts): a pooled client alone in a process of its own, 50 requests in flight for ${BARE_SECONDS} s, in the same run`,
      '',
      '',
    ],
    [
      `${d.store} delivery flat out: delivered / accepted / delivered twice`,
      `${int(d.flat.delivered)} / ${int(d.flat.accepted)} / ${d.flat.duplicates}`,
      '',
      'all, none twice',
      mark(d.flat.delivered >= d.flat.accepted && d.flat.duplicates === 0),
    ],
  ]);
}

/**
 * What the flat-out target would take at the costs measured: the machine's CPU per delivered
 * event (server, database, load generator and sink together) at the target rate, against its
 * cores, and the server's JavaScript thread, which cannot use more than one.
 */
function targetAtTheseCosts(d: DeliveryResult): Row {
  const target = TARGET_FLAT[d.store];
  const cores = os.cpus().length;
  const machine = (target / 1000) * d.flat.cpu.machine;
  const main = (target / 1000) * d.flat.cpu.serverMain;
  return [
    `${d.store} delivery flat out: cores ${int(target)} events/s would take at these costs`,
    `${machine.toFixed(2)} of the machine's ${cores}, and ${main.toFixed(2)} of the server's JavaScript thread (at most 1): the most these costs allow is ${int(1000 * Math.min(cores / d.flat.cpu.machine, 1 / d.flat.cpu.serverMain))} events/s`,
    'the target rate × the CPU per delivered event above; a rate above either bound needs a cheaper event, not more load',
    '',
    [machine > cores ? `more than ${cores} cores` : '', main > 1 ? 'JavaScript thread over 1 core' : ''].filter(Boolean).join('; '),
  ];
}
