import { afterEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../widget/schema';
import { definitionsWith, vaultIntegration } from '../helpers/definitions';
import { addCredential, countRows, ticket } from '../helpers/flows';
import { createUser, startTestServer, storeKind, userToken, type TestServer } from '../helpers/server';

type Res = Awaited<ReturnType<TestServer['request']>>;

/** Just under the 1 MiB body limit: what the security review stored twenty times over. */
const NEAR_BODY_LIMIT = 1_000_000;
const NETSUITE = { accountId: 'A', consumerKey: 'k', consumerSecret: 's', tokenId: 't', tokenSecret: 'ts' };

/** An account-less integration whose one workflow has a multiselect of fixed options, beside the vault's fields. */
const tagged = {
  ...vaultIntegration,
  id: 'tagged',
  app: 'Tagged',
  workflows: [
    {
      ...vaultIntegration.workflows[0],
      id: 'tagged-forward',
      fields: [...vaultIntegration.workflows[0]!.fields, { name: 'tags', label: 'Tags', type: 'multiselect', options: [{ label: 'Red', value: 'red' }] }],
    },
  ],
};

/** An integration on Slack whose multiselect takes its options from Slack: items the user may spell freely. */
const broadcast = {
  id: 'broadcast',
  app: 'Broadcast',
  connector: 'slack',
  icon: '/icons/slack.svg',
  workflows: [
    {
      id: 'broadcast-post',
      name: 'Post to several channels',
      version: 1,
      trigger: { type: 'customEvent', event: 'Broadcast', schema: { text: 'String' } },
      blocks: [{ id: 'post', connector: 'slack', action: 'postMessage', input: { channel: '{{config.channels}}', text: '{{event.text}}' } }],
      fields: [{ name: 'channels', label: 'Channels', type: 'multiselect', required: true, optionsSource: { connector: 'slack', source: 'channels' } }],
    },
  ],
};

function expectRefused(res: Res, status: number, code: string, path: string, message: string | RegExp) {
  expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(res.body.error.details).toEqual([{ path, message: typeof message === 'string' ? message : expect.stringMatching(message) }]);
}

describe(`what an end user can store is bounded (${storeKind})`, () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function setup() {
    server = await startTestServer({ definitions: () => definitionsWith([vaultIntegration, tagged, broadcast]) });
    const userId = await createUser(server, 'ann');
    const token = await userToken(server, userId);
    const me = (method: string, url: string, body?: unknown, headers?: Record<string, string>) => server!.request(method, url, { token, body, headers });
    return { s: server, userId, me };
  }

  describe('credentials', () => {
    it(`refuses a credential field over ${LIMITS.credentialValueChars} characters with a 400 naming it, from the widget and the ISV, and stores nothing`, async () => {
      const { s, userId, me } = await setup();
      const attack = await Promise.all(
        Array.from({ length: 20 }, () => me('POST', '/me/credentials', { app: 'slack', data: { botToken: `xoxb-${'a'.repeat(NEAR_BODY_LIMIT)}` } })),
      );
      for (const res of attack) expectRefused(res, 400, 'invalid_request', 'data.botToken', `must be at most ${LIMITS.credentialValueChars} characters`);
      const headless = await s.request('POST', '/headless/credentials', {
        body: { userId, credential: { type: 'slack', data: { botToken: 'x'.repeat(LIMITS.credentialValueChars + 1) } } },
      });
      expectRefused(headless, 400, 'invalid_request', 'credential.data.botToken', `must be at most ${LIMITS.credentialValueChars} characters`);
      expect(await countRows(s, 'credentials')).toBe(0);

      // A value of exactly the limit (a PEM key, a service-account JSON) is taken.
      const fits = await me('POST', '/me/credentials', { app: 'slack', data: { botToken: `xoxb-${'x'.repeat(LIMITS.credentialValueChars - 5)}` } });
      expect(fits.status, JSON.stringify(fits.body)).toBe(201);
    });

    it(`refuses credential data over ${LIMITS.credentialDataBytes} bytes of JSON even when each field fits, naming data`, async () => {
      const { s, userId, me } = await setup();
      const long = 'k'.repeat(LIMITS.credentialValueChars);
      const data = { ...NETSUITE, consumerKey: long, consumerSecret: long, tokenId: long, tokenSecret: long };
      const message = `must be at most ${LIMITS.credentialDataBytes} bytes of JSON`;
      expectRefused(await me('POST', '/me/credentials', { app: 'netsuite', data }), 400, 'invalid_request', 'data', message);
      const headless = await s.request('POST', '/headless/credentials', { body: { userId, credential: { type: 'netsuite', data } } });
      expectRefused(headless, 400, 'invalid_request', 'credential.data', message);
      expect(await countRows(s, 'credentials')).toBe(0);
    });

    it(`keeps at most ${LIMITS.credentialsPerApp} credentials per user per app: the rest of twenty at once are a 409 saying to delete one`, async () => {
      const { s, userId, me } = await setup();
      const attack = await Promise.all(Array.from({ length: 20 }, (_, i) => me('POST', '/me/credentials', { app: 'slack', data: { botToken: `xoxb-${i}` } })));
      expect(attack.filter((r) => r.status === 201)).toHaveLength(LIMITS.credentialsPerApp);
      const refused = attack.filter((r) => r.status !== 201);
      expect(refused).toHaveLength(20 - LIMITS.credentialsPerApp);
      for (const res of refused) {
        expectRefused(res, 409, 'conflict', 'app', `at most ${LIMITS.credentialsPerApp} credentials per app`);
        expect(res.body.error.message).toBe(
          `This user already has ${LIMITS.credentialsPerApp} Slack credentials, the most allowed per app: delete one that no installation uses (DELETE /me/credentials/{credentialId}) to add another`,
        );
      }
      const headless = await s.request('POST', '/headless/credentials', { body: { userId, credential: { type: 'slack', data: { botToken: 'xoxb-isv' } } } });
      expectRefused(headless, 409, 'conflict', 'credential.type', `at most ${LIMITS.credentialsPerApp} credentials per app`);
      expect(await countRows(s, 'credentials', 'user_id = ? AND app = ?', [userId, 'slack'])).toBe(LIMITS.credentialsPerApp);

      // Another app, and another user, have their own room; deleting one makes room for one more.
      await addCredential(s, userId, 'netsuite', NETSUITE);
      await addCredential(s, await createUser(s, 'bob'), 'slack', { botToken: 'xoxb-bob' });
      const removed = await me('DELETE', `/me/credentials/${attack.find((r) => r.status === 201)!.body.credentialId}`);
      expect(removed.body).toEqual({ success: true });
      expect((await me('POST', '/me/credentials', { app: 'slack', data: { botToken: 'xoxb-again' } })).status).toBe(201);
      expect((await me('POST', '/me/credentials', { app: 'slack', data: { botToken: 'xoxb-over' } })).status).toBe(409);
    });
  });

  describe('installations', () => {
    it(`refuses a text, secret or free select value over ${LIMITS.configValueChars} characters with a 400 naming config.<field>, installing nothing`, async () => {
      const { s, userId, me } = await setup();
      const huge = 'x'.repeat(NEAR_BODY_LIMIT);
      const message = `must be at most ${LIMITS.configValueChars} characters`;
      const url = await me('POST', '/me/installations', { integrationId: 'vault', config: { url: huge, apiToken: 't' } });
      expectRefused(url, 400, 'invalid_request', 'config.url', message);
      const secret = await me('POST', '/me/installations', { integrationId: 'vault', config: { url: 'https://v.test', apiToken: huge } });
      expectRefused(secret, 400, 'invalid_request', 'config.apiToken', message);
      const credentialId = await addCredential(s, userId, 'slack', { botToken: 'xoxb-1' });
      const channel = await me('POST', '/me/installations', { integrationId: 'slack', credentialId, config: { channel: 'C'.repeat(LIMITS.configValueChars + 1) } });
      expectRefused(channel, 400, 'invalid_request', 'config.channel', message);
      const headless = await s.request('POST', '/headless/startInstallation', { body: { userId, integrationId: 'vault' } });
      const complete = await s.request('POST', '/headless/completeInstallation', {
        body: { userId, installationId: headless.body.installationId, data: { url: 'https://v.test', apiToken: 'y'.repeat(LIMITS.configValueChars + 1) } },
      });
      expectRefused(complete, 400, 'invalid_request', 'data.apiToken', message);
      expect(await countRows(s, 'installations')).toBe(0);
    });

    it(`refuses a multiselect of more than ${LIMITS.configItems} items or with an item over ${LIMITS.configValueChars} characters, and a configuration over ${LIMITS.configBytes} bytes of JSON`, async () => {
      const { s, userId, me } = await setup();
      const base = { url: 'https://v.test', apiToken: 't' };
      const many = await me('POST', '/me/installations', { integrationId: 'tagged', config: { ...base, tags: Array(LIMITS.configItems + 1).fill('red') } });
      expectRefused(many, 400, 'invalid_request', 'config.tags', `must have at most ${LIMITS.configItems} items`);
      const credentialId = await addCredential(s, userId, 'slack', { botToken: 'xoxb-1' });
      const install = (channels: string[]) => me('POST', '/me/installations', { integrationId: 'broadcast', credentialId, config: { channels } });
      expectRefused(
        await install(['C1', 'C'.repeat(LIMITS.configValueChars + 1)]),
        400,
        'invalid_request',
        'config.channels.1',
        `must be at most ${LIMITS.configValueChars} characters`,
      );
      // Each item fits, the whole does not.
      const whole = await install(Array(20).fill('C'.repeat(LIMITS.configValueChars)));
      expectRefused(whole, 400, 'invalid_request', 'config', `must be at most ${LIMITS.configBytes} bytes of JSON`);
      expect(await countRows(s, 'installations')).toBe(0);

      const fits = await me('POST', '/me/installations', {
        integrationId: 'tagged',
        config: { ...base, url: 'u'.repeat(LIMITS.configValueChars), tags: Array(LIMITS.configItems).fill('red') },
      });
      expect(fits.status, JSON.stringify(fits.body).slice(0, 500)).toBe(201);
      const reconfigure = await me('PUT', `/me/installations/${fits.body.installationId}`, { config: { ...base, url: 'u'.repeat(LIMITS.configValueChars + 1) } });
      expectRefused(reconfigure, 400, 'invalid_request', 'config.url', `must be at most ${LIMITS.configValueChars} characters`);
    });

    it('keeps one installation per workflow per user, however often it is installed', async () => {
      const { s, me } = await setup();
      for (let i = 0; i < 20; i++) {
        const res = await me('POST', '/me/installations', { integrationId: 'vault', config: { url: `https://v${i}.test`, apiToken: 't' } });
        expect(res.status).toBe(201);
      }
      expect(await countRows(s, 'installations')).toBe(1);
    });
  });

  describe('app events from the browser', () => {
    it(`refuses event data over ${LIMITS.eventDataBytes} bytes of JSON on both paths, recording nothing; the ISV's events are bounded by the body limit only`, async () => {
      const { s, userId, me } = await setup();
      const big = { ...ticket, description: 'd'.repeat(NEAR_BODY_LIMIT) };
      const message = `must be at most ${LIMITS.eventDataBytes} bytes of JSON`;
      for (const path of ['/me/events/Ticket%20Created', '/plugins/appmixer/utils/appevents/events/Ticket%20Created']) {
        expectRefused(await me('POST', path, big), 400, 'invalid_request', '(root)', message);
      }
      const justOver = { ...ticket, description: 'd'.repeat(LIMITS.eventDataBytes) };
      expectRefused(await me('POST', '/me/events/Ticket%20Created', justOver), 400, 'invalid_request', '(root)', message);
      expect(await countRows(s, 'events')).toBe(0);

      expect((await me('POST', '/me/events/Ticket%20Created', { ...ticket, description: 'd'.repeat(LIMITS.eventDataBytes - 200) })).status).toBe(200);
      expect((await s.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: justOver } })).status).toBe(200);
    });

    it('refuses an Idempotency-Key over 255 characters from the browser', async () => {
      const { s, me } = await setup();
      const res = await me('POST', '/me/events/Ticket%20Created', ticket, { 'Idempotency-Key': 'k'.repeat(256) });
      expectRefused(res, 400, 'invalid_request', 'Idempotency-Key', 'invalid');
      expect(await countRows(s, 'events')).toBe(0);
    });
  });
});

describe(`the bounds are documented (${storeKind})`, () => {
  it('states each bound in the OpenAPI document, and documents both delete routes', async () => {
    const server = await startTestServer();
    try {
      const doc = (await server.request('GET', '/openapi.json', { apiKey: null })).body;
      const body = (path: string, method = 'post') => JSON.stringify(doc.paths[path][method].requestBody.content['application/json'].schema);
      expect(body('/me/credentials')).toContain(
        `each at most ${LIMITS.credentialValueChars} characters; the whole at most ${LIMITS.credentialDataBytes} bytes of JSON. At most ${LIMITS.credentialsPerApp} credentials per user per app`,
      );
      expect(body('/headless/credentials')).toContain(`each at most ${LIMITS.credentialValueChars} characters`);
      expect(body('/me/installations')).toContain(
        `at most ${LIMITS.configValueChars} characters; a multiselect at most ${LIMITS.configItems} items; the whole at most ${LIMITS.configBytes} bytes of JSON`,
      );
      expect(body('/headless/completeInstallation')).toContain(`at most ${LIMITS.configValueChars} characters`);
      expect(body('/me/installations/{installationId}', 'put')).toContain(`at most ${LIMITS.configValueChars} characters`);
      expect(body('/me/events/{event}')).toContain(`at most ${LIMITS.eventDataBytes} bytes of JSON`);
      expect(doc.paths['/me/credentials/{credentialId}'].delete.security).toEqual([{ userToken: [] }]);
      // One OpenAPI path with the Node SDK's GET /users/{userId}/credentials/{credentialName}, whose parameter name it takes.
      expect(doc.paths['/users/{userId}/credentials/{credentialName}'].delete.security).toEqual([{ apiKey: [] }]);
    } finally {
      await server.close();
    }
  });
});

describe(`deleting a credential (${storeKind})`, () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function setup() {
    server = await startTestServer();
    const userId = await createUser(server, 'ann');
    const token = await userToken(server, userId);
    const me = (method: string, url: string, body?: unknown) => server!.request(method, url, { token, body });
    return { s: server, userId, me };
  }

  it('deletes the user’s unused credential with its secret: the row is gone and installing with it is a 404', async () => {
    const { s, userId, me } = await setup();
    const credentialId = await addCredential(s, userId, 'slack', { botToken: 'xoxb-gone' });
    expect((await me('GET', '/me/integrations/slack')).body.credentials).toEqual([
      { credentialId, app: 'slack', displayName: 'Northwind Traders', status: 'healthy', lastError: null, lastErrorAt: null, inUse: false },
    ]);

    const res = await me('DELETE', `/me/credentials/${credentialId}`);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect(await countRows(s, 'credentials', 'id = ?', [credentialId])).toBe(0);
    expect((await me('GET', '/me/integrations/slack')).body.credentials).toEqual([]);
    const install = await me('POST', '/me/installations', { integrationId: 'slack', credentialId, config: { channel: 'C1' } });
    expect(install.status).toBe(404);
    expect((await me('DELETE', `/me/credentials/${credentialId}`)).status).toBe(404);
  });

  it('answers 409 naming the installations that use a credential, keeps it, and deletes it once they are uninstalled', async () => {
    const { s, userId, me } = await setup();
    const credentialId = await addCredential(s, userId, 'slack', { botToken: 'xoxb-used' });
    const installed = await me('POST', '/me/installations', { integrationId: 'slack', credentialId, config: { channel: 'C1' } });
    const installationId = installed.body.installationId as string;
    expect((await me('GET', '/me/integrations/slack')).body.credentials).toEqual([
      { credentialId, app: 'slack', displayName: 'Northwind Traders', status: 'healthy', lastError: null, lastErrorAt: null, inUse: true },
    ]);

    const res = await me('DELETE', `/me/credentials/${credentialId}`);

    expect(res.status).toBe(409);
    expect(res.body.error).toEqual({
      code: 'conflict',
      message: `The credential "${credentialId}" is in use by installations ${installationId}: uninstall them or give them another account first`,
      details: [{ path: 'credentialId', message: `used by installation ${installationId} (workflow slack-ticket-created)` }],
    });
    expect(await countRows(s, 'credentials', 'id = ?', [credentialId])).toBe(1);

    expect((await me('DELETE', `/me/installations/${installationId}`)).status).toBe(200);
    expect((await me('DELETE', `/me/credentials/${credentialId}`)).status).toBe(200);
    expect(await countRows(s, 'credentials', 'id = ?', [credentialId])).toBe(0);
  });

  it('answers 404 for another user’s credential and leaves it alone', async () => {
    const { s, me } = await setup();
    const bob = await createUser(s, 'bob');
    const bobs = await addCredential(s, bob, 'slack', { botToken: 'xoxb-bob' });

    const res = await me('DELETE', `/me/credentials/${bobs}`);

    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: 'not_found', message: `No credential "${bobs}" for this user` });
    expect(await countRows(s, 'credentials', 'id = ?', [bobs])).toBe(1);
  });

  it('deletes through the ISV route DELETE /users/:userId/credentials/:credentialId also one in use (as Alloy does), with the same 404', async () => {
    const { s, userId, me } = await setup();
    const unused = await addCredential(s, userId, 'slack', { botToken: 'xoxb-1' });
    const used = await addCredential(s, userId, 'slack', { botToken: 'xoxb-2' });
    await me('POST', '/me/installations', { integrationId: 'slack', credentialId: used, config: { channel: 'C1' } });

    const res = await s.request('DELETE', `/users/${userId}/credentials/${unused}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect(await countRows(s, 'credentials', 'id = ?', [unused])).toBe(0);

    // The end user's own route still refuses one in use…
    expect((await me('DELETE', `/me/credentials/${used}`)).status).toBe(409);
    const bob = await createUser(s, 'bob');
    expect((await s.request('DELETE', `/users/${bob}/credentials/${used}`)).status).toBe(404);
    expect((await s.request('DELETE', `/users/nobody/credentials/${used}`)).body.error).toEqual({ code: 'not_found', message: 'No user with id or username "nobody"' });
    expect(await countRows(s, 'credentials', 'id = ?', [used])).toBe(1);
    // …the ISV's deletes it, and the installation then needs an account again.
    const inUse = await s.request('DELETE', `/users/ann/credentials/${used}`);
    expect(inUse.status).toBe(200);
    expect(inUse.body).toEqual({ success: true });
    expect(await countRows(s, 'credentials', 'id = ?', [used])).toBe(0);
    expect((await me('GET', '/me/installations')).body.data).toEqual([expect.objectContaining({ credentialIds: [used], needsReconnect: true })]);
  });
});
