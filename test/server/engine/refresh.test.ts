import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSink } from '../../../demo/fakes/sink';
import { startOAuthSlack, type OAuthSlack, type TokenFailure } from '../../fakes/oauth-slack';
import { approveAtOnce, connectThroughOAuth, httpRequester, type Requester } from '../../helpers/oauth';
import { processStore, startProcess, waitUntil, type RunningProcess } from '../../helpers/process';
import { startTestServer, storeKind } from '../../helpers/server';

const SECRET = `whsec_${Buffer.from('refresh-tests-webhook-secret-32b').toString('base64')}`;
const WORKFLOW = 'slack-ticket-created';

/** A server and its workers on this pass's store: the calls to make to it, and SQL on its database. */
interface Deployment {
  request: Requester;
  /** SQL that returns rows (an UPDATE with RETURNING), `?` placeholders, on the deployment's database: to arrange an expiry, or read what was stored. */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * SQLite: one server process with its worker, in this process. PostgreSQL: a server process that
 * runs no executions and two worker processes, sharing one schema, so that the executions of one
 * user run in two processes at once.
 */
async function deploy(env: Record<string, string>): Promise<Deployment> {
  if (storeKind === 'sqlite') {
    const server = await startTestServer({ env: { ...env, WORKERS: 'on', WORKER_CONCURRENCY: '50' } });
    return {
      request: server.request,
      sql: (text, params = []) => server.services.store.db.all(text, params),
      close: () => server.close(),
    };
  }
  const store = await processStore();
  const processes: RunningProcess[] = [];
  try {
    const shared = { ...store.env, ...env, ALLOY_ENCRYPTION_KEY: 'cd'.repeat(32) };
    const server = await startProcess('server/index.ts', { ...shared, WORKERS: 'off' });
    processes.push(server);
    // 25 executions each: fifty at once take both.
    const worker = { ...shared, WORKER_CONCURRENCY: '25' };
    processes.push(...(await Promise.all([startProcess('server/worker.ts', worker), startProcess('server/worker.ts', worker)])));
    return {
      request: httpRequester(server.url),
      async sql(text, params = []) {
        const client = new pg.Client({ connectionString: store.env.DATABASE_URL });
        await client.connect();
        try {
          let n = 0;
          return (
            await client.query(
              text.replace(/\?/g, () => `$${++n}`),
              params,
            )
          ).rows;
        } finally {
          await client.end();
        }
      },
      async close() {
        await Promise.all(processes.map((p) => p.kill('SIGKILL')));
        await store.dispose();
      },
    };
  } catch (err) {
    await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    await store.dispose();
    throw err;
  }
}

describe(`refreshing rotating OAuth tokens (${storeKind}${storeKind === 'postgres' ? ', two worker processes' : ''})`, () => {
  let slack: OAuthSlack;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let app: Deployment;
  let userId: string;
  let token: string;
  let credentialId: string;

  beforeEach(async () => {
    slack = await startOAuthSlack({ teams: [{ id: 'T0ACME', name: 'Acme', channels: ['C1'] }] });
    sink = await startSink();
    app = await deploy({
      ...slack.env(),
      ALLOY_WEBHOOK_SECRET: SECRET,
      ALLOY_EVENTS_WEBHOOK_URL: `${sink.url}/alloy-events`,
      ALLOY_ALLOW_PRIVATE_URLS: 'true',
      RETRY_SCHEDULE: '200,200,200,200,200,200',
      RETRY_AFTER_MAX_MS: '300',
      // Fifty of one user's executions at once, all posting to one channel: no per-user limit below
      // the workers' slots, and no Slack pace (a message a second per channel) to wait out.
      USER_CONCURRENCY: '50',
      CONNECTOR_THROTTLES: 'off',
    });
    const user = await app.request('POST', '/users', { body: { username: 'rotating' } });
    expect(user.status).toBe(201);
    userId = user.body.userId;
    token = (await app.request('GET', `/users/${userId}/token`)).body.token;
    credentialId = await connectThroughOAuth(app.request, { token, app: 'slack', approve: (authorize) => approveAtOnce(authorize) });
    const install = await app.request('POST', '/me/installations', { token, body: { integrationId: 'slack', credentialId, config: { channel: 'C1' } } });
    expect(install.status, JSON.stringify(install.body)).toBe(201);
  });
  afterEach(async () => {
    await app.close();
    await sink.close();
    await slack.close();
  });

  /** The access token lapses: the store says it expired a minute ago, and Slack refuses it from now on. */
  const expireAccessToken = async () => {
    expect(await app.sql('UPDATE credentials SET expires_at = ? WHERE id = ? RETURNING id', [Date.now() - 60_000, credentialId])).toEqual([{ id: credentialId }]);
    slack.expireAccessTokens();
  };
  /** Fires `count` "Ticket Created" events at once; the executions they started. */
  const ticketsCreated = async (count: number): Promise<string[]> => {
    const runs = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        app.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: { ticketName: `T-${i}`, customerEmail: 'a@b.co', description: 'd' } } }),
      ),
    );
    for (const run of runs) expect(run.status, JSON.stringify(run.body)).toBe(200);
    return runs.flatMap((run) => run.body.executionIds as string[]);
  };
  /** The executions as the logs API shows them, once every one of them has `status`. */
  const executionsOnceAll = async (ids: string[], status: string) => {
    let seen: Array<{ executionId: string; status: string; attempts: number; error: string | null }> = [];
    await waitUntil(
      async () => {
        const logs = await app.request('GET', `/workflows/${WORKFLOW}/logs?userId=${userId}&limit=100`);
        seen = (logs.body.data as typeof seen).filter((e) => ids.includes(e.executionId));
        return seen.length === ids.length && seen.every((e) => e.status === status);
      },
      20_000,
      () => `not all ${status}: ${JSON.stringify(seen.map((e) => [e.status, e.error]))}`,
    );
    return seen;
  };
  /** The credential as the ISV's API shows it. */
  const credential = async () => {
    const listed = await app.request('GET', `/credentials/users/${userId}`);
    return (listed.body.data as Array<{ credentialId: string; status: string; lastError: string | null; lastErrorAt: string | null }>).find(
      (c) => c.credentialId === credentialId,
    )!;
  };
  /** How many executions each worker is running now (`lease_owner`: the worker that claimed them). */
  const runningByWorker = async () =>
    (await app.sql<{ owner: string; n: number | string }>("SELECT lease_owner AS owner, COUNT(*) AS n FROM executions WHERE status = 'running' GROUP BY lease_owner")).map((r) =>
      Number(r.n),
    );
  /** Waits until `count` executions are running, every one of them needing the refresh that Slack holds. */
  const allWaitingForTheRefresh = (count: number) =>
    waitUntil(
      async () => slack.refreshRequests().length > 0 && (await runningByWorker()).reduce((a, b) => a + b, 0) === count,
      15_000,
      () => `${count} executions running while the refresh is held (refresh requests: ${slack.refreshRequests().length})`,
    );
  const storedMessages = async (type: string) => Number((await app.sql<{ n: number | string }>('SELECT COUNT(*) AS n FROM webhook_messages WHERE type = ?', [type]))[0]!.n);
  const eventsOfType = (type: string) => sink.deliveries.filter((d) => (d.json as { type?: string } | null)?.type === type);

  it('refreshes once for 50 executions that start together with an expired token, and every delivery uses the new token', async () => {
    await expireAccessToken();
    slack.holdTokenRequests();
    const ids = await ticketsCreated(50);

    // All fifty are running, in both workers on PostgreSQL, while Slack holds the refresh: one was
    // asked for, the credential shows it under way, and the others wait for its result.
    await allWaitingForTheRefresh(50);
    expect(await runningByWorker()).toEqual(storeKind === 'postgres' ? [25, 25] : [50]);
    expect(slack.refreshRequests()).toEqual([{ grant: 'refresh_token', refreshToken: slack.issued[0]!.refreshToken, answer: 'pending' }]);
    expect((await credential()).status).toBe('refreshing');
    slack.answerTokenRequests();

    const executions = await executionsOnceAll(ids, 'succeeded');
    expect(executions.map((e) => e.attempts)).toEqual(ids.map(() => 1));
    expect(slack.refreshRequests()).toHaveLength(1);
    const rotated = slack.latest()!;
    expect(rotated.grant).toBe('refresh_token');
    expect(slack.messages).toHaveLength(50);
    expect(new Set(slack.messages.map((m) => m.token))).toEqual(new Set([rotated.accessToken]));
    expect(await credential()).toMatchObject({ status: 'healthy', lastError: null, lastErrorAt: null });

    // The stored refresh token is the rotated one: the next refresh presents it, and Slack, which
    // takes each refresh token once, answers it.
    await expireAccessToken();
    const [next] = await ticketsCreated(1);
    await executionsOnceAll([next!], 'succeeded');
    expect(slack.refreshRequests()).toEqual([
      { grant: 'refresh_token', refreshToken: slack.issued[0]!.refreshToken, answer: 'issued' },
      { grant: 'refresh_token', refreshToken: rotated.refreshToken, answer: 'issued' },
    ]);
    expect(slack.messages.at(-1)!.token).toBe(slack.latest()!.accessToken);
  }, 60_000);

  it.each([
    ['an HTTP 500', 'http_500', /500/],
    ['an HTTP 429 with Retry-After', 'http_429', /429|ratelimited/],
  ] as Array<[string, TokenFailure, RegExp]>)(
    'keeps the connection healthy when the token endpoint answers %s, and delivers once it answers again',
    async (_, failure, reason) => {
      await expireAccessToken();
      slack.failTokenRequests(failure, Infinity);
      const ids = await ticketsCreated(5);

      // Waits for the failure to show on the credential; it never shows as needing the user.
      const statuses = new Set<string>();
      let failing = await credential();
      await waitUntil(
        async () => {
          failing = await credential();
          statuses.add(failing.status);
          return failing.status === 'needs_reconnect' || (failing.lastError !== null && failing.status === 'healthy');
        },
        10_000,
        () => `the credential shows no failed refresh: ${JSON.stringify(failing)}`,
      );
      expect(failing.status).toBe('healthy');
      expect(failing.lastError).toMatch(reason);
      expect(Date.parse(failing.lastErrorAt!)).not.toBeNaN();
      expect([...statuses].filter((s) => s !== 'healthy' && s !== 'refreshing')).toEqual([]);
      const logs = await app.request('GET', `/workflows/${WORKFLOW}/logs?userId=${userId}&limit=100`);
      expect((logs.body.data as Array<{ status: string }>).filter((e) => e.status === 'failed')).toEqual([]);

      slack.stopFailing();
      await executionsOnceAll(ids, 'succeeded');
      const answered = slack.refreshRequests().filter((r) => r.answer === 'issued');
      expect(answered).toHaveLength(1);
      expect(slack.messages).toHaveLength(5);
      expect(new Set(slack.messages.map((m) => m.token))).toEqual(new Set([slack.latest()!.accessToken]));
      expect(await credential()).toMatchObject({ status: 'healthy', lastError: null, lastErrorAt: null });
      expect(await storedMessages('credential.needs_reconnect')).toBe(0);
    },
    60_000,
  );

  it.each([
    ['RFC 6749’s 400 invalid_grant', 'invalid_grant'],
    ['Slack’s invalid_refresh_token', 'invalid_refresh_token'],
  ] as Array<[string, TokenFailure]>)(
    'marks the connection needs_reconnect when the refresh is refused with %s, tells the ISV once, and fails the waiting executions with that code',
    async (_, refusal) => {
      await expireAccessToken();
      slack.holdTokenRequests();
      slack.failTokenRequests(refusal, Infinity);
      const ids = await ticketsCreated(10);
      await allWaitingForTheRefresh(10);
      slack.answerTokenRequests();

      const failed = await executionsOnceAll(ids, 'failed');
      for (const execution of failed) {
        expect(execution.attempts).toBe(1);
        expect(execution.error).toMatch(/^needs_reconnect: /);
      }
      expect(slack.refreshRequests()).toHaveLength(1);
      expect(slack.messages).toEqual([]);
      expect((await credential()).status).toBe('needs_reconnect');

      await waitUntil(
        () => eventsOfType('credential.needs_reconnect').length > 0,
        10_000,
        () => `no credential.needs_reconnect message among ${sink.deliveries.length}`,
      );
      const [told] = eventsOfType('credential.needs_reconnect');
      expect(told!.path).toBe('/alloy-events');
      expect(new Webhook(SECRET).verify(told!.body, told!.headers as Record<string, string>)).toMatchObject({
        type: 'credential.needs_reconnect',
        timestamp: expect.any(String),
        data: { userId, credentialId, app: 'slack', status: 'needs_reconnect' },
      });

      // A later message, as a sentinel: once it arrived, a second needs_reconnect would have too.
      slack.stopFailing();
      const another = await connectThroughOAuth(app.request, { token, app: 'slack', approve: (authorize) => approveAtOnce(authorize) });
      await waitUntil(
        () => eventsOfType('credential.created').some((d) => (d.json as { data: { credentialId: string } }).data.credentialId === another),
        10_000,
        () => 'the credential.created message of the account connected after',
      );
      expect(eventsOfType('credential.needs_reconnect')).toHaveLength(1);
      expect(await storedMessages('credential.needs_reconnect')).toBe(1);
      // Nothing tried the refused refresh token again.
      expect(slack.refreshRequests()).toHaveLength(1);
    },
    60_000,
  );
});
