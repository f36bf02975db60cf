/**
 * 1. Accept path: `POST /run/event` with the seed's "Ticket Created" body and one matching
 *    installation, 50 connections for 10 s, against our server (WORKERS=off: only the accept
 *    path) and a bare Hono JSON endpoint in the same run. Then kill -9 under the same load: every
 *    2xx answer must be in the store after a restart.
 */
import { autocannon, startServer, type LoadResult } from './process';
import { headers, installSlack, int, mark, ms, openBenchStore, seedBody, type BenchStore, type Row, type StoreKind } from './common';

export const CONNECTIONS = 50;
export const SECONDS = 10;
const WARMUP_SECONDS = 3;
/** Targets from issue 6. */
const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 10;

const runs = async (store: BenchStore): Promise<number> =>
  Number((await store.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM executions WHERE workflow_id = 'slack-ticket-created'"))[0]!.n);

export interface AcceptResult {
  store: StoreKind;
  load: LoadResult;
  /** Executions the store gained during the load (one per accepted event: one installation). */
  stored: number;
  kill: { answered2xx: number; storedAfterRestart: number };
}

/** Warm-up (JIT, connection pools), unmeasured, then `beforeRun`, then the measured run (the growth section measures the same way). */
export async function load(url: string, body: string, beforeRun?: () => Promise<void>): Promise<LoadResult> {
  await autocannon(url, body, headers, { connections: CONNECTIONS, seconds: WARMUP_SECONDS });
  await beforeRun?.();
  return autocannon(url, body, headers, { connections: CONNECTIONS, seconds: SECONDS });
}

export async function bare(): Promise<LoadResult> {
  const server = await startServer('bench/bare-hono.ts', {});
  try {
    process.stdout.write(`  bare Hono: ${CONNECTIONS} connections for ${SECONDS} s… `);
    // Same body as ours, with a placeholder userId of the same length.
    const result = await load(`${server.url}/run/event`, seedBody('0'.repeat(24)));
    console.log(`${int(result.reqPerSec)} req/s, p99 ${result.p99} ms`);
    return result;
  } finally {
    await server.kill();
  }
}

export async function accept(kind: StoreKind, pgUrl?: string): Promise<AcceptResult> {
  const store = await openBenchStore(kind, pgUrl);
  const env = { WORKERS: 'off', DEMO: 'off', ALLOY_API_KEY: 'bench_api_key_0123456789abcdef', ...store.env };
  let server = await startServer('server/index.ts', env);
  try {
    const userId = await installSlack(server.url);
    process.stdout.write(`  ${kind}: ${CONNECTIONS} connections for ${SECONDS} s… `);
    const url = `${server.url}/run/event`;
    let start = 0;
    const measured = await load(url, seedBody(userId), async () => {
      start = await runs(store);
    });
    // Requests cut off by the end of the run may still be committing: let them land.
    await new Promise((r) => setTimeout(r, 500));
    const stored = (await runs(store)) - start;
    console.log(`${int(measured.reqPerSec)} req/s, p99 ${measured.p99} ms, ${int(measured.ok2xx)} 2xx, ${int(stored)} stored`);

    // kill -9 in the middle of a load: what was answered 2xx must be there after a restart.
    process.stdout.write(`  ${kind}: kill -9 under load… `);
    const beforeKill = await runs(store);
    const killed = autocannon(url, seedBody(userId), headers, { connections: CONNECTIONS, seconds: 4 });
    await new Promise((r) => setTimeout(r, 2000));
    await server.kill('SIGKILL');
    const answered = await killed;
    server = await startServer('server/index.ts', env);
    const storedAfterRestart = (await runs(store)) - beforeKill;
    console.log(`${int(answered.ok2xx)} answered 2xx before the kill, ${int(storedAfterRestart)} stored after restart`);
    return { store: kind, load: measured, stored, kill: { answered2xx: answered.ok2xx, storedAfterRestart } };
  } catch (err) {
    console.error(server.output());
    throw err;
  } finally {
    await server.kill();
    await store.dispose();
  }
}

/** Reference points measured on this kind of machine (issue 6). */
const reference = {
  bare: { rps: 'about 57 k req/s', latency: 'p99 2 ms' },
  SQLite: { rps: 'about 14 k req/s (one better-sqlite3 insert per request, WAL, synchronous NORMAL); 3.7 k with synchronous FULL', latency: 'p99 ≈ 10 ms (naive insert)', ratio: '≈ 0.25 (naive insert)' },
  PostgreSQL: { rps: 'about 6.8 k req/s (one `pg` insert per request)', latency: '—', ratio: '≈ 0.12 (6.8 k / 57 k)' },
};

export function acceptRows(bareLoad: LoadResult, accepts: AcceptResult[]): Row[] {
  const rows: Row[] = [
    ['bare Hono: req/s (mean)', int(bareLoad.reqPerSec), reference.bare.rps, '', ''],
    ['bare Hono: p50 / p99', `${ms(bareLoad.p50)} / ${ms(bareLoad.p99)}`, reference.bare.latency, '', ''],
    ['bare Hono: non-2xx / errors', `${bareLoad.non2xx} / ${bareLoad.errors + bareLoad.timeouts}`, '', '0', mark(bareLoad.non2xx + bareLoad.errors + bareLoad.timeouts === 0)],
  ];
  for (const a of accepts) {
    const ref = reference[a.store];
    const ratio = a.load.reqPerSec / bareLoad.reqPerSec;
    const lost = Math.max(0, a.load.ok2xx - a.stored);
    const killLost = Math.max(0, a.kill.answered2xx - a.kill.storedAfterRestart);
    rows.push(
      [`${a.store} accept: req/s (mean)`, int(a.load.reqPerSec), ref.rps, '', ''],
      [`${a.store} accept: ratio ours / bare`, ratio.toFixed(2), ref.ratio, `≥ ${TARGET_RATIO}`, mark(ratio >= TARGET_RATIO)],
      [`${a.store} accept: p50 / p99`, `${ms(a.load.p50)} / ${ms(a.load.p99)}`, ref.latency, `p99 ≤ ${TARGET_P99_MS} ms`, mark(a.load.p99 <= TARGET_P99_MS)],
      [`${a.store} accept: non-2xx / errors`, `${a.load.non2xx} / ${a.load.errors + a.load.timeouts}`, '', '0', mark(a.load.non2xx + a.load.errors + a.load.timeouts === 0)],
      [
        `${a.store} accept: runs stored / 2xx answers`,
        `${int(a.stored)} / ${int(a.load.ok2xx)}${a.stored > a.load.ok2xx ? ` (+${a.stored - a.load.ok2xx} in flight when autocannon stopped, not counted by it)` : ''}`,
        '',
        'none lost',
        lost === 0 ? '✓' : `✗ ${lost} lost`,
      ],
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
