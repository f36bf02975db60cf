import { afterEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../../demo/fakes/slack';
import { createUser, startTestServer, storeKind, userToken, type TestServer } from '../../helpers/server';

const CLIENT = { clientId: 'client-123', clientSecret: 'client-secret-456' };
const ORIGIN = 'https://app.acme.test';

/**
 * The sweep that refreshes OAuth tokens ahead of their expiry (OAUTH_REFRESH_AHEAD_MS), driven a
 * round at a time (`sweep()`) instead of waiting for its timer.
 */
describe(`refreshing OAuth tokens ahead of expiry (${storeKind})`, () => {
  let provider: FakeSlack;
  let server: TestServer;
  afterEach(async () => {
    await server?.close();
    await provider?.close();
  });

  async function connectSlack(oauth: { clientId: string; clientSecret: string; expiresIn: number }) {
    provider = await startFakeSlack({ oauth });
    server = await startTestServer({
      env: {
        WORKERS: 'on',
        OAUTH_REFRESH_AHEAD_MS: '600000',
        SLACK_CLIENT_ID: CLIENT.clientId,
        SLACK_CLIENT_SECRET: CLIENT.clientSecret,
        SLACK_OAUTH_URL: provider.authorizeUrl,
        SLACK_API_URL: provider.url,
      },
    });
    const userId = await createUser(server, 'sweep-user');
    const token = await userToken(server, userId);
    const started = await server.request('POST', '/me/oauth/slack/start', { token, body: { origin: `${ORIGIN}/settings` } });
    const url = new URL(started.body.beginUrl);
    const begun = await server.request('POST', `${url.pathname}${url.search}`, { apiKey: null, headers: { origin: ORIGIN } });
    const back = new URL((await fetch(begun.headers.get('location')!, { redirect: 'manual' })).headers.get('location')!);
    const cookie = begun.headers.get('set-cookie')!.split(';')[0]!;
    const callback = await server.request('GET', `${back.pathname}${back.search}`, { apiKey: null, headers: { cookie } });
    const credentialId = callback.body.match(/"credentialId":"([0-9a-f]+)"/)![1]!;
    const credential = async () => (await server.request('GET', `/credentials/users/${userId}`)).body.data.find((c: any) => c.credentialId === credentialId);
    return { userId, credentialId, credential };
  }

  it('refreshes a token that expires within the window once, and not again while the new one lasts', async () => {
    const oauth = { ...CLIENT, expiresIn: 300 }; // five minutes: inside the ten-minute window
    const { credential } = await connectSlack(oauth);
    const before = await credential();
    oauth.expiresIn = 43_200; // the refreshed token lasts twelve hours, as Slack's do
    await server.services.engine.sweep!.sweep();
    expect(provider.grants).toEqual(['authorization_code', 'refresh_token']);
    const after = await credential();
    expect(after).toMatchObject({ status: 'healthy', lastError: null });
    expect(Date.parse(after.expiresAt) - Date.parse(before.expiresAt)).toBeGreaterThan(40_000 * 1000);
    // The next round finds nothing due.
    await server.services.engine.sweep!.sweep();
    expect(provider.grants).toEqual(['authorization_code', 'refresh_token']);
  });

  it('leaves a token that lasts beyond the window alone', async () => {
    const { credential } = await connectSlack({ ...CLIENT, expiresIn: 43_200 });
    await server.services.engine.sweep!.sweep();
    expect(provider.grants).toEqual(['authorization_code']);
    expect(await credential()).toMatchObject({ status: 'healthy' });
  });

  it('leaves a token without a refresh token alone while it works, and does not mark the account', async () => {
    const { credentialId, credential } = await connectSlack({ ...CLIENT, expiresIn: 300 });
    const tokens = { accessToken: 'xoxe-no-refresh', expiresAt: Date.now() + 300_000 };
    await server.services.store.db.run('UPDATE credentials SET secret = ? WHERE id = ?', [server.services.vault.encrypt(JSON.stringify(tokens)), credentialId]);
    await server.services.engine.sweep!.sweep();
    await server.services.engine.sweep!.sweep();
    expect(provider.grants).toEqual(['authorization_code']);
    expect(await credential()).toMatchObject({ status: 'healthy', lastError: null });
  });

  it('marks the account needs_reconnect when the provider refuses the refresh token, before any execution needs it', async () => {
    const { credentialId, userId, credential } = await connectSlack({ ...CLIENT, expiresIn: 300 });
    // The stored refresh token is one Slack no longer knows (the user revoked the app there).
    const tokens = { accessToken: 'xoxe-old', refreshToken: 'xoxe-1-unknown', expiresAt: Date.now() + 300_000 };
    await server.services.store.db.run('UPDATE credentials SET secret = ? WHERE id = ?', [server.services.vault.encrypt(JSON.stringify(tokens)), credentialId]);
    await server.services.engine.sweep!.sweep();
    expect(await credential()).toMatchObject({ status: 'needs_reconnect', lastError: 'Slack refused the refresh: invalid_refresh_token', lastErrorAt: expect.any(String) });
    const detail = await server.request('GET', `/integrations/slack?userId=${userId}`);
    expect(detail.body.data.credentials[0]).toMatchObject({ credentialId, status: 'needs_reconnect' });
  });
});
