/**
 * `npm run bench`: the first part of issue 6.
 *
 * 1. Accept path: `POST /run/event` with the seed's "Ticket Created" body and one matching
 *    installation, 50 connections for 10 s from autocannon in a process of its own, against our
 *    server (WORKERS=off, so only the accept path is measured) and against a bare Hono JSON
 *    endpoint in the same run; req/s, p50, p99, non-2xx, the ratio ours/bare, and a check that the
 *    store holds as many runs as there were 2xx answers. SQLite always; PostgreSQL when
 *    DATABASE_URL or TEST_DATABASE_URL is set (in a schema of its own, dropped after).
 * 2. Widget (bench/widget.ts): gzip size of dist/widget/alloy.js against its 16 KB budget beside the
 *    peers' packages bundled the same way, and Alloy.install → interactive modal in headless Chromium.
 *
 * Prints a markdown table and writes it to bench/RESULTS.md.
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { autocannon, killAll, root, startServer, type LoadResult } from './process';
import { widgetRows, type Row } from './widget';

const API_KEY = 'bench_api_key_0123456789abcdef';
const CONNECTIONS = 50;
const SECONDS = 10;
/** Targets from issue 6. */
const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 10;

const headers = { 'content-type': 'application/json', authorization: `bearer ${API_KEY}` };

async function call(url: string, method: string, body?: unknown): Promise<any> {
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** One user with one active installation of the Slack "Ticket Created" workflow; returns the userId. */
async function setUp(url: string): Promise<string> {
  const { userId } = await call(`${url}/users`, 'POST', { username: 'bench' });
  const { credentialId } = await call(`${url}/headless/credentials`, 'POST', { userId, credential: { type: 'slack', data: { botToken: 'xoxb-1' } } });
  const { installationId } = await call(`${url}/headless/startInstallation`, 'POST', { userId, integrationId: 'slack', credentialId });
  await call(`${url}/headless/completeInstallation`, 'POST', { userId, installationId, data: { channel: 'C1' } });
  return userId;
}

/** The seed's "Ticket Created" event (README, "The API"). */
const seedBody = (userId: string) =>
  JSON.stringify({ event: 'Ticket Created', userId, data: { ticketName: 'Printer on fire', customerEmail: 'a@b.co', description: 'Help' } });

const runs = async (url: string): Promise<number> => (await call(`${url}/workflows/slack-ticket-created/analytics`, 'GET')).totalWorkflowRuns;

interface AcceptResult {
  store: 'SQLite' | 'PostgreSQL';
  load: LoadResult;
  /** Runs the store gained during the load (one per accepted event: one installation). */
  stored: number;
}

async function measureOurs(store: AcceptResult['store'], env: Record<string, string>): Promise<AcceptResult> {
  const server = await startServer('server/index.ts', { WORKERS: 'off', DEMO: 'off', ALLOY_API_KEY: API_KEY, ...env });
  try {
    const userId = await setUp(server.url);
    const before = await runs(server.url);
    process.stdout.write(`  ${store}: ${CONNECTIONS} connections for ${SECONDS} s… `);
    const load = await autocannon(`${server.url}/run/event`, seedBody(userId), headers, { connections: CONNECTIONS, seconds: SECONDS });
    // Requests cut off by the end of the run may still be committing: let them land.
    await new Promise((r) => setTimeout(r, 500));
    const stored = (await runs(server.url)) - before;
    console.log(`${Math.round(load.reqPerSec)} req/s, p99 ${load.p99} ms, ${load.ok2xx} 2xx, ${stored} stored`);
    return { store, load, stored };
  } catch (err) {
    console.error(server.output());
    throw err;
  } finally {
    await server.kill();
  }
}

async function sqlite(): Promise<AcceptResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-bench-'));
  try {
    return await measureOurs('SQLite', { DATA_DIR: dataDir });
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function postgres(baseUrl: string): Promise<AcceptResult> {
  const schema = `bench_${Math.random().toString(36).slice(2, 10)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: baseUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-bench-'));
  await admin(`CREATE SCHEMA ${schema}`);
  try {
    const url = new URL(baseUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    return await measureOurs('PostgreSQL', { DATA_DIR: dataDir, DATABASE_URL: url.toString() });
  } finally {
    await admin(`DROP SCHEMA ${schema} CASCADE`);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function bare(seedUserId: string): Promise<LoadResult> {
  const server = await startServer('bench/bare-hono.ts', {});
  try {
    process.stdout.write(`  bare Hono: ${CONNECTIONS} connections for ${SECONDS} s… `);
    const load = await autocannon(`${server.url}/run/event`, seedBody(seedUserId), headers, { connections: CONNECTIONS, seconds: SECONDS });
    console.log(`${Math.round(load.reqPerSec)} req/s, p99 ${load.p99} ms`);
    return load;
  } finally {
    await server.kill();
  }
}

// ---- the table -------------------------------------------------------------------------------

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => `${n} ms`;
const mark = (ok: boolean) => (ok ? '✓' : '✗');

/** Reference points measured on this kind of machine (issue 6). */
const reference = {
  bare: { rps: 'about 57 k req/s', latency: 'p99 2 ms' },
  SQLite: { rps: 'about 14 k req/s (one better-sqlite3 insert per request, WAL, synchronous NORMAL); 3.7 k with synchronous FULL', latency: 'p99 ≈ 10 ms (naive insert)', ratio: '≈ 0.25 (naive insert)' },
  PostgreSQL: { rps: 'about 6.8 k req/s (one `pg` insert per request)', latency: '—', ratio: '≈ 0.12 (6.8 k / 57 k)' },
};

function table(bareLoad: LoadResult, accepts: AcceptResult[], widget: Row[]): string {
  const rows: string[][] = [
    ['bare Hono: req/s (mean)', int(bareLoad.reqPerSec), reference.bare.rps, '', ''],
    ['bare Hono: p50 / p99', `${ms(bareLoad.p50)} / ${ms(bareLoad.p99)}`, reference.bare.latency, '', ''],
    ['bare Hono: non-2xx / errors', `${bareLoad.non2xx} / ${bareLoad.errors + bareLoad.timeouts}`, '', '0', mark(bareLoad.non2xx + bareLoad.errors + bareLoad.timeouts === 0)],
  ];
  for (const a of accepts) {
    const ref = reference[a.store];
    const ratio = a.load.reqPerSec / bareLoad.reqPerSec;
    const lost = Math.max(0, a.load.ok2xx - a.stored);
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
    );
  }
  rows.push(...widget);
  const header = ['figure', 'measured', 'reference (issue 6)', 'target', ''];
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

async function main() {
  const pgUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  const nodeVersion = execSync('node -v', { encoding: 'utf8' }).trim();
  const cpus = os.cpus();
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  console.log(`npm run bench — ${date}, node ${nodeVersion}, ${cpus.length} × ${cpus[0]?.model ?? 'CPU'}`);

  const widget = await widgetRows();
  const accepts: AcceptResult[] = [];
  // The bare endpoint needs no user; it gets the same body (with a placeholder userId of the same length).
  const bareLoad = await bare('0'.repeat(26));
  accepts.push(await sqlite());
  if (pgUrl) accepts.push(await postgres(pgUrl));
  else console.log('  PostgreSQL: skipped (set DATABASE_URL or TEST_DATABASE_URL)');

  const md = [
    '# Benchmark results',
    '',
    `Last \`npm run bench\`: ${date} · node ${nodeVersion} · ${cpus.length} CPU${cpus.length === 1 ? '' : 's'} (${cpus[0]?.model ?? 'unknown'}) · ${os.platform()} ${os.release()}`,
    '',
    `Accept path: \`POST /run/event\` with the seed's "Ticket Created" body, one user with one matching installation, ` +
      `autocannon in a separate process, ${CONNECTIONS} connections for ${SECONDS} s on 127.0.0.1, load generator and server sharing the machine. ` +
      `Our server runs with \`WORKERS=off\` (accept path only); the bare reference is a Hono JSON endpoint on @hono/node-server (\`bench/bare-hono.ts\`) measured in the same run. ` +
      `"runs stored" is the workflow's \`totalWorkflowRuns\` gained during the load.` +
      (pgUrl ? '' : ' PostgreSQL was skipped (no DATABASE_URL / TEST_DATABASE_URL).'),
    '',
    table(bareLoad, accepts, widget),
    '',
  ].join('\n');
  console.log('\n' + md);
  fs.writeFileSync(path.join(root, 'bench/RESULTS.md'), md);
  console.log('written to bench/RESULTS.md');
}

process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});
main().catch((err) => {
  killAll();
  console.error(err);
  process.exit(1);
});
