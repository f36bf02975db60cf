import { afterEach, describe, expect, it } from 'vitest';
import { PostgresDb, WORK_CHANNEL } from '../../../server/store/postgres';
import { createUserWithSlack, ticket } from '../../helpers/flows';
import { startTestServer, storeKind, type TestServer } from '../../helpers/server';

// Scaled out on PostgreSQL, a worker in another process hears of new executions when the event
// commits (LISTEN/NOTIFY), not at its next poll.
describe.runIf(storeKind === 'postgres')('new work is announced to other processes (postgres)', () => {
  let server: TestServer | undefined;
  let other: PostgresDb | undefined;
  afterEach(async () => {
    await other?.close();
    await server?.close();
    other = server = undefined;
  });

  /**
   * Resolves once the listening connection of the schema `schema` has run its LISTEN: PostgreSQL
   * shows it idle after it. From then on it hears every notification committed on that channel,
   * in the order of their commits.
   */
  async function listening(schema: string): Promise<void> {
    const sql = "SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE state = 'idle' AND query = ?";
    const listeners = async () => (await server!.services.store.db.get<{ n: number }>(sql, [`LISTEN "alloy_work_${schema}"`]))!.n;
    await expect.poll(listeners, { timeout: 5000 }).toBe(1);
  }

  it('calls every listener of the same schema once per committed batch with executions, and none after unsubscribing', async () => {
    server = await startTestServer();
    const userId = await createUserWithSlack(server, 'ann');
    const { schema } = (await server.services.store.db.get<{ schema: string }>('SELECT current_schema() AS schema'))!;
    other = new PostgresDb(process.env.TEST_DATABASE_URL!, { schema });
    let heard = 0;
    let heardToo = 0;
    const unsubscribe = other.onNewWork(() => heard++);
    other.onNewWork(() => heardToo++);
    await listening(schema);

    const answer = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    expect(answer.status).toBe(200);
    await expect.poll(() => [heard, heardToo], { timeout: 2000 }).toEqual([1, 1]);

    // Nothing is heard after unsubscribing: the listener still subscribed is the sentinel, as both
    // are called together for each notification.
    unsubscribe();
    await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    await expect.poll(() => heardToo, { timeout: 2000 }).toBe(2);
    expect(heard).toBe(1);
  });

  it("does not hear another schema's work", async () => {
    server = await startTestServer();
    const userId = await createUserWithSlack(server, 'ann');
    other = new PostgresDb(process.env.TEST_DATABASE_URL!, { schema: 'public' });
    let heard = 0;
    other.onNewWork(() => heard++);
    await listening('public');
    for (let i = 0; i < 3; i++) await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    // A notification of its own schema, committed after those three events, as a sentinel: had
    // any of theirs reached this channel, it would have come first.
    await other.get(`SELECT pg_notify(${WORK_CHANNEL}, '')`);
    await expect.poll(() => heard, { timeout: 2000 }).toBeGreaterThan(0);
    expect(heard).toBe(1);
  });
});
