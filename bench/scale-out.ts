/**
 * 4. Scale-out on PostgreSQL: executions/s with 1, 2 and 3 worker processes (`npm run worker`),
 *    each held to a fixed CPU quota (WORKER_CPU of a core, in a cgroup of its own: bench/cgroup.ts),
 *    so that adding workers is measured below the machine's size instead of running out of its
 *    2 cores. A server with WORKERS=off queues N "Order Paid" events (Stream Data to a sink on
 *    loopback) while the workers, started and warmed up beforehand, are stopped; then they go on
 *    and drain the queue. The rate is taken between the 10th and the 90th percentile of arrivals,
 *    so the tail does not count. Each drain starts on emptied tables (events, executions, steps):
 *    on one that kept every earlier drain's rows, PostgreSQL's CPU per execution rose from 0.17 to
 *    0.41 ms over eight drains, so whichever count ran later was measured on a larger store.
 *
 *    Drains in turn: 1, 2 and 3 workers, ROUNDS times, every other round in the opposite order
 *    (1, 2, 3, then 3, 2, 1). The cores each part used, the workers' CPU per execution (at the
 *    quota, what sets their rate) and how often the quota held them back say where the next limit
 *    is. But the machine's speed drifts within minutes: bench/canary.ts, the same fixed work every
 *    250 ms, cost 3.5 to 5.7 ms within a minute on an idle machine, and the same 1-worker drain
 *    cost its worker 0.24 to 0.36 ms per execution, with the same statements and batch sizes. So
 *    each drain prints the canary's cost, and a ratio of two drains minutes apart is a ratio of
 *    two machines.
 *
 *    Side by side (the target): 1 worker and 2 drain at the same time, each its own backlog on a
 *    schema of its own, SIDE_BY_SIDE_ROUNDS times; both rates are counted over the same seconds,
 *    so the drift weighs on both alike.
 *
 *    Without cgroups (not root), the workers run unlimited and the rows say so.
 */
import os from 'node:os';
import { cpuGroup, type CpuGroup } from './cgroup';
import { median } from './accept';
import { autocannon, startCanary, startServer, type Server } from './process';
import {
  acceptToArrival,
  busyShare,
  cpuTimes,
  headers,
  postgresCpuSince,
  processCpuSeconds,
  installStreaming,
  int,
  mark,
  openBenchStore,
  orderBody,
  quantile,
  startSink,
  streamingServerEnv,
  type BenchStore,
  type Row,
  type Sink,
} from './common';

const EVENTS = 8000;
/** Turns of the 1, 2 and 3 worker drains (every other one in the opposite order); each ratio is the median of the rounds'. */
const ROUNDS = 4;
/** Rounds of 1 and 2 workers draining side by side (see `sideBySide`); the target is the median of their ratios. */
const SIDE_BY_SIDE_ROUNDS = 3;
/** Events each new set of workers delivers before the measured drain (see the warm-up below). */
const WARM_UP = 3000;
const LATENCY_RATE = 500;
const TARGET_FACTOR = 1.7;
/**
 * Each worker process's CPU quota, in cores (BENCH_WORKER_CPU to try another). Small enough that
 * 3 workers, PostgreSQL and the sink fit on 2 cores: at 0.4, 2 workers took the machine to 85–88%
 * busy and 3 to 98%, so the machine, not the workers, set the rates compared.
 */
const WORKER_CPU = Number(process.env.BENCH_WORKER_CPU ?? 0.25);
/** How many worker processes each step runs: 1, 2 and 3, or BENCH_WORKERS (1 and 2 and more, say 1,2,4). */
function workerCounts(): number[] {
  const counts = (process.env.BENCH_WORKERS ?? '1,2,3').split(',').map(Number);
  if (!counts.includes(1) || !counts.includes(2) || counts.some((n) => !(n >= 1 && n <= 16))) {
    throw new Error(`BENCH_WORKERS=${process.env.BENCH_WORKERS}: give worker counts from 1 to 16 that include 1 and 2 (the target compares them)`);
  }
  return counts;
}

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
  /** The worker processes' CPU per execution delivered, in ms: at their quota, what sets the rate. */
  workerMs: number;
  /** The median cost of bench/canary.ts's fixed work during the drain, in ms: how fast the machine was then. */
  canaryMs: number;
  /** Share of the drain's quota periods in which a worker was held back at its quota (0–1); undefined without quotas. */
  throttled?: number;
  delivered: number;
  duplicates: number;
}

/** 1 and 2 workers draining at the same time, each on its own schema (`sideBySide`). */
export interface SideBySideStep {
  /** Executions/s of each over the seconds in which both drained. */
  one: number;
  two: number;
  seconds: number;
  /** The workers' CPU per execution, in ms, on each side. */
  workerMs: { one: number; two: number };
  delivered: number;
  queued: number;
  duplicates: number;
}

export interface ScaleOutResult {
  /** Each round's drains, in the order they ran (the worker counts, reversed every other round). */
  rounds: ScaleOutStep[][];
  /** The side-by-side rounds (none without quotas). */
  pairs: SideBySideStep[];
  latency: ScaledLatency;
  /** How each worker's quota was set, or why there was none. */
  quota: { cores: number; setting: string } | { unavailable: string };
}

/** One store's part of the section: its own schema, a server (WORKERS=off) that queues, a sink and a user with "acme" installed. */
interface Side {
  store: BenchStore;
  sink: Sink;
  server: Server;
  /** The worker processes' env; the server's is the same with its own worker off. */
  env: Record<string, string>;
  userId: string;
}

export async function scaleOut(pgUrl: string): Promise<ScaleOutResult> {
  const counts = workerCounts();
  const sides: Side[] = [];
  const workers: Server[] = [];
  const groups: CpuGroup[] = [];
  let quota: ScaleOutResult['quota'] = { unavailable: '' };
  const canary = await startCanary();
  try {
    /** Opens a side; kept in `sides` as soon as each part exists, so that `finally` closes what was opened. */
    async function openSide(): Promise<Side> {
      const sink = await startSink();
      const side = { sink } as Side;
      sides.push(side);
      side.store = await openBenchStore('PostgreSQL', pgUrl);
      side.env = streamingServerEnv(sink.url, side.store);
      side.server = await startServer('server/index.ts', { ...side.env, WORKERS: 'off' });
      side.userId = await installStreaming(side.server.url);
      return side;
    }
    const main = await openSide();
    const { server, sink, store, env, userId } = main;

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

    // One group per worker process: as many as the largest count, and 3 for the side-by-side drains.
    for (let n = 1; n <= Math.max(3, ...counts); n++) {
      const group = cpuGroup(`worker-${n}`, WORKER_CPU);
      if ('unavailable' in group) {
        quota = group;
        break;
      }
      groups.push(group);
      quota = { cores: WORKER_CPU, setting: group.setting };
    }
    const limited = 'setting' in quota;

    /**
     * Starts `count` worker processes for `side` on its emptied tables (each in its group of
     * `inGroups`), warms them up, stops them, and queues `events` executions for them to drain.
     */
    async function backlog(side: Side, count: number, inGroups: CpuGroup[], events: number): Promise<Server[]> {
      side.sink.reset();
      // Every drain on emptied tables: no earlier drain's rows (see the top of this file).
      await side.store.query('TRUNCATE events, executions, steps CASCADE');
      // Started together; each joins its quota as soon as it runs (its start-up, tsx compiling, is not the drain's).
      const started = await Promise.all(Array.from({ length: count }, () => startServer('server/worker.ts', side.env, /worker (\S+) running/)));
      workers.push(...started);
      if (limited) started.forEach((w, i) => inGroups[i]!.add(w.pid));
      // Warm-up: a new process compiles and optimises its hot paths in its first few thousand
      // executions, which at a fraction of a core was much of a short drain (the more workers, the
      // shorter the drain and the larger that share). The workers deliver WARM_UP events, are
      // stopped (SIGSTOP) while the measured backlog is queued, and go on together (SIGCONT).
      const warm = await autocannon(`${side.server.url}/run/event`, orderBody(side.userId), headers, { connections: 50, amount: WARM_UP });
      if (!(await side.sink.waitFor(warm.ok2xx, 120_000))) throw new Error(`the workers delivered ${side.sink.arrivals.size} of ${warm.ok2xx} warm-up events in 120 s`);
      for (const w of started) process.kill(w.pid, 'SIGSTOP');
      side.sink.reset();
      const queued = await autocannon(`${side.server.url}/run/event`, orderBody(side.userId), headers, { connections: 50, amount: events });
      if (queued.ok2xx !== events) throw new Error(`queued ${queued.ok2xx} of ${events}`);
      return started;
    }

    /** Queues EVENTS executions with `count` worker processes stopped, then lets them drain the queue. */
    async function drain(count: number, round: number): Promise<ScaleOutStep> {
      process.stdout.write(
        `  PostgreSQL, round ${round} of ${ROUNDS}: ${int(EVENTS)} executions queued, ${count} worker process${count > 1 ? 'es' : ''}${limited ? ` at ${WORKER_CPU} core each` : ''}… `,
      );
      await backlog(main, count, groups, EVENTS);
      // The store's dirty pages (the backlog's, an earlier section's) written now, not by a checkpoint
      // during the drain (skipped for a role without the right to CHECKPOINT).
      await store.query('CHECKPOINT').catch(() => undefined);
      const throttledBefore = groups.slice(0, count).map((g) => g.throttled());
      // CPU is counted from when the workers go on.
      const before = cpuTimes();
      const postgresCpu = postgresCpuSince();
      const workersBefore = processCpuSeconds(workers.map((w) => w.pid));
      const sinkBefore = process.cpuUsage();
      for (const w of workers) process.kill(w.pid, 'SIGCONT');
      const started = Date.now();
      const all = await sink.waitFor(EVENTS, 300_000);
      const after = cpuTimes();
      const ended = Date.now();
      const seconds = (ended - started) / 1000;
      const sinkUsage = process.cpuUsage(sinkBefore);
      const workersCpu = processCpuSeconds(workers.map((w) => w.pid)) - workersBefore;
      const cores = {
        workers: workersCpu / seconds,
        postgres: postgresCpu() / seconds,
        sink: (sinkUsage.user + sinkUsage.system) / 1e6 / seconds,
      };
      // Periods in which a worker hit its quota, out of the drain's periods (100 ms each) for each worker.
      const throttled = limited
        ? groups.slice(0, count).reduce((sum, g, i) => sum + g.throttled().periods - throttledBefore[i]!.periods, 0) / (count * Math.max(1, seconds * 10))
        : undefined;
      await Promise.all(workers.splice(0).map((w) => w.kill()));
      const times = [...sink.arrivals.values()];
      const t10 = quantile(times, 0.1);
      const t90 = quantile(times, 0.9);
      const perSecond = (0.8 * times.length) / ((t90 - t10) / 1000);
      const workerMs = (workersCpu / Math.max(1, sink.arrivals.size)) * 1000;
      const canaryMs = canary.costBetween(started, ended);
      const step = {
        workers: count,
        perSecond,
        cpuBusy: busyShare(before, after),
        cores,
        workerMs,
        canaryMs,
        throttled,
        delivered: sink.arrivals.size,
        duplicates: sink.duplicates(),
      };
      console.log(
        `${int(perSecond)} executions/s, worker CPU ${workerMs.toFixed(3)} ms per execution, canary ${canaryMs.toFixed(2)} ms, machine CPU ${(step.cpuBusy * 100).toFixed(0)}% busy ` +
          `(cores: workers ${cores.workers.toFixed(2)}, PostgreSQL ${cores.postgres.toFixed(2)}, sink ${cores.sink.toFixed(2)}` +
          `${throttled === undefined ? '' : `; held at the quota in ${(throttled * 100).toFixed(0)}% of periods`})${all ? '' : ' (not all delivered in 300 s)'}`,
      );
      return step;
    }

    /**
     * 1 worker and 2 workers drain at the same time, each its own backlog on its own schema (2
     * workers twice as many executions, so that both drain over about the same seconds). Each rate
     * is counted over the seconds in which both drained (from the later of the two 10th percentiles
     * of arrivals to the earlier of the two 90th), so both ran on the same machine at the same time.
     */
    async function sideBySide(round: number, other: Side): Promise<SideBySideStep> {
      process.stdout.write(
        `  PostgreSQL side by side, round ${round} of ${SIDE_BY_SIDE_ROUNDS}: 1 worker process and 2, ${int(EVENTS)} and ${int(2 * EVENTS)} executions queued… `,
      );
      const pair = [
        { side: main, workers: await backlog(main, 1, groups.slice(0, 1), EVENTS), events: EVENTS },
        { side: other, workers: await backlog(other, 2, groups.slice(1, 3), 2 * EVENTS), events: 2 * EVENTS },
      ];
      await store.query('CHECKPOINT').catch(() => undefined);
      const cpuBefore = pair.map((p) => processCpuSeconds(p.workers.map((w) => w.pid)));
      for (const w of workers) process.kill(w.pid, 'SIGCONT');
      const drained = await Promise.all(
        pair.map(async (p, i) => {
          const all = await p.side.sink.waitFor(p.events, 300_000);
          if (!all) throw new Error(`side by side: ${p.workers.length} worker(s) delivered ${p.side.sink.arrivals.size} of ${p.events} in 300 s`);
          return { cpu: processCpuSeconds(p.workers.map((w) => w.pid)) - cpuBefore[i]!, times: [...p.side.sink.arrivals.values()] };
        }),
      );
      await Promise.all(workers.splice(0).map((w) => w.kill()));
      const from = Math.max(...drained.map((d) => quantile(d.times, 0.1)));
      const to = Math.min(...drained.map((d) => quantile(d.times, 0.9)));
      if (!(to > from)) throw new Error('side by side: the two drains did not overlap');
      const [one, two] = drained.map((d) => d.times.filter((t) => t >= from && t <= to).length / ((to - from) / 1000));
      const workerMs = drained.map((d, i) => (d.cpu / pair[i]!.events) * 1000);
      const step: SideBySideStep = {
        one: one!,
        two: two!,
        seconds: (to - from) / 1000,
        workerMs: { one: workerMs[0]!, two: workerMs[1]! },
        delivered: pair.reduce((n, p) => n + p.side.sink.arrivals.size, 0),
        queued: pair.reduce((n, p) => n + p.events, 0),
        duplicates: pair.reduce((n, p) => n + p.side.sink.duplicates(), 0),
      };
      console.log(
        `over the ${step.seconds.toFixed(1)} s both drained: 1 worker ${int(one!)}, 2 workers ${int(two!)} executions/s (${(two! / one!).toFixed(2)}×); ` +
          `worker CPU per execution ${workerMs[0]!.toFixed(3)} and ${workerMs[1]!.toFixed(3)} ms`,
      );
      return step;
    }

    const rounds: ScaleOutStep[][] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const steps: ScaleOutStep[] = [];
      const order = limited ? counts : [1, 2];
      for (const count of round % 2 === 1 ? order : [...order].reverse()) steps.push(await drain(count, round));
      rounds.push(steps);
    }
    const pairs: SideBySideStep[] = [];
    if (limited) {
      const other = await openSide();
      for (let round = 1; round <= SIDE_BY_SIDE_ROUNDS; round++) pairs.push(await sideBySide(round, other));
    }
    return { rounds, pairs, latency, quota };
  } catch (err) {
    for (const side of sides) console.error(side.server?.output());
    throw err;
  } finally {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    for (const g of groups) g.remove();
    for (const side of sides) {
      await side.server?.kill();
      await side.sink.close();
      await side.store?.dispose();
    }
    await canary.stop();
  }
}

export function scaleOutRows({ rounds, pairs, latency, quota }: ScaleOutResult): Row[] {
  const counts = rounds[0]!.map((s) => s.workers).sort((a, b) => a - b);
  /** Each round's drain with `n` workers. */
  const of = (n: number) => rounds.map((steps) => steps.find((s) => s.workers === n)!);
  /** The round whose rate was the median of `n` workers' drains: its CPU figures are shown. */
  const typical = (n: number) => [...of(n)].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(rounds.length / 2)]!;
  /** `n` workers' rate over 1 worker's, in each round, and their median. */
  const ratios = (n: number) => of(n).map((s, i) => s.perSecond / of(1)[i]!.perSecond);
  const roundsText = (values: number[]) => `rounds: ${values.map((v) => `${v.toFixed(2)}×`).join(', ')}`;
  const one = typical(1);
  const two = typical(2);
  const inTurn = median(ratios(2));
  const hasThree = counts.includes(3);
  const cores = os.cpus().length;
  const limited = 'setting' in quota;
  const used = (s: ScaleOutStep) => s.cores.workers + s.cores.postgres + s.cores.sink;
  // Without quotas: the cores the 1-worker pipeline used, times the factor asked for, against the machine's.
  const needed = TARGET_FACTOR * used(one);
  const saturated = !limited && needed > cores;
  const last = typical(counts[counts.length - 1]!);
  // Where the next limit is: the workers at their quota (throttled most periods), or something else (PostgreSQL, the machine).
  const limit = limited
    ? last.throttled !== undefined && last.throttled > 0.5
      ? `with ${last.workers} workers each was held at its quota in ${((last.throttled ?? 0) * 100).toFixed(0)}% of periods: the workers' CPU is still the limit; PostgreSQL used ${last.cores.postgres.toFixed(2)} cores, the machine was ${(last.cpuBusy * 100).toFixed(0)}% busy`
      : `with ${last.workers} workers they were held at their quota in only ${((last.throttled ?? 0) * 100).toFixed(0)}% of periods: the limit moved to PostgreSQL (${last.cores.postgres.toFixed(2)} cores) and the machine (${(last.cpuBusy * 100).toFixed(0)}% busy)`
    : '';
  // At the quota a worker's rate is its quota over its CPU per execution: the ratio is 2 × (1 worker's ÷ 2 workers').
  const perExecution = limited
    ? `; each execution cost the workers ${median(of(1).map((s) => s.workerMs)).toFixed(3)} ms of CPU with 1 worker and ${median(of(2).map((s) => s.workerMs)).toFixed(3)} ms with 2 (medians of the rounds)`
    : '';
  const all = rounds.flat();
  const canaries = all.map((s) => s.canaryMs).filter(Number.isFinite);
  const drift = `the same fixed work (bench/canary.ts) cost ${Math.min(...canaries).toFixed(2)} to ${Math.max(...canaries).toFixed(2)} ms from drain to drain`;
  const quotaText = limited ? `${quota.cores} core per worker process: ${quota.setting}` : `none (${quota.unavailable})`;
  const sideRatios = pairs.map((p) => p.two / p.one);
  const factor = pairs.length > 0 ? median(sideRatios) : inTurn;
  const delivered = all.reduce((n, s) => n + s.delivered, 0) + pairs.reduce((n, p) => n + p.delivered, 0);
  const queued = all.length * EVENTS + pairs.reduce((n, p) => n + p.queued, 0);
  const twice = all.reduce((n, s) => n + s.duplicates, 0) + pairs.reduce((n, p) => n + p.duplicates, 0);
  return [
    [
      `PostgreSQL scaled out (server + 1 worker process) at ${latency.rate} events/s: accept → arrival p50 / p99`,
      `${latency.p50.toFixed(1)} ms / ${latency.p99.toFixed(1)} ms (${int(latency.delivered)} / ${int(latency.accepted)} delivered)`,
      "the worker is woken by LISTEN/NOTIFY in the event's commit; without it, by its 250 ms poll",
      '',
      '',
    ],
    ['PostgreSQL scale-out: CPU quota of each worker process', quotaText, 'a cgroup per worker process (bench/cgroup.ts), so that 1, 2 and 3 workers fit on the machine', '', ''],
    ...counts.map((n): Row => {
      const s = typical(n);
      return [
        `PostgreSQL scale-out, drains in turn: executions/s with ${n} worker process${n > 1 ? 'es' : ''}${limited ? ` at ${quota.cores} core each` : ''} (median of ${rounds.length} rounds)`,
        `${int(s.perSecond)} (rounds: ${of(n)
          .map((r) => int(r.perSecond))
          .join(
            ', ',
          )}; in the median round: worker CPU ${s.workerMs.toFixed(3)} ms per execution; canary ${s.canaryMs.toFixed(2)} ms; machine CPU ${(s.cpuBusy * 100).toFixed(0)}% busy; cores used: worker processes ${s.cores.workers.toFixed(2)}, PostgreSQL ${s.cores.postgres.toFixed(2)}, sink ${s.cores.sink.toFixed(2)}${s.throttled === undefined ? '' : `; held at the quota in ${(s.throttled * 100).toFixed(0)}% of periods`})`,
        '',
        '',
        '',
      ];
    }),
    [
      `PostgreSQL scale-out, drains in turn: 2 workers / 1 worker${limited ? ` (${quota.cores} core each)` : ''} (median of the rounds)`,
      `${inTurn.toFixed(2)}× (${roundsText(ratios(2))})${hasThree ? `; 3 workers: ${median(ratios(3)).toFixed(2)}× (${roundsText(ratios(3))})` : ''}`,
      limited
        ? `${limit}${perExecution}; ${drift}, so drains minutes apart compare machines of different speeds (the side-by-side row does not)`
        : saturated
          ? `${TARGET_FACTOR}× the 1-worker rate needs ${TARGET_FACTOR} × ${used(one).toFixed(2)} = ${needed.toFixed(2)} cores (1 worker used worker ${one.cores.workers.toFixed(2)} + PostgreSQL ${one.cores.postgres.toFixed(2)} + sink ${one.cores.sink.toFixed(2)}), more than the machine's ${cores}; with 2 workers the machine was ${(two.cpuBusy * 100).toFixed(0)}% busy`
          : '',
      '',
      '',
    ],
    ...(pairs.length === 0
      ? []
      : [
          [
            `PostgreSQL scale-out side by side: executions/s of 1 worker process and of 2 (${limited ? quota.cores : WORKER_CPU} core each) draining at the same time, each its own schema (median of ${pairs.length} rounds)`,
            `${int(median(pairs.map((p) => p.one)))} and ${int(median(pairs.map((p) => p.two)))} (rounds: ${pairs.map((p) => `${int(p.one)} / ${int(p.two)}`).join(', ')}; worker CPU per execution ${median(pairs.map((p) => p.workerMs.one)).toFixed(3)} and ${median(pairs.map((p) => p.workerMs.two)).toFixed(3)} ms)`,
            'counted over the seconds in which both drained, so both ran on the same machine at the same moment',
            '',
            '',
          ] satisfies Row,
        ]),
    [
      'PostgreSQL scale-out: delivered / queued / delivered twice (every drain)',
      `${int(delivered)} / ${int(queued)} / ${twice}`,
      '',
      'all, none twice',
      mark(delivered === queued && twice === 0),
    ],
    [
      `PostgreSQL scale-out: 2 workers / 1 worker${limited ? ` (${quota.cores} core each)` : ''}${pairs.length > 0 ? ', side by side' : ''} (median of the rounds)`,
      pairs.length > 0 ? `${factor.toFixed(2)}× (${roundsText(sideRatios)})` : `${factor.toFixed(2)}× (drains in turn)`,
      pairs.length > 0 ? 'the same machine at the same moment for both: the drift between drains in turn (above) does not weigh on it' : '',
      `≥ ${TARGET_FACTOR}×`,
      factor >= TARGET_FACTOR ? '✓' : saturated ? `✗ (CPU-bound on ${cores} cores)` : '✗',
    ],
  ];
}
