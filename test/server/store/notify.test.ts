import { afterEach, describe, expect, it } from 'vitest';
import { PostgresDb } from '../../../server/store/postgres';
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

  it('calls every listener of the same schema once per committed batch with executions, and none after unsubscribing', async () => {
    server = await startTestServer();
    const userId = await createUserWithSlack(server, 'ann');
    const { schema } = (await server.services.store.db.get<{ schema: string }>('SELECT current_schema() AS schema'))!;
    other = new PostgresDb(process.env.TEST_DATABASE_URL!, { schema });
    let heard = 0;
    const unsubscribe = other.onNewWork(() => heard++);
    // The listening connection is up once a notification gets through; keep sending until one does.
    await expect
      .poll(
        async () => {
          await server!.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
          return heard;
        },
        { timeout: 5000, interval: 100 },
      )
      .toBeGreaterThan(0);
    // A notification of an earlier attempt may still be on its way: wait until none has come for a while.
    await settled(() => heard);

    const before = heard;
    const answer = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    expect(answer.status).toBe(200);
    await expect.poll(() => heard, { timeout: 2000 }).toBe(before + 1);

    // Nothing is heard after unsubscribing.
    unsubscribe();
    await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    await new Promise((r) => setTimeout(r, 300));
    expect(heard).toBe(before + 1);
  });

  /** Resolves once `count()` has not changed for 400 ms. */
  async function settled(count: () => number): Promise<void> {
    for (let last = -1; last !== count();) {
      last = count();
      await new Promise((r) => setTimeout(r, 400));
    }
  }

  it("does not hear another schema's work", async () => {
    server = await startTestServer();
    const userId = await createUserWithSlack(server, 'ann');
    other = new PostgresDb(process.env.TEST_DATABASE_URL!, { schema: 'public' });
    let heard = 0;
    other.onNewWork(() => heard++);
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 3; i++) await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    await new Promise((r) => setTimeout(r, 300));
    expect(heard).toBe(0);
  });
});
