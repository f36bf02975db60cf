import { afterEach, describe, expect, it, vi } from 'vitest';
import { countRows, createUserWithSlack, ticket } from '../helpers/flows';
import { createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';

// Events that arrive together are committed in one transaction, and each request is answered
// only once its batch has committed (server/store/events.ts, server/store/group-commit.ts).
describe(`group commit of events (${storeKind})`, () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await server?.close();
    server = undefined;
  });

  const run = (s: TestServer, userId: string, headers?: Record<string, string>, data: Record<string, unknown> = ticket) =>
    s.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data }, headers });

  it('commits a burst of concurrent events in far fewer transactions than events, each with its own answer and execution', async () => {
    server = await startTestServer();
    const users = [await createUserWithSlack(server, 'ann'), await createUserWithSlack(server, 'bob')];
    const transaction = vi.spyOn(server.services.store.db, 'transaction');

    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => run(server!, users[i % 2]!)));

    expect(answers.map((a) => a.status)).toEqual(Array(200).fill(200));
    expect(new Set(answers.map((a) => a.body.eventId)).size).toBe(200);
    for (const a of answers) expect(a.body.executionIds).toHaveLength(1);
    expect(transaction.mock.calls.length).toBeLessThan(20);
    expect(await countRows(server, 'events')).toBe(200);
    expect(await countRows(server, 'executions')).toBe(200);
    // Each execution belongs to its own event and that event's user.
    const rows = await server.services.store.db.all<{ event_user: string; execution_user: string }>(
      'SELECT e.user_id AS event_user, x.user_id AS execution_user FROM executions x JOIN events e ON e.id = x.event_id',
    );
    expect(rows.every((r) => r.event_user === r.execution_user)).toBe(true);
  });

  it('answers repeats of one idempotency key inside the same batch with the first answer, and a reused key with 409', async () => {
    server = await startTestServer();
    const userId = await createUserWithSlack(server, 'ann');

    const answers = await Promise.all([
      run(server, userId, { 'Idempotency-Key': 'k-1' }),
      run(server, userId, { 'Idempotency-Key': 'k-1' }),
      run(server, userId, { 'Idempotency-Key': 'k-1' }, { ...ticket, ticketName: 'Another' }),
      run(server, userId, { 'Idempotency-Key': 'k-2' }),
    ]);

    expect(answers.map((a) => a.status)).toEqual([200, 200, 409, 200]);
    expect(answers[1]!.body).toEqual(answers[0]!.body);
    expect(answers[3]!.body.eventId).not.toBe(answers[0]!.body.eventId);
    expect(await countRows(server, 'events')).toBe(2);
    expect(await countRows(server, 'executions')).toBe(2);
  });

  it('an event that cannot be stored fails alone: the others of its batch are committed', async () => {
    server = await startTestServer();
    const userId = await createUserWithSlack(server, 'ann');
    const events = server.services.store.events;
    const input = (data: unknown) => ({ userId, name: 'Ticket Created', data, source: 'isv' as const, requestHash: 'h' });

    // Data that cannot be serialised fails its batch's transaction, which is rolled back.
    const results = await Promise.allSettled([events.accept(input(ticket)), events.accept(input({ big: 10n })), events.accept(input(ticket))]);

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await countRows(server, 'events')).toBe(2);
    expect(await countRows(server, 'executions')).toBe(2);
  });

  it('looks users up in the batch: by id, by username where allowed, and a missing user records nothing', async () => {
    server = await startTestServer();
    const userId = await createUserWithSlack(server, 'ann');
    const events = server.services.store.events;
    const input = (ref: string, byUsername: boolean) => ({ userId: ref, byUsername, name: 'Ticket Created', data: ticket, source: 'isv' as const, requestHash: '' });

    const results = await Promise.all([
      events.accept(input(userId, false)),
      events.accept(input('ann', true)),
      events.accept(input('ann', false)),
      events.accept(input('nobody', true)),
    ]);

    expect(results.map((r) => r.kind)).toEqual(['accepted', 'accepted', 'unknown_user', 'unknown_user']);
    expect(await countRows(server, 'events', 'user_id = ?', [userId])).toBe(2);
    expect(await countRows(server, 'events')).toBe(2);
  });

  it('finishes the events it was handed before the store closes', async () => {
    server = await startTestServer();
    const userId = await createUser(server, 'ann');
    const input = { userId, name: 'Ticket Created', data: ticket, source: 'isv' as const, requestHash: 'h' };
    const pending = Array.from({ length: 20 }, () => server!.services.store.events.accept(input));

    await server.restart();

    expect((await Promise.all(pending)).every((r) => r.kind === 'accepted')).toBe(true);
    expect(await countRows(server, 'events')).toBe(20);
  });
});
