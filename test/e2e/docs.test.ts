import type { Page, Request } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { servedInBrowser } from '../helpers/browser';
import { API_KEY, createUser } from '../helpers/server';

/** The page's console errors and warnings (a CSP violation is one), its uncaught errors, every URL it requested, and those not answered yet. */
function watch(page: Page) {
  const problems: string[] = [];
  const requests: string[] = [];
  const inFlight = new Set<Request>();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => {
    requests.push(r.url());
    if (!r.url().startsWith('data:')) inFlight.add(r);
  });
  page.on('requestfinished', (r) => inFlight.delete(r));
  page.on('requestfailed', (r) => inFlight.delete(r));
  return { problems, requests, inFlight };
}

// The API reference at /docs, rendered by Scalar in a real browser behind the page's own CSP
// (scripts from this origin only): nothing may come from, or go to, another origin.
describe('the API reference page', () => {
  const served = servedInBrowser();

  it('renders the operations, finds one by search, with no console error and no request to another origin', async () => {
    const { http, browser } = served;
    const page = await browser.newPage();
    const seen = watch(page);
    const origin = new URL(http.url).origin;
    const documentLoaded = page.waitForResponse(`${origin}/openapi.json`, { timeout: 45_000 });
    await page.goto(`${http.url}/docs`);
    expect((await documentLoaded).status()).toBe(200);
    await page.getByRole('heading', { name: 'Alloy Embedded Kit API' }).waitFor({ timeout: 45_000 });
    await page.getByRole('heading', { name: 'Get a user' }).first().waitFor();

    await page.getByText('Search', { exact: true }).first().click();
    await page.keyboard.type('custom event');
    await page
      .getByRole('option', { name: /Run a custom event for a user/ })
      .first()
      .click();
    await page.getByRole('heading', { name: 'Run a custom event for a user' }).first().waitFor();
    expect(new URL(page.url()).hash).toBe('#tag/events/POST/run/event');

    // What the rendered page asks for (fonts, icons) it has asked for once its fonts are loaded (or
    // refused) and every request it made is answered.
    await page.evaluate(() => document.fonts.ready.then(() => undefined));
    await expect.poll(() => [...seen.inFlight].map((r) => r.url()), { timeout: 10_000 }).toEqual([]);
    expect(seen.problems).toEqual([]);
    expect(seen.requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith('data:'))).toEqual([]);
    expect(seen.requests).toContain(`${origin}/openapi.json`);
    await page.close();
  }, 90_000);

  it('tries an operation with the API key, sent to this server and answered in the page', async () => {
    const { server, http, browser } = served;
    await createUser(server, 'tried-from-the-docs');
    const page = await browser.newPage();
    const seen = watch(page);
    await page.goto(`${http.url}/docs`);
    await page.locator('button', { hasText: /^Test Request\(get \/users\)$/ }).click({ timeout: 45_000 });
    const client = page.getByRole('dialog');
    await client.getByPlaceholder('Token').fill(API_KEY);
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.url().startsWith(`${http.url}/users`)),
      client.getByRole('button', { name: /^Send get request to / }).click(),
    ]);
    expect(request.headers()['authorization']).toBe(`Bearer ${API_KEY}`);
    expect((await request.response())?.status()).toBe(200);
    await client.getByText('"tried-from-the-docs"').waitFor();
    expect(seen.problems).toEqual([]);
    await page.close();
  }, 90_000);
});
