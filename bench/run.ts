/**
 * `npm run bench`: the benchmarks, each figure measured in the same run as its reference.
 *
 * 1. accept    (bench/accept.ts)    POST /run/event against bare Hono; kill -9 under load.
 * 2. delivery  (bench/delivery.ts)  accept → arrival at a Stream Data sink at 1 k events/s; flat-out delivery rate.
 * 3. growth    (bench/growth.ts)    accept p99 with 1 k, 100 k, 1 M installations.
 * 4. scale-out (bench/scale-out.ts) PostgreSQL, 1, 2 and 3 worker processes under CPU quotas, in turn and side by side.
 * 5. widget    (bench/widget.ts)    loader, UI and locale gzip bytes beside the peers'; Alloy.install → interactive modal, cold and preloaded.
 * 6. fairness  (bench/fairness.ts)  user A floods 5,000 events, user B sends one: B's accept → start, in ms and in A's executions.
 *
 * SQLite always; PostgreSQL when DATABASE_URL or TEST_DATABASE_URL is set (each run in a schema of
 * its own, dropped after). Load comes from autocannon in a process of its own on 127.0.0.1.
 * `npm run bench -- accept growth` runs only those sections and prints their table; a full run
 * also writes it to bench/RESULTS.md, keeping the hand-written sections after the table (from its
 * first `## ` heading on: the widget's own run, history and notes).
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { accept, acceptRows, CONNECTIONS, PACED_RATE, ROUND_SECONDS, ROUNDS } from './accept';
import type { Row, StoreKind } from './common';
import { consoleLists, consoleRows, type ConsoleResult } from './console';
import { closeBenchSlack, int } from './common';
import { delivery, deliveryRows, type DeliveryResult } from './delivery';
import { fairnessRows, fairnessRuns, type FairnessResult } from './fairness';
import { growth, growthRows, type GrowthResult } from './growth';
import { killAll, killAllOnSignals, root } from './process';
import { scaleOut, scaleOutRows } from './scale-out';
import { requireChromium, widgetRows } from './widget';

const SECTIONS = ['accept', 'delivery', 'growth', 'scale-out', 'widget', 'fairness', 'console'] as const;
type Section = (typeof SECTIONS)[number];

function table(rows: Row[]): string {
  const header = ['figure', 'measured', 'reference', 'target', ''];
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

async function main() {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => !(SECTIONS as readonly string[]).includes(a));
  if (unknown.length) throw new Error(`unknown section ${unknown.join(', ')}; the sections are: ${SECTIONS.join(', ')}`);
  const sections = new Set<Section>(asked.length ? (asked as Section[]) : SECTIONS);
  // Said now, not after the other sections' minutes.
  if (sections.has('widget')) requireChromium();
  const pgUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const stores: StoreKind[] = pgUrl ? ['SQLite', 'PostgreSQL'] : ['SQLite'];
  const nodeVersion = execSync('node -v', { encoding: 'utf8' }).trim();
  const cpus = os.cpus();
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const machine = `node ${nodeVersion} · ${cpus.length} CPU${cpus.length === 1 ? '' : 's'} (${cpus[0]?.model ?? 'unknown'}) · ${os.platform()} ${os.release()}`;
  console.log(`npm run bench — ${date}, ${machine}, sections: ${[...sections].join(', ')}`);
  if (!pgUrl) console.log('  PostgreSQL: skipped (set DATABASE_URL or TEST_DATABASE_URL)');

  const rows: Row[] = [];
  if (sections.has('accept')) {
    console.log('1. accept path');
    rows.push(...acceptRows(await accept(stores, pgUrl)));
  }
  if (sections.has('delivery')) {
    console.log('2. delivery path');
    const results: DeliveryResult[] = [];
    for (const kind of stores) results.push(await delivery(kind, pgUrl));
    rows.push(...deliveryRows(results));
  }
  if (sections.has('growth')) {
    console.log('3. growth');
    const results: GrowthResult[] = [];
    for (const kind of stores) results.push(await growth(kind, pgUrl));
    rows.push(...growthRows(results));
  }
  if (sections.has('scale-out')) {
    console.log('4. scale-out');
    if (pgUrl) rows.push(...scaleOutRows(await scaleOut(pgUrl)));
    else rows.push(['PostgreSQL scale-out', 'skipped: no DATABASE_URL / TEST_DATABASE_URL', '', '', '']);
  }
  if (sections.has('widget')) {
    console.log('5. widget');
    rows.push(...(await widgetRows()));
  }
  if (sections.has('fairness')) {
    console.log('6. fairness');
    const results: FairnessResult[] = [];
    for (const kind of stores) results.push(...(await fairnessRuns(kind, pgUrl)));
    rows.push(...fairnessRows(results));
  }

  if (sections.has('console')) {
    console.log('7. console lists');
    const results: ConsoleResult[] = [];
    for (const kind of stores) results.push(await consoleLists(kind, pgUrl));
    rows.push(...consoleRows(results));
  }

  const md = [
    '# Benchmark results',
    '',
    `Last \`npm run bench\`: ${date} · ${machine}`,
    '',
    'Load comes from autocannon in a process of its own on 127.0.0.1; the load generator, the server, PostgreSQL and the sink share the 2 cores. ' +
      `Accept: \`POST /run/event\` with the seed's "Ticket Created" body, one user with one matching installation, ${CONNECTIONS} connections after a 15 s warm-up of each server (a fresh one keeps getting faster for tens of seconds), ` +
      `our server with \`WORKERS=off\` and the bare reference a Hono JSON endpoint on @hono/node-server (\`bench/bare-hono.ts\`), all running at once and loaded in turns: ${ROUNDS} rounds of ${ROUND_SECONDS} s, bare then each store, each ratio the median of its rounds' (a shared VM drifts over minutes; interleaved, the drift is under both sides of a ratio); then as many rounds at ${int(PACED_RATE)} req/s offered, an open loop (\`bench/paced.ts\`) below every server's flat-out rate, for the latency a request meets without the queue a saturated closed loop builds. ` +
      'Delivery: a Stream Data workflow posting to a sink on loopback, executions run in the server process. ' +
      "Growth: a server on a store of each size (users with one installation each, seeded in bulk with SQL), all running at once, warmed up, then loaded in turns as in the accept rounds, each size getting the same load (so its events and executions grow alike); the factor is the median of the rounds' (p99 at the largest / p99 at the smallest). Scale-out: 1, 2 and 3 `npm run worker` processes, each in a cgroup at a fixed CPU quota, draining a queue filled beforehand on emptied tables, in turns: 4 rounds, every other one in the opposite order (3, 2, 1), each ratio the median of its rounds'. " +
      "Console: the console's list pages on a store loaded with 100,000 executions over a week, each asked 25 times through the app in the benchmark's process (server time, no network). " +
      "Fairness: user A's 5,000 events sent through the API 50 at a time, then user B's one, the Stream Data sink answering in 5 ms; B's times from its execution's `created_at` and `started_at` and the sink's arrival. " +
      (pgUrl ? '' : 'PostgreSQL was skipped (no DATABASE_URL / TEST_DATABASE_URL).'),
    '',
    table(rows),
    '',
  ].join('\n');
  console.log('\n' + md);
  if (sections.size === SECTIONS.length) {
    const file = path.join(root, 'bench/RESULTS.md');
    const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    const kept = previous.indexOf('\n## ');
    fs.writeFileSync(file, kept === -1 ? md : `${md}\n${previous.slice(kept + 1)}`);
    console.log('written to bench/RESULTS.md');
  }
}

killAllOnSignals();
main()
  .then(() => closeBenchSlack())
  .catch((err) => {
    killAll();
    console.error(err);
    process.exit(1);
  });
