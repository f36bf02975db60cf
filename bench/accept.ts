/**
 * 1. Accept path: `POST /run/event` with the seed's "Ticket Created" body and one matching
 *    installation, 50 connections, against our server (WORKERS=off: only the accept path) on each
 *    store and a bare Hono JSON endpoint. All of them run at once and, once warmed up, are loaded
 *    in turns: rounds of a few seconds, bare then each store, so that each store's round has a bare round beside it and a
 *    machine that drifts (a shared VM speeds up and slows down over minutes) drifts under both
 *    sides of each ratio. The ratio is the median of the rounds'. Then kill -9 under the same load:
 *    every 2xx answer must be in the store after a restart.
 */
import { autocannon, paced, startServer, type LoadResult, type Server } from './process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JOURNAL_SIZE_LIMIT } from '../server/store/sqlite';
import {
  busyShare,
  coresText,
  cpuTimes,
  headers,
  benchSlackEnv,
  installSlack,
  int,
  mainThreadCpuSeconds,
  mark,
  ms,
  openBenchStore,
  postgresCpuSince,
  processCpuSeconds,
  seedBody,
  type BenchStore,
  type Row,
  type StoreKind,
} from './common';

export const CONNECTIONS = 50;
export const ROUNDS = 5;
export const ROUND_SECONDS = 4;
/**
 * Warm-up of each server before its rounds (accept, growth): a fresh server keeps getting faster
 * for tens of seconds (SQLite, 5 s runs one after another: 7.2 k, 9.7 k, 10.2 k req/s, then
 * steady), and the rounds are to compare steady states.
 */
const TARGET_WARMUP_SECONDS = 15;
/** The accept path's targets. */
const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 10;
/** Accept p99 against bare Hono's in the same round, on SQLite. */
const TARGET_P99_RATIO = 1.5;
/**
 * PostgreSQL accept: cores per 1,000 req/s, server plus PostgreSQL, in the table when the target
 * was set (bare Hono's server took 0.05 then), and the cut asked of it.
 */
const POSTGRES_CPU_BEFORE = 0.24;
const POSTGRES_CPU_CUT = 0.4;
const POSTGRES_CPU_TARGET = POSTGRES_CPU_BEFORE * (1 - POSTGRES_CPU_CUT);
/** A change as the table writes it: `−26%`, `+4%`. */
const signedPercent = (change: number) => `${change < 0 ? '−' : '+'}${Math.abs(Math.round(change * 100))}%`;
/**
 * The offered rate of the paced rounds: below every server's flat-out rate (bare Hono's, and each
 * store's), so that their p99 is the latency a request meets, not the queue a saturated closed
 * loop builds (flat out, a connection's wait is CONNECTIONS ÷ req/s on average: Little's law).
 */
export const PACED_RATE = 2000;

/** Bytes of the SQLite store's write-ahead log (0 when there is none). */
const walSize = (store: BenchStore): number => {
  const file = path.join(store.env.DATA_DIR!, 'alloy.sqlite-wal');
  return fs.existsSync(file) ? fs.statSync(file).size : 0;
};

const runs = async (store: BenchStore): Promise<number> =>
  Number((await store.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM executions WHERE workflow_id = 'slack-ticket-created'"))[0]!.n);

export interface AcceptResult {
  store: StoreKind;
  /** One load per round, beside `AcceptSection.bare`'s of the same round. */
  rounds: Round[];
  /** The same at PACED_RATE offered, beside `AcceptSection.barePaced`'s. */
  paced: Round[];
  /** Executions the store gained during the rounds (one per accepted event: one installation). */
  stored: number;
  kill: { answered2xx: number; storedAfterRestart: number };
  /** SQLite: the write-ahead log's size after the rounds (sqlite-checkpointer.ts starts it over past 64 MiB). */
  walBytes?: number;
}

export interface AcceptSection {
  bare: Round[];
  barePaced: Round[];
  stores: AcceptResult[];
}

/** Loads each target for TARGET_WARMUP_SECONDS, unmeasured, so that the rounds compare steady states. */
export async function warmUp(targets: Array<{ url: string; body: string }>): Promise<void> {
  for (const t of targets) await autocannon(t.url, t.body, headers, { connections: CONNECTIONS, seconds: TARGET_WARMUP_SECONDS });
}

/** What one round cost, in cores (CPU seconds per second of the round). */
export interface RoundCpu {
  /** The server under load, all its threads (0 when its pid is not given). */
  server: number;
  /** Of which its main thread, the one that runs its JavaScript. */
  serverMain: number;
  /** PostgreSQL's processes (0 unless the target asks for them). */
  postgres: number;
  /** The whole machine: the above, the load generator, the kernel's loopback work, and the rest. */
  machine: number;
}

export type Round = LoadResult & { cpu: RoundCpu };

export interface LoadTarget {
  label: string;
  url: string;
  body: string;
  /** The server's pid, to count its CPU. */
  pid?: number;
  /** Count PostgreSQL's CPU in its rounds. */
  postgres?: boolean;
}

/** Runs `load`, counting the CPU the target's server, PostgreSQL (when asked) and the whole machine used meanwhile. */
async function measured(t: LoadTarget, load: () => Promise<LoadResult>): Promise<Round> {
  const machineBefore = cpuTimes();
  const serverBefore = t.pid ? processCpuSeconds([t.pid]) : 0;
  const mainBefore = t.pid ? mainThreadCpuSeconds(t.pid) : 0;
  const postgresCpu = t.postgres ? postgresCpuSince() : () => 0;
  const started = performance.now();
  const result = await load();
  const seconds = (performance.now() - started) / 1000;
  const machineAfter = cpuTimes();
  const cpu: RoundCpu = {
    server: t.pid ? (processCpuSeconds([t.pid]) - serverBefore) / seconds : 0,
    serverMain: t.pid ? (mainThreadCpuSeconds(t.pid) - mainBefore) / seconds : 0,
    postgres: postgresCpu() / seconds,
    machine: busyShare(machineBefore, machineAfter) * os.cpus().length,
  };
  return { ...result, cpu };
}

/**
 * Loads the targets in turns, ROUNDS rounds of ROUND_SECONDS at CONNECTIONS connections, flat out
 * or at `rate` requests per second offered, printing each round on a line that starts with
 * `prefix`. Returns each target's loads, in round order, with their CPU.
 */
export async function loadInTurns(targets: LoadTarget[], prefix: string, rate?: number): Promise<Round[][]> {
  const rounds: Round[][] = targets.map(() => []);
  for (let round = 1; round <= ROUNDS; round++) {
    process.stdout.write(`  ${prefix}round ${round}/${ROUNDS}:`);
    for (const [i, t] of targets.entries()) {
      const result = await measured(t, () =>
        rate
          ? paced(t.url, t.body, headers, { connections: CONNECTIONS, seconds: ROUND_SECONDS, rate })
          : autocannon(t.url, t.body, headers, { connections: CONNECTIONS, seconds: ROUND_SECONDS }),
      );
      rounds[i]!.push(result);
      process.stdout.write(` ${t.label} ${int(result.reqPerSec)} req/s (p99 ${ms(result.p99, rate ? 1 : 0)})`);
    }
    console.log();
  }
  return rounds;
}

interface Target {
  name: string;
  server: Server;
  body: string;
  store?: BenchStore;
  env?: Record<string, string>;
}

export async function accept(kinds: StoreKind[], pgUrl?: string): Promise<AcceptSection> {
  const targets: Target[] = [];
  try {
    const bare = await startServer('bench/bare-hono.ts', {});
    // Same body as ours, with a placeholder userId of the same length.
    targets.push({ name: 'bare Hono', server: bare, body: seedBody('0'.repeat(24)) });
    for (const kind of kinds) {
      const store = await openBenchStore(kind, pgUrl);
      const env = { WORKERS: 'off', DEMO: 'off', ALLOY_API_KEY: 'bench_api_key_0123456789abcdef', ...(await benchSlackEnv()), ...store.env };
      const server = await startServer('server/index.ts', env);
      targets.push({ name: kind, server, store, env, body: seedBody(await installSlack(server.url)) });
    }
    const loads = targets.map((t) => ({ label: t.name, url: `${t.server.url}/run/event`, body: t.body, pid: t.server.pid, postgres: t.store?.kind === 'PostgreSQL' }));
    await warmUp(loads);
    const before = await Promise.all(targets.map((t) => (t.store ? runs(t.store) : 0)));
    const rounds = await loadInTurns(loads, '');
    const paced = await loadInTurns(loads, `${int(PACED_RATE)} req/s offered, `, PACED_RATE);
    // Requests cut off by the end of a round may still be committing: let them land.
    await new Promise((r) => setTimeout(r, 500));

    const stores: AcceptResult[] = [];
    for (const [i, t] of targets.entries()) {
      if (!t.store) continue;
      const stored = (await runs(t.store)) - before[i]!;
      const walBytes = t.store.kind === 'SQLite' ? walSize(t.store) : undefined;
      // kill -9 in the middle of a load: what was answered 2xx must be there after a restart.
      process.stdout.write(`  ${t.name}: kill -9 under load… `);
      const beforeKill = await runs(t.store);
      const killed = autocannon(loads[i]!.url, t.body, headers, { connections: CONNECTIONS, seconds: 4 });
      await new Promise((r) => setTimeout(r, 2000));
      await t.server.kill('SIGKILL');
      const answered = await killed;
      t.server = await startServer('server/index.ts', t.env!);
      const storedAfterRestart = (await runs(t.store)) - beforeKill;
      console.log(`${int(answered.ok2xx)} answered 2xx before the kill, ${int(storedAfterRestart)} stored after restart`);
      stores.push({ store: t.name as StoreKind, rounds: rounds[i]!, paced: paced[i]!, stored, kill: { answered2xx: answered.ok2xx, storedAfterRestart }, walBytes });
    }
    return { bare: rounds[0]!, barePaced: paced[0]!, stores };
  } catch (err) {
    for (const t of targets) console.error(t.server.output());
    throw err;
  } finally {
    for (const t of targets) {
      await t.server.kill();
      await t.store?.dispose();
    }
  }
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
export const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const sum = (loads: LoadResult[], field: 'ok2xx' | 'non2xx' | 'errors' | 'timeouts') => loads.reduce((n, l) => n + l[field], 0);
/** `median (round 1, round 2, …)`. */
export const perRound = (values: number[], format: (n: number) => string) => `${format(median(values))} (rounds: ${values.map(format).join(', ')})`;

/** Reference points measured on this kind of machine. */
const reference = {
  bare: { rps: 'about 57 k req/s', latency: 'p99 2 ms' },
  SQLite: {
    rps: 'about 14 k req/s (one better-sqlite3 insert per request, WAL, synchronous NORMAL); 3.7 k with synchronous FULL',
    latency: 'p99 ≈ 10 ms (naive insert)',
    ratio: '≈ 0.25 (naive insert)',
  },
  PostgreSQL: { rps: 'about 6.8 k req/s (one `pg` insert per request)', latency: '—', ratio: '≈ 0.12 (6.8 k / 57 k)' },
};

/** Cores per 1,000 req/s of a round's server, PostgreSQL and the rest of the machine, each the median of the rounds'. */
function costs(rounds: Round[]): { server: number; postgres: number; rest: number } {
  const per1k = (cores: (c: RoundCpu) => number) => median(rounds.map((r) => (cores(r.cpu) * 1000) / r.reqPerSec));
  return { server: per1k((c) => c.server), postgres: per1k((c) => c.postgres), rest: per1k((c) => Math.max(0, c.machine - c.server - c.postgres)) };
}

const REST = 'the rest of the machine (load generator, kernel)';
const PACED = `an open loop (bench/paced.ts): ${int(PACED_RATE)} requests a second, each sent when its time comes, over at most ${CONNECTIONS} connections, below every server's flat-out rate: the latency the accept path adds, without the queue a saturated closed loop builds; fractional ms`;
const CPU_SOURCE = "CPU of each round from /proc: the server process (all threads), PostgreSQL's processes, the whole machine";

const MAIN_THREAD =
  "the server's main thread (/proc/<pid>/task/<pid>/stat), which runs all its JavaScript: HTTP, validation, store calls; under this closed loop (a connection sends again only once answered) even bare Hono's idles part of the time";
/** The share of its time the server's main thread was on a CPU: the median of the rounds', and each round's. */
const mainBusy = (rounds: Round[]) =>
  perRound(
    rounds.map((r) => r.cpu.serverMain),
    (n) => `${Math.round(n * 100)}%`,
  );

export function acceptRows({ bare, barePaced, stores }: AcceptSection): Row[] {
  const failures = (loads: LoadResult[]) => sum(loads, 'errors') + sum(loads, 'timeouts');
  const bareCost = costs(bare);
  const cores = os.cpus().length;
  const rows: Row[] = [
    ['bare Hono: req/s (mean of the rounds)', int(mean(bare.map((l) => l.reqPerSec))), reference.bare.rps, '', ''],
    [
      'bare Hono: p50 / p99 (median of the rounds)',
      `${ms(median(bare.map((l) => l.p50)))} / ${perRound(
        bare.map((l) => l.p99),
        (n) => ms(n),
      )}`,
      reference.bare.latency,
      '',
      '',
    ],
    [
      `bare Hono at ${int(PACED_RATE)} req/s offered: p50 / p99 (median of the rounds)`,
      `${ms(median(barePaced.map((l) => l.p50)), 1)} / ${perRound(
        barePaced.map((l) => l.p99),
        (n) => ms(n, 1),
      )}`,
      PACED,
      '',
      '',
    ],
    ['bare Hono: non-2xx / errors', `${sum(bare, 'non2xx')} / ${failures(bare)}`, '', '0', mark(sum(bare, 'non2xx') + failures(bare) === 0)],
    ['bare Hono: cores per 1,000 req/s (median of the rounds)', `server ${coresText(bareCost.server)} · ${REST} ${coresText(bareCost.rest)}`, CPU_SOURCE, '', ''],
    ['bare Hono: its JavaScript thread busy (median of the rounds)', mainBusy(bare), MAIN_THREAD, '', ''],
  ];
  // Flat out, autocannon's whole milliseconds: a 0 ms p99 counts as 1. Paced, fractional.
  const p99Ratios = (rounds: LoadResult[], reference = bare, floor = 1) => rounds.map((l, i) => l.p99 / Math.max(floor, reference[i]!.p99));
  for (const a of stores) {
    const ref = reference[a.store];
    const ratios = a.rounds.map((l, i) => l.reqPerSec / bare[i]!.reqPerSec);
    const ratio = median(ratios);
    const p99 = median(a.rounds.map((l) => l.p99));
    const ok2xx = sum(a.rounds, 'ok2xx') + sum(a.paced, 'ok2xx');
    const lost = Math.max(0, ok2xx - a.stored);
    const killLost = Math.max(0, a.kill.answered2xx - a.kill.storedAfterRestart);
    const cost = costs(a.rounds);
    const serverAndPostgres = cost.server + cost.postgres;
    const perThousand = serverAndPostgres + cost.rest;
    // The rate the target ratio asks for, from the bare rounds, and what it would take at this run's cost per request.
    const targetRate = TARGET_RATIO * median(bare.map((l) => l.reqPerSec));
    const needed = (targetRate / 1000) * perThousand;
    rows.push(
      [`${a.store} accept: req/s (mean of the rounds)`, int(mean(a.rounds.map((l) => l.reqPerSec))), ref.rps, '', ''],
      [`${a.store} accept: ratio ours / bare (median of the rounds)`, perRound(ratios, (n) => n.toFixed(2)), ref.ratio, `≥ ${TARGET_RATIO}`, mark(ratio >= TARGET_RATIO)],
      [
        `${a.store} accept: p50 / p99 (median of the rounds)`,
        `${ms(median(a.rounds.map((l) => l.p50)))} / ${perRound(
          a.rounds.map((l) => l.p99),
          (n) => ms(n),
        )}`,
        ref.latency,
        `p99 ≤ ${TARGET_P99_MS} ms`,
        mark(p99 <= TARGET_P99_MS),
      ],
      [
        `${a.store} accept: p99 / bare Hono's p99 in the same round (median of the rounds)`,
        perRound(p99Ratios(a.rounds), (n) => `${n.toFixed(2)}×`),
        `autocannon's p99 in whole ms: a 1 ms step is the resolution. Flat out, a connection waits ${CONNECTIONS} ÷ req/s on average (Little's law): at ${ratio.toFixed(2)} of bare's rate, the queue alone makes ours ${(1 / ratio).toFixed(2)}× as slow`,
        a.store === 'SQLite' ? `≤ ${TARGET_P99_RATIO}×` : '',
        a.store === 'SQLite' ? mark(median(p99Ratios(a.rounds)) <= TARGET_P99_RATIO) : '',
      ],
      [
        `${a.store} accept at ${int(PACED_RATE)} req/s offered: p50 / p99, and p99 / bare Hono's in the same round (medians of the rounds)`,
        `${ms(median(a.paced.map((l) => l.p50)), 1)} / ${ms(median(a.paced.map((l) => l.p99)), 1)}; ${perRound(p99Ratios(a.paced, barePaced, 0.001), (n) => `${n.toFixed(2)}×`)} (${int(mean(a.paced.map((l) => l.reqPerSec)))} req/s served; the server's JavaScript thread ${Math.round(median(a.paced.map((r) => r.cpu.serverMain)) * 100)}% busy, server ${coresText(costs(a.paced).server)} cores per 1,000 req/s against ${coresText(cost.server)} flat out)`,
        PACED,
        '',
        '',
      ],
      [`${a.store} accept: non-2xx / errors`, `${sum(a.rounds, 'non2xx')} / ${failures(a.rounds)}`, '', '0', mark(sum(a.rounds, 'non2xx') + failures(a.rounds) === 0)],
      [
        `${a.store} accept: cores per 1,000 req/s (median of the rounds)`,
        `server ${coresText(cost.server)}${a.store === 'PostgreSQL' ? ` · PostgreSQL ${coresText(cost.postgres)}` : ''} · ${REST} ${coresText(cost.rest)}`,
        CPU_SOURCE,
        '',
        '',
      ],
      ...(a.store === 'PostgreSQL'
        ? [
            [
              'PostgreSQL accept: CPU per event, server + PostgreSQL, against the table when the target was set (cores per 1,000 req/s)',
              `${coresText(serverAndPostgres)} (${signedPercent(serverAndPostgres / POSTGRES_CPU_BEFORE - 1)} from ${coresText(POSTGRES_CPU_BEFORE)}); ${(serverAndPostgres / bareCost.server).toFixed(1)}× bare Hono's server in the same rounds`,
              `${coresText(POSTGRES_CPU_BEFORE)} was measured on another day: the same code's CPU moves by a fifth or more with the machine (bench/canary.ts), so read the ratio to bare Hono beside it`,
              `≤ ${coresText(POSTGRES_CPU_TARGET)} (−${POSTGRES_CPU_CUT * 100}%)`,
              mark(serverAndPostgres <= POSTGRES_CPU_TARGET),
            ] satisfies Row,
          ]
        : []),
      [`${a.store} accept: its JavaScript thread busy (median of the rounds)`, mainBusy(a.rounds), MAIN_THREAD, '', ''],
      [
        `${a.store} accept: cores the target ratio would take at these costs`,
        `${needed.toFixed(2)} of the machine's ${cores}, of which the server ${((targetRate / 1000) * cost.server).toFixed(2)}: ${int(targetRate)} req/s (${TARGET_RATIO} × bare's median) × ${coresText(perThousand)} cores per 1,000 req/s`,
        `the server${a.store === 'PostgreSQL' ? ', PostgreSQL' : ''} and the load generator share the machine; the server runs its JavaScript (HTTP, validation, ${a.store === 'PostgreSQL' ? 'the pg driver' : 'the SQLite writes'}) on one thread`,
        '',
        [needed > cores ? `more than ${cores} cores` : '', (targetRate / 1000) * cost.server > 1 ? 'server over 1 core' : ''].filter(Boolean).join('; '),
      ],
      [
        `${a.store} accept: runs stored / 2xx answers`,
        `${int(a.stored)} / ${int(ok2xx)}${a.stored > ok2xx ? ` (+${a.stored - ok2xx} in flight when autocannon stopped, not counted by it)` : ''}`,
        '',
        'none lost',
        lost === 0 ? '✓' : `✗ ${lost} lost`,
      ],
      ...(a.walBytes === undefined
        ? []
        : [
            [
              `${a.store} accept: write-ahead log after the rounds`,
              `${(a.walBytes / 2 ** 20).toFixed(1)} MiB, after ${int(a.stored)} events`,
              'the checkpoint thread lets it start over past 64 MiB (without that it held every commit: 738 MB after 16 s of this load)',
              `≤ ${JOURNAL_SIZE_LIMIT / 2 ** 20} MiB`,
              mark(a.walBytes <= JOURNAL_SIZE_LIMIT),
            ] satisfies Row,
          ]),
      [
        `${a.store} accept: kill -9 after 2 s of load: stored after restart / 2xx answers`,
        `${int(a.kill.storedAfterRestart)} / ${int(a.kill.answered2xx)}`,
        'answered only once committed (group commit)',
        'none lost',
        killLost === 0 ? '✓' : `✗ ${killLost} lost`,
      ],
    );
  }
  return rows;
}
