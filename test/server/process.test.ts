import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeKind } from '../helpers/server';

const root = path.resolve(import.meta.dirname, '../..');
const API_KEY = 'process_test_key_0123456789';

/** Starts `server/index.ts` as `npm start` does, and resolves with its URL once it listens. */
function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ALLOY_API_KEY: API_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = out.match(/listening on (http:\/\/\S+)/);
      if (match) resolve({ child, url: match[1]!.replace('localhost', '127.0.0.1'), output: () => out });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

const call = async (url: string, method: string, body?: unknown) => {
  const res = await fetch(url, {
    method,
    headers: { authorization: `bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};

describe(`the server process (${storeKind})`, () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-proc-'));
  const schema = `p_${Math.random().toString(36).slice(2, 10)}`;
  const env: Record<string, string> = { DATA_DIR: dataDir };
  beforeAll(async () => {
    if (storeKind === 'postgres') {
      const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      await admin.end();
      const url = new URL(process.env.TEST_DATABASE_URL!);
      url.searchParams.set('options', `-c search_path=${schema}`);
      env.DATABASE_URL = url.toString();
    }
  });
  afterAll(async () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (storeKind === 'postgres') {
      const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    }
  });

  it('loses no accepted event when it is killed with SIGKILL and started again', async () => {
    const first = await startServer(env);
    const userId = (await call(`${first.url}/users`, 'POST', { username: 'killed' })).body.userId;
    const cred = await call(`${first.url}/headless/credentials`, 'POST', { userId, credential: { type: 'slack', data: { botToken: 'xoxb-1' } } });
    const start = await call(`${first.url}/headless/startInstallation`, 'POST', { userId, integrationId: 'slack', credentialId: cred.body.credentialId });
    await call(`${first.url}/headless/completeInstallation`, 'POST', { userId, installationId: start.body.installationId, data: { channel: 'C1' } });
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(`${first.url}/run/event`, 'POST', { event: 'Ticket Created', userId, data: { ticketName: `T${i}`, customerEmail: 'a@b.c', description: 'd' } }),
      ),
    );
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    const second = await startServer(env);
    try {
      const logs = await call(`${second.url}/workflows/slack-ticket-created/logs?userId=${userId}&limit=100`, 'GET');
      const answered = runs.flatMap((r) => r.body.executionIds).sort();
      expect(answered).toHaveLength(20);
      expect(logs.body.data.map((e: any) => e.executionId).sort()).toEqual(answered);
    } finally {
      second.child.kill('SIGTERM');
      await new Promise((r) => second.child.once('exit', r));
    }
  });

  it('refuses to start on a bad definition file, naming the file, the path and the reason', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-defs-'));
    const slack = JSON.parse(fs.readFileSync(path.join(root, 'demo/integrations/slack.json'), 'utf8'));
    slack.workflows[0].trigger.schema.ticketName = 'Strng';
    fs.writeFileSync(path.join(dir, 'slack.json'), JSON.stringify(slack));
    const err = await startServer({ ...env, INTEGRATIONS_DIR: dir }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/slack\.json: workflows\.0\.trigger\.schema\.ticketName: unknown type "Strng"/);
    expect(err?.message).not.toMatch(/\n\s+at /);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
