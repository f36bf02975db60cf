/** What the benchmark sections share: the API key and calls, stores, the sink, and the table's formatting. */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startFakeSlack } from '../demo/fakes/slack';

export type { Row } from './widget';

export const API_KEY = 'bench_api_key_0123456789abcdef';
export const headers = { 'content-type': 'application/json', authorization: `bearer ${API_KEY}` };

export async function call(url: string, method: string, body?: unknown): Promise<any> {
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

// ---- formatting ------------------------------------------------------------------------------

export const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const ms = (n: number, digits = 0) => `${n.toFixed(digits)} ms`;
export const mark = (ok: boolean) => (ok ? '✓' : '✗');
/** Cores per 1,000 requests (or events) per second, as the tables print them. */
export const coresText = (n: number) => n.toFixed(3);

/** The value at quantile `q` (0–1) of unsorted numbers. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

// ---- stores ----------------------------------------------------------------------------------

export type StoreKind = 'SQLite' | 'PostgreSQL';

/** A fresh store for one server (and its workers): the env they need, SQL for the benchmark itself, and clean-up. */
export interface BenchStore {
  kind: StoreKind;
  env: Record<string, string>;
  /** Runs SQL with `?` placeholders on the store the server uses (a connection of the benchmark's own). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  dispose(): Promise<void>;
}

export async function openBenchStore(kind: StoreKind, pgUrl?: string): Promise<BenchStore> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-bench-'));
  if (kind === 'SQLite') {
    let db: Database.Database | undefined;
    return {
      kind,
      env: { DATA_DIR: dataDir },
      async query<T>(sql: string, params: unknown[] = []) {
        db ??= new Database(path.join(dataDir, 'alloy.sqlite'));
        db.pragma('busy_timeout = 30000');
        const stmt = db.prepare(sql);
        return (stmt.reader ? stmt.all(...params) : (stmt.run(...params), [])) as T[];
      },
      async dispose() {
        db?.close();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  if (!pgUrl) throw new Error('PostgreSQL needs DATABASE_URL or TEST_DATABASE_URL');
  const schema = `bench_${Math.random().toString(36).slice(2, 10)}`;
  const url = new URL(pgUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  return {
    kind,
    env: { DATA_DIR: dataDir, DATABASE_URL: url.toString() },
    async query<T>(sql: string, params: unknown[] = []) {
      let n = 0;
      return (
        await client.query(
          sql.replace(/\?/g, () => `$${++n}`),
          params,
        )
      ).rows as T[];
    },
    async dispose() {
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let slack: ReturnType<typeof startFakeSlack> | undefined;

/**
 * Where the servers under test find Slack (their `SLACK_API_URL`): the demo's fake Slack on
 * loopback, started once per benchmark run. Connecting an account checks it with the app
 * (verify on connect), and the benchmarks never reach the internet.
 */
export async function benchSlackEnv(): Promise<{ SLACK_API_URL: string }> {
  slack ??= startFakeSlack().then((fake) => {
    fake.channels = [{ id: 'C1', name: 'support' }];
    return fake;
  });
  return { SLACK_API_URL: (await slack).url };
}

/** Stops the fake Slack, if one was started. */
export async function closeBenchSlack(): Promise<void> {
  await (await slack)?.close();
  slack = undefined;
}

/** One user with one active installation of the Slack "Ticket Created" workflow; returns the userId. */
export async function installSlack(url: string, username = 'bench'): Promise<string> {
  const { userId } = await call(`${url}/users`, 'POST', { username });
  const { credentialId } = await call(`${url}/headless/credentials`, 'POST', { userId, credential: { type: 'slack', data: { botToken: 'xoxb-1' } } });
  const { installationId } = await call(`${url}/headless/startInstallation`, 'POST', { userId, integrationId: 'slack', credentialId });
  await call(`${url}/headless/completeInstallation`, 'POST', { userId, installationId, data: { channel: 'C1' } });
  return userId;
}

/** The seed's "Ticket Created" event (docs/api.md, "Running an event"). */
export const seedBody = (userId: string) =>
  JSON.stringify({ event: 'Ticket Created', userId, data: { ticketName: 'Printer on fire', customerEmail: 'a@b.co', description: 'Help' } });

// ---- delivery: a Stream Data workflow and a sink ---------------------------------------------

/** A folder with one integration, "acme", whose workflow posts every "Order Paid" event to `sinkUrl`. */
export function streamingDefinitions(sinkUrl: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-bench-defs-'));
  const integration = {
    id: 'acme',
    app: 'Acme',
    connector: 'streamdata',
    icon: '/icons/stream-data.svg',
    workflows: [
      {
        id: 'order-paid',
        name: 'Stream paid orders',
        version: 1,
        trigger: { type: 'customEvent', event: 'Order Paid', schema: { orderId: 'String' } },
        blocks: [{ id: 'send', connector: 'streamData', action: 'post', input: { url: `${sinkUrl}/orders`, body: { orderId: '{{event.orderId}}' } } }],
      },
    ],
  };
  fs.writeFileSync(path.join(dir, 'acme.json'), JSON.stringify(integration));
  return dir;
}

/** The env of a server under test that delivers to `sink` (streamingDefinitions) on `store`, its worker in the server process; worker processes take it too. */
export const streamingServerEnv = (sinkUrl: string, store: BenchStore): Record<string, string> => ({
  WORKERS: 'on',
  DEMO: 'off',
  ALLOY_API_KEY: API_KEY,
  INTEGRATIONS_DIR: streamingDefinitions(sinkUrl),
  ALLOY_ALLOW_PRIVATE_URLS: 'true',
  ...store.env,
});

/** Installs "acme" for a new user; returns the userId. */
export async function installStreaming(url: string, username = 'bench'): Promise<string> {
  const { userId } = await call(`${url}/users`, 'POST', { username });
  const { installationId } = await call(`${url}/headless/startInstallation`, 'POST', { userId, integrationId: 'acme' });
  await call(`${url}/headless/completeInstallation`, 'POST', { userId, installationId, data: {} });
  return userId;
}

export const orderBody = (userId: string) => JSON.stringify({ event: 'Order Paid', userId, data: { orderId: 'o-1' } });

/**
 * A Stream Data destination on 127.0.0.1, answering 200 at once and keeping only what the
 * benchmark needs: each delivery's `webhook-id` (`<executionId>_<blockId>`) and arrival time
 * (epoch milliseconds, sub-millisecond).
 */
export async function startSink() {
  const arrivals = new Map<string, number>();
  let duplicates = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const at = performance.timeOrigin + performance.now();
      const id = String(req.headers['webhook-id'] ?? '');
      if (arrivals.has(id)) duplicates++;
      else arrivals.set(id, at);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    duplicates: () => duplicates,
    reset() {
      arrivals.clear();
      duplicates = 0;
    },
    async waitFor(count: number, timeoutMs: number): Promise<boolean> {
      const deadline = Date.now() + timeoutMs;
      while (arrivals.size < count) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 50));
      }
      return true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type Sink = Awaited<ReturnType<typeof startSink>>;

/**
 * Accept → arrival, in ms, of each delivery the sink holds: from its execution's `created_at`
 * (written in the event's commit) to the sink's arrival time.
 */
export async function acceptToArrival(store: BenchStore, sink: Sink): Promise<number[]> {
  const rows = await store.query<{ id: string; created_at: number | string }>('SELECT id, created_at FROM executions');
  const created = new Map(rows.map((r) => [r.id, Number(r.created_at)]));
  return [...sink.arrivals].flatMap(([webhookId, at]) => {
    const acceptedAt = created.get(webhookId.split('_')[0]!);
    return acceptedAt === undefined ? [] : [at - acceptedAt];
  });
}

// ---- the machine -----------------------------------------------------------------------------

/** Busy and total CPU time of the whole machine so far (from /proc/stat), to tell how loaded it was. */
export function cpuTimes(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3]! + (line[4] ?? 0);
  const total = line.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Share of the machine's CPU that was busy between two `cpuTimes()` readings (0–1). */
export const busyShare = (a: ReturnType<typeof cpuTimes>, b: ReturnType<typeof cpuTimes>) => (b.busy - a.busy) / Math.max(1, b.total - a.total);

/** CPU seconds (user + system) in a /proc `stat` file: a process's (all its threads) or one thread's; 0 once it is gone. */
function statCpuSeconds(file: string): number {
  try {
    const stat = fs.readFileSync(file, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0; // exited
  }
}

/** CPU seconds used so far by the given processes (user + system, from /proc/<pid>/stat; gone ones count 0). */
export function processCpuSeconds(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + statCpuSeconds(`/proc/${pid}/stat`), 0);
}

/** CPU seconds used so far by a Node.js process's main thread, the one that runs its JavaScript (its thread id is the pid). */
export const mainThreadCpuSeconds = (pid: number): number => statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);

/**
 * Starts counting the CPU of PostgreSQL's processes; the function returned gives the CPU seconds
 * they used since. Backends come and go (each connection is a process): a new one counts from 0.
 */
export function postgresCpuSince(): () => number {
  const before = new Map(postgresPids().map((pid) => [pid, processCpuSeconds([pid])]));
  return () => postgresPids().reduce((sum, pid) => sum + processCpuSeconds([pid]) - (before.get(pid) ?? 0), 0);
}

/** The pids of the machine's PostgreSQL server processes (its backends do the queries' work). */
export function postgresPids(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres';
      } catch {
        return false;
      }
    })
    .map(Number);
}
