import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack } from '../../demo/fakes/slack';
import { launchBrowser, listen } from '../helpers/browser';
import { createUser, startTestServer, type TestServer } from '../helpers/server';

// The hosted install page in a real browser: the flow an ISV without the widget links its users to.
describe('the hosted install page', () => {
  let browser: Browser;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let server: TestServer;
  let http: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    slack = await startFakeSlack();
    slack.channels.splice(0, slack.channels.length, { id: 'C100', name: 'support' }, { id: 'C200', name: 'sales' });
    server = await startTestServer({ env: { WORKERS: 'on', SLACK_API_URL: slack.url } });
    http = await listen(server);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await http?.close();
    await server?.close();
    await slack?.close();
  });

  it('connects Slack with a bot token, offers its channels, installs, and the next ticket reaches the channel', async () => {
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

  it('says so when the link has no token', async () => {
    const page = await browser.newPage();
    await page.goto(`${http.url}/install/slack`);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/no token/);
    await page.close();
  });
});
