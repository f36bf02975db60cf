import { afterEach, describe, expect, it } from 'vitest';
import { definitionsWith } from '../helpers/definitions';
import { countRows, createUserWithSlack, installHeadless, installSlack, ticket } from '../helpers/flows';
import { createUser, startTestServer, storeKind, userToken, type TestServer } from '../helpers/server';

// Two workflows on the account-less stream connector listen to one event with a nested schema.
const orderSchema = { orderId: 'String', customer: { email: 'String', name: 'String?' }, items: [{ sku: 'String', qty: 'Number' }], placedAt: 'Date' };
const orderWorkflow = (id: string) => ({
  id,
  name: `Order workflow ${id}`,
  version: 1,
  trigger: { type: 'customEvent', event: 'Order Placed', schema: orderSchema },
  blocks: [{ id: 'post', connector: 'streamData', action: 'post', input: { body: '{{event}}' } }],
});
const ordersIntegration = {
  id: 'orders',
  app: 'Orders',
  connector: 'streamdata',
  icon: '/icons/stream-data.svg',
  workflows: [orderWorkflow('orders-archive'), orderWorkflow('orders-notify')],
};
const order = {
  orderId: 'o-1',
  customer: { email: 'ann@example.com' },
  items: [
    { sku: 'A', qty: 1 },
    { sku: 'B', qty: 2, note: 'gift' },
  ],
  placedAt: '2024-05-01T10:00:00Z',
  channel: 'web',
};

describe(`running events (${storeKind})`, () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const run = (s: TestServer, body: Record<string, unknown>, headers?: Record<string, string>) => s.request('POST', '/run/event', { body, headers });
  const runTicket = (s: TestServer, userId: string, headers?: Record<string, string>) => run(s, { event: 'Ticket Created', userId, data: ticket }, headers);
  const withOrders = () => startTestServer({ definitions: () => definitionsWith([ordersIntegration]) });

  describe('POST /run/event', () => {
    it('records the event with no executions for a user who installed nothing', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');

      const res = await runTicket(server, userId);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ message: 'Event successfully triggered', eventId: expect.stringMatching(/^[0-9a-f]{24}$/), executionIds: [] });
      expect(await countRows(server, 'events', 'id = ?', [res.body.eventId])).toBe(1);
      expect(await countRows(server, 'executions')).toBe(0);
    });

    it('queues one execution for the installation that listens, at its installed version', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const installed = await installSlack(server, userId);

      const res = await runTicket(server, userId);

      expect(res.status).toBe(200);
      expect(res.body.executionIds).toHaveLength(1);
      const row = await server.services.store.db.get<Record<string, unknown>>('SELECT * FROM executions WHERE id = ?', [res.body.executionIds[0]]);
      expect(row).toMatchObject({
        event_id: res.body.eventId,
        user_id: userId,
        installation_id: installed.installationId,
        workflow_id: 'slack-ticket-created',
        status: 'queued',
      });
      expect(Number(row!.version)).toBe(1);
      expect(Number(row!.attempts)).toBe(0);
    });

    it('queues nothing for an event no installed workflow listens to', async () => {
      server = await startTestServer();
      const userId = await createUserWithSlack(server, 'ann');
      const res = await run(server, { event: 'Fulfillment Updated', userId, data: { orderId: '1', status: 'SHIPPED' } });
      expect(res.status).toBe(200);
      expect(res.body.executionIds).toEqual([]);
    });

    it('queues one execution per active installation listening to the event', async () => {
      server = await withOrders();
      const userId = await createUser(server, 'ann');
      const installed = await installHeadless(server, userId, 'orders');
      expect(installed.workflowIds).toEqual(['orders-archive', 'orders-notify']);

      const res = await run(server, { event: 'Order Placed', userId, data: order });

      expect(res.status).toBe(200);
      expect(res.body.executionIds).toHaveLength(2);
      const rows = await server.services.store.db.all<{ id: string; workflow_id: string }>('SELECT id, workflow_id FROM executions WHERE event_id = ?', [res.body.eventId]);
      expect(rows.map((r) => r.id).sort()).toEqual([...res.body.executionIds].sort());
      expect(rows.map((r) => r.workflow_id).sort()).toEqual(['orders-archive', 'orders-notify']);
    });

    it('skips a deactivated installation and resumes once it is activated again', async () => {
      server = await withOrders();
      const userId = await createUser(server, 'ann');
      await installHeadless(server, userId, 'orders');
      await server.request('PUT', '/workflows/deactivate', { body: { userId, workflowId: 'orders-archive' } });

      const paused = await run(server, { event: 'Order Placed', userId, data: order });
      expect(await countRows(server, 'executions', "workflow_id = 'orders-archive'")).toBe(0);
      expect(paused.body.executionIds).toHaveLength(1);

      await server.request('PUT', '/workflows/deactivate', { body: { userId, workflowId: 'orders-notify' } });
      const none = await run(server, { event: 'Order Placed', userId, data: order });
      expect(none.body.executionIds).toEqual([]);

      await server.request('PUT', '/workflows/activate', { body: { userId, workflowId: 'orders-archive' } });
      const resumed = await run(server, { event: 'Order Placed', userId, data: order });
      expect(resumed.body.executionIds).toHaveLength(1);
      expect(await countRows(server, 'executions', "workflow_id = 'orders-archive'")).toBe(1);
    });

    it('never touches another user’s installations', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      const annInstall = await installSlack(server, ann);
      await installSlack(server, bob);

      const res = await runTicket(server, ann);

      expect(res.body.executionIds).toHaveLength(1);
      expect(await countRows(server, 'executions', 'user_id = ?', [bob])).toBe(0);
      expect(await countRows(server, 'executions', 'user_id = ? AND installation_id = ?', [ann, annInstall.installationId])).toBe(1);
    });

    it('accepts nested objects and arrays, and keeps fields the schema does not list', async () => {
      server = await withOrders();
      const userId = await createUser(server, 'ann');

      const res = await run(server, { event: 'Order Placed', userId, data: order });

      expect(res.status).toBe(200);
      const row = await server.services.store.db.get<{ data: string; source: string; name: string }>('SELECT data, source, name FROM events WHERE id = ?', [res.body.eventId]);
      expect(JSON.parse(row!.data)).toEqual(order);
      expect(row).toMatchObject({ source: 'isv', name: 'Order Placed' });
    });

    it('answers 400 naming each bad nested field under data', async () => {
      server = await withOrders();
      const userId = await createUser(server, 'ann');

      const res = await run(server, {
        event: 'Order Placed',
        userId,
        data: {
          orderId: 'o-1',
          customer: { name: 7 },
          items: [
            { sku: 'A', qty: 1 },
            { sku: 'B', qty: 'two' },
          ],
          placedAt: 'yesterday',
        },
      });

      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message).toMatch(/^The data does not match the schema of "Order Placed": data\.customer\.email: required; /);
      expect(res.body.error.details).toEqual([
        { path: 'data.customer.email', message: 'required' },
        { path: 'data.customer.name', message: 'expected string, received number' },
        { path: 'data.items.1.qty', message: 'expected number, received string' },
        { path: 'data.placedAt', message: 'expected an ISO-8601 date or date-time string, received string' },
      ]);
      expect(await countRows(server, 'events')).toBe(0);
    });

    it('answers 400 naming data.items when an array is not one', async () => {
      server = await withOrders();
      const userId = await createUser(server, 'ann');
      const res = await run(server, { event: 'Order Placed', userId, data: { ...order, items: { sku: 'A' } } });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'data.items', message: 'expected array, received object' }]);
    });

    it('answers 404 unknown_event listing the known events', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await run(server, { event: 'Ticket Closed', userId, data: {} });
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({
        code: 'unknown_event',
        message: 'No custom event named "Ticket Closed". Known events: "Fulfillment Updated", "Ticket Created", "create_invoice", "Order Created"',
        details: [{ path: 'event', message: 'expected one of: Fulfillment Updated, Ticket Created, create_invoice, Order Created' }],
      });
    });

    it('answers 400 naming event and userId when they are missing', async () => {
      server = await startTestServer();
      const res = await run(server, { data: ticket });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([
        { path: 'event', message: 'required' },
        { path: 'userId', message: 'required' },
      ]);
    });

    it('answers 404 for an unknown user', async () => {
      server = await startTestServer();
      const res = await run(server, { event: 'Ticket Created', userId: 'ghost', data: ticket });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    });
  });

  describe('idempotency', () => {
    it("keeps the browser's idempotency keys apart from the ISV's: an end user cannot take a key the backend will use", async () => {
      server = await startTestServer();
      const userId = await createUserWithSlack(server, 'ann');
      const token = await userToken(server, userId);

      const fromBrowser = await server.request('POST', '/me/events/Ticket%20Created', { token, body: ticket, headers: { 'Idempotency-Key': 'order-7' } });
      const fromIsv = await runTicket(server, userId, { 'Idempotency-Key': 'order-7' });
      const isvAgain = await runTicket(server, userId, { 'Idempotency-Key': 'order-7' });

      expect(fromBrowser.status).toBe(200);
      expect(fromIsv.status).toBe(200);
      expect(fromIsv.body.eventId).not.toBe(fromBrowser.body.eventId);
      expect(isvAgain.body).toEqual(fromIsv.body);
      expect(await countRows(server, 'events')).toBe(2);
    });

    it('returns the first answer for a repeat with the same Idempotency-Key header, running nothing twice', async () => {
      server = await startTestServer();
      const userId = await createUserWithSlack(server, 'ann');

      const first = await runTicket(server, userId, { 'Idempotency-Key': 'ticket-1' });
      const repeat = await runTicket(server, userId, { 'Idempotency-Key': 'ticket-1' });

      expect(first.status).toBe(200);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(repeat.status).toBe(200);
      expect(repeat.headers.get('idempotent-replayed')).toBe('true');
      expect(repeat.body).toEqual(first.body);
      expect(first.body.executionIds).toHaveLength(1);
      expect(await countRows(server, 'events')).toBe(1);
      expect(await countRows(server, 'executions')).toBe(1);
    });

    it('treats "id" in the body as the same key as the header', async () => {
      server = await startTestServer();
      const userId = await createUserWithSlack(server, 'ann');

      const first = await run(server, { event: 'Ticket Created', userId, data: ticket, id: 'ticket-2' });
      const byBody = await run(server, { event: 'Ticket Created', userId, data: ticket, id: 'ticket-2' });
      const byHeader = await runTicket(server, userId, { 'Idempotency-Key': 'ticket-2' });
      const both = await run(server, { event: 'Ticket Created', userId, data: ticket, id: 'ticket-2' }, { 'Idempotency-Key': 'ticket-2' });

      for (const repeat of [byBody, byHeader, both]) {
        expect(repeat.status).toBe(200);
        expect(repeat.headers.get('idempotent-replayed')).toBe('true');
        expect(repeat.body).toEqual(first.body);
      }
      expect(await countRows(server, 'events')).toBe(1);
      expect(await countRows(server, 'executions')).toBe(1);
    });

    it('runs again without a key: two sends are two events', async () => {
      server = await startTestServer();
      const userId = await createUserWithSlack(server, 'ann');
      const a = await runTicket(server, userId);
      const b = await runTicket(server, userId);
      expect(a.body.eventId).not.toBe(b.body.eventId);
      expect(await countRows(server, 'executions')).toBe(2);
    });

    it('answers 409 conflict for the same key with different data, and records nothing', async () => {
      server = await startTestServer();
      const userId = await createUserWithSlack(server, 'ann');
      await runTicket(server, userId, { 'Idempotency-Key': 'ticket-3' });

      const res = await run(server, { event: 'Ticket Created', userId, data: { ...ticket, description: 'other' } }, { 'Idempotency-Key': 'ticket-3' });

      expect(res.status).toBe(409);
      expect(res.body.error).toEqual({ code: 'conflict', message: 'This idempotency key was already used for a different event or data' });
      expect(await countRows(server, 'events')).toBe(1);
      expect(await countRows(server, 'executions')).toBe(1);
    });

    it('answers 409 conflict for the same key with another event', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      await runTicket(server, userId, { 'Idempotency-Key': 'k' });
      const res = await run(server, { event: 'Fulfillment Updated', userId, data: { orderId: '1', status: 'S' } }, { 'Idempotency-Key': 'k' });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('conflict');
    });

    it('scopes keys to the user: another user’s same key is a new event', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      const a = await runTicket(server, ann, { 'Idempotency-Key': 'shared' });
      const b = await runTicket(server, bob, { 'Idempotency-Key': 'shared' });
      expect(b.status).toBe(200);
      expect(b.headers.get('idempotent-replayed')).toBeNull();
      expect(b.body.eventId).not.toBe(a.body.eventId);
    });

    it('answers 400 naming id when the header and the body id differ', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await run(server, { event: 'Ticket Created', userId, data: ticket, id: 'one' }, { 'Idempotency-Key': 'two' });
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({
        code: 'invalid_request',
        message: 'The Idempotency-Key header and "id" differ; send one of them',
        details: [{ path: 'id', message: 'differs from Idempotency-Key' }],
      });
      expect(await countRows(server, 'events')).toBe(0);
    });

    it('answers 400 for an Idempotency-Key header over 255 characters', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await runTicket(server, userId, { 'Idempotency-Key': 'k'.repeat(256) });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'Idempotency-Key', message: 'invalid' }]);
    });

    it('records one event and one execution for five concurrent sends with one key', async () => {
      server = await startTestServer();
      const userId = await createUserWithSlack(server, 'ann');

      const results = await Promise.all(Array.from({ length: 5 }, () => runTicket(server!, userId, { 'Idempotency-Key': 'burst' })));

      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      const bodies = new Set(results.map((r) => JSON.stringify(r.body)));
      expect(bodies.size).toBe(1);
      expect(results.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(4);
      expect(await countRows(server, 'events')).toBe(1);
      expect(await countRows(server, 'executions')).toBe(1);
    });
  });

  describe('app events sent by the end user', () => {
    const appEvent = (s: TestServer, path: string, token: string, body: unknown, headers?: Record<string, string>) => s.request('POST', path, { token, body, headers });

    for (const path of ['/plugins/appmixer/utils/appevents/events/', '/me/events/']) {
      it(`runs a browser-enabled event with the user token (${path})`, async () => {
        server = await startTestServer();
        const userId = await createUserWithSlack(server, 'ann');
        const token = await userToken(server, userId);

        const res = await appEvent(server, `${path}Ticket%20Created`, token, ticket);

        expect(res.status).toBe(200);
        expect(res.body).toEqual({ message: 'Event successfully triggered', eventId: expect.any(String), executionIds: [expect.any(String)] });
        const row = await server.services.store.db.get<{ user_id: string; source: string; name: string }>('SELECT user_id, source, name FROM events WHERE id = ?', [
          res.body.eventId,
        ]);
        expect(row).toEqual({ user_id: userId, source: 'browser', name: 'Ticket Created' });
      });

      it(`answers 403 forbidden for an event without "browser": true (${path})`, async () => {
        server = await startTestServer();
        const userId = await createUser(server, 'ann');
        const token = await userToken(server, userId);

        const res = await appEvent(server, `${path}Fulfillment%20Updated`, token, { orderId: '1', status: 'SHIPPED' });

        expect(res.status).toBe(403);
        expect(res.body.error).toEqual({
          code: 'forbidden',
          message: 'The event "Fulfillment Updated" can only be sent by the ISV backend (its definition does not set "browser": true)',
        });
        expect(await countRows(server, 'events')).toBe(0);
      });
    }

    it('names the bad fields at the top level, since the body is the data', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const token = await userToken(server, userId);
      const res = await appEvent(server, '/me/events/Ticket%20Created', token, { ticketName: 'T', customerEmail: 5 });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([
        { path: 'customerEmail', message: 'expected string, received number' },
        { path: 'description', message: 'required' },
      ]);
    });

    it('runs an event only for the token’s own user', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      await installSlack(server, ann);
      await installSlack(server, bob);
      const token = await userToken(server, bob);

      const res = await appEvent(server, '/me/events/Ticket%20Created', token, ticket);

      expect(res.body.executionIds).toHaveLength(1);
      expect(await countRows(server, 'executions', 'user_id = ?', [ann])).toBe(0);
      expect(await countRows(server, 'executions', 'user_id = ?', [bob])).toBe(1);
    });

    it('replays a resend with the same Idempotency-Key', async () => {
      server = await startTestServer();
      const userId = await createUserWithSlack(server, 'ann');
      const token = await userToken(server, userId);
      const first = await appEvent(server, '/me/events/Ticket%20Created', token, ticket, { 'Idempotency-Key': 'tab-1' });
      const again = await appEvent(server, '/plugins/appmixer/utils/appevents/events/Ticket%20Created', token, ticket, { 'Idempotency-Key': 'tab-1' });
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await countRows(server, 'executions')).toBe(1);
    });

    it('answers 404 unknown_event for an event that does not exist', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const token = await userToken(server, userId);
      const res = await appEvent(server, '/me/events/Nope', token, {});
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('unknown_event');
    });

    it('refuses the ISV API key: the route takes a user token', async () => {
      server = await startTestServer();
      const res = await server.request('POST', '/me/events/Ticket%20Created', { body: ticket });
      expect(res.status).toBe(401);
      expect(res.body.error).toEqual({ code: 'unauthorized', message: 'The user token is invalid' });
    });
  });
});
