import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { servedInBrowser } from '../helpers/browser';
import { definitionsWith, vaultIntegration } from '../helpers/definitions';
import { createUser, userToken } from '../helpers/server';

/** Serves one HTML page on 127.0.0.1, at a port (an origin) of its own. */
async function hostPage(html: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/shop`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// The built widget in a real browser, on a page of another origin (as an ISV's app is): the UI
// bundle fetches the page's locale from beside itself, across origins, and the modal speaks it.
describe('the widget in the page’s language, in a real browser', () => {
  const served = servedInBrowser(() => ({ definitions: () => definitionsWith([vaultIntegration]) }));
  const after: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const close of after) await close();
  });

  it('opens the modal in German on a page with <html lang="de">, a server error too', async () => {
    const { server, http: api, browser } = served;
    const token = await userToken(server, await createUser(server, 'locale'));
    const page = await browser.newPage();
    // The host page from a server of its own: another origin. (A page Playwright fulfils has no
    // address, so Chromium would not let it reach a loopback server at all.)
    const shop = await hostPage(`<!doctype html><html lang="de"><title>Shop</title><script src="${api.url}/widget/alloy.js"></script></html>`);
    after.push(shop.close);
    const locales: string[] = [];
    page.on('request', (r) => void (r.url().includes('alloy-locale') && locales.push(r.url())));
    await page.goto(shop.url);
    await page.evaluate((t) => {
      const Alloy = (window as any).Alloy;
      Alloy.setToken(t);
      return Alloy.install({ integrationId: 'vault' });
    }, token);

    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Installieren' }).waitFor();
    expect(await dialog.getByRole('button', { name: 'Schließen' }).count()).toBe(1);
    // The ISV's labels stay as they are.
    await dialog.getByLabel('Endpoint URL').fill('   ');
    await dialog.getByLabel('API token').fill('tok-1');
    await dialog.getByRole('button', { name: 'Installieren' }).click();
    await expect.poll(() => dialog.getByRole('alert').textContent()).toBe('Bitte prüfen Sie Ihre Eingaben.');
    // The field's own message is the server's words.
    expect(await dialog.getByText('Endpoint URL is required').count()).toBe(1);
    expect(locales).toEqual([`${api.url}/widget/alloy-locale-de.json`]);
    await page.close();
  });
});
