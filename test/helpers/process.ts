import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { orderStreamIntegration } from './definitions';
import { storeKind } from './server';

export const root = path.resolve(import.meta.dirname, '../..');
export const PROCESS_API_KEY = 'process_test_key_0123456789';

export interface RunningProcess {
  child: ChildProcess;
  /** The server's URL (servers only). */
  url: string;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `server/index.ts` (or `server/worker.ts`) as `npm start` / `npm run worker` do, and
 * resolves once it listens (or, for a worker, once it runs).
 */
export function startProcess(entry: 'server/index.ts' | 'server/worker.ts', env: Record<string, string>): Promise<RunningProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ALLOY_API_KEY: PROCESS_API_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = entry === 'server/index.ts' ? /listening on (http:\/\/\S+)/ : /worker (\S+) running/;
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = out.match(ready);
      if (match) {
        child.stdout!.off('data', onData);
        child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
        resolve({
          child,
          url: entry === 'server/index.ts' ? match[1]!.replace('localhost', '127.0.0.1') : '',
          output: () => out,
          kill: (signal = 'SIGTERM') =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once('exit', () => done());
              child.kill(signal);
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.on('exit', (code) => reject(new Error(`${entry} exited with ${code}: ${out}`)));
  });
}

/** ISV API call with the processes' API key. */
export async function callApi(url: string, method: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `bearer ${PROCESS_API_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/**
 * A data directory and, on the PostgreSQL pass, a schema of its own, as the env a process needs
 * (`DATA_DIR`, and `DATABASE_URL` with that schema on its search path).
 */
export async function processStore(): Promise<{ env: Record<string, string>; dispose(): Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-proc-'));
  const env: Record<string, string> = { DATA_DIR: dataDir };
  const schema = `p_${Math.random().toString(36).slice(2, 10)}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  if (storeKind === 'postgres') {
    await admin(`CREATE SCHEMA ${schema}`);
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    env.DATABASE_URL = url.toString();
  }
  return {
    env,
    async dispose() {
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (storeKind === 'postgres') await admin(`DROP SCHEMA ${schema} CASCADE`);
    },
  };
}

/** A folder with one integration whose workflow streams every "Order Paid" event to `sinkUrl`. */
export function streamingDefinitions(sinkUrl: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-defs-'));
  fs.writeFileSync(path.join(dir, 'acme.json'), JSON.stringify(orderStreamIntegration(`${sinkUrl}/orders`)));
  return dir;
}

/**
 * Polls `check` until it holds; fails with `what()` after `timeoutMs`, or at once, with its
 * output, if `proc` exits meanwhile.
 */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string, proc?: RunningProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (proc && proc.child.exitCode !== null) throw new Error(`the server exited (${proc.child.exitCode}) while waiting: ${what()}\n${proc.output().slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Nothing accepted was lost: every execution in `accepted` reached the sink (its `webhook-id`
 * is `<executionId>_send`, as streamingDefinitions posts it) and ended `succeeded`.
 */
export async function expectDeliveredAndSucceeded(url: string, userId: string, accepted: string[], deliveredWebhookIds: () => string[]): Promise<void> {
  const missing = () => {
    const delivered = new Set(deliveredWebhookIds().map((id) => id.replace(/_send$/, '')));
    return accepted.filter((id) => !delivered.has(id));
  };
  await waitUntil(
    () => missing().length === 0,
    30_000,
    () => `${missing().length} of ${accepted.length} accepted executions never delivered: ${missing().slice(0, 5).join(', ')}`,
  );
  // Its status is written just after its delivery.
  let notSucceeded = accepted;
  await waitUntil(
    async () => {
      const logs = await callApi(`${url}/workflows/order-paid/logs?userId=${userId}&limit=1000`, 'GET');
      const byId = new Map((logs.body.data as Array<{ executionId: string; status: string }>).map((e) => [e.executionId, e.status]));
      notSucceeded = accepted.filter((id) => byId.get(id) !== 'succeeded');
      return notSucceeded.length === 0;
    },
    15_000,
    () => `${notSucceeded.length} executions not succeeded`,
  );
}
