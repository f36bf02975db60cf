import { afterEach, describe, expect, it } from 'vitest';
import { definitionsWith, vaultIntegration } from '../helpers/definitions';
import { addCredential, countRows, installHeadless } from '../helpers/flows';
import { createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';

describe(`headless installation (${storeKind})`, () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const start = (s: TestServer, body: Record<string, unknown>) => s.request('POST', '/headless/startInstallation', { body });
  const complete = (s: TestServer, body: Record<string, unknown>) => s.request('POST', '/headless/completeInstallation', { body });

  describe('POST /headless/credentials', () => {
    it('stores the credential encrypted: the plaintext is nowhere in the row', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');

      const res = await server.request('POST', '/headless/credentials', {
        body: { userId, credential: { type: 'slack', data: { botToken: 'xoxb-plaintext-4242' } } },
      });

      expect(res.status).toBe(201);
      expect(res.body).toEqual({ success: true, credentialId: expect.stringMatching(/^[0-9a-f]{24}$/) });
      const row = await server.services.store.db.get<Record<string, unknown>>('SELECT * FROM credentials WHERE id = ?', [res.body.credentialId]);
      expect(row).toMatchObject({ user_id: userId, app: 'slack', type: 'apiKey', status: 'healthy' });
      expect(String(row!.secret)).toMatch(/^v1\./);
      expect(JSON.stringify(row)).not.toContain('xoxb-plaintext-4242');
      // …and it opens back to the data that was sent.
      expect(JSON.parse(server.services.vault.decrypt(String(row!.secret)))).toEqual({ botToken: 'xoxb-plaintext-4242' });
    });

    it('answers 400 naming credential.data.botToken when the Slack data lacks it', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await server.request('POST', '/headless/credentials', { body: { userId, credential: { type: 'slack', data: { token: 'x' } } } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message).toBe('Invalid Slack credential: credential.data.botToken: required; credential.data: Unrecognized key: "token"');
      expect(res.body.error.details).toEqual([
        { path: 'credential.data.botToken', message: 'required' },
        { path: 'credential.data', message: 'Unrecognized key: "token"' },
      ]);
    });

    it('answers 400 naming credential.data.accountId when the NetSuite account id is not one, and stores nothing', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const netsuite = (accountId: string) =>
        server!.request('POST', '/headless/credentials', {
          body: { userId, credential: { type: 'netsuite', data: { accountId, consumerKey: 'ck', consumerSecret: 'cs', tokenId: 'tk', tokenSecret: 'ts' } } },
        });

      // Anything that would make the default host https://<id>.suitetalk.api.netsuite.com another one.
      for (const accountId of [
        'attacker.example',
        '1234567.attacker.example/x',
        '1234567@attacker.example',
        'attacker.example:443#',
        '127.0.0.1',
        'a b',
        '-1234567',
        '1234567_',
        'a'.repeat(64),
      ]) {
        const res = await netsuite(accountId);
        expect(res.status, accountId).toBe(400);
        expect(res.body.error).toEqual({
          code: 'invalid_request',
          message: 'Invalid NetSuite credential: credential.data.accountId: must be a NetSuite account id: letters, digits, "_" and "-", such as 1234567 or 1234567_SB1',
          details: [{ path: 'credential.data.accountId', message: 'must be a NetSuite account id: letters, digits, "_" and "-", such as 1234567 or 1234567_SB1' }],
        });
      }
      expect(await server.services.store.credentials.list(userId)).toEqual([]);

      // Real ids, as NetSuite shows them or as in its hostnames, are taken (trimmed).
      for (const accountId of ['1234567', '1234567_SB1', ' 1234567_SB1 ', 'TSTDRV1234567', '1234567-sb1']) {
        expect((await netsuite(accountId)).status, accountId).toBe(201);
      }
      expect(await server.services.store.credentials.list(userId)).toHaveLength(5);
    });

    it('answers 400 naming credential.data.botToken when it is blank', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await server.request('POST', '/headless/credentials', { body: { userId, credential: { type: 'slack', data: { botToken: '  ' } } } });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'credential.data.botToken', message: 'Bot token is required' }]);
      expect(await server.services.store.credentials.list(userId)).toEqual([]);
    });

    it('answers 404 for an unknown app', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await server.request('POST', '/headless/credentials', { body: { userId, credential: { type: 'woocommerce', data: { apiKey: 'k' } } } });
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({
        code: 'not_found',
        message: expect.stringMatching(/^No app "woocommerce" \(known: slack, bigcommerce, netsuite\b/),
        details: [{ path: 'credential.type', message: 'unknown app' }],
      });
    });

    it('answers 400 for an app that takes no API-key credential', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await server.request('POST', '/headless/credentials', { body: { userId, credential: { type: 'streamData', data: {} } } });
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({ code: 'invalid_request', message: 'Stream Data takes no API-key credential: it needs no account' });
    });

    it('answers 404 for an unknown user', async () => {
      server = await startTestServer();
      const res = await server.request('POST', '/headless/credentials', { body: { userId: 'ghost', credential: { type: 'slack', data: { botToken: 'x' } } } });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    });
  });

  describe('POST /headless/startInstallation', () => {
    it('returns a pending installation with the workflows’ fields and the account forms', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');

      const res = await start(server, { userId, integrationId: 'slack' });

      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ installationId: expect.stringMatching(/^[0-9a-f]{24}$/), integrationId: 'slack', credentialRequired: true });
      expect(res.body.auth.map((a: any) => a.type)).toEqual(['apiKey']);
      expect(res.body.workflows).toEqual([
        {
          workflowId: 'slack-ticket-created',
          name: 'Post to Slack when a ticket is created',
          fields: [expect.objectContaining({ name: 'channel', type: 'select', required: true })],
        },
      ]);
      const expiresIn = Date.parse(res.body.expiresAt) - Date.now();
      expect(expiresIn).toBeGreaterThan(59 * 60 * 1000);
      expect(expiresIn).toBeLessThanOrEqual(60 * 60 * 1000);
    });

    it('needs no credential once one is given', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const credentialId = await addCredential(server, userId, 'slack', { botToken: 'xoxb-1' });
      const res = await start(server, { userId, integrationId: 'slack', credentialId });
      expect(res.status).toBe(200);
      expect(res.body.credentialRequired).toBe(false);
    });

    it('limits the fields to the workflows asked for', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await start(server, { userId, integrationId: 'bigcommerce', workflowIds: ['bigcommerce-fulfillment-updated'] });
      expect(res.status).toBe(200);
      expect(res.body.workflows.map((w: any) => w.workflowId)).toEqual(['bigcommerce-fulfillment-updated']);
      expect(res.body.workflows[0].fields).toEqual([
        {
          name: 'staffNote',
          label: 'Staff note added to the order',
          type: 'text',
          required: false,
          description: "Written to the order's staff notes on each status update (optional).",
        },
      ]);
    });

    it('answers 404 for an unknown integration', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await start(server, { userId, integrationId: 'woocommerce' });
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'not_found', message: 'No integration "woocommerce" (known: bigcommerce, hubspot, jira, netsuite, slack, stream-heartbeat)' });
    });

    it('answers 404 naming the workflow that is not part of the integration', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await start(server, { userId, integrationId: 'bigcommerce', workflowIds: ['bigcommerce-order-created', 'slack-ticket-created'] });
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({
        code: 'not_found',
        message: 'Workflow "slack-ticket-created" is not part of integration "bigcommerce"',
        details: [{ path: 'workflowIds.1', message: 'not in this integration' }],
      });
    });

    it('answers 404 for a credential of another user', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      const bobs = await addCredential(server, bob, 'slack', { botToken: 'xoxb-bob' });
      const res = await start(server, { userId: ann, integrationId: 'slack', credentialId: bobs });
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'not_found', message: `No credential "${bobs}" for this user`, details: [{ path: 'credentialId', message: 'not found' }] });
    });

    it('answers 400 for a credential of another app, before any field is collected', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const bigcommerce = await addCredential(server, userId, 'bigcommerce', { storeHash: 'h', accessToken: 't' });
      const res = await start(server, { userId, integrationId: 'slack', credentialId: bigcommerce });
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({
        code: 'invalid_request',
        message: `Credential "${bigcommerce}" is for bigcommerce, not Slack`,
        details: [{ path: 'credentialId', message: 'expected a Slack credential' }],
      });
      expect(await countRows(server, 'pending_installations')).toBe(0);
    });

    it('answers 400 naming integrationId when it is missing', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await start(server, { userId });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'integrationId', message: 'required' }]);
    });
  });

  describe('POST /headless/completeInstallation', () => {
    it('installs the workflows, answering with the pending id as the installation id', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const credentialId = await addCredential(server, userId, 'slack', { botToken: 'xoxb-1' });
      const started = await start(server, { userId, integrationId: 'slack', credentialId });

      const res = await complete(server, { userId, installationId: started.body.installationId, data: { channel: 'C123' } });

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        message: 'Installation completed successfully',
        success: true,
        installationId: started.body.installationId,
        workflowIds: ['slack-ticket-created'],
        installations: [
          {
            installationId: started.body.installationId,
            userId,
            integrationId: 'slack',
            workflowId: 'slack-ticket-created',
            version: 1,
            active: true,
            config: { channel: 'C123' },
            credentialIds: [credentialId],
            webhookUrl: null,
            installedAt: expect.any(String),
            updatedAt: expect.any(String),
            needsReconnect: false,
            connection: { credentialId, app: 'slack', displayName: 'Northwind Traders', status: 'healthy', lastError: null, lastErrorAt: null },
          },
        ],
        signingSecrets: [],
      });
      // The pending installation is used up.
      const again = await complete(server, { userId, installationId: started.body.installationId, data: { channel: 'C123' } });
      expect(again.status).toBe(404);
    });

    it('answers 400 naming data.channel when a required field is missing, and installs nothing', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const credentialId = await addCredential(server, userId, 'slack', { botToken: 'xoxb-1' });
      const started = await start(server, { userId, integrationId: 'slack', credentialId });

      const res = await complete(server, { userId, installationId: started.body.installationId, data: {} });

      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({
        code: 'invalid_request',
        message: expect.stringMatching(/^Invalid configuration for "Post to Slack when a ticket is created": data\.channel: /),
        details: [{ path: 'data.channel', message: 'required' }],
      });
      expect(await server.services.store.installations.list(userId)).toEqual([]);
      // The pending installation survives the mistake: it can be completed after fixing it.
      const fixed = await complete(server, { userId, installationId: started.body.installationId, data: { channel: 'C1' } });
      expect(fixed.status).toBe(200);
    });

    it('answers 400 for a select value that is not one of the options', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const credentialId = await addCredential(server, userId, 'netsuite', { accountId: 'A', consumerKey: 'k', consumerSecret: 's', tokenId: 't', tokenSecret: 'ts' });
      const started = await start(server, { userId, integrationId: 'netsuite', credentialId });

      const res = await complete(server, { userId, installationId: started.body.installationId, data: { subsidiary: '3' } });

      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details).toEqual([{ path: 'data.subsidiary', message: expect.stringContaining('"1"|"2"') }]);
    });

    it('answers 400 naming a field of the wrong type', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const credentialId = await addCredential(server, userId, 'bigcommerce', { storeHash: 'h', accessToken: 't' });
      const started = await start(server, { userId, integrationId: 'bigcommerce', credentialId, workflowIds: ['bigcommerce-fulfillment-updated'] });
      const res = await complete(server, { userId, installationId: started.body.installationId, data: { staffNote: 5 } });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'data.staffNote', message: expect.stringContaining('expected string') }]);
    });

    it('answers 404 for an unknown installation id', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await complete(server, { userId, installationId: 'ffffffffffffffffffffffff', data: {} });
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({
        code: 'not_found',
        message: 'No installation "ffffffffffffffffffffffff" in progress for this user (it may have expired; start again)',
        details: [{ path: 'installationId', message: 'not found or expired' }],
      });
    });

    it('answers 404 for an expired installation id', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const credentialId = await addCredential(server, userId, 'slack', { botToken: 'xoxb-1' });
      const started = await start(server, { userId, integrationId: 'slack', credentialId });
      await server.services.store.db.run('UPDATE pending_installations SET expires_at = ? WHERE id = ?', [Date.now() - 1, started.body.installationId]);

      const res = await complete(server, { userId, installationId: started.body.installationId, data: { channel: 'C1' } });

      expect(res.status).toBe(404);
      expect(res.body.error.details).toEqual([{ path: 'installationId', message: 'not found or expired' }]);
    });

    it('answers 404 for another user’s pending installation', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      const started = await start(server, { userId: ann, integrationId: 'slack' });
      const res = await complete(server, { userId: bob, installationId: started.body.installationId, data: { channel: 'C1' } });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    });

    it('answers 404 for another user’s credential given at completion', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      const bobs = await addCredential(server, bob, 'slack', { botToken: 'xoxb-bob' });
      const started = await start(server, { userId: ann, integrationId: 'slack' });

      const res = await complete(server, { userId: ann, installationId: started.body.installationId, credentialId: bobs, data: { channel: 'C1' } });

      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'not_found', message: `No credential "${bobs}" for this user`, details: [{ path: 'credentialId', message: 'not found' }] });
      expect(await server.services.store.installations.list(ann)).toEqual([]);
    });

    it('answers 400 for a credential of another app given at completion', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const bigcommerce = await addCredential(server, userId, 'bigcommerce', { storeHash: 'h', accessToken: 't' });
      const started = await start(server, { userId, integrationId: 'slack' });

      const res = await complete(server, { userId, installationId: started.body.installationId, credentialId: bigcommerce, data: { channel: 'C1' } });

      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({
        code: 'invalid_request',
        message: `Credential "${bigcommerce}" is for bigcommerce, not Slack`,
        details: [{ path: 'credentialId', message: 'expected a Slack credential' }],
      });
    });

    it('answers 400 naming credentialId when the app needs an account and the user has none', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const started = await start(server, { userId, integrationId: 'slack' });
      const res = await complete(server, { userId, installationId: started.body.installationId, data: { channel: 'C1' } });
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({
        code: 'invalid_request',
        message: 'Connect a Slack account first: credentialId is required',
        details: [{ path: 'credentialId', message: 'required' }],
      });
    });

    it('uses the user’s latest credential of the app when none is named', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      await addCredential(server, userId, 'slack', { botToken: 'xoxb-old' });
      const latest = await addCredential(server, userId, 'slack', { botToken: 'xoxb-new' });
      const body = await installHeadless(server, userId, 'slack', { data: { channel: 'C1' } });
      expect(body.installations[0].credentialIds).toEqual([latest]);
    });

    it('keeps the installation id on a reinstall and applies the new configuration', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const credentialId = await addCredential(server, userId, 'slack', { botToken: 'xoxb-1' });
      const first = await installHeadless(server, userId, 'slack', { credentialId, data: { channel: 'C1' } });

      const second = await installHeadless(server, userId, 'slack', { credentialId, data: { channel: 'C2' } });

      expect(second.installationId).toBe(first.installationId);
      expect(second.installations[0]).toMatchObject({ installationId: first.installationId, config: { channel: 'C2' }, active: true });
      const listed = await server.request('GET', `/installations?userId=${userId}`);
      expect(listed.body.data.map((i: any) => [i.installationId, i.config.channel])).toEqual([[first.installationId, 'C2']]);
    });

    it('keeps a stored secret field sent back as "[redacted]" or left out on a reinstall', async () => {
      server = await startTestServer({ definitions: () => definitionsWith([vaultIntegration]) });
      const userId = await createUser(server, 'ann');
      await installHeadless(server, userId, 'vault', { data: { url: 'https://a.test', apiToken: 'tok-original' } });
      const stored = async () => {
        const row = await server!.services.store.db.get<{ config: string }>('SELECT config FROM installations WHERE user_id = ?', [userId]);
        return JSON.parse(row!.config) as Record<string, any>;
      };
      const openToken = async () => server!.services.vault.decrypt((await stored()).apiToken.$secret);
      expect(await openToken()).toBe('tok-original');
      expect(JSON.stringify(await stored())).not.toContain('tok-original');

      const redacted = await installHeadless(server, userId, 'vault', { data: { url: 'https://b.test', apiToken: '[redacted]' } });
      expect(redacted.installations[0].config).toEqual({ url: 'https://b.test', apiToken: '[redacted]' });
      expect(await openToken()).toBe('tok-original');

      await installHeadless(server, userId, 'vault', { data: { url: 'https://c.test' } });
      expect(await openToken()).toBe('tok-original');
      expect((await stored()).url).toBe('https://c.test');

      await installHeadless(server, userId, 'vault', { data: { url: 'https://c.test', apiToken: 'tok-rotated' } });
      expect(await openToken()).toBe('tok-rotated');
    });

    it('answers 400 naming the secret field sent as "[redacted]" when nothing is stored to keep', async () => {
      server = await startTestServer({ definitions: () => definitionsWith([vaultIntegration]) });
      const userId = await createUser(server, 'ann');
      const started = await start(server, { userId, integrationId: 'vault' });
      expect(started.body.credentialRequired).toBe(false);

      const res = await complete(server, { userId, installationId: started.body.installationId, data: { url: 'https://a.test', apiToken: '[redacted]' } });

      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({
        code: 'invalid_request',
        message: 'Invalid configuration for "Forward records to the vault": no stored value of apiToken to keep; send the value',
        details: [{ path: 'data.apiToken', message: 'no stored value to keep; send the value' }],
      });
    });

    it('answers 400 naming data.apiToken when a first install leaves the required secret out', async () => {
      server = await startTestServer({ definitions: () => definitionsWith([vaultIntegration]) });
      const userId = await createUser(server, 'ann');
      const started = await start(server, { userId, integrationId: 'vault' });
      const res = await complete(server, { userId, installationId: started.body.installationId, data: { url: 'https://a.test' } });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'data.apiToken', message: 'required' }]);
    });
  });

  describe('GET /installations', () => {
    it('lists the user’s installations with secrets redacted, and nobody else’s', async () => {
      server = await startTestServer({ definitions: () => definitionsWith([vaultIntegration]) });
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      await installHeadless(server, ann, 'vault', { data: { url: 'https://a.test', apiToken: 'tok-ann', region: 'us' } });
      const credentialId = await addCredential(server, ann, 'slack', { botToken: 'xoxb-ann' });
      await installHeadless(server, ann, 'slack', { credentialId, data: { channel: 'C9' } });
      await installHeadless(server, bob, 'vault', { data: { url: 'https://b.test', apiToken: 'tok-bob' } });

      const res = await server.request('GET', `/installations?userId=${ann}`);

      expect(res.status).toBe(200);
      const rows = res.body.data.map((i: any) => [i.workflowId, i.userId, i.config]).sort((a: any, b: any) => a[0].localeCompare(b[0]));
      expect(rows).toEqual([
        ['slack-ticket-created', ann, { channel: 'C9' }],
        ['vault-forward', ann, { url: 'https://a.test', apiToken: '[redacted]', region: 'us' }],
      ]);
      expect(JSON.stringify(res.body)).not.toContain('tok-');
    });

    it('lists every user’s installations when userId is left out, as Alloy’s account-wide list does', async () => {
      server = await startTestServer({ definitions: () => definitionsWith([vaultIntegration]) });
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      await installHeadless(server, ann, 'vault', { data: { url: 'https://a.test', apiToken: 'tok-ann', region: 'us' } });
      await installHeadless(server, bob, 'vault', { data: { url: 'https://b.test', apiToken: 'tok-bob' } });

      const res = await server.request('GET', '/installations');

      expect(res.status).toBe(200);
      expect(res.body.data.map((i: any) => i.userId).sort()).toEqual([ann, bob].sort());
      expect(JSON.stringify(res.body)).not.toContain('tok-');
    });

    it('answers 404 for an unknown userId', async () => {
      server = await startTestServer();
      const res = await server.request('GET', '/installations?userId=nobody');
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    });
  });
});
