import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, seriousAxeViolations, screenshotDir } from '../helpers/browser';
import { PROCESS_API_KEY, root, startProcess, type RunningProcess } from '../helpers/process';

const screenshots = screenshotDir;

// The AcmeCo demo as `npm start` serves it: the real server process with DEMO=on (its fake Slack
// and BigCommerce), the page in Chromium, the widget installing apps, events reaching the fakes.
describe('the AcmeCo demo (npm start)', () => {
  let server: RunningProcess;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  const sentHeaders: string[] = [];
  const pageErrors: string[] = [];

  const shot = (name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`) });
  const card = (app: string) => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: app, exact: true }) });
  const feedItem = (destination: string, text: string) => page.locator(`#feed li[data-destination="${destination}"]`).filter({ hasText: text });
  const closeDone = (dialog: Locator) => dialog.getByRole('button', { name: 'Close' }).last().click();
  // The app icons load after the cards appear: wait for them before a screenshot.
  const iconsLoaded = () =>
    page.waitForFunction(() => [...document.querySelectorAll('alloy-embedded')].every((host) => [...host.shadowRoot!.querySelectorAll('img')].every((img) => img.complete)));

  beforeAll(async () => {
    // `npm start` builds the widget first; a bare `vitest run` may come before any build.
    if (!fs.existsSync(path.join(root, 'dist', 'widget', 'alloy.js'))) execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'ignore' });
    fs.mkdirSync(screenshots, { recursive: true });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-demo-'));
    server = await startProcess('server/index.ts', { DEMO: 'on', DATA_DIR: dataDir, ALLOY_ALLOW_PRIVATE_URLS: 'true' });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('request', (r) => sentHeaders.push(JSON.stringify(r.headers())));
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && pageErrors.push(`${msg.text()} ${msg.location().url}`));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.kill();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('installs Slack through the modal; a ticket from the form and one from the browser reach the channel', async () => {
    expect(server.output()).toMatch(/demo: the AcmeCo app is at \//);
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'AcmeCo Helpdesk' }).waitFor();
    await card('Slack').getByRole('button', { name: 'Install' }).waitFor();
    await expect(page.getByText('or use any xoxb- token').count()).resolves.toBe(1);
    await iconsLoaded();
    await shot('demo-1-integrations');

    await card('Slack').getByRole('button', { name: 'Install' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Connect your Slack account' }).waitFor();
    await dialog.getByLabel('Bot token').fill('xoxb-demo');
    await shot('demo-2-slack-connect');
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();

    const channel = dialog.getByLabel('Slack channel');
    await channel.locator('option', { hasText: '#support' }).waitFor({ state: 'attached' });
    expect(await channel.locator('option').allTextContents()).toEqual(['Choose…', '#support', '#sales']);
    await channel.selectOption({ label: '#support' });
    await shot('demo-3-slack-settings');
    await dialog.getByRole('button', { name: 'Install', exact: true }).click();
    await dialog.getByRole('heading', { name: 'Slack is ready' }).waitFor();
    await shot('demo-4-slack-done');
    await closeDone(dialog);
    await card('Slack').getByText('Installed', { exact: true }).waitFor();
    await shot('demo-5-slack-installed');

    // The ISV backend path: the form posts to AcmeCo's backend, which calls POST /run/event.
    await page.getByLabel('Ticket name').fill('Printer on fire');
    await page.getByLabel('Customer email').fill('ann@acme.test');
    await page.getByLabel('Description').fill('Floor 3, smoke');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await page.getByRole('status').filter({ hasText: 'Ticket “Printer on fire” created: 1 workflow running.' }).waitFor();
    const message = feedItem('slack', 'New ticket: Printer on fire');
    await message.waitFor({ timeout: 5000 });
    expect(await message.textContent()).toContain('Slack · #support');
    expect(await message.textContent()).toContain('New ticket: Printer on fire from ann@acme.test\nFloor 3, smoke');

    // The browser path: Alloy.sendAppEvent with the user token.
    await page.getByLabel('Ticket name').fill('Sent from the browser');
    await page.getByRole('button', { name: 'Send from the browser' }).click();
    await page.getByRole('status').filter({ hasText: 'Sent from the browser: 1 workflow running.' }).waitFor();
    await feedItem('slack', 'New ticket: Sent from the browser from ann@acme.test').waitFor({ timeout: 5000 });

    // The logs view: both runs succeeded, each with its block.
    await page.getByRole('button', { name: 'Refresh logs' }).click();
    const runs = page.locator('#executions details').filter({ hasText: 'Post to Slack when a ticket is created' });
    await expect.poll(() => runs.filter({ hasText: 'succeeded' }).count(), { timeout: 5000 }).toBe(2);
    await runs.first().locator('summary').click();
    await runs.first().getByText('post-message').waitFor();
    await shot('demo-6-live-feed-and-logs');
    // Nothing the page did logged an error (a missing favicon did, on every load).
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('installs HubSpot and Jira, connectors written as data, their choices loaded from the apps; a ticket becomes a deal and an issue', async () => {
    await page.goto(`${server.url}/`);
    const dialog = page.getByRole('dialog');

    // HubSpot: a private app token, checked against the (fake) app before it is stored; the stages follow the pipeline.
    await card('HubSpot').getByRole('button', { name: 'Install' }).click();
    await dialog.getByRole('heading', { name: 'Connect your HubSpot account' }).waitFor();
    await dialog.getByLabel('Private app access token').fill('pat-na1-wrong-token');
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    await dialog.getByText(/HubSpot says: HTTP 401/).waitFor();
    await dialog.getByLabel('Private app access token').fill('pat-na1-11f2d3c4-5b6a-4798-a1b2-c3d4e5f60718');
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    const pipeline = dialog.getByLabel('Deal pipeline');
    await pipeline.locator('option', { hasText: 'Sales Pipeline' }).waitFor({ state: 'attached' });
    await pipeline.selectOption({ label: 'Partner Deals' });
    const stage = dialog.getByLabel('Deal stage');
    await stage.locator('option', { hasText: 'Introduced' }).waitFor({ state: 'attached' });
    expect(await stage.locator('option').allTextContents()).toEqual(['Choose…', 'Introduced', 'Signed']);
    await stage.selectOption({ label: 'Introduced' });
    await shot('demo-hubspot-settings');
    await dialog.getByRole('button', { name: 'Install', exact: true }).click();
    await dialog.getByRole('heading', { name: 'HubSpot is ready' }).waitFor();
    await closeDone(dialog);
    await card('HubSpot').getByText('Installed', { exact: true }).waitFor();

    // Jira: site, email and API token (HTTP basic); the issue types are the chosen project's.
    await card('Jira').getByRole('button', { name: 'Install' }).click();
    await dialog.getByLabel('Site').fill('acme');
    await dialog.getByLabel('Atlassian account email').fill('ada@example.com');
    await dialog.getByLabel('API token').fill('ATATT3xFfGF0-good-jira-token');
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    const project = dialog.getByLabel('Jira project');
    await project.locator('option', { hasText: 'Operations (OPS)' }).waitFor({ state: 'attached' });
    await project.selectOption({ label: 'Operations (OPS)' });
    const issueType = dialog.getByLabel('Issue type');
    await issueType.locator('option', { hasText: 'Bug' }).waitFor({ state: 'attached' });
    await issueType.selectOption({ label: 'Bug' });
    await dialog.getByRole('button', { name: 'Install', exact: true }).click();
    await dialog.getByRole('heading', { name: 'Jira is ready' }).waitFor();
    await closeDone(dialog);
    await card('Jira').getByText('Installed', { exact: true }).waitFor();

    await page.getByLabel('Ticket name').fill('Scanner jams');
    await page.getByLabel('Customer email').fill('bo@acme.test');
    await page.getByLabel('Description').fill('Every third page');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await page.getByRole('status').filter({ hasText: 'Ticket “Scanner jams” created: 3 workflows running.' }).waitFor();
    const deal = feedItem('hubspot', 'Ticket: Scanner jams (bo@acme.test)');
    await deal.waitFor({ timeout: 5000 });
    expect(await deal.textContent()).toMatch(/HubSpot · deal \d+/);
    const issue = feedItem('jira', 'Scanner jams · Bug in OPS');
    await issue.waitFor({ timeout: 5000 });
    expect(await issue.textContent()).toContain('Jira · OPS-');
    await issue.scrollIntoViewIfNeeded();
    await shot('demo-hubspot-jira-delivered');
    // The refused token's 400 is what the browser logs of it; nothing else went wrong.
    expect(pageErrors.filter((e) => !/status of 400 .*\/me\/credentials/.test(e))).toEqual([]);
  }, 60_000);

  it('updates a BigCommerce order and streams a new order, signed, to AcmeCo’s own receiver', async () => {
    await card('BigCommerce').getByRole('button', { name: 'Install' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Store hash').fill('acme-store');
    await dialog.getByLabel('Access token').fill('bc-demo-token');
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    await dialog.getByLabel('Staff note added to the order').fill('Fulfilled by AcmeCo');
    await dialog.getByRole('button', { name: 'Install', exact: true }).click();
    await dialog.getByRole('heading', { name: 'BigCommerce is ready' }).waitFor();
    await closeDone(dialog);

    await page.getByLabel('Order number').fill('101');
    await page.getByLabel('Fulfilment status').selectOption('Completed');
    await page.getByRole('button', { name: 'Update fulfilment' }).click();
    const update = feedItem('bigcommerce', 'order 101');
    await update.waitFor({ timeout: 5000 });
    expect(await update.textContent()).toContain('Status: Completed · staff note: Fulfilled by AcmeCo');

    await page.getByRole('button', { name: 'Simulate a new BigCommerce order' }).click();
    const record = feedItem('acmeco', 'signature verified');
    await record.waitFor({ timeout: 5000 });
    expect(await record.textContent()).toContain('"scope": "store/order/created"');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot('demo-7-bigcommerce-and-acmeco');

    // A delivery without the signature is refused by the receiver.
    const forged = await fetch(`${server.url}/demo/sink/acmeco`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"forged":true}' });
    expect(forged.status).toBe(401);
  }, 60_000);

  it('installs Heartbeat: each line of a new order reaches AcmeCo’s receiver, one signed delivery per item (a filter, then a forEach)', async () => {
    await card('Heartbeat').getByRole('button', { name: 'Install' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Install', exact: true }).click();
    await dialog.getByRole('heading', { name: 'Heartbeat is ready' }).waitFor();
    await closeDone(dialog);

    await page.getByRole('button', { name: 'Simulate a new BigCommerce order' }).click();
    // The BigCommerce record carries the order's products, SKUs included: a line's delivery is the one with its line number.
    const line = (sku: string) => feedItem('acmeco', '"line": ').filter({ hasText: `"sku": "${sku}"` });
    for (const sku of ['MUG-01', 'TEE-M', 'STK-10']) await line(sku).waitFor({ timeout: 5000 });
    const lines = await page.locator('#feed li[data-destination="acmeco"]').filter({ hasText: '"line": ' }).allTextContents();
    expect(lines).toHaveLength(3);
  }, 60_000);

  it('shows each card’s status on one line under its app name, on a desktop and on a phone', async () => {
    for (const viewport of [
      { width: 1280, height: 1000 },
      { width: 390, height: 844 },
    ]) {
      await page.setViewportSize(viewport);
      for (const app of ['BigCommerce', 'NetSuite', 'Slack']) {
        const name = (await card(app).getByRole('heading', { name: app }).boundingBox())!;
        const badge = card(app).locator('.hd .badge');
        const box = (await badge.boundingBox())!;
        const lineHeight = await badge.evaluate((el) => parseFloat(getComputedStyle(el).lineHeight));
        expect(Math.abs(box.x - name.x), `${app} at ${viewport.width} px`).toBeLessThan(1);
        expect(box.y, `${app} at ${viewport.width} px`).toBeGreaterThanOrEqual(name.y + name.height - 1);
        expect(box.height, `${app} at ${viewport.width} px`).toBeLessThan(2 * lineHeight);
      }
    }
    await page.setViewportSize({ width: 1280, height: 1000 });
  });

  it('has no serious or critical accessibility violation (axe-core, widget included)', async () => {
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('keeps the API key on the server', async () => {
    const session = await (await fetch(`${server.url}/demo/session`)).text();
    expect(JSON.parse(session)).toMatchObject({ token: expect.any(String) });
    expect(session).not.toContain(PROCESS_API_KEY);
    expect(await page.content()).not.toContain(PROCESS_API_KEY);
    expect(sentHeaders.length).toBeGreaterThan(0);
    expect(sentHeaders.join('\n')).not.toContain(PROCESS_API_KEY);
  });
});
