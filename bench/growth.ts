/**
 * 3. Growth: the accept path's latency with 1 k, 100 k and 1 M installations in the store (each
 *    of its own user, seeded in bulk with SQL), measured as in the accept benchmark: one server
 *    (WORKERS=off) on a store of each size, all running at once, each warmed up, then loaded in
 *    turns, rounds of a few seconds at 50 connections, so that a machine that drifts drifts under
 *    every size alike. The factor is the median of the rounds' (p99 at the largest / p99 at the
 *    smallest). Each store gets the same load, so the events and executions grow alike in all.
 */
import { loadInTurns, mean, median, perRound, warmUp } from './accept';
import { startServer, type LoadResult, type Server } from './process';
import { API_KEY, benchSlackEnv, installSlack, int, mark, ms, openBenchStore, seedBody, type BenchStore, type Row, type StoreKind } from './common';

export const SIZES = [1_000, 100_000, 1_000_000];
const TARGET_FACTOR = 1.5;

export interface GrowthResult {
  store: StoreKind;
  /** One per size, smallest first: a load per round (round i of every size ran one after the other). */
  steps: Array<{ installations: number; rounds: LoadResult[]; seedSeconds: number }>;
}

/** Adds users `from`..`to` (inclusive), each with one installation like the benchmark user's. */
async function seed(store: BenchStore, from: number, to: number): Promise<void> {
  const [template] = await store.query<Record<string, unknown>>('SELECT integration_id, workflow_id, version, config FROM installations LIMIT 1');
  const t = template!;
  if (store.kind === 'SQLite') {
    const range = `WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${to})`;
    await store.query('BEGIN');
    await store.query(`${range} INSERT INTO users (id, username, full_name, created_at, updated_at) SELECT printf('%024x', i), 'seed-' || i, NULL, 0, 0 FROM n`);
    await store.query(
      `${range} INSERT INTO installations (id, user_id, integration_id, workflow_id, version, config, credential_ids, active, webhook_token, installed_at, updated_at)
       SELECT printf('s%023x', i), printf('%024x', i), ?, ?, ?, ?, '[]', 1, NULL, 0, 0 FROM n`,
      [t.integration_id, t.workflow_id, t.version, t.config],
    );
    await store.query('COMMIT');
    return;
  }
  await store.query(
    `INSERT INTO users (id, username, full_name, created_at, updated_at) SELECT lpad(to_hex(i), 24, '0'), 'seed-' || i, NULL, 0, 0 FROM generate_series(?::int, ?::int) i`,
    [from, to],
  );
  await store.query(
    `INSERT INTO installations (id, user_id, integration_id, workflow_id, version, config, credential_ids, active, webhook_token, installed_at, updated_at)
     SELECT 's' || lpad(to_hex(i), 23, '0'), lpad(to_hex(i), 24, '0'), ?, ?, ?, ?, '[]', 1, NULL, 0, 0 FROM generate_series(?::int, ?::int) i`,
    [t.integration_id, t.workflow_id, t.version, t.config, from, to],
  );
  // Statistics for what was seeded, as autovacuum would gather them. Not for events and
  // executions, just emptied: analysed empty, PostgreSQL plans the foreign-key check of every
  // execution insert as a scan of events, kept until autovacuum analyses again (up to a minute,
  // longer than a step), and each insert then reads the whole table (about 1,100 req/s instead of 3,000).
  await store.query('ANALYZE users, installations');
}

interface Step {
  installations: number;
  store: BenchStore;
  server: Server;
  body: string;
  seedSeconds: number;
}

export async function growth(kind: StoreKind, pgUrl?: string): Promise<GrowthResult> {
  const steps: Step[] = [];
  try {
    for (const size of SIZES) {
      const store = await openBenchStore(kind, pgUrl);
      const server = await startServer('server/index.ts', { WORKERS: 'off', DEMO: 'off', ALLOY_API_KEY: API_KEY, ...(await benchSlackEnv()), ...store.env });
      // Listed at once, so that `finally` stops its server if what follows throws.
      const step: Step = { installations: size, store, server, body: '', seedSeconds: 0 };
      steps.push(step);
      step.body = seedBody(await installSlack(server.url));
      const started = Date.now();
      await seed(store, 2, size);
      step.seedSeconds = (Date.now() - started) / 1000;
      console.log(`  ${kind}: ${int(size)} installations seeded in ${step.seedSeconds.toFixed(1)} s`);
    }
    const loads = steps.map((s) => ({ label: `${int(s.installations)}:`, url: `${s.server.url}/run/event`, body: s.body }));
    await warmUp(loads);
    const rounds = await loadInTurns(loads, `${kind} `);
    return { store: kind, steps: steps.map(({ installations, seedSeconds }, i) => ({ installations, rounds: rounds[i]!, seedSeconds })) };
  } catch (err) {
    for (const s of steps) console.error(s.server.output());
    throw err;
  } finally {
    for (const s of steps) {
      await s.server.kill();
      await s.store.dispose();
    }
  }
}

export function growthRows(results: GrowthResult[]): Row[] {
  return results.flatMap((g): Row[] => {
    const first = g.steps[0]!;
    const last = g.steps[g.steps.length - 1]!;
    const factors = last.rounds.map((l, i) => l.p99 / Math.max(1, first.rounds[i]!.p99));
    const factor = median(factors);
    return [
      ...g.steps.map((s): Row => [
        `${g.store} growth: accept with ${int(s.installations)} installations: req/s (mean of the rounds), p50 / p99 (median of the rounds)`,
        `${int(mean(s.rounds.map((l) => l.reqPerSec)))}, ${ms(median(s.rounds.map((l) => l.p50)))} / ${perRound(
          s.rounds.map((l) => l.p99),
          (n) => ms(n),
        )}`,
        `seeded in ${s.seedSeconds.toFixed(1)} s`,
        '',
        '',
      ]),
      [
        `${g.store} growth: p99 at ${int(last.installations)} / p99 at ${int(first.installations)} (median of the rounds)`,
        perRound(factors, (n) => `${n.toFixed(2)}×`),
        'p99 in whole ms (autocannon): a 1 ms step is the resolution',
        `≤ ${TARGET_FACTOR}×`,
        mark(factor <= TARGET_FACTOR),
      ],
    ];
  });
}
