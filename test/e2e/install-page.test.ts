import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeSlack } from '../../demo/fakes/slack';
import { listen, servedInBrowser } from '../helpers/browser';
import { definitionsWith, vaultIntegration } from '../helpers/definitions';
import { createUser, startTestServer, type TestServer } from '../helpers/server';

/** What the browser refused under the page's Content-Security-Policy, as it logs it. */
function cspRefusals(page: Page): string[] {
  const refused: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) refused.push(m.text());
  });
  return refused;
}

async function installUrl(server: TestServer, userId: string, integrationId: string): Promise<string> {
  return ((await server.request('GET', `/users/${userId}/integrations/${integrationId}/install-url`)).body as { url: string }).url;
}

// The hosted install page in a real browser: the flow an ISV without the widget links its users to.
// The page is the widget's own modal (/widget/alloy.js), opened at once.
describe('the hosted install page', () => {
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  afterAll(async () => {
    await slack?.close();
  });
  const served = servedInBrowser(async () => {
    slack = await startFakeSlack();
    slack.channels.splice(0, slack.channels.length, { id: 'C100', name: 'support' }, { id: 'C200', name: 'sales' });
    return { env: { WORKERS: 'on', SLACK_API_URL: slack.url }, definitions: () => definitionsWith([vaultIntegration]) };
  });

  it('is the widget, not a form of its own, under a CSP with no unsafe-inline', async () => {
    const res = await fetch(`${served.http.url}/install/slack`);
    const html = await res.text();
    expect(html).not.toMatch(/<form/i);
    expect(html).toContain('<script src="/widget/alloy.js"></script>');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toMatch(/(^|; )script-src 'self' 'sha256-[\w+/=]+'(;|$)/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('connects Slack with a bot token, offers its channels, installs, and the next ticket reaches the channel', async () => {
    const { server, http, browser } = served;
    const userId = await createUser(server, 'hosted');
    const link = await fetch(`${http.url}/users/${userId}/integrations/slack/install-url`, { headers: { authorization: 'bearer test_api_key_0123456789abcdef' } });
    const { url } = (await link.json()) as { url: string };
    const page = await browser.newPage();
    const refused = cspRefusals(page);
    await page.goto(url);
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Connect your Slack account' }).waitFor();
    await dialog.getByLabel('Bot token').fill('xoxb-hosted-1');
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    const channel = dialog.getByLabel('Slack channel');
    await channel.locator('option', { hasText: '#sales' }).waitFor({ state: 'attached' });
    expect(await channel.locator('option').allTextContents()).toEqual(['Choose…', '#support', '#sales']);
    await channel.selectOption('C200');
    await dialog.getByRole('button', { name: 'Install' }).click();
    await dialog.getByRole('heading', { name: 'Slack is ready' }).waitFor();
    // Behind the modal, and once it is closed: done, in words.
    await page.getByRole('status').filter({ hasText: 'Slack is installed. You can close this tab.' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await dialog.waitFor({ state: 'detached' });
    await expect(page.getByRole('status').textContent()).resolves.toBe('Slack is installed. You can close this tab.');
    await expect(page.title()).resolves.toBe('Slack is installed');
    await page.getByRole('button', { name: 'Change the settings' }).waitFor();
    // The widget's modal, styles and all, ran under the page's CSP.
    expect(refused).toEqual([]);

    await server.request('POST', '/run/event', {
      body: { event: 'Ticket Created', userId, data: { ticketName: 'Printer on fire', customerEmail: 'ann@acme.test', description: 'Smoke' } },
    });
    for (let i = 0; i < 100 && slack.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]).toMatchObject({ channel: 'C200', token: 'xoxb-hosted-1' });
    expect(slack.messages[0]!.text).toContain('Printer on fire');
    expect(slack.messages[0]!.text).toContain('ann@acme.test');
    await page.close();
  });

  it('says so when the modal is closed before installing, and opens it again', async () => {
    const { server, browser } = served;
    const userId = await createUser(server, 'hosted-closer');
    const page = await browser.newPage();
    await page.goto((await installUrl(server, userId, 'slack')).replace('http://localhost', served.http.url));
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Bot token').waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect(page.getByRole('status').textContent()).resolves.toBe('Slack is not installed yet.');
    const again = page.getByRole('button', { name: 'Install Slack' });
    await expect(again.evaluate((b) => b === document.activeElement)).resolves.toBe(true);
    await again.click();
    await dialog.getByLabel('Bot token').waitFor();
    await page.close();
  });

  it('says what went wrong in the modal on the page too, once it is closed', async () => {
    const { server, browser } = served;
    const userId = await createUser(server, 'hosted-lost');
    // A valid token on the page of an integration that does not exist (any link's page, edited).
    const page = await browser.newPage();
    await page.goto((await installUrl(server, userId, 'slack')).replace('http://localhost', served.http.url).replace('/install/slack#', '/install/nope#'));
    const dialog = page.getByRole('dialog');
    const inModal = await dialog.getByRole('alert').textContent();
    expect(inModal).toMatch(/nope/);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe(inModal);
    await page.getByRole('button', { name: 'Install nope' }).waitFor();
    await page.close();
  });

  it('shows the signing secret of a destination the user chose, once, in the modal it installs from', async () => {
    const { server, browser } = served;
    const userId = await createUser(server, 'hosted-vault');
    const page = await browser.newPage();
    const refused = cspRefusals(page);
    await page.goto((await installUrl(server, userId, 'vault')).replace('http://localhost', served.http.url));
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Endpoint URL').fill('https://mine.example.com/hooks');
    await dialog.getByLabel('API token').fill('tok-1');
    await dialog.getByRole('button', { name: 'Install' }).click();
    const secret = dialog.getByLabel(/Signing secret: copy it now/);
    await expect(secret.inputValue()).resolves.toMatch(/^whsec_/);
    await page.getByRole('status').filter({ hasText: 'Vault is installed. You can close this tab.' }).waitFor();
    const shown = await secret.inputValue();
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await dialog.waitFor({ state: 'detached' });
    // The modal closed: the page keeps the secret for the user to copy.
    await expect(page.locator('#secrets').textContent()).resolves.toBe(`Signing secret (copy it now, it is not shown again): ${shown}`);

    // Opened again: the settings as saved, and no secret (it is shown only once).
    await page.getByRole('button', { name: 'Change the settings' }).click();
    await expect(dialog.getByLabel('Endpoint URL').inputValue()).resolves.toBe('https://mine.example.com/hooks');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByRole('heading', { name: 'Vault is ready' }).waitFor();
    expect(await dialog.getByLabel(/Signing secret/).count()).toBe(0);
    expect(refused).toEqual([]);
    await page.close();
  });

  it('connects Slack through the OAuth popup, begun by a form the widget posts with the page’s origin', async () => {
    const { browser } = served;
    const provider = await startFakeSlack({ oauth: { clientId: 'hosted-client', clientSecret: 'hosted-secret' } });
    const oauthServer = await startTestServer({
      env: { SLACK_API_URL: provider.url, SLACK_CLIENT_ID: 'hosted-client', SLACK_CLIENT_SECRET: 'hosted-secret', SLACK_OAUTH_URL: provider.authorizeUrl },
    });
    const oauthHttp = await listen(oauthServer);
    const context = await browser.newContext();
    try {
      const userId = await createUser(oauthServer, 'hosted-oauth');
      const url = await installUrl(oauthServer, userId, 'slack');
      const page = await context.newPage();
      const refused = cspRefusals(page);
      // Read as each is sent: the popup, and its requests with it, are gone once the sign-in is done.
      const begins: Array<Promise<{ method: string; origin?: string }>> = [];
      context.on('request', (r) => {
        if (r.url().startsWith(`${oauthHttp.url}/oauth/begin`)) begins.push(r.allHeaders().then((headers) => ({ method: r.method(), origin: headers.origin })));
      });
      await page.goto(url.replace('http://localhost', oauthHttp.url));
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('heading', { name: 'Connect your Slack account' }).waitFor();
      const [popup] = await Promise.all([page.waitForEvent('popup'), dialog.getByRole('button', { name: 'Connect with Slack' }).click()]);
      await popup.waitForEvent('close', { timeout: 10_000 }).catch(() => undefined);
      // The settings step, or the modal's error saying why not.
      const outcome = dialog.getByLabel('Slack channel').or(dialog.getByRole('alert'));
      await outcome.waitFor();
      // The channels load after the select appears ("Loading…" first); an alert would show its words here.
      await expect.poll(() => outcome.textContent()).toBe('Choose…#general#random');
      // The page's Referrer-Policy lets the browser send its origin (under no-referrer it sent "null", which begin refuses).
      expect(await Promise.all(begins)).toEqual([{ method: 'POST', origin: oauthHttp.url }]);
      expect(provider.grants).toEqual(['authorization_code']);
      const detail = await oauthServer.request('GET', `/integrations/slack?userId=${userId}`);
      expect(detail.body.data.credentials).toMatchObject([{ app: 'slack', status: 'healthy' }]);
      expect(refused).toEqual([]);
    } finally {
      await context.close();
      await oauthHttp.close();
      await oauthServer.close();
      await provider.close();
    }
  });

  it('says so when the link has no token, or a token that is not one', async () => {
    const { http, browser } = served;
    const page = await browser.newPage();
    await page.goto(`${http.url}/install/slack`);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/no token/);
    await page.goto(`${http.url}/install/slack#token=not-a-token`);
    await page.reload();
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/token is not valid/);
    expect(await page.getByRole('dialog').count()).toBe(0);
    expect(await page.getByRole('button').count()).toBe(0);
    await page.close();
  });
});
