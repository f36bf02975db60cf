import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { definitionsWith, vaultIntegration } from '../helpers/definitions';
import { servedInBrowser } from '../helpers/browser';
import { createUser, userToken } from '../helpers/server';

/** The deepest focused element (through open shadow roots): its label, and whether it is in the dialog. */
function focused(page: Page) {
  return page.evaluate(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    const dialog = document.querySelector('alloy-embedded')?.shadowRoot?.querySelector('[role="dialog"]');
    const id = el?.id ?? '';
    const label = id ? el?.getRootNode() instanceof ShadowRoot && (el.getRootNode() as ShadowRoot).querySelector(`label[for="${id}"]`)?.textContent : '';
    return { label: label || '', inDialog: Boolean(dialog && el && dialog.contains(el)) };
  });
}

// Focus in a real browser: a hidden element cannot take focus there (happy-dom lets it), which is
// what a modal opened with `hide: true` that has to show itself after all runs into.
describe('the widget’s modal focus in a real browser', () => {
  const served = servedInBrowser(() => ({ definitions: () => definitionsWith([vaultIntegration]) }));

  it('moves focus into a hide: true modal once it shows itself to ask for a required field', async () => {
    const { server, http, browser } = served;
    const token = await userToken(server, await createUser(server, 'focus'));
    const page = await browser.newPage();
    // A host page on the server's origin that loads the widget with a script tag.
    await page.route('**/host-page', (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Host</title><button id="opener">Connect</button><script src="/widget/alloy.js"></script>' }),
    );
    await page.goto(`${http.url}/host-page`);
    await page.evaluate((t) => {
      const Alloy = (window as any).Alloy;
      Alloy.setToken(t);
      document.getElementById('opener')!.focus();
      return Alloy.install({ integrationId: 'vault', hide: true });
    }, token);

    await page.getByRole('dialog').getByLabel('Endpoint URL').waitFor();
    await expect.poll(() => focused(page)).toEqual({ label: 'Endpoint URL', inDialog: true });
    await page.close();
  });
});
