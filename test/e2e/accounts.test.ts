import { afterAll, describe, expect, it } from 'vitest';
import { startFakeSlack } from '../../demo/fakes/slack';
import { servedInBrowser } from '../helpers/browser';
import { addCredential, installHeadless } from '../helpers/flows';
import { createUser, userToken } from '../helpers/server';

// The accounts of a user in a real browser, with the built widget (/widget/alloy.js): an account
// Slack refused is reconnected from the integrations page, and authenticate resolves with the
// account connected.
describe('the user’s accounts in the built widget', () => {
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  afterAll(async () => {
    await slack?.close();
  });
  const served = servedInBrowser(async () => {
    slack = await startFakeSlack();
    return { env: { SLACK_API_URL: slack.url } };
  });

  /** A host page on the server's origin that loads the widget with a script tag, signed in as `userId`. */
  async function hostPage(userId: string) {
    const { server, http, browser } = served;
    const page = await browser.newPage();
    await page.route('**/host-page', (route) =>
      route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Host</title><main id="integrations"></main><script src="/widget/alloy.js"></script>' }),
    );
    await page.goto(`${http.url}/host-page`);
    await page.evaluate((t) => (window as any).Alloy.setToken(t), await userToken(server, userId));
    return page;
  }

  it('reconnects an account Slack refused from the integrations page: the same account, its installation kept', async () => {
    const { server } = served;
    const userId = await createUser(server, 'reconnect-e2e');
    slack.team = { id: 'T0HQ', name: 'Acme HQ' };
    const credentialId = await addCredential(server, userId, 'slack', { botToken: 'xoxb-old' });
    await installHeadless(server, userId, 'slack', { credentialId, data: { channel: 'C0GENERAL' } });
    const [before] = (await server.request('GET', `/installations?userId=${userId}`)).body.data;
    await server.services.store.credentials.markNeedsReconnect(userId, credentialId, 'Slack says: token_revoked');

    const page = await hostPage(userId);
    await page.evaluate(() => (window as any).Alloy.renderIntegrations(document.getElementById('integrations')));
    const account = page.getByRole('listitem', { name: 'Slack' }).getByRole('group', { name: 'Acme HQ' });
    await account.getByText('Reconnect needed').waitFor();
    await account.getByText(/Slack says: token_revoked/).waitFor();
    await account.getByRole('button', { name: 'Reconnect' }).click();

    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Bot token').fill('xoxb-fresh');
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await dialog.getByRole('heading', { name: 'Slack is ready' }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).last().click();

    // The page reloaded: nothing to reconnect any more.
    await expect.poll(() => account.count()).toBe(0);
    const stored = await server.services.store.credentials.list(userId);
    expect(stored.map((c) => [c.credentialId, c.status])).toEqual([[credentialId, 'healthy']]);
    const [after] = (await server.request('GET', `/installations?userId=${userId}`)).body.data;
    expect(after).toEqual(before);
    await page.close();
  });

  it('authenticate resolves with the credentialId of the account connected', async () => {
    const { server } = served;
    const userId = await createUser(server, 'authenticate-e2e');
    const page = await hostPage(userId);
    // Kept on the page, not returned: evaluate would wait for it, and it settles only once connected.
    await page.evaluate(() => {
      (window as any).connected = (window as any).Alloy.authenticate({ app: 'slack' });
    });
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Bot token').fill('xoxb-new');
    await dialog.getByRole('button', { name: 'Connect' }).click();
    await dialog.getByRole('heading', { name: 'Slack is ready' }).waitFor();

    const [credential] = await server.services.store.credentials.list(userId);
    expect(await page.evaluate(() => (window as any).connected)).toBe(credential!.credentialId);
    await page.close();
  });
});
