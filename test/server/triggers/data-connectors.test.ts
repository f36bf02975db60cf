import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSink } from '../../../demo/fakes/sink';
import { buildDefinitions } from '../../../server/definitions/load';
import { HUBSPOT_TOKEN, startHubSpotFake, type HubSpotFake } from '../../fakes/apps/hubspot';
import { STRIPE_KEY, makeCustomer, startStripeFake, stripeSignature, type StripeFake } from '../../fakes/apps/stripe';
import { addCredential, countRows, installHeadless } from '../../helpers/flows';
import { testClock } from '../../helpers/poll';
import { startPublicUrl } from '../../helpers/public-url';
import { createUser, startTestServer, storeKind, waitForExecution, type TestServer } from '../../helpers/server';

// Connectors written as data, through the engine as a user's integration runs them: Stripe's app
// trigger (subscribe, the signing secret Stripe answers, signed deliveries) and HubSpot's poll trigger.

const T0 = Date.parse('2031-03-03T08:00:00.000Z');

/** One integration of `connector` whose workflow streams `body` of each run to the sink. */
const integration = (connector: string, trigger: Record<string, unknown>, sinkUrl: string, body: unknown) => ({
  id: connector,
  app: connector,
  connector,
  icon: `/icons/${connector}.svg`,
  workflows: [
    { id: 'sync', name: `Sync ${connector}`, version: 1, trigger, blocks: [{ id: 'send', connector: 'streamData', action: 'post', input: { url: `${sinkUrl}/in`, body } }] },
  ],
});

describe(`a data connector's app trigger: Stripe (${storeKind})`, () => {
  let stripe: StripeFake;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let publicUrl: Awaited<ReturnType<typeof startPublicUrl>>;
  let clock: ReturnType<typeof testClock>;
  let server: TestServer;
  let userId: string;

  beforeEach(async () => {
    stripe = await startStripeFake();
    sink = await startSink();
    publicUrl = await startPublicUrl(() => server);
    clock = testClock(T0);
    server = await startTestServer({
      env: { WORKERS: 'on', ALLOY_TEST_CLOCK_FILE: clock.file, ALLOY_ALLOW_PRIVATE_URLS: 'true', STRIPE_API_URL: stripe.url, PUBLIC_URL: publicUrl.url },
      definitions: () =>
        buildDefinitions([
          integration('stripe', { type: 'app', connector: 'stripe', event: 'customer.created' }, sink.url, {
            customer: '{{event.data.object.id}}',
            email: '{{event.data.object.email}}',
          }),
        ]),
    });
    await server.services.engine.runners.get('app')!.stop();
    userId = await createUser(server, 'merchant');
  });
  afterEach(async () => {
    await server.close();
    await Promise.all([stripe.close(), sink.close(), publicUrl.close()]);
    clock.dispose();
  });

  it('subscribes a webhook endpoint, keeps the secret Stripe answers, and runs each delivery signed with it once', async () => {
    const credentialId = await addCredential(server, userId, 'stripe', { secretKey: STRIPE_KEY });
    await installHeadless(server, userId, 'stripe', { credentialId });
    await server.services.engine.runners.get('app')!.tick();

    const [endpoint, ...more] = stripe.data.webhookEndpoints;
    expect(more).toEqual([]);
    expect(endpoint).toMatchObject({ enabled_events: ['customer.created'], url: expect.stringMatching(new RegExp(`^${publicUrl.url}/hooks/[\\w-]{43}$`)) });
    const installation = (await server.services.store.installations.find(userId, 'sync'))!;
    expect(await server.services.store.subscriptions.ofInstallation(installation.installationId)).toEqual([
      expect.objectContaining({ status: 'subscribed', remoteId: endpoint!.id }),
    ]);

    const hookPath = new URL(endpoint!.url as string).pathname;
    const event = { id: 'evt_1Kq', object: 'event', type: 'customer.created', data: { object: makeCustomer({ email: 'jenny@example.com', id: 'cus_Jenny' }) } };
    const rawBody = JSON.stringify(event);
    const deliver = (signature: string) =>
      server.request('POST', hookPath, { apiKey: null, rawBody, headers: { 'content-type': 'application/json', 'stripe-signature': signature } });

    // Signed with anything but Stripe's secret (the engine's own included): refused, nothing recorded.
    const forged = await deliver(stripeSignature('whsec_not_the_endpoints', rawBody, Math.floor(T0 / 1000)));
    expect(forged.status, JSON.stringify(forged.body)).toBe(401);
    expect(forged.body.error.details).toEqual([{ path: 'stripe-signature', message: expect.any(String) }]);
    expect(await countRows(server, 'events', 'user_id = ?', [userId])).toBe(0);

    const signature = stripeSignature(endpoint!.secret as string, rawBody);
    const first = await deliver(signature);
    expect(first.status, JSON.stringify(first.body)).toBeLessThan(300);
    await waitForExecution(server, userId, 'sync', first.body.executionIds[0], 'succeeded');
    expect(JSON.parse((await sink.waitFor(1))[0]!.body)).toEqual({ customer: 'cus_Jenny', email: 'jenny@example.com' });
    // Stripe's redelivery of the same event (its id) is a repeat, not a second run.
    const again = await deliver(signature);
    expect(again.body.executionIds).toEqual(first.body.executionIds);
    expect(await countRows(server, 'executions', 'installation_id = ?', [installation.installationId])).toBe(1);

    // Uninstalling deletes the endpoint at Stripe.
    expect((await server.request('DELETE', `/workflows/sync?userId=${userId}`)).status).toBe(200);
    await server.services.engine.runners.get('app')!.tick();
    expect(stripe.requests.filter((r) => r.method === 'DELETE' && r.path === `/v1/webhook_endpoints/${endpoint!.id}`)).toHaveLength(1);
  });
});

describe(`a data connector's poll trigger: HubSpot contacts (${storeKind})`, () => {
  let hubspot: HubSpotFake;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let clock: ReturnType<typeof testClock>;
  let server: TestServer;
  let userId: string;

  beforeEach(async () => {
    hubspot = await startHubSpotFake();
    sink = await startSink();
    clock = testClock(T0);
    server = await startTestServer({
      env: { WORKERS: 'on', ALLOY_TEST_CLOCK_FILE: clock.file, ALLOY_ALLOW_PRIVATE_URLS: 'true', HUBSPOT_API_URL: hubspot.url },
      definitions: () =>
        buildDefinitions([
          integration('hubspot', { type: 'poll', connector: 'hubspot', source: 'contacts', intervalSeconds: 300 }, sink.url, {
            key: '{{event.key}}',
            email: '{{event.record.properties.email}}',
          }),
        ]),
    });
    userId = await createUser(server, 'ann');
  });
  afterEach(async () => {
    await server.close();
    await Promise.all([hubspot.close(), sink.close()]);
    clock.dispose();
  });

  const tick = () => server.services.engine.runners.get('poll')!.tick();
  const emitted = async () =>
    (await server.services.store.db.all<{ data: string }>("SELECT data FROM events WHERE source = 'poll' ORDER BY received_at, id")).map(
      (e) => (JSON.parse(e.data) as { record: { properties: { email: string } } }).record.properties.email,
    );

  it('runs once per contact of the first round, then only for what changed, the checkpoint read back from the search HubSpot answered', async () => {
    hubspot.addContacts(3, 'first');
    const credentialId = await addCredential(server, userId, 'hubspot', { accessToken: HUBSPOT_TOKEN });
    await installHeadless(server, userId, 'hubspot', { credentialId });
    await tick();
    expect((await emitted()).sort()).toEqual(['first1@example.com', 'first2@example.com', 'first3@example.com']);
    await sink.waitFor(3);

    // Nothing changed: the next round (an interval later) runs nothing.
    clock.advance(300_000);
    await tick();
    expect(await emitted()).toHaveLength(3);

    hubspot.addContacts(1, 'later');
    clock.advance(300_000);
    await tick();
    expect((await emitted()).slice(3)).toEqual(['later4@example.com']);
    // Each round asked HubSpot's search for contacts modified at or after the greatest stamp seen.
    const searches = hubspot.requests.filter((r) => r.path === '/crm/v3/objects/contacts/search');
    expect(searches.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(searches.at(-1)!.body)).toContain('"operator":"GTE"');
  });
});
