import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { acmeIntegration } from './definitions';
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
  fs.writeFileSync(
    path.join(dir, 'acme.json'),
    JSON.stringify(
      acmeIntegration([
        {
          id: 'order-paid',
          name: 'Stream paid orders',
          version: 1,
          trigger: { type: 'customEvent', event: 'Order Paid', schema: { orderId: 'String' } },
          blocks: [{ id: 'send', connector: 'streamData', action: 'post', input: { url: `${sinkUrl}/orders`, body: { orderId: '{{event.orderId}}' } } }],
        },
      ]),
    ),
  );
  return dir;
}
