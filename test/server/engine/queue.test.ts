import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser, startTestServer, storeKind, userToken, type TestServer } from '../../helpers/server';

// The queue itself, with no worker running: what a claim takes, and when.
describe(`the execution queue (${storeKind})`, () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(() => server.close());

  async function userWithSlack(name: string) {
    const userId = await createUser(server, name);
    const token = await userToken(server, userId);
    const credential = await server.request('POST', '/me/credentials', { token, body: { app: 'slack', data: { botToken: 'xoxb-1' } } });
    await server.request('POST', '/me/installations', { token, body: { integrationId: 'slack', credentialId: credential.body.credentialId, config: { channel: 'C1' } } });
    return userId;
  }
  const fire = (userId: string, n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: { ticketName: `T${i}`, customerEmail: 'a@b.co', description: 'd' } } }),
      ),
    );

  it('claims executions with what each runs on, read in one query for all of them, and says which part is gone', async () => {
    const userId = await userWithSlack('ann');
    const bob = await userWithSlack('bob');
    const answers = [...(await fire(userId, 2)), ...(await fire(bob, 1))];
    const { executions, db } = server.services.store;
    const reads = { count: 0 };
    const all = db.all.bind(db);
    db.all = (async (sql: string, params?: readonly unknown[]) => {
      if (/LEFT JOIN (events|LATERAL \(SELECT events\.)/.test(sql)) reads.count++;
      return all(sql, params);
    }) as typeof db.all;

    const claimed = await executions.claim('w1', 3, 60_000, Date.now() + 1000);

    expect(reads.count).toBe(1);
    expect(claimed.map((c) => c.eventId).sort()).toEqual(answers.map((a) => a.body.eventId).sort());
    for (const c of claimed) {
      const ann = c.userId === userId;
      expect(c.inputs.installation).toMatchObject({ installationId: c.installationId, userId: c.userId, config: { channel: 'C1' }, active: true });
      expect(c.inputs.event).toEqual({ name: 'Ticket Created', data: expect.objectContaining({ customerEmail: 'a@b.co' }), username: ann ? 'ann' : 'bob' });
    }

    const [one] = claimed;
    const [noInstallation, noEvent, both] = await executions.inputs([{ ...one!, installationId: 'gone' }, { ...one!, eventId: 'gone' }, one!]);
    expect(noInstallation).toEqual({ installation: undefined, event: one!.inputs.event });
    expect(noEvent).toEqual({ installation: one!.inputs.installation, event: undefined });
    expect(both).toEqual(one!.inputs);
  });

  it('lets users take turns, so one busy user cannot starve another', async () => {
    const busy = await userWithSlack('busy');
    const quiet = await userWithSlack('quiet');
    await fire(busy, 30);
    await fire(quiet, 1);
    const claimed = await server.services.store.executions.claim('w1', 4, 60_000, Date.now() + 1000);
    expect(claimed).toHaveLength(4);
    expect(claimed.filter((c) => c.userId === quiet)).toHaveLength(1);
  });

  it('goes round every user with due work when there are more of them than one claim takes', async () => {
    const users = [];
    for (const name of ['u1', 'u2', 'u3', 'u4', 'u5']) {
      const userId = await userWithSlack(name);
      await fire(userId, 3);
      users.push(userId);
    }
    const claims = [];
    for (let i = 0; i < 3; i++) claims.push(await server.services.store.executions.claim('w1', 2, 60_000, Date.now() + 1000));

    // Two users per claim, each claim starting after the last one's users: all five served in three claims.
    for (const claim of claims) expect(new Set(claim.map((c) => c.userId)).size).toBe(2);
    expect(new Set(claims.flat().map((c) => c.userId))).toEqual(new Set(users));
    // Each user's oldest first.
    const first = await server.services.store.db.all<{ id: string }>('SELECT id FROM executions WHERE user_id = ? ORDER BY next_attempt_at, id LIMIT 1', [claims[0]![0]!.userId]);
    expect(claims[0]![0]!.executionId).toBe(first[0]!.id);
  });

  it('never hands the same execution to two claims while its lease holds, and takes it back after', async () => {
    const userId = await userWithSlack('leased');
    await fire(userId, 3);
    const { executions } = server.services.store;
    const now = Date.now() + 1000;
    const [first, second] = await Promise.all([executions.claim('w1', 3, 5_000, now), executions.claim('w2', 3, 5_000, now)]);
    const ids = [...first, ...second].map((c) => c.executionId);
    expect(new Set(ids).size).toBe(3);
    expect(ids).toHaveLength(3);
    expect(await executions.claim('w3', 3, 5_000, now + 4_000)).toEqual([]);
    const retaken = await executions.claim('w3', 3, 5_000, now + 6_000);
    expect(retaken.map((c) => c.executionId).sort()).toEqual([...ids].sort());
    expect(retaken.every((c) => c.attempt === 2)).toBe(true);
    // The first owners lost their lease: their late results are not written over the new owner's.
    expect(await executions.succeed(ids[0]!, first.length ? 'w1' : 'w2')).toBe(false);
  });

  it('gives back what a stopping worker still holds, without counting the attempt', async () => {
    const userId = await userWithSlack('stopping');
    await fire(userId, 2);
    const { executions } = server.services.store;
    const claimed = await executions.claim('w1', 2, 60_000, Date.now() + 1000);
    expect(await executions.release('w1')).toBe(2);
    const again = await executions.claim('w2', 2, 60_000, Date.now() + 1000);
    expect(again.map((c) => c.executionId).sort()).toEqual(claimed.map((c) => c.executionId).sort());
    expect(again.every((c) => c.attempt === 1)).toBe(true);
  });

  it('says whether an earlier claim recorded steps, so a first run skips reading them and a given-back one does not', async () => {
    const userId = await userWithSlack('steps');
    await fire(userId, 2);
    const { executions } = server.services.store;
    const claimed = await executions.claim('w1', 2, 60_000, Date.now() + 1000);
    expect(claimed.map((c) => c.hasSteps)).toEqual([false, false]);
    // One of them got as far as a block before its worker stopped: the same attempt number comes back.
    const now = Date.now();
    await executions.recordStep(claimed[0]!.executionId, { blockId: 'post', attempt: 1, input: {}, output: { ok: true }, startedAt: now, finishedAt: now });
    await executions.release('w1');
    const again = await executions.claim('w2', 2, 60_000, Date.now() + 1000);
    const byId = new Map(again.map((c) => [c.executionId, c]));
    expect(byId.get(claimed[0]!.executionId)).toMatchObject({ attempt: 1, hasSteps: true });
    expect(byId.get(claimed[1]!.executionId)).toMatchObject({ attempt: 1, hasSteps: false });
    expect([...(await executions.succeededSteps(claimed[0]!.executionId)).keys()]).toEqual(['post']);
  });

  it('records successes that come together in one statement on PostgreSQL, each with its own answer, and one that cannot be stored fails alone', async () => {
    const userId = await userWithSlack('many');
    await fire(userId, 12);
    const { executions, db } = server.services.store;
    const claimed = await executions.claim('w1', 12, 60_000, Date.now() + 1000);
    expect(claimed).toHaveLength(12);
    const [gone, stolen, ...rest] = claimed;
    // One whose execution was deleted (its step cannot be stored), one whose lease another worker holds.
    await db.run('DELETE FROM executions WHERE id = ?', [gone!.executionId]);
    await db.run("UPDATE executions SET lease_owner = 'w2' WHERE id = ?", [stolen!.executionId]);
    const statements = { count: 0 };
    const all = db.all.bind(db);
    db.all = (async (sql: string, params?: readonly unknown[]) => {
      if (/UPDATE executions/.test(sql)) statements.count++;
      return all(sql, params);
    }) as typeof db.all;
    const step = (attempt: number) => ({ blockId: 'post', attempt, input: { n: attempt }, output: { ok: true }, startedAt: 1, finishedAt: 2 });

    const results = await Promise.allSettled(claimed.map((c) => executions.succeed(c.executionId, 'w1', step(c.attempt))));

    expect(results[0]!.status).toBe('rejected');
    expect(results.slice(1).map((r) => (r.status === 'fulfilled' ? r.value : r.reason))).toEqual([false, ...rest.map(() => true)]);
    const rows = await db.all<{ id: string; status: string }>('SELECT id, status FROM executions ORDER BY id');
    expect(rows.filter((r) => r.status === 'succeeded').map((r) => r.id)).toEqual(rest.map((c) => c.executionId).sort());
    for (const c of rest) expect([...(await executions.succeededSteps(c.executionId)).keys()]).toEqual(['post']);
    // The lost lease's step is still recorded: the block did run.
    expect([...(await executions.succeededSteps(stolen!.executionId)).keys()]).toEqual(['post']);
    // PostgreSQL: one statement for the batch, then, as it failed, one for each success alone.
    if (db.dialect === 'postgres') expect(statements.count).toBe(1 + 12);
  });
});
