import { afterAll, describe, expect, it } from 'vitest';
import { startOAuthSlack, type OAuthSlack } from '../fakes/oauth-slack';
import { servedInBrowser } from '../helpers/browser';
import { startHookSink, type HookSink } from '../helpers/hook-sink';
import { approveAtOnce, connectThroughOAuth } from '../helpers/oauth';
import { waitUntil } from '../helpers/process';
import { createUser, userToken } from '../helpers/server';

const SECRET = `whsec_${Buffer.from('reconnect-e2e-webhook-secret-32b').toString('base64')}`;
const WORKFLOW = 'slack-ticket-created';

interface Execution {
  executionId: string;
  status: string;
  attempts: number;
  error: string | null;
}

// Issue 19, end to end: Slack refuses the refresh of an OAuth account (invalid_grant), the account
// needs reconnecting and the executions waiting for it fail; the user reconnects it in the built
// widget through the OAuth popup in Chromium, and the failed executions, re-run, reach Slack.
describe('reconnecting an OAuth account Slack refused to refresh, in the built widget', () => {
  let slack: OAuthSlack;
  let sink: HookSink;
  afterAll(async () => {
    await sink?.close();
    await slack?.close();
  });
  const served = servedInBrowser(async () => {
    slack = await startOAuthSlack({ teams: [{ id: 'T0ACME', name: 'Acme', channels: ['C1'] }] });
    sink = await startHookSink(SECRET);
    return {
      env: {
        ...slack.env(),
        ALLOY_WEBHOOK_SECRET: SECRET,
        ALLOY_EVENTS_WEBHOOK_URL: `${sink.url}/alloy-events`,
        ALLOY_ALLOW_PRIVATE_URLS: 'true',
        WORKERS: 'on',
      },
    };
  });

  /** The executions of `ids` as the logs API shows them, once every one of them has `status`. */
  async function executionsOnceAll(userId: string, ids: string[], status: string): Promise<Execution[]> {
    let seen: Execution[] = [];
    await waitUntil(
      async () => {
        const logs = await served.server.request('GET', `/workflows/${WORKFLOW}/logs?userId=${userId}&limit=100`);
        seen = (logs.body.data as Execution[]).filter((e) => ids.includes(e.executionId));
        return seen.length === ids.length && seen.every((e) => e.status === status);
      },
      15_000,
      () => `not all ${status}: ${JSON.stringify(seen.map((e) => [e.status, e.error]))}`,
    );
    return seen;
  }

  it('fails the executions with needs_reconnect, tells the ISV once; a reconnect through the popup recovers the same account and re-runs deliver', async () => {
    const { server, http, browser } = served;
    const userId = await createUser(server, 'reconnect-oauth-e2e');
    const token = await userToken(server, userId);
    const credentialId = await connectThroughOAuth(server.request, { token, app: 'slack', approve: (authorize) => approveAtOnce(authorize) });
    const installed = await server.request('POST', '/me/installations', { token, body: { integrationId: 'slack', credentialId, config: { channel: 'C1' } } });
    expect(installed.status, JSON.stringify(installed.body)).toBe(201);
    const credentials = async () => {
      const listed = await server.request('GET', `/credentials/users/${userId}`);
      return listed.body.data as Array<{ credentialId: string; status: string; lastError: string | null }>;
    };
    const installations = async () => (await server.request('GET', `/installations?userId=${userId}`)).body.data as Array<{ installationId: string; needsReconnect: boolean }>;
    const installedThen = await installations();

    // The access token lapses (the store says it expired a minute ago; Slack refuses it from now
    // on), and Slack refuses its refresh token: RFC 6749's 400 invalid_grant.
    expect(await server.services.store.db.all('UPDATE credentials SET expires_at = ? WHERE id = ? RETURNING id', [Date.now() - 60_000, credentialId])).toEqual([
      { id: credentialId },
    ]);
    slack.expireAccessTokens();
    slack.failTokenRequests('invalid_grant', Infinity);
    const tickets = ['T-1', 'T-2', 'T-3'];
    const runs = await Promise.all(
      tickets.map((ticketName) =>
        server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: { ticketName, customerEmail: 'a@b.co', description: 'd' } } }),
      ),
    );
    for (const run of runs) expect(run.status, JSON.stringify(run.body)).toBe(200);
    const ids = runs.flatMap((run) => run.body.executionIds as string[]);
    expect(ids).toHaveLength(tickets.length);

    const failed = await executionsOnceAll(userId, ids, 'failed');
    for (const execution of failed) expect(execution).toMatchObject({ attempts: 1, error: expect.stringMatching(/^needs_reconnect: /) });
    expect(slack.refreshRequests()).toEqual([{ grant: 'refresh_token', refreshToken: slack.issued[0]!.refreshToken, answer: 'invalid_grant' }]);
    expect(slack.messages).toEqual([]);
    const [refused] = await credentials();
    expect(refused).toMatchObject({ credentialId, status: 'needs_reconnect', lastError: expect.stringMatching(/invalid_grant/) });
    await waitUntil(
      () => sink.requests.some((r) => r.json.type === 'credential.needs_reconnect'),
      10_000,
      () => `no credential.needs_reconnect among ${sink.requests.length} messages`,
    );
    expect(sink.verified('credential.needs_reconnect').map((r) => r.json.data)).toEqual([
      expect.objectContaining({ userId, credentialId, app: 'slack', status: 'needs_reconnect' }),
    ]);
    // The installation shows its account needs the user.
    expect((await installations()).map((i) => [i.installationId, i.needsReconnect])).toEqual([[installedThen[0]!.installationId, true]]);

    // Slack takes sign-ins again; the user reconnects the account from the integrations page.
    slack.stopFailing();
    const page = await browser.newPage();
    await page.route('**/host-page', (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Host</title><main id="integrations"></main><script src="/widget/alloy.js"></script>' }),
    );
    await page.goto(`${http.url}/host-page`);
    await page.evaluate((t) => (window as any).Alloy.setToken(t), token);
    await page.evaluate(() => (window as any).Alloy.renderIntegrations(document.getElementById('integrations')));
    const account = page.getByRole('listitem', { name: 'Slack' }).getByRole('group', { name: 'Acme' });
    await account.getByText('Reconnect needed').waitFor();
    await account.getByText(refused!.lastError!, { exact: false }).waitFor();
    await account.getByRole('button', { name: 'Reconnect' }).click();

    const dialog = page.getByRole('dialog');
    const [popup] = await Promise.all([page.waitForEvent('popup'), dialog.getByRole('button', { name: 'Connect with Slack' }).click()]);
    // The fake Slack approves at once; the callback page posts the result to the widget and closes.
    await popup.waitForEvent('close', { timeout: 10_000 }).catch(() => undefined);
    expect(popup.isClosed()).toBe(true);
    await dialog.getByRole('heading', { name: 'Slack is ready' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    // The page reloaded: nothing to reconnect any more.
    await expect.poll(() => account.count()).toBe(0);
    await page.close();

    // The same account, healthy with the tokens of the new sign-in; its installation kept as it was.
    const reconnected = slack.latest()!;
    expect(reconnected.grant).toBe('authorization_code');
    expect(slack.issued).toHaveLength(2);
    expect(await credentials()).toEqual([expect.objectContaining({ credentialId, status: 'healthy', lastError: null })]);
    // No reinstall: the installation is the one installed, as it was then (its account healthy again).
    expect(await installations()).toEqual(installedThen);

    await waitUntil(
      () => sink.requests.some((r) => r.json.type === 'credential.recovered'),
      10_000,
      () => `no credential.recovered among ${sink.requests.length} messages`,
    );
    expect(sink.verified('credential.recovered').map((r) => r.json.data)).toEqual([expect.objectContaining({ userId, credentialId, app: 'slack', status: 'healthy' })]);
    // The recovery came after the refusal: had a second needs_reconnect been sent, it would be here by now.
    expect(sink.verified('credential.needs_reconnect')).toHaveLength(1);
    const stored = await server.services.store.db.all<{ n: number }>("SELECT COUNT(*) AS n FROM webhook_messages WHERE type = 'credential.needs_reconnect'");
    expect(stored).toEqual([{ n: 1 }]);

    // Each failed execution, re-run, reaches Slack with the new access token.
    for (const executionId of ids) {
      const rerun = await server.request('POST', `/workflows/${WORKFLOW}/rerun/${executionId}`);
      expect(rerun.status, JSON.stringify(rerun.body)).toBe(200);
      expect(rerun.body).toEqual({ success: true, executionId, status: 'queued' });
    }
    await executionsOnceAll(userId, ids, 'succeeded');
    expect(slack.messages).toHaveLength(tickets.length);
    expect(new Set(slack.messages.map((m) => m.token))).toEqual(new Set([reconnected.accessToken]));
    for (const ticketName of tickets) expect(slack.messages.filter((m) => m.text.includes(ticketName))).toHaveLength(1);
    // Nothing tried the refused refresh token again.
    expect(slack.refreshRequests()).toHaveLength(1);
  }, 60_000);
});
