import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startFakeSlack } from '../../demo/fakes/slack';
import { callApi as call, processStore, root, startProcess } from '../helpers/process';
import { storeKind } from '../helpers/server';

const startServer = (env: Record<string, string>) => startProcess('server/index.ts', { WORKERS: 'off', ...env });

describe(`the server process (${storeKind})`, () => {
  let store: Awaited<ReturnType<typeof processStore>>;
  let env: Record<string, string>;
  beforeAll(async () => {
    store = await processStore();
    env = store.env;
  });
  afterAll(() => store.dispose());

  it('loses no accepted event when it is killed with SIGKILL and started again', async () => {
    // The install checks the channel against the ones Slack lists.
    const slack = await startFakeSlack();
    slack.channels = [{ id: 'C1', name: 'support' }];
    onTestFinished(() => slack.close());
    const first = await startServer({ ...env, SLACK_API_URL: slack.url });
    const userId = (await call(`${first.url}/users`, 'POST', { username: 'killed' })).body.userId;
    const cred = await call(`${first.url}/headless/credentials`, 'POST', { userId, credential: { type: 'slack', data: { botToken: 'xoxb-1' } } });
    const start = await call(`${first.url}/headless/startInstallation`, 'POST', { userId, integrationId: 'slack', credentialId: cred.body.credentialId });
    await call(`${first.url}/headless/completeInstallation`, 'POST', { userId, installationId: start.body.installationId, data: { channel: 'C1' } });
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(`${first.url}/run/event`, 'POST', { event: 'Ticket Created', userId, data: { ticketName: `T${i}`, customerEmail: 'a@b.c', description: 'd' } }),
      ),
    );
    await first.kill('SIGKILL');

    const second = await startServer(env);
    try {
      const logs = await call(`${second.url}/workflows/slack-ticket-created/logs?userId=${userId}&limit=100`, 'GET');
      const answered = runs.flatMap((r) => r.body.executionIds).sort();
      expect(answered).toHaveLength(20);
      expect(logs.body.data.map((e: any) => e.executionId).sort()).toEqual(answered);
    } finally {
      await second.kill();
    }
  });

  it('shuts down cleanly on SIGTERM, its worker stopping with it', async () => {
    const server = await startProcess('server/index.ts', { ...env, WORKERS: 'on' });
    const started = Date.now();
    await server.kill('SIGTERM');
    expect(server.child.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.output()).toMatch(/SIGTERM: shutting down/);
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
    // One fatal JSON line (stdout is no terminal here): its quotes and line breaks escaped.
    expect(err?.message).toMatch(/slack\.json: workflows\.0\.trigger\.schema\.ticketName: unknown type \\?"Strng\\?"/);
    expect(err?.message).not.toMatch(/(\n|\\n)\s+at /);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
