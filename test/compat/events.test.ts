import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUserWithSlack, ticket } from '../helpers/flows';
import { startTestServer, storeKind, type TestServer } from '../helpers/server';

describe(`custom events, as Alloy's reference writes them (${storeKind})`, () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(() => server.close());

  // list-events: data[].{ name, description, body }
  it('list-events: names each event with a description and its body', async () => {
    const res = await server.request('GET', '/events', { headers: { 'x-api-version': '2025-09' } });
    expect(res.status).toBe(200);
    for (const e of res.body.data) expect(e).toMatchObject({ name: expect.any(String), description: expect.any(String), body: expect.any(Object) });
    expect(res.body.data.find((e: any) => e.name === 'Ticket Created').body).toMatchObject({ ticketName: expect.any(String) });
  });

  // run-event: POST /run/event { event, userId, data } -> { message: "Event successfully triggered" }
  it('run-event: answers { message: "Event successfully triggered" }', async () => {
    const userId = await createUserWithSlack(server, 'ann');
    const res = await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('Event successfully triggered');
  });
});
