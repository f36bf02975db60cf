import { afterAll, describe, expect, it } from 'vitest';
import { startFakeSlack } from '../../demo/fakes/slack';
import { listen, servedInBrowser } from '../helpers/browser';
import { createUser, startTestServer } from '../helpers/server';

// The hosted install page in a real browser: the flow an ISV without the widget links its users to.
describe('the hosted install page', () => {
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  afterAll(async () => {
    await slack?.close();
  });
  const served = servedInBrowser(async () => {
    slack = await startFakeSlack();
    slack.channels.splice(0, slack.channels.length, { id: 'C100', name: 'support' }, { id: 'C200', name: 'sales' });
    return { env: { WORKERS: 'on', SLACK_API_URL: slack.url } };
  });

  it('connects Slack with a bot token, offers its channels, installs, and the next ticket reaches the channel', async () => {
    const { server, http, browser } = served;
    const userId = await createUser(server, 'hosted');
    const link = await fetch(`${http.url}/users/${userId}/integrations/slack/install-url`, { headers: { authorization: 'bearer test_api_key_0123456789abcdef' } });
    const { url } = (await link.json()) as { url: string };
    const page = await browser.newPage();
    await page.goto(url);
    await page.getByRole('heading', { name: 'Connect Slack' }).waitFor();
    await page.getByLabel('Bot token').fill('xoxb-hosted-1');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    const channel = page.getByLabel('Slack channel');
    await channel.waitFor();
    expect(await channel.locator('option').allTextContents()).toEqual(['Choose…', '#support', '#sales']);
    await channel.selectOption('C200');
    await page.getByRole('button', { name: 'Install' }).click();
    await page.getByRole('status').filter({ hasText: 'Slack is installed' }).waitFor();

    await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: { ticketName: 'Printer on fire', customerEmail: 'ann@acme.test', description: 'Smoke' } } });
    for (let i = 0; i < 100 && slack.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]).toMatchObject({ channel: 'C200', token: 'xoxb-hosted-1' });
    expect(slack.messages[0]!.text).toContain('Printer on fire');
    expect(slack.messages[0]!.text).toContain('ann@acme.test');
    await page.close();
  });

  it('connects Slack through the OAuth popup, begun by a form the page posts with its own origin', async () => {
    const { browser } = served;
    const provider = await startFakeSlack({ oauth: { clientId: 'hosted-client', clientSecret: 'hosted-secret' } });
    const oauthServer = await startTestServer({ env: { SLACK_API_URL: provider.url, SLACK_CLIENT_ID: 'hosted-client', SLACK_CLIENT_SECRET: 'hosted-secret', SLACK_OAUTH_URL: provider.authorizeUrl } });
    const oauthHttp = await listen(oauthServer);
    const context = await browser.newContext();
    try {
      const userId = await createUser(oauthServer, 'hosted-oauth');
      const { url } = (await oauthServer.request('GET', `/users/${userId}/integrations/slack/install-url`)).body as { url: string };
      const page = await context.newPage();
      // Read as each is sent: the popup, and its requests with it, are gone once the sign-in is done.
      const begins: Array<Promise<{ method: string; origin?: string }>> = [];
      context.on('request', (r) => {
        if (r.url().startsWith(`${oauthHttp.url}/oauth/begin`)) begins.push(r.allHeaders().then((headers) => ({ method: r.method(), origin: headers.origin })));
      });
      await page.goto(url.replace('http://localhost', oauthHttp.url));
      await page.getByRole('heading', { name: 'Connect Slack' }).waitFor();
      const [popup] = await Promise.all([page.waitForEvent('popup'), page.getByRole('button', { name: 'Connect with Slack' }).click()]);
      await popup.waitForEvent('close', { timeout: 10_000 }).catch(() => undefined);
      // The settings step, or the page's error saying why not.
      const outcome = page.getByLabel('Slack channel').or(page.getByRole('alert').filter({ hasText: 'Could not connect' }));
      await outcome.waitFor();
      expect(await outcome.textContent()).not.toMatch(/Could not connect/);
      // The page's Referrer-Policy lets the browser send its origin (under no-referrer it sent "null", which begin refuses).
      expect(await Promise.all(begins)).toEqual([{ method: 'POST', origin: oauthHttp.url }]);
      expect(provider.grants).toEqual(['authorization_code']);
      const detail = await oauthServer.request('GET', `/integrations/slack?userId=${userId}`);
      expect(detail.body.data.credentials).toMatchObject([{ app: 'slack', status: 'ok' }]);
    } finally {
      await context.close();
      await oauthHttp.close();
      await oauthServer.close();
      await provider.close();
    }
  });

  it('says so when the link has no token', async () => {
    const { http, browser } = served;
    const page = await browser.newPage();
    await page.goto(`${http.url}/install/slack`);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/no token/);
    await page.close();
  });
});
