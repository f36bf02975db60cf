import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDefinitions } from '../../../server/definitions/load';
import { destinationSigningSecrets, PREVIOUS_SECRET_SIGNS_MS } from '../../../server/engine/destination-secrets';
import { startSink, type Delivery } from '../../../demo/fakes/sink';
import { acmeIntegration } from '../../helpers/definitions';
import { installHeadless } from '../../helpers/flows';
import { createUser, startTestServer, storeKind, userToken, waitForExecution, type TestServer } from '../../helpers/server';

const ISV_SECRET = `whsec_${Buffer.from('isv-secret-0123456789abcdef-isv!').toString('base64')}`;

/** One workflow, two Stream Data blocks: one to the ISV's fixed receiver, one to the URL the user sets. */
function definitions(isvUrl: string) {
  return buildDefinitions([
    acmeIntegration([
      {
        id: 'order-paid',
        name: 'Stream paid orders',
        version: 1,
        trigger: { type: 'customEvent', event: 'Order Paid', schema: { orderId: 'String' } },
        blocks: [
          { id: 'to-isv', connector: 'streamData', action: 'post', input: { url: `${isvUrl}/isv`, body: { order: '{{event.orderId}}' } } },
          { id: 'to-user', connector: 'streamData', action: 'post', input: { url: '{{config.url}}', body: { order: '{{event.orderId}}' } } },
        ],
        fields: [{ name: 'url', label: 'Your endpoint', type: 'text', required: true }],
      },
    ]),
  ]);
}

/** What a receiver using the `standardwebhooks` package does with a delivery: the payload, or the error it throws. */
function verifyWith(secret: string, delivery: Delivery): unknown {
  return new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>);
}

describe(`signing secrets of destinations a user chooses (${storeKind})`, () => {
  let server: TestServer;
  let isvSink: Awaited<ReturnType<typeof startSink>>;
  let userSink: Awaited<ReturnType<typeof startSink>>;

  beforeEach(async () => {
    isvSink = await startSink();
    userSink = await startSink();
    server = await startTestServer({
      env: { WORKERS: 'on', ALLOY_ALLOW_PRIVATE_URLS: 'true', ALLOY_WEBHOOK_SECRET: ISV_SECRET },
      definitions: () => definitions(isvSink.url),
    });
  });
  afterEach(async () => {
    await server.close();
    await isvSink.close();
    await userSink.close();
  });

  /** Installs the workflow for a new user through the widget's API, pointing the user's block at `url`. */
  async function install(username: string, url: string) {
    const userId = await createUser(server, username);
    const token = await userToken(server, userId);
    const res = await server.request('POST', '/me/installations', { token, body: { integrationId: 'acme', config: { url } } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { userId, token, body: res.body };
  }

  async function deliver(userId: string, orderId: string) {
    const res = await server.request('POST', '/run/event', { body: { event: 'Order Paid', userId, data: { orderId } } });
    expect(res.status).toBe(200);
    await waitForExecution(server, userId, 'order-paid', res.body.executionIds[0], 'succeeded');
  }

  it('signs a delivery to a user-set URL with that destination’s secret, which standardwebhooks accepts, and never with the ISV’s', async () => {
    const { userId, body } = await install('mallory', `${userSink.url}/mine`);
    expect(body.signingSecrets).toEqual([{ installationId: body.installationId, workflowId: 'order-paid', blockId: 'to-user', secret: expect.stringMatching(/^whsec_/) }]);
    const destinationSecret = body.signingSecrets[0].secret as string;
    expect(destinationSecret).not.toBe(ISV_SECRET);

    await deliver(userId, 'A-1');

    const [toUser] = await userSink.waitFor(1);
    expect(verifyWith(destinationSecret, toUser!)).toEqual({ order: 'A-1' });
    // The attack: replaying what the user received to the ISV's receiver, which checks the ISV's secret.
    expect(() => verifyWith(ISV_SECRET, toUser!)).toThrow(/No matching signature/);
    // The block whose URL the definition fixes keeps the ISV's secret.
    const [toIsv] = await isvSink.waitFor(1);
    expect(verifyWith(ISV_SECRET, toIsv!)).toEqual({ order: 'A-1' });
    expect(() => verifyWith(destinationSecret, toIsv!)).toThrow(/No matching signature/);
  });

  it('gives every installation its own secret: a delivery for one destination never verifies with another’s', async () => {
    const a = await install('ann', `${userSink.url}/ann`);
    const b = await install('bob', `${userSink.url}/bob`);
    const secretA = a.body.signingSecrets[0].secret as string;
    const secretB = b.body.signingSecrets[0].secret as string;
    expect(secretA).not.toBe(secretB);

    await deliver(a.userId, 'A-2');
    const [toAnn] = await userSink.waitFor(1);
    expect(toAnn!.path).toBe('/ann');
    expect(verifyWith(secretA, toAnn!)).toEqual({ order: 'A-2' });
    expect(() => verifyWith(secretB, toAnn!)).toThrow(/No matching signature/);
  });

  it('shows a secret only when it is made: a reinstall keeps it and answers none', async () => {
    const first = await install('carol', `${userSink.url}/one`);
    const again = await server.request('POST', '/me/installations', { token: first.token, body: { integrationId: 'acme', config: { url: `${userSink.url}/two` } } });
    expect(again.status).toBe(201);
    expect(again.body.signingSecrets).toEqual([]);

    await deliver(first.userId, 'A-3');
    const [delivery] = await userSink.waitFor(1);
    expect(delivery!.path).toBe('/two');
    expect(verifyWith(first.body.signingSecrets[0].secret, delivery!)).toEqual({ order: 'A-3' });
    // Stored encrypted: the plaintext is nowhere in the table.
    const rows = await server.services.store.db.all<{ secret: string }>('SELECT secret FROM destination_secrets');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.secret).not.toContain(first.body.signingSecrets[0].secret.slice(6));
  });

  it('rotates a secret: the new one answers once, and both sign until the overlap ends', async () => {
    const { userId, token, body } = await install('dave', `${userSink.url}/d`);
    const old = body.signingSecrets[0].secret as string;
    const rotated = await server.request('POST', `/me/installations/${body.installationId}/signing-secrets/to-user/rotate`, { token });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(rotated.body).toMatchObject({ installationId: body.installationId, workflowId: 'order-paid', blockId: 'to-user', secret: expect.stringMatching(/^whsec_/) });
    const fresh = rotated.body.secret as string;
    expect(fresh).not.toBe(old);
    expect(Date.parse(rotated.body.previousSignsUntil) - Date.now()).toBeGreaterThan(PREVIOUS_SECRET_SIGNS_MS - 60_000);

    await deliver(userId, 'A-4');
    const [delivery] = await userSink.waitFor(1);
    expect((delivery!.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    expect(verifyWith(fresh, delivery!)).toEqual({ order: 'A-4' });
    expect(verifyWith(old, delivery!)).toEqual({ order: 'A-4' });
    expect(() => verifyWith(ISV_SECRET, delivery!)).toThrow(/No matching signature/);

    // Once the overlap is over, only the new secret signs.
    const later = await destinationSigningSecrets(server.services, body.installationId, 'to-user', Date.now() + PREVIOUS_SECRET_SIGNS_MS + 1000);
    expect(later).toEqual([fresh]);
  });

  it('refuses to rotate a block the definition fixes, and another user’s installation', async () => {
    const { token, body } = await install('erin', `${userSink.url}/e`);
    const fixed = await server.request('POST', `/me/installations/${body.installationId}/signing-secrets/to-isv/rotate`, { token });
    expect(fixed.status).toBe(404);
    expect(fixed.body.error.code).toBe('not_found');
    expect(fixed.body.error.message).toMatch(/no destination of the user's choosing/);

    const other = await install('frank', `${userSink.url}/f`);
    const foreign = await server.request('POST', `/me/installations/${body.installationId}/signing-secrets/to-user/rotate`, { token: other.token });
    expect(foreign.status).toBe(404);
  });

  it('hands the new secret to the ISV from a headless install too', async () => {
    const userId = await createUser(server, 'gina');
    const done = await installHeadless(server, userId, 'acme', { data: { url: `${userSink.url}/g` } });
    expect(done.signingSecrets).toEqual([{ installationId: done.installationId, workflowId: 'order-paid', blockId: 'to-user', secret: expect.stringMatching(/^whsec_/) }]);
  });

  it('makes a secret at the first delivery for an installation that has none (installed before secrets existed)', async () => {
    const { userId, body } = await install('hank', `${userSink.url}/h`);
    await server.services.store.db.run('DELETE FROM destination_secrets');

    await deliver(userId, 'A-5');
    const [delivery] = await userSink.waitFor(1);
    expect(() => verifyWith(ISV_SECRET, delivery!)).toThrow(/No matching signature/);
    expect(() => verifyWith(body.signingSecrets[0].secret, delivery!)).toThrow(/No matching signature/);
    const [made] = await destinationSigningSecrets(server.services, body.installationId, 'to-user');
    expect(verifyWith(made!, delivery!)).toEqual({ order: 'A-5' });
  });
});
