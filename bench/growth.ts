/**
 * 3. Growth: the accept path's latency with 1 k, 100 k and 1 M installations in the store (each
 *    of its own user, seeded in bulk with SQL), measured as in the accept benchmark (50
 *    connections, 10 s after 3 s of warm-up, WORKERS=off). The events and executions of one step
 *    are deleted before the next, so only the installations grow.
 */
import { load } from './accept';
import { startServer, type LoadResult } from './process';
import { API_KEY, installSlack, int, mark, ms, openBenchStore, seedBody, type BenchStore, type Row, type StoreKind } from './common';

export const SIZES = [1_000, 100_000, 1_000_000];
const TARGET_FACTOR = 1.5;

export interface GrowthResult {
  store: StoreKind;
  steps: Array<{ installations: number; load: LoadResult; seedSeconds: number }>;
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

export async function growth(kind: StoreKind, pgUrl?: string): Promise<GrowthResult> {
  const store = await openBenchStore(kind, pgUrl);
  const server = await startServer('server/index.ts', { WORKERS: 'off', DEMO: 'off', ALLOY_API_KEY: API_KEY, ...store.env });
  try {
    const userId = await installSlack(server.url);
    const url = `${server.url}/run/event`;
    const steps: GrowthResult['steps'] = [];
    let have = 1;
    for (const size of SIZES) {
      // Only the installations grow: the events and executions of the previous step go first.
      await store.query('DELETE FROM executions');
      await store.query('DELETE FROM events');
      const started = Date.now();
      await seed(store, have + 1, size);
      have = size;
      const seedSeconds = (Date.now() - started) / 1000;
      process.stdout.write(`  ${kind}: ${int(size)} installations (seeded in ${seedSeconds.toFixed(1)} s)… `);
      const measured = await load(url, seedBody(userId));
      console.log(`${int(measured.reqPerSec)} req/s, p50 ${measured.p50} ms, p99 ${measured.p99} ms`);
      steps.push({ installations: size, load: measured, seedSeconds });
    }
    return { store: kind, steps };
  } catch (err) {
    console.error(server.output());
    throw err;
  } finally {
    await server.kill();
    await store.dispose();
  }
}

export function growthRows(results: GrowthResult[]): Row[] {
  return results.flatMap((g): Row[] => {
    const first = g.steps[0]!;
    const last = g.steps[g.steps.length - 1]!;
    const factor = last.load.p99 / Math.max(1, first.load.p99);
    return [
      ...g.steps.map((s): Row => [
        `${g.store} growth: accept with ${int(s.installations)} installations: req/s, p50 / p99`,
        `${int(s.load.reqPerSec)}, ${ms(s.load.p50)} / ${ms(s.load.p99)}`,
        '',
        '',
        '',
      ]),
      [
        `${g.store} growth: p99 at ${int(last.installations)} / p99 at ${int(first.installations)}`,
        `${factor.toFixed(2)}×`,
        'p99 in whole ms (autocannon): a 1 ms step is the resolution',
        `≤ ${TARGET_FACTOR}×`,
        mark(factor <= TARGET_FACTOR),
      ],
    ];
  });
}
