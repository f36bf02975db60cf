import { afterEach, describe, expect, it } from 'vitest';
import { Worker } from '../../../server/engine/worker';
import { startFakeSlack, type FakeSlack, type FakeSlackMessage } from '../../../demo/fakes/slack';
import { definitionsWith } from '../../helpers/definitions';
import { addCredential, installHeadless } from '../../helpers/flows';
import { until } from '../../helpers/paced-sink';
import { createUser, startTestServer, storeKind, type TestServer } from '../../helpers/server';

/** Relays each "Relay" event to the Slack channel it names. */
const relay = {
  id: 'relay',
  app: 'Relay',
  connector: 'slack',
  icon: '/icons/slack.svg',
  workflows: [
    {
      id: 'relay-message',
      name: 'Relay a message',
      version: 1,
      trigger: { type: 'customEvent', event: 'Relay', schema: { channel: 'String', text: 'String' } },
      blocks: [{ id: 'post', connector: 'slack', action: 'postMessage', input: { channel: '{{event.channel}}', text: '{{event.text}}' } }],
    },
  ],
};

/** How much closer than their turns two arrivals at the fake may be (see the spacing test). */
const ARRIVAL_JITTER_MS = 50;

describe(`throttles and 429 holds (${storeKind})`, () => {
  let server: TestServer | undefined;
  let slack: FakeSlack | undefined;
  let arrivals: (FakeSlackMessage & { at: number })[] = [];
  afterEach(async () => {
    await server?.close();
    await slack?.close();
    server = slack = undefined;
    arrivals = [];
  });

  async function start(env: Record<string, string> = {}) {
    slack = await startFakeSlack({ onMessage: (m) => arrivals.push({ ...m, at: Date.now() }) });
    slack.channels = ['C1', 'C2'].map((id) => ({ id, name: id.toLowerCase() }));
    server = await startTestServer({ env: { SLACK_API_URL: slack.url, RETRY_SCHEDULE: '10', ...env }, definitions: () => definitionsWith([relay]) });
    return { server, slack };
  }
  /** A user with their own Slack account (`token`) and the relay installed; returns the user id. */
  async function relayer(s: TestServer, username: string, token: string) {
    const userId = await createUser(s, username);
    const credentialId = await addCredential(s, userId, 'slack', { botToken: token });
    await installHeadless(s, userId, 'relay', { credentialId });
    return userId;
  }
  const send = async (s: TestServer, userId: string, channel: string, text: string) => {
    const res = await s.request('POST', '/run/event', { body: { event: 'Relay', userId, data: { channel, text } } });
    expect(res.status).toBe(200);
    return res.body.executionIds[0] as string;
  };
  const row = (s: TestServer, id: string) =>
    s.services.store.db.get<{ status: string; attempts: number; next_attempt_at: number | string; created_at: number | string }>(
      'SELECT status, attempts, next_attempt_at, created_at FROM executions WHERE id = ?',
      [id],
    );

  it('spaces one channel’s messages at least a second apart and sends another channel’s at once; a wait in the queue is no attempt', async () => {
    const { server } = await start({ WORKERS: 'on' });
    const ann = await relayer(server, 'ann', 'xoxb-ann');

    const ids = await Promise.all([1, 2, 3].map((n) => send(server, ann, 'C1', `c1-${n}`)));
    await send(server, ann, 'C2', 'c2');

    // The third's turn is two seconds away: it waits in the queue, its worker slot free, its attempt not counted.
    let waiting: string | undefined;
    await until(async () => {
      for (const id of ids) {
        const r = await row(server, id);
        if (r?.status === 'queued' && Number(r.next_attempt_at) > Number(r.created_at) + 1000) waiting = id;
      }
      return waiting !== undefined;
    }, 'one waits in the queue for its turn');
    expect(await row(server, waiting!)).toMatchObject({ attempts: 0 });
    await until(() => arrivals.length === 4, 'every message arrived');

    const c1 = arrivals.filter((m) => m.channel === 'C1');
    const c2 = arrivals.find((m) => m.channel === 'C2')!;
    expect(c1.map((m) => m.text).sort()).toEqual(['c1-1', 'c1-2', 'c1-3']);
    // Measured where Slack sees them: turns are 1,025 ms apart, and reaching the fake takes each call a
    // few milliseconds, more on a busy machine (one late call by up to about 50 ms was seen).
    expect(c1[2]!.at - c1[0]!.at).toBeGreaterThanOrEqual(2000);
    for (let i = 1; i < c1.length; i++) expect(c1[i]!.at - c1[i - 1]!.at).toBeGreaterThanOrEqual(1000 - ARRIVAL_JITTER_MS);
    // Not behind C1's turns.
    expect(c2.at).toBeLessThan(c1[1]!.at);
    const rows = () => server.services.store.db.all<{ status: string; attempts: number }>('SELECT status, attempts FROM executions');
    await until(async () => (await rows()).every((r) => r.status === 'succeeded'), 'every execution recorded its success');
    expect((await rows()).map((r) => Number(r.attempts))).toEqual([1, 1, 1, 1]);
  });

  it('holds an account after a 429 until its Retry-After: its other messages wait in the queue while another user’s account keeps delivering', async () => {
    const { server, slack } = await start({ WORKERS: 'on' });
    const ann = await relayer(server, 'ann', 'xoxb-ann');
    const bob = await relayer(server, 'bob', 'xoxb-bob');
    slack.failNext('ratelimited', { retryAfter: '3', method: 'chat.postMessage' });
    const annCalls = () => slack.requests.filter((r) => r.path === '/api/chat.postMessage' && r.token === 'xoxb-ann').length;

    const limited = await send(server, ann, 'C1', 'first');
    await until(async () => (await row(server, limited))?.status === 'queued', 'the 429’d message waits for its retry');
    const hold = await server.services.store.db.get<{ free_at: number | string }>("SELECT free_at FROM throttles WHERE throttle_key LIKE 'hold:slack:%'");
    const heldUntil = Number(hold!.free_at);
    const held = await send(server, ann, 'C2', 'second');
    await send(server, bob, 'C2', 'bob');

    await until(() => arrivals.some((m) => m.token === 'xoxb-bob'), 'bob’s message arrived');
    await until(async () => (await row(server, held))?.status === 'queued', 'ann’s second message went back to the queue');
    // Ann's second did not call Slack: it waits, uncounted, for the hold to end.
    expect(annCalls()).toBe(1);
    expect(await row(server, held)).toMatchObject({ attempts: 0 });
    // Due when the hold ends (the store's clock is this machine's: a few milliseconds apart at most).
    expect(Math.abs(Number((await row(server, held))!.next_attempt_at) - heldUntil)).toBeLessThan(50);
    expect(heldUntil - Date.now()).toBeGreaterThan(1000);

    await until(() => arrivals.filter((m) => m.token === 'xoxb-ann').length === 2, 'ann’s messages arrived once the hold ended');
    for (const m of arrivals.filter((a) => a.token === 'xoxb-ann')) expect(m.at).toBeGreaterThanOrEqual(heldUntil - 50);
    await until(async () => (await row(server, held))?.status === 'succeeded' && (await row(server, limited))?.status === 'succeeded', 'both recorded their success');
    expect(await row(server, limited)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(await row(server, held)).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('leaves connectors’ throttles out with CONNECTOR_THROTTLES=off: no turn is taken', async () => {
    const { server } = await start({ WORKERS: 'on', CONNECTOR_THROTTLES: 'off' });
    const ann = await relayer(server, 'ann', 'xoxb-ann');

    await Promise.all([1, 2, 3].map((n) => send(server, ann, 'C1', `c1-${n}`)));
    await until(() => arrivals.length === 3, 'every message arrived');

    expect(await server.services.store.db.all('SELECT throttle_key FROM throttles')).toEqual([]);
  });

  it('gives a deferred execution back with its attempt uncounted however often, so it never gives up for waiting', async () => {
    const { server } = await start();
    const ann = await relayer(server, 'ann', 'xoxb-ann');
    const id = await send(server, ann, 'C1', 'patient');
    const { executions } = server.services.store;

    // RETRY_SCHEDULE allows two attempts; twenty deferrals later it is still on its first.
    for (let i = 0; i < 20; i++) {
      const [claimed] = await executions.claim('w1', 1, 60_000, Date.now() + 1000);
      expect(claimed).toMatchObject({ executionId: id, attempt: 1, attemptInRun: 1 });
      expect(await executions.defer(id, 'w1', Date.now())).toBe(true);
    }
    const worker = new Worker(server.services.engine.deps, { concurrency: 1, leaseMs: 60_000, pollMs: 20 });
    worker.start();
    await until(() => arrivals.length === 1, 'the message arrived');
    await worker.stop();

    expect(await row(server, id)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(await server.services.store.db.get('SELECT 1 AS one FROM errors')).toBeUndefined();
  });

  it('gives each caller of a throttle its own turn, keeps a deferred caller’s turn for it, and a late one takes a new turn', async () => {
    const { server } = await start();
    const ann = await relayer(server, 'ann', 'xoxb-ann');
    const ids = await Promise.all([1, 2, 3, 4, 5].map((n) => send(server, ann, 'C1', `m${n}`)));
    const holder = (i: number) => ({ executionId: ids[i]!, stepId: 'post' });
    const { throttles } = server.services.store;
    const t = 1_000_000;
    // When each turn is (the store answers the wait from `now`).
    const turn = async (i: number, now: number, key = 'k') => now + (await throttles.takeTurn(key, 1000, holder(i), 1500, now));

    expect(await turn(0, t)).toBe(t);
    expect(await turn(1, t)).toBe(t + 1000);
    // Two seconds away: reserved for it; coming back early it is given the same turn, not another.
    expect(await turn(2, t)).toBe(t + 2000);
    expect(await turn(2, t + 100)).toBe(t + 2000);
    expect(await turn(3, t + 100)).toBe(t + 3000);
    // Back on time: its turn.
    expect(await turn(2, t + 1600)).toBe(t + 2000);
    // Reserved four seconds on, but back only after that turn passed (the next may be in use): a new turn, after the last one given.
    expect(await turn(4, t + 200)).toBe(t + 4000);
    expect(await turn(4, t + 4100)).toBe(t + 5000);
    // Another key has turns of its own.
    expect(await turn(0, t, 'other')).toBe(t);
  });

  it('holds a key until the latest time it was held to, and no longer', async () => {
    const { server } = await start();
    const { throttles } = server.services.store;
    const t = 5_000_000;
    await throttles.hold('hold:slack:c1', 5000, t);
    await throttles.hold('hold:slack:c1', 1000, t + 100);
    expect(await throttles.heldFor('hold:slack:c1', t + 1000)).toBe(4000);
    expect(await throttles.heldFor('hold:slack:c1', t + 5000)).toBeUndefined();
    expect(await throttles.heldFor('hold:slack:c2', t)).toBeUndefined();
  });

  it('forgets the keys free since before a cutoff, keeping a hold still in force', async () => {
    const { server } = await start();
    const { throttles } = server.services.store;
    const t = 9_000_000;
    await throttles.hold('hold:slack:old', 1000, t);
    await throttles.hold('hold:slack:live', 60_000, t);
    expect(await throttles.deleteFreeBefore(t + 30_000)).toBe(1);
    expect(await throttles.heldFor('hold:slack:live', t + 30_000)).toBe(30_000);
    expect(await throttles.deleteFreeBefore(t + 30_000)).toBe(0);
  });
});
