import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, seriousAxeViolations, screenshotDir } from '../helpers/browser';
import { callApi, root, startProcess, type RunningProcess } from '../helpers/process';

const screenshots = screenshotDir;
const DEMO_USER = 'acme-demo';
const TICKET = { ticketName: 'Printer on fire', customerEmail: 'ann@acme.test', description: 'Floor 3, smoke' };

interface FeedEntry {
  seq: number;
  destination: string;
  summary: string;
  data: { channel?: string; text?: string; auth?: string };
}

/** What the deepest focused element is (through open shadow roots), and whether it is inside the modal. */
function focused(page: Page) {
  return page.evaluate(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    const dialog = [...document.querySelectorAll('alloy-embedded')].map((h) => h.shadowRoot?.querySelector('[role="dialog"]')).find(Boolean);
    return {
      tag: el?.tagName.toLowerCase() ?? '',
      name: (el?.getAttribute('aria-label') ?? el?.textContent ?? '').trim(),
      id: el?.id ?? '',
      inDialog: Boolean(dialog && el && dialog.contains(el)),
      /** The text of the card (integrations page) it is in, if any. */
      card: el?.closest('.card')?.querySelector('h3')?.textContent ?? '',
    };
  });
}

// More browser journeys against the AcmeCo demo as `npm start` serves it (the real server process,
// DEMO=on, its fake Slack), each with a server and a data directory of its own.
describe('browser journeys through the AcmeCo demo', () => {
  let browser: Browser;
  let server: RunningProcess | undefined;
  let context: BrowserContext | undefined;
  const dataDirs: string[] = [];

  const startDemo = async (env: Record<string, string> = {}) => {
    const dataDir = env.DATA_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-journey-'));
    if (!dataDirs.includes(dataDir)) dataDirs.push(dataDir);
    server = await startProcess('server/index.ts', { DEMO: 'on', ALLOY_ALLOW_PRIVATE_URLS: 'true', DATA_DIR: dataDir, ...env });
    return { server, dataDir };
  };
  const newPage = async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    return context.newPage();
  };
  const card = (page: Page, app: string) => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: app, exact: true }) });
  const feed = async (url: string): Promise<FeedEntry[]> => ((await (await fetch(`${url}/demo/feed`)).json()) as { entries: FeedEntry[] }).entries;
  const slackMessages = async (url: string) => (await feed(url)).filter((e) => e.destination === 'slack');
  const until = async <T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, ms = 10_000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const value = await read();
      if (ok(value)) return value;
      if (Date.now() > end) throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(value)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  /** Installs Slack with a bot token through the modal opened from the card, by mouse. */
  const installSlackWithToken = async (page: Page, dialog: Locator) => {
    await card(page, 'Slack').getByRole('button', { name: 'Install' }).click();
    await connectSlackAndInstall(dialog);
  };
  /** In the open Slack modal: connects with a bot token, picks #support and installs. */
  const connectSlackAndInstall = async (dialog: Locator) => {
    await dialog.getByLabel('Bot token').fill('xoxb-demo');
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    const channel = dialog.getByLabel('Slack channel');
    await channel.locator('option', { hasText: '#support' }).waitFor({ state: 'attached' });
    await channel.selectOption({ label: '#support' });
    await dialog.getByRole('button', { name: 'Install', exact: true }).click();
    await dialog.getByRole('heading', { name: 'Slack is ready' }).waitFor();
  };

  beforeAll(async () => {
    if (!fs.existsSync(path.join(root, 'dist', 'widget', 'alloy.js'))) execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'ignore' });
    fs.mkdirSync(screenshots, { recursive: true });
    browser = await launchBrowser();
  }, 60_000);
  afterEach(async () => {
    await context?.close();
    context = undefined;
    await server?.kill();
    server = undefined;
  });
  afterAll(async () => {
    await browser?.close();
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('connects Slack through the OAuth popup (PKCE), installs it, and a ticket reaches Slack with the OAuth access token', async () => {
    const { server } = await startDemo();
    const page = await newPage();
    // Every request of the page and of its popup, in order.
    const requests: string[] = [];
    context!.on('request', (r) => requests.push(r.url()));
    await page.goto(`${server.url}/`);
    await card(page, 'Slack').getByRole('button', { name: 'Install' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Connect your Slack account' }).waitFor();
    // The demo set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_OAUTH_URL to its fake Slack's OAuth app.
    // A line of the start banner, logged as JSON (stdout is no terminal here): its quotes escaped.
    expect(server.output()).toMatch(/Slack: fake at \S+, any xoxb- token or \\?"Connect with Slack\\?"/);

    // The open modal passes axe too (the demo test scans the page with the modals closed).
    expect(await seriousAxeViolations(page)).toEqual([]);

    const [popup] = await Promise.all([page.waitForEvent('popup'), dialog.getByRole('button', { name: 'Connect with Slack' }).click()]);
    // The fake Slack approves at once and redirects to the callback, whose page posts the result to the opener and closes.
    await popup.waitForEvent('close', { timeout: 10_000 }).catch(() => undefined);
    expect(popup.isClosed()).toBe(true);
    const authorize = new URL(requests.find((u) => u.includes('/oauth/v2/authorize'))!);
    // The popup began at the server (the form the page posted into it, which binds the sign-in to this browser), then went to the provider.
    const begun = requests.findIndex((u) => u.startsWith(`${server.url}/oauth/begin?state=${authorize.searchParams.get('state')}`));
    expect(begun).toBeGreaterThan(-1);
    expect(begun).toBeLessThan(requests.indexOf(authorize.href));
    expect(authorize.origin).not.toBe(server.url);
    expect(authorize.hostname).toBe('127.0.0.1');
    expect(authorize.searchParams.get('client_id')).toBe('acme-demo-slack-app');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${server.url}/oauth/callback`);
    const callback = new URL(requests.find((u) => u.startsWith(`${server.url}/oauth/callback`))!);
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('state')).toBe(authorize.searchParams.get('state'));

    // The modal moved on to the settings step with the new connection.
    const channel = dialog.getByLabel('Slack channel');
    await channel.locator('option', { hasText: '#support' }).waitFor({ state: 'attached' });
    expect(await seriousAxeViolations(page)).toEqual([]);
    await channel.selectOption({ label: '#support' });
    await dialog.getByRole('button', { name: 'Install', exact: true }).click();
    await dialog.getByRole('heading', { name: 'Slack is ready' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await card(page, 'Slack').getByText('Installed', { exact: true }).waitFor();

    const detail = await callApi(`${server.url}/integrations/slack?userId=${DEMO_USER}`, 'GET');
    expect(detail.body.data.credentials).toEqual([
      { credentialId: expect.any(String), app: 'slack', displayName: 'Northwind Traders', status: 'healthy', lastError: null, lastErrorAt: null, inUse: true },
    ]);

    await page.getByLabel('Ticket name').fill('Connected with OAuth');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await page.locator('#feed li[data-destination="slack"]').filter({ hasText: 'New ticket: Connected with OAuth' }).waitFor({ timeout: 10_000 });
    const [message] = await slackMessages(server.url);
    expect(message!.data).toMatchObject({ channel: '#support', auth: 'oauth' });
    expect(message!.data.text).toContain('New ticket: Connected with OAuth');
    await page.screenshot({ path: path.join(screenshots, 'journey-oauth-installed.png') });
  }, 60_000);

  it('installs Slack with the keyboard alone, focus staying in the modal while it is busy and going back to the opener', async () => {
    const { server } = await startDemo();
    const page = await newPage();
    // The answers to the two saves are held until the test has looked at the busy state (buttons
    // disabled) and lets them through.
    let letThrough = () => {};
    let gate = Promise.resolve();
    const holdSaves = () => (gate = new Promise<void>((resolve) => (letThrough = () => resolve())));
    for (const pattern of ['**/me/credentials', '**/me/installations']) {
      await page.route(pattern, async (route) => {
        if (route.request().method() === 'POST') await gate;
        await route.fallback();
      });
    }
    await page.goto(`${server.url}/`);
    await card(page, 'Slack').getByRole('button', { name: 'Install' }).waitFor();

    // Tab from the top of the page to the Slack card's Install button.
    let at = await focused(page);
    for (let i = 0; i < 40 && !(at.card === 'Slack' && at.name === 'Install'); i++) {
      await page.keyboard.press('Tab');
      at = await focused(page);
    }
    expect(at).toMatchObject({ tag: 'button', name: 'Install', card: 'Slack' });
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Connect your Slack account' }).waitFor();
    // Focus moved into the dialog: the first control is "Connect with Slack", then the token form.
    await expect.poll(() => focused(page)).toMatchObject({ inDialog: true, name: 'Connect with Slack' });
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ tag: 'input', id: 'c-botToken', inDialog: true });
    await page.keyboard.type('xoxb-keyboard');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ tag: 'button', name: 'Connect', inDialog: true });
    // The trap: Tab from the last control goes round to the first (the close button), Shift+Tab back.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ name: 'Close', inDialog: true });
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toMatchObject({ name: 'Connect', inDialog: true });

    holdSaves();
    await page.keyboard.press('Space');
    // Busy (the answer is held back): the button is disabled, and focus has not fallen out of the dialog.
    const connecting = dialog.getByRole('button', { name: 'Connect', exact: true, disabled: true });
    await connecting.waitFor();
    expect(await focused(page)).toMatchObject({ tag: 'button', name: 'Connect', inDialog: true });
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ name: 'Close', inDialog: true });
    expect(await connecting.count()).toBe(1); // still busy: all of that happened while it was
    letThrough();

    // The settings step: wait for the channels, then reach the select and choose with the arrow keys.
    const channel = dialog.getByLabel('Slack channel');
    await channel.locator('option', { hasText: '#support' }).waitFor({ state: 'attached' });
    at = await focused(page);
    for (let i = 0; i < 6 && at.id !== 'f-channel'; i++) {
      await page.keyboard.press('Shift+Tab');
      at = await focused(page);
    }
    expect(at).toMatchObject({ tag: 'select', id: 'f-channel', inDialog: true });
    await page.keyboard.press('ArrowDown');
    expect(await channel.inputValue()).toBe('C0SUPPORT');
    await page.keyboard.press('Tab');
    expect(await focused(page)).toMatchObject({ tag: 'button', name: 'Install', inDialog: true });
    holdSaves();
    await page.keyboard.press('Enter');
    const saving = dialog.getByRole('button', { name: 'Saving…', disabled: true });
    await saving.waitFor();
    expect(await focused(page)).toMatchObject({ tag: 'button', name: 'Saving…', inDialog: true });
    await page.keyboard.press('Shift+Tab');
    expect(await focused(page)).toMatchObject({ tag: 'select', inDialog: true });
    expect(await saving.count()).toBe(1);
    letThrough();
    await dialog.getByRole('heading', { name: 'Slack is ready' }).waitFor();
    await expect.poll(() => focused(page)).toMatchObject({ inDialog: true, name: 'Close' });

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await card(page, 'Slack').getByText('Installed', { exact: true }).waitFor();
    // Back on the card's button that opened the modal (now "Configure", the same button).
    await expect.poll(() => focused(page)).toMatchObject({ tag: 'button', card: 'Slack', name: 'Configure' });

    await page.getByLabel('Ticket name').fill('Typed on a keyboard');
    await page.getByRole('button', { name: 'Send from the browser' }).click();
    const [message] = await until(
      () => slackMessages(server.url),
      (m) => m.length > 0,
      'the Slack message',
    );
    expect(message!.data).toMatchObject({ channel: '#support', auth: 'token' });
    expect(message!.data.text).toContain('New ticket: Typed on a keyboard');
  }, 60_000);

  it('opens the modal on top and readable on a page with hostile CSS, and installs', async () => {
    const { server } = await startDemo();
    const page = await newPage();
    await page.goto(`${server.url}/hostile`);
    // The page's own text is 5px.
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('#promo p')!).fontSize)).toBe('5px');
    await card(page, 'Slack').getByRole('button', { name: 'Install' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Connect your Slack account' }).waitFor();

    const look = await dialog.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
      const style = (selector: string) => getComputedStyle(el.querySelector(selector)!);
      return {
        width: box.width,
        height: box.height,
        hitHost: hit?.tagName.toLowerCase(),
        hitIsTheModal: hit === (el.getRootNode() as ShadowRoot).host,
        title: style('h2').fontSize,
        label: style('label').fontSize,
        labelColor: style('label').color,
        letterSpacing: style('label').letterSpacing,
        textTransform: style('label').textTransform,
        display: getComputedStyle(el.closest('.bd')!).display,
      };
    });
    expect(look).toMatchObject({
      hitHost: 'alloy-embedded',
      hitIsTheModal: true,
      title: '18px',
      label: '15px',
      labelColor: 'rgb(31, 41, 55)',
      letterSpacing: 'normal',
      textTransform: 'none',
      display: 'flex',
    });
    expect(look.width).toBeGreaterThanOrEqual(400);
    expect(look.height).toBeGreaterThanOrEqual(150);
    await page.screenshot({ path: path.join(screenshots, 'journey-hostile-css.png') });

    await connectSlackAndInstall(dialog);
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await card(page, 'Slack').getByText('Installed', { exact: true }).waitFor();

    const sent = await page.evaluate((data) => (window as any).Alloy.sendAppEvent('Ticket Created', data), TICKET);
    expect(sent).toMatchObject({ status: 'delivered' });
    const [message] = await until(
      () => slackMessages(server.url),
      (m) => m.length > 0,
      'the Slack message',
    );
    expect(message!.data.text).toContain('New ticket: Printer on fire');
  }, 60_000);

  it('queues an app event while the server is down and delivers it exactly once when it is back', async () => {
    const first = await startDemo();
    const port = new URL(first.server.url).port;
    const page = await newPage();
    await page.goto(`${first.server.url}/`);
    const dialog = page.getByRole('dialog');
    await installSlackWithToken(page, dialog);
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await card(page, 'Slack').getByText('Installed', { exact: true }).waitFor();

    await first.server.kill();
    const sent = await page.evaluate((data) => (window as any).Alloy.sendAppEvent('Ticket Created', data), { ...TICKET, ticketName: 'Sent while offline' });
    expect(sent).toMatchObject({ status: 'queued', id: expect.any(String) });

    // The same port and data directory: the page's origin, the user and the installation are the same.
    const second = await startDemo({ DATA_DIR: first.dataDir, PORT: port });
    expect(second.server.url).toBe(first.server.url);
    // Back online: the widget flushes its outbox; then a reload flushes again (nothing is left).
    await context!.setOffline(true);
    await context!.setOffline(false);
    await page.reload();
    await card(page, 'Slack').getByText('Installed', { exact: true }).waitFor();
    const messages = await until(
      () => slackMessages(second.server.url),
      (m) => m.length > 0,
      'the Slack message',
    );
    expect(messages[0]!.data.text).toContain('New ticket: Sent while offline');
    // One flush at a time: this waits for the page's own, and takes what it left, if anything.
    await page.evaluate(() => (window as any).Alloy.flushOutbox());
    // A reload flushes again: nothing is left to send.
    await page.reload();
    await card(page, 'Slack').getByText('Installed', { exact: true }).waitFor();
    expect(await page.evaluate(() => (window as any).Alloy.flushOutbox())).toEqual({ sent: 0, held: [] });
    // Every send carried the outbox item's id as its idempotency key: the server kept one event,
    // whose one execution has ended. No execution is left to send another message: the count is final.
    const logs = await until(
      () => callApi(`${second.server.url}/workflows/slack-ticket-created/logs?userId=${DEMO_USER}`, 'GET'),
      (res) => res.body.data.every((e: { status: string }) => e.status === 'succeeded'),
      'the execution to end',
    );
    expect(logs.body.data).toHaveLength(1);
    expect(logs.body.data[0]).toMatchObject({ status: 'succeeded', event: 'Ticket Created' });
    expect(await slackMessages(second.server.url)).toHaveLength(1);
    const feedItems = page.locator('#feed li[data-destination="slack"]');
    await feedItems.first().waitFor();
    // The feed's first read after the reload brings every entry at once.
    expect(await feedItems.count()).toBe(1);
    expect(
      await page.evaluate(
        () =>
          new Promise((resolve) => {
            const open = indexedDB.open('alloy-outbox');
            open.onsuccess = () => {
              const count = open.result.transaction('events').objectStore('events').count();
              count.onsuccess = () => resolve(count.result);
            };
          }),
      ),
    ).toBe(0);
  }, 60_000);
});
