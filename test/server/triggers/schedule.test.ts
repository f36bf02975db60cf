import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startSink } from '../../../demo/fakes/sink';
import { buildDefinitions, DefinitionError, loadDefinitions } from '../../../server/definitions/load';
import { acmeIntegration } from '../../helpers/definitions';
import { countRows, installHeadless, untilBlockedBy } from '../../helpers/flows';
import { captureLogs } from '../../helpers/logs';
import { callApi, processStore, startProcess, waitUntil, type RunningProcess } from '../../helpers/process';
import { createUser, startTestServer, storeKind, waitForExecution, type TestServer } from '../../helpers/server';

// 9:00 in Paris on weekdays; in March 2031 Paris is UTC+1, so each occurrence is 08:00Z.
const CRON = '0 9 * * 1-5';
const MONDAY = '2031-03-03';
const at = (day: string, time: string) => `${day}T${time}Z`;
const NINE_PARIS = (day: string) => at(day, '08:00:00.000');
const days = ['2031-03-03', '2031-03-04', '2031-03-05', '2031-03-06', '2031-03-07'];

/** AcmeCo with one scheduled workflow, `daily-report`, that streams each occurrence's event to `url`. */
function reportIntegration(url: string, trigger: Record<string, unknown> = { type: 'schedule', cron: CRON, timezone: 'Europe/Paris' }, version = 1) {
  return acmeIntegration([
    {
      id: 'daily-report',
      name: 'Daily report',
      version,
      trigger,
      blocks: [{ id: 'send', connector: 'streamData', action: 'post', input: { url, body: '{{event}}' } }],
    },
  ]);
}

/** A clock file the engine reads (ALLOY_TEST_CLOCK_FILE), and how to set it. */
function testClock() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-clock-'));
  const file = path.join(dir, 'now');
  return {
    file,
    set: (iso: string) => fs.writeFileSync(file, String(Date.parse(iso))),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

interface EventRow {
  name: string;
  data: string;
  source: string;
  idempotency_key: string;
}

describe(`the schedule trigger (${storeKind})`, () => {
  let server: TestServer;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let clock: ReturnType<typeof testClock>;
  let userId: string;
  /** The released definition: a test changes it, then restarts the server. */
  let release: { trigger?: Record<string, unknown>; version: number };

  beforeEach(async () => {
    release = { version: 1 };
    sink = await startSink();
    clock = testClock();
    clock.set(at(MONDAY, '07:00:00.000')); // 8:00 in Paris
    server = await startTestServer({
      env: { WORKERS: 'on', ALLOY_TEST_CLOCK_FILE: clock.file, ALLOY_ALLOW_PRIVATE_URLS: 'true' },
      definitions: () => buildDefinitions([reportIntegration(`${sink.url}/report`, release.trigger, release.version)]),
    });
    userId = await createUser(server, 'ann');
  });
  afterEach(async () => {
    await server.close();
    await sink.close();
    clock.dispose();
    vi.restoreAllMocks();
  });

  /** One round of the scheduler at the clock's time, awaited: what it does is in the store when this resolves. */
  const tick = () => server.services.engine.runners.get('schedule')!.tick();
  const installationId = async () => (await server.services.store.installations.find(userId, 'daily-report'))?.installationId;
  const dueAt = async () => {
    const id = await installationId();
    const due = id === undefined ? undefined : await server.services.store.schedules.dueAt(id);
    return due === undefined ? undefined : new Date(due).toISOString();
  };
  const events = async () =>
    (await server.services.store.db.all<EventRow>("SELECT name, data, source, idempotency_key FROM events WHERE source = 'schedule'"))
      .map((e) => ({ ...e, data: JSON.parse(e.data) as { scheduledAt: string; firedAt: string; late?: { missed: number; since: string } } }))
      .sort((a, b) => a.data.scheduledAt.localeCompare(b.data.scheduledAt));

  it('fires once per occurrence as the clock moves, never before it is due, and runs the workflow', async () => {
    await installHeadless(server, userId, 'acme');
    expect(await dueAt()).toBe(NINE_PARIS(MONDAY));

    clock.set(at(MONDAY, '07:59:59.999'));
    await tick();
    expect(await events()).toEqual([]);

    clock.set(NINE_PARIS(MONDAY));
    await tick();
    await tick();
    clock.set(at(MONDAY, '08:00:30.000'));
    await tick();
    const first = await events();
    expect(first).toEqual([
      {
        name: 'schedule:daily-report',
        source: 'schedule',
        data: { scheduledAt: NINE_PARIS(MONDAY), firedAt: NINE_PARIS(MONDAY) },
        idempotency_key: `schedule:${await installationId()}:${NINE_PARIS(MONDAY)}`,
      },
    ]);
    expect(await dueAt()).toBe(NINE_PARIS(days[1]!));
    expect(await countRows(server, 'executions', 'installation_id = ?', [await installationId()])).toBe(1);

    clock.set(at(days[1]!, '08:00:20.000'));
    await tick();
    expect((await events()).map((e) => e.data.scheduledAt)).toEqual([NINE_PARIS(MONDAY), NINE_PARIS(days[1]!)]);
    expect((await events())[1]!.data).toEqual({ scheduledAt: NINE_PARIS(days[1]!), firedAt: at(days[1]!, '08:00:20.000') });

    // Each run is an execution of the workflow like any other: it streams the occurrence.
    const executions = (await server.request('GET', `/workflows/daily-report/logs?userId=${userId}`)).body.data as Array<{ executionId: string }>;
    expect(executions).toHaveLength(2);
    for (const e of executions) await waitForExecution(server, userId, 'daily-report', e.executionId, 'succeeded');
    expect(sink.deliveries.map((d) => (d.json as { scheduledAt: string }).scheduledAt).sort()).toEqual([NINE_PARIS(MONDAY), NINE_PARIS(days[1]!)]);
  });

  it('runs the occurrences missed while no scheduler ran once, late, saying how many and since when', async () => {
    const logs = captureLogs();
    await installHeadless(server, userId, 'acme');
    // The server is down from Monday 8:00 to Thursday 10:30 (Paris): four occurrences pass.
    await server.services.engine.runners.get('schedule')!.stop();
    clock.set(at(days[3]!, '09:30:00.000'));
    await server.restart();
    await tick();
    await tick();

    const [only, ...more] = await events();
    expect(more).toEqual([]);
    expect(only!.data).toEqual({
      scheduledAt: NINE_PARIS(days[3]!),
      firedAt: at(days[3]!, '09:30:00.000'),
      late: { missed: 4, since: NINE_PARIS(MONDAY) },
    });
    expect(await dueAt()).toBe(NINE_PARIS(days[4]!));
    expect(logs.messages('warn')).toContainEqual(
      expect.stringMatching(/"daily-report" of user \S+ runs late .*: 4 occurrences since 2031-03-03T08:00:00.000Z did not run on time/),
    );

    // Back on time: Friday's occurrence is not late.
    clock.set(NINE_PARIS(days[4]!));
    await tick();
    expect((await events()).at(-1)!.data).toEqual({ scheduledAt: NINE_PARIS(days[4]!), firedAt: NINE_PARIS(days[4]!) });
  });

  it('stops when the workflow is deactivated or uninstalled, and resumes from the next occurrence when activated again', async () => {
    await installHeadless(server, userId, 'acme');
    expect((await server.request('PUT', '/workflows/deactivate', { body: { userId, workflowId: 'daily-report' } })).status).toBe(200);
    expect(await dueAt()).toBeUndefined();
    clock.set(at(MONDAY, '08:30:00.000'));
    await tick();
    expect(await events()).toEqual([]);

    // Monday's occurrence passed while it was paused: it is not run.
    expect((await server.request('PUT', '/workflows/activate', { body: { userId, workflowId: 'daily-report' } })).status).toBe(200);
    expect(await dueAt()).toBe(NINE_PARIS(days[1]!));

    expect((await server.request('DELETE', `/workflows/daily-report?userId=${userId}`)).status).toBe(200);
    expect(await countRows(server, 'schedule_states')).toBe(0);
    clock.set(at(days[1]!, '08:30:00.000'));
    await tick();
    expect(await events()).toEqual([]);
  });

  it('keeps the planned occurrence on a reconfiguration, and plans again on an upgrade to another cron', async () => {
    await installHeadless(server, userId, 'acme');
    clock.set(at(MONDAY, '07:30:00.000'));
    await installHeadless(server, userId, 'acme');
    expect(await dueAt()).toBe(NINE_PARIS(MONDAY));

    release = { trigger: { type: 'schedule', cron: '0 18 * * *', timezone: 'Europe/Paris' }, version: 2 };
    await server.restart();
    expect((await server.request('PUT', '/workflows/daily-report/upgrade', { body: { userId } })).body).toMatchObject({ upgraded: true, version: 2 });
    expect(await dueAt()).toBe(at(MONDAY, '17:00:00.000'));

    // A version with another trigger type has no schedule.
    release = { trigger: { type: 'webhook' }, version: 3 };
    await server.restart();
    expect((await server.request('PUT', '/workflows/daily-report/upgrade', { body: { userId } })).body).toMatchObject({ upgraded: true, version: 3 });
    expect(await countRows(server, 'schedule_states')).toBe(0);
  });

  it('does not plan again an installation that an upgrade moves off its schedule while the first round plans', async () => {
    await installHeadless(server, userId, 'acme');
    release = { trigger: { type: 'webhook' }, version: 2 };
    await server.restart();
    await tick(); // the restarted scheduler's own first round, before the race this test makes

    // The first round of another process plans version 1's installations while the upgrade to
    // version 2 is between its removal of the plan and its commit.
    const store = server.services.store;
    let planning: Promise<number> | undefined;
    await store.installations.setVersion(userId, 'daily-report', 2, async (tx) => {
      planning = store.schedules.planActive('daily-report', 1, { cron: CRON, timezone: 'Europe/Paris' }, Date.parse(NINE_PARIS(MONDAY)));
      await untilBlockedBy(server, tx, 'the planning to wait for the upgrade');
    });
    expect(await planning).toBe(0);
    expect(await countRows(server, 'schedule_states')).toBe(0);
  });

  it('plans at start the active installations that have none (installed before schedules were kept)', async () => {
    await installHeadless(server, userId, 'acme');
    // This server's scheduler has made its first round (which plans what has no plan) before the
    // plan is deleted: a first round still to come would plan again at 7:00, for the 8:00 occurrence.
    await tick();
    await server.services.store.db.run('DELETE FROM schedule_states');
    clock.set(at(MONDAY, '08:30:00.000'));
    await server.restart();
    await tick();
    expect(await dueAt()).toBe(NINE_PARIS(days[1]!));
    expect(await events()).toEqual([]);
  });

  it('shows the trigger as a Schedule block and gives the installation no URL', async () => {
    const installed = await installHeadless(server, userId, 'acme');
    const workflow = (await server.request('GET', `/workflows/daily-report?userId=${userId}`)).body.data;
    expect(workflow.trigger).toEqual({ type: 'schedule' });
    expect(workflow.blocks[0]).toEqual({ name: 'Schedule', id: 'trigger', type: 'schedule', icon: expect.stringMatching(/\/icons\/schedule\.svg$/) });
    expect((await server.request('GET', workflow.blocks[0].icon.replace(/^https?:\/\/[^/]+/, ''))).status).toBe(200);
    expect(JSON.stringify(installed)).not.toContain('/hooks/');
  });
});

describe('schedule definitions', () => {
  const load = (trigger: Record<string, unknown>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-defs-'));
    fs.writeFileSync(path.join(dir, 'acme.json'), JSON.stringify(reportIntegration('https://example.com/report', trigger)));
    try {
      loadDefinitions(dir);
    } catch (err) {
      if (err instanceof DefinitionError) return { err, file: path.join(dir, 'acme.json') };
      throw err;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    throw new Error('expected a DefinitionError');
  };

  it('refuses a cron expression that is not five valid fields, naming the file, the path and the reason', () => {
    const { err, file } = load({ type: 'schedule', cron: '61 9 * * *', timezone: 'Europe/Paris' });
    expect(err.file).toBe(file);
    expect(err.path).toEqual(['workflows', 0, 'trigger', 'cron']);
    expect(err.reason).toMatch(/^invalid cron expression "61 9 \* \* \*": Invalid value for minute: 61/);
    expect(err.message).toBe(`${file}: workflows.0.trigger.cron: ${err.reason}`);

    expect(load({ type: 'schedule', cron: '*/5 * * * * *', timezone: 'UTC' }).err.reason).toMatch(/requires exactly 5 parts/);
    expect(load({ type: 'schedule', cron: '0 0 30 2 *', timezone: 'UTC' }).err.reason).toBe('the cron expression "0 0 30 2 *" never occurs');
  });

  it('refuses a time zone that is not an IANA name, naming the file, the path and the reason', () => {
    for (const timezone of ['Mars/Olympus', '+01:00']) {
      const { err, file } = load({ type: 'schedule', cron: CRON, timezone });
      expect(err.message).toBe(`${file}: workflows.0.trigger.timezone: unknown time zone "${timezone}": expected an IANA name such as "Europe/Paris" or "UTC"`);
    }
    expect(load({ type: 'schedule', cron: CRON }).err.message).toMatch(/workflows\.0\.trigger\.timezone: required$/);
  });

  it('accepts nicknames and any IANA zone', () => {
    expect(() => buildDefinitions([reportIntegration('https://example.com/r', { type: 'schedule', cron: '@hourly', timezone: 'America/New_York' })])).not.toThrow();
  });
});

// Real processes on one store: a server that runs no executions, and two worker processes, each
// with its scheduler polling the same schedules. They read one clock file (ALLOY_TEST_CLOCK_FILE).
describe(`the schedule trigger with two worker processes (${storeKind})`, () => {
  let sink: Awaited<ReturnType<typeof startSink>>;
  let clock: ReturnType<typeof testClock>;
  let store: Awaited<ReturnType<typeof processStore>>;
  let definitionsDir: string;
  const processes: RunningProcess[] = [];

  beforeAll(async () => {
    sink = await startSink();
    clock = testClock();
    clock.set(at(MONDAY, '07:00:00.000'));
    store = await processStore();
    definitionsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-defs-'));
    fs.writeFileSync(path.join(definitionsDir, 'acme.json'), JSON.stringify(reportIntegration(`${sink.url}/report`)));
    const env = {
      ...store.env,
      NODE_ENV: 'test',
      ALLOY_ENCRYPTION_KEY: 'cd'.repeat(32),
      ALLOY_TEST_CLOCK_FILE: clock.file,
      ALLOY_ALLOW_PRIVATE_URLS: 'true',
      INTEGRATIONS_DIR: definitionsDir,
    };
    processes.push(await startProcess('server/index.ts', { ...env, WORKERS: 'off' }));
    processes.push(...(await Promise.all([startProcess('server/worker.ts', env), startProcess('server/worker.ts', env)])));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    await store?.dispose();
    await sink?.close();
    clock?.dispose();
    if (definitionsDir) fs.rmSync(definitionsDir, { recursive: true, force: true });
  });

  it('runs each occurrence exactly once', async () => {
    const [server] = processes;
    const user = await callApi(`${server!.url}/users`, 'POST', { username: 'ann' });
    const userId = user.body.userId as string;
    const start = await callApi(`${server!.url}/headless/startInstallation`, 'POST', { userId, integrationId: 'acme' });
    expect((await callApi(`${server!.url}/headless/completeInstallation`, 'POST', { userId, installationId: start.body.installationId, data: {} })).status).toBe(200);

    const logs = async () => (await callApi(`${server!.url}/workflows/daily-report/logs?userId=${userId}&limit=100`, 'GET')).body.data as Array<{ status: string }>;
    // Each occurrence in turn: both schedulers poll every 100 ms and both see it due.
    for (const [n, day] of days.entries()) {
      clock.set(at(day, '08:00:05.000'));
      await waitUntil(
        async () => (await logs()).length > n,
        15_000,
        () => `occurrence ${n + 1} never ran`,
        processes[1],
      );
      expect(await logs(), `runs after occurrence ${n + 1}`).toHaveLength(n + 1);
    }
    await waitUntil(
      async () => (await logs()).every((e) => e.status === 'succeeded'),
      15_000,
      () => 'the runs never all succeeded',
    );

    const scheduled = sink.deliveries.map((d) => (d.json as { scheduledAt: string }).scheduledAt).sort();
    expect(scheduled).toEqual(days.map(NINE_PARIS));
    expect(await logs()).toHaveLength(days.length);
    for (const p of processes) expect(p.output()).not.toMatch(/scheduler: cannot|runs late/);
  }, 60_000);
});
