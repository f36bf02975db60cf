// @vitest-environment happy-dom
import './setup';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { listen } from '../helpers/browser';
import { userToken, type TestServer } from '../helpers/server';
import { outboxItems, resetWidget, serve, signIn, type Http } from './helpers';
import { AlloyError, flushOutbox, getIntegrations, sendAppEvent, setToken } from '../../widget/index';
import { pendingCount } from '../../widget/outbox';

const ticket = { ticketName: 'Printer on fire', customerEmail: 'ann@acme.test', description: 'Smoke' };

describe('app events and the outbox', () => {
  let server: TestServer;
  let http: Http;
  let userId: string;

  const events = async () =>
    await server.services.store.db.all<{ id: string; name: string; idempotency_key: string | null; data: string }>(
      'SELECT id, name, idempotency_key, data FROM events WHERE user_id = ? ORDER BY received_at',
      [userId],
    );
  /** Stops serving HTTP (the page is offline, as far as the widget can tell), and starts again on the same port. */
  const goOffline = () => http.close();
  const goOnline = async () => {
    http = await listen(server, Number(new URL(http.url).port));
  };

  beforeAll(async () => {
    ({ server, http } = await serve());
  });
  beforeEach(async () => {
    userId = await signIn(server, http);
  });
  // (happy-dom's fetch logs each refused connection to stderr, as a browser's console would.)
  afterEach(resetWidget);
  afterAll(async () => {
    await http?.close();
    await server?.close();
  });

  it('delivers an event at once when online: its id, the event id and the executions it started', async () => {
    // Slack installed, so the event starts one execution.
    const token = await userToken(server, userId);
    const credential = await server.request('POST', '/me/credentials', { token, body: { app: 'slack', data: { botToken: 'xoxb-1' } } });
    await server.request('POST', '/me/installations', { token, body: { integrationId: 'slack', credentialId: credential.body.credentialId, config: { channel: 'C1' } } });

    const result = await sendAppEvent('Ticket Created', ticket);

    expect(result).toEqual({ status: 'delivered', id: expect.any(String), eventId: expect.any(String), executionIds: [expect.any(String)] });
    const stored = await events();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id: result.status === 'delivered' && result.eventId, name: 'Ticket Created', idempotency_key: `browser:${result.id}` }); // browser keys are scoped apart from the ISV's
    expect(JSON.parse(stored[0]!.data)).toEqual(ticket);
    expect(await pendingCount()).toBe(0);
  });

  it('queues an event while the server cannot be reached, keeps it in IndexedDB, and sends it once when back online', async () => {
    await goOffline();

    const result = await sendAppEvent('Ticket Created', ticket);

    expect(result).toEqual({ status: 'queued', id: expect.any(String) });
    expect(await outboxItems()).toEqual([expect.objectContaining({ id: result.id, event: 'Ticket Created', data: ticket })]);
    expect(await pendingCount()).toBe(1);

    await goOnline();
    window.dispatchEvent(new Event('online'));

    await vi.waitFor(async () => expect(await pendingCount()).toBe(0));
    const stored = await events();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.idempotency_key).toBe(`browser:${result.id}`);
  });

  it('sends a queued event once when two flushes run at the same time', async () => {
    await goOffline();
    await sendAppEvent('Ticket Created', ticket);
    await sendAppEvent('Ticket Created', { ...ticket, ticketName: 'Second' });
    await goOnline();

    const sent = await Promise.all([flushOutbox(), flushOutbox()]);

    expect(sent.map((r) => r.sent)).toEqual([2, 2]);
    // Oldest first.
    expect((await events()).map((e) => JSON.parse(e.data).ticketName)).toEqual(['Printer on fire', 'Second']);
    expect((await flushOutbox()).sent).toBe(0);
    expect(await events()).toHaveLength(2);
  });

  it('sends an event once when a flush picks it up while its own send is on its way', async () => {
    await goOffline();
    await sendAppEvent('Ticket Created', ticket);
    await goOnline();

    const [fresh] = await Promise.all([sendAppEvent('Ticket Created', { ...ticket, ticketName: 'Fresh' }), flushOutbox()]);

    expect(fresh.status).toBe('delivered');
    await vi.waitFor(async () => expect(await pendingCount()).toBe(0));
    expect((await events()).map((e) => JSON.parse(e.data).ticketName).sort()).toEqual(['Fresh', 'Printer on fire']);
  });

  it('keeps the queue while still offline, and keeps its order', async () => {
    await goOffline();
    const first = await sendAppEvent('Ticket Created', { ...ticket, ticketName: 'One' });
    const second = await sendAppEvent('Ticket Created', { ...ticket, ticketName: 'Two' });

    expect((await flushOutbox()).sent).toBe(0);
    expect((await outboxItems()).map((i) => i.id).sort()).toEqual([first.id, second.id].sort());

    await goOnline();
    expect((await flushOutbox()).sent).toBe(2);
    expect((await events()).map((e) => JSON.parse(e.data).ticketName)).toEqual(['One', 'Two']);
  });

  it('sends what an earlier page load queued once a token is set', async () => {
    await goOffline();
    await sendAppEvent('Ticket Created', ticket);
    await goOnline();

    // A new page: a fresh widget, the same IndexedDB.
    vi.resetModules();
    const fresh = await import('../../widget/index');
    fresh.setBaseUrl(http.url);
    fresh.setToken(await userToken(server, userId));

    await vi.waitFor(async () => expect(await events()).toHaveLength(1));
    await vi.waitFor(async () => expect(await pendingCount()).toBe(0));
  });

  it('rejects an event the server refuses (not browser-enabled) with AlloyError forbidden, and drops it', async () => {
    const error = await sendAppEvent('Fulfillment Updated', { orderId: '1', status: 'shipped' }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AlloyError);
    expect(error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('"browser": true') });
    expect(await pendingCount()).toBe(0);
    expect(await events()).toEqual([]);
  });

  it('drops a queued event the server refuses when flushed, and still sends the ones after it', async () => {
    await goOffline();
    await sendAppEvent('Fulfillment Updated', { orderId: '1', status: 'shipped' });
    await sendAppEvent('Ticket Created', ticket);
    expect(await pendingCount()).toBe(2);
    await goOnline();

    expect((await flushOutbox()).sent).toBe(1);

    expect(await pendingCount()).toBe(0);
    expect((await events()).map((e) => e.name)).toEqual(['Ticket Created']);
  });

  it('rejects an event whose data does not match its schema with invalid_request', async () => {
    await expect(sendAppEvent('Ticket Created', { ticketName: 42 })).rejects.toMatchObject({ code: 'invalid_request' });
    expect(await pendingCount()).toBe(0);
  });

  it("sends an event queued under one user only with that user's token, after a switch to another and back", async () => {
    const eventsOf = async (user: string) =>
      (await server.services.store.db.all<{ data: string }>('SELECT data FROM events WHERE user_id = ? ORDER BY received_at', [user])).map((e) => JSON.parse(e.data).ticketName);
    const ann = userId;
    await goOffline();
    await sendAppEvent('Ticket Created', { ...ticket, ticketName: "Ann's" });

    // Bob signs in on the same browser, with Ann's event still queued.
    const bob = await signIn(server, http, `bob${Math.random().toString(36).slice(2, 8)}`);
    await goOnline();
    await sendAppEvent('Ticket Created', { ...ticket, ticketName: "Bob's" });
    const report = await flushOutbox();

    expect(report).toEqual({ sent: 0, held: [{ userId: ann, count: 1 }] });
    expect(await eventsOf(bob)).toEqual(["Bob's"]);
    expect(await eventsOf(ann)).toEqual([]);

    // Ann is back: her event goes out with her token, as hers.
    setToken(await userToken(server, ann));
    await vi.waitFor(async () => expect(await pendingCount()).toBe(0));
    expect(await eventsOf(ann)).toEqual(["Ann's"]);
    expect(await eventsOf(bob)).toEqual(["Bob's"]);
  });

  it('throws at once when no token says whose event it is', async () => {
    vi.resetModules();
    const fresh = await import('../../widget/index');
    await expect(fresh.sendAppEvent('Ticket Created', ticket)).rejects.toMatchObject({ code: 'no_token' });
    expect(await pendingCount()).toBe(0);
  });

  it('rejects a call without an event name as a TypeError', async () => {
    await expect(sendAppEvent('')).rejects.toThrow(TypeError);
    expect(await pendingCount()).toBe(0);
  });
});

describe('the outbox tries again by itself', () => {
  let server: TestServer;
  let http: Http;
  let userId: string;

  const names = async () =>
    (await server.services.store.db.all<{ data: string }>('SELECT data FROM events WHERE user_id = ? ORDER BY received_at', [userId])).map((e) => JSON.parse(e.data).ticketName);

  beforeAll(async () => {
    // One app event per second per user, no burst: the second of two at once gets a 429.
    ({ server, http } = await serve({ env: { RATE_LIMIT_USER_PER_SECOND: '1', RATE_LIMIT_USER_BURST: '1' } }));
  });
  beforeEach(async () => {
    userId = await signIn(server, http);
  });
  afterEach(resetWidget);
  afterAll(async () => {
    await http?.close();
    await server?.close();
  });

  it('queues an event the rate limit refuses (429) and sends it once Retry-After has passed, with no other prompt', async () => {
    const first = await sendAppEvent('Ticket Created', { ...ticket, ticketName: 'First' });
    const second = await sendAppEvent('Ticket Created', { ...ticket, ticketName: 'Second' });

    expect(first.status).toBe('delivered');
    expect(second).toEqual({ status: 'queued', id: expect.any(String) });
    expect(await names()).toEqual(['First']);

    // No 'online' event, no setToken, no flushOutbox call: the outbox's own retry sends it.
    await vi.waitFor(async () => expect(await pendingCount()).toBe(0), { timeout: 5000, interval: 50 });
    expect(await names()).toEqual(['First', 'Second']);
  });

  it('sends what it queued while the server was down once it is back, without an online event', async () => {
    await http.close();
    const queued = await sendAppEvent('Ticket Created', ticket);
    expect(queued.status).toBe('queued');
    http = await listen(server, Number(new URL(http.url).port));

    await vi.waitFor(async () => expect(await pendingCount()).toBe(0), { timeout: 5000, interval: 50 });
    expect(await names()).toEqual(['Printer on fire']);
  });

  it('answers a rate-limited call with AlloyError rate_limited and the wait the server asked for', async () => {
    await sendAppEvent('Ticket Created', ticket);
    const error = await getIntegrations().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AlloyError);
    expect(error).toMatchObject({ code: 'rate_limited', retryAfter: 1000 });
  });
});
