import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { createApp } from '../../server/app';
import { startTestServer, type TestServer } from './server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Where the browser tests save their screenshots: the committed test/e2e/screenshots/ (README and
 * docs/widget.md show them) with UPDATE_SCREENSHOTS=1, otherwise a temporary folder, so a test run leaves the
 * working tree as it was.
 */
export const screenshotDir = process.env.UPDATE_SCREENSHOTS
  ? path.resolve(import.meta.dirname, '../e2e/screenshots')
  : fs.mkdtempSync(path.join(os.tmpdir(), 'alloy-screenshots-'));

/** Debian's Chromium, headless, with the flags this closed network needs (no background calls home). */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

/**
 * Serves a test server's app over real HTTP on 127.0.0.1, for a browser to load. `port` 0 (the
 * default) takes a free one; give the port of a closed listener to serve again at the same URL.
 * `close` drops open connections too, so the next request finds the server gone.
 */
export async function listen(server: TestServer, port = 0): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const app = createApp(server.services);
  const http = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  const bound = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise((resolve) => {
        http.close(() => resolve());
        (http as import('node:http').Server).closeAllConnections?.();
      }),
  };
}

/** Runs axe-core on the page (loading it once) and lists the serious and critical violations, `id (nodes)`. */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) {
    await page.addScriptTag({ path: path.resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js') });
  }
  return page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string; nodes: unknown[] }> }> } }).axe.run();
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.nodes.length})`);
  });
}

/**
 * A test server served over real HTTP and a Chromium, started before the file's tests (with the
 * options `options()` gives then) and closed after them. Its fields are set once they have started.
 * @example const served = servedInBrowser(); it('…', async () => { const page = await served.browser.newPage(); … })
 */
export function servedInBrowser(options: () => Parameters<typeof startTestServer>[0] | Promise<Parameters<typeof startTestServer>[0]> = () => ({})) {
  const served = {} as { server: TestServer; http: Awaited<ReturnType<typeof listen>>; browser: Browser };
  beforeAll(async () => {
    served.server = await startTestServer(await options());
    served.http = await listen(served.server);
    served.browser = await launchBrowser();
  });
  afterAll(async () => {
    await served.browser?.close();
    await served.http?.close();
    await served.server?.close();
  });
  return served;
}
