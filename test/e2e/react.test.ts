import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, seriousAxeViolations, screenshotDir } from '../helpers/browser';
import { PROCESS_API_KEY, root, startProcess, type RunningProcess } from '../helpers/process';

const screenshots = screenshotDir;
const built = (file: string) => fs.existsSync(path.join(root, 'dist', file));

// The React version of the AcmeCo demo (demo/react, built by `npm run build`, served at /react):
// React components calling window.Alloy from effects and handlers, in the real server process.
describe('the AcmeCo demo in React (/react)', () => {
  let server: RunningProcess;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  const pageErrors: string[] = [];

  const shot = (name: string) => page.screenshot({ path: path.join(screenshots, `${name}.png`) });
  const card = (app: string) => page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: app, exact: true }) });
  const slackMessage = (text: string) => page.locator('li[data-destination="slack"]').filter({ hasText: text });
  const feed = async () =>
    ((await (await fetch(`${server.url}/demo/feed`)).json()) as { entries: Array<{ destination: string; data: { channel: string; text: string } }> }).entries;

  beforeAll(async () => {
    // `npm start` builds first; a bare `vitest run` may come before any build.
    if (!built('widget/alloy.js') || !built('demo-react/index.html')) execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'ignore' });
    fs.mkdirSync(screenshots, { recursive: true });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-react-demo-'));
    server = await startProcess('server/index.ts', { DEMO: 'on', DATA_DIR: dataDir, ALLOY_ALLOW_PRIVATE_URLS: 'true' });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && pageErrors.push(`${msg.text()} ${msg.location().url}`));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.kill();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the built page and its hashed assets; the widget is not bundled into them', async () => {
    const res = await fetch(`${server.url}/react`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toMatch(/<script\s+src="\/widget\/alloy\.js"><\/script>/);
    const asset = html.match(/src="(\/react\/assets\/index-[\w-]+\.js)"/)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${server.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    const code = await js.text();
    expect(code).toContain('window.Alloy.renderIntegrations');
    expect(code).not.toContain('attachShadow'); // the widget's Shadow DOM mount stays in /widget/alloy.js
    expect((await fetch(`${server.url}/react/assets/nope.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/react/assets/..%2Findex.html`)).status).toBe(404);
  });

  it('installs Slack from a React button, shows the callback result, and delivers tickets from the backend and the browser', async () => {
    await page.goto(`${server.url}/react`);
    await page.getByRole('heading', { name: 'AcmeCo — React' }).waitFor();
    // The integrations page, rendered by window.Alloy.renderIntegrations in a React effect.
    await card('Slack').getByRole('button', { name: 'Install' }).waitFor();
    await shot('react-1-integrations');

    await page.getByRole('button', { name: 'Connect Slack' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Connect your Slack account' }).waitFor();
    await dialog.getByLabel('Bot token').fill('xoxb-demo');
    await dialog.getByRole('button', { name: 'Connect', exact: true }).click();
    const channel = dialog.getByLabel('Slack channel');
    await channel.locator('option', { hasText: '#support' }).waitFor({ state: 'attached' });
    expect(await channel.locator('option').allTextContents()).toEqual(['Choose…', '#support', '#sales']);
    await channel.selectOption({ label: '#support' });
    await dialog.getByRole('button', { name: 'Install', exact: true }).click();
    await dialog.getByRole('heading', { name: 'Slack is ready' }).waitFor();

    // The callback ran (exactly once, on success) and its result is React state on the page.
    const result = page.getByTestId('install-result');
    await result.filter({ hasText: /^Slack connected: installation \S+ \(slack-ticket-created\)\.$/ }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).last().click();
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await result.textContent()).toMatch(/^Slack connected/); // closing afterwards reports nothing more
    // The integrations page rendered again (unmounted by the effect's cleanup): Slack shows installed.
    await card('Slack').getByText('Installed', { exact: true }).waitFor();
    expect(await page.locator('alloy-embedded').count()).toBe(1);
    await shot('react-2-slack-connected');

    // Through AcmeCo's backend: POST /demo/tickets, which calls POST /run/event with the API key.
    await page.getByLabel('Ticket name').fill('React printer on fire');
    await page.getByLabel('Customer email').fill('ann@acme.test');
    await page.getByLabel('Description').fill('Floor 3, smoke');
    await page.getByRole('button', { name: 'Create ticket' }).click();
    await page.getByTestId('ticket-status').filter({ hasText: 'Ticket “React printer on fire” created: 1 workflow running.' }).waitFor();
    await slackMessage('New ticket: React printer on fire').waitFor({ timeout: 5000 });
    expect(await slackMessage('New ticket: React printer on fire').textContent()).toContain('Slack · #support');

    // From the browser: window.Alloy.sendAppEvent in a React handler, with the user token.
    await page.getByLabel('Ticket name').fill('Sent from React');
    await page.getByRole('button', { name: 'Send from the browser' }).click();
    await page.getByTestId('ticket-status').filter({ hasText: 'Sent from the browser: 1 workflow running.' }).waitFor();
    await slackMessage('New ticket: Sent from React from ann@acme.test').waitFor({ timeout: 5000 });
    await shot('react-3-tickets-delivered');

    // What the fake Slack received, as the demo's feed has it.
    const slack = (await feed()).filter((e) => e.destination === 'slack');
    expect(slack.map((e) => [e.data.channel, e.data.text])).toEqual([
      [expect.stringMatching(/support/), 'New ticket: React printer on fire from ann@acme.test\nFloor 3, smoke'],
      [expect.stringMatching(/support/), 'New ticket: Sent from React from ann@acme.test\nFloor 3, smoke'],
    ]);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('reports a closed install window as { success: false }', async () => {
    await page.getByRole('button', { name: 'Connect Slack' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Close' }).first().click();
    await page.getByTestId('install-result').filter({ hasText: 'Slack was not connected: the window was closed first.' }).waitFor();
  });

  it('has no serious or critical accessibility violation (axe-core, widget included)', async () => {
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('keeps the API key on the server', async () => {
    expect(await page.content()).not.toContain(PROCESS_API_KEY);
  });
});
