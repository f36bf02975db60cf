// @vitest-environment happy-dom
import './setup';
import { fireEvent, waitFor, within } from '@testing-library/preact';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { listen } from '../helpers/browser';
import { userToken, type TestServer } from '../helpers/server';
import { buildDefinitions, type Definitions } from '../../server/definitions/load';
import { alerts, consent, forms, vault } from './definitions';
import { definitionsWith, hosts, inside, installationsOf, modal, resetWidget, restartAndServe, serve, signIn, type Http } from './helpers';
import { close, deactivate, renderIntegrations } from '../../widget/index';

/** Renders the page into a container of the host page (once the UI bundle is in); queries inside its shadow root. */
async function renderPage(options: Parameters<typeof renderIntegrations>[1] = {}) {
  const container = document.createElement('section');
  document.body.append(container);
  const remove = renderIntegrations(container, options);
  const host = await vi.waitFor(() => container.querySelector('alloy-embedded') ?? Promise.reject(new Error('not rendered yet')));
  return { ui: inside(host), host, remove, container };
}

/** Installs the vault integration for a user through the end-user API, as the widget would. */
async function installVault(server: TestServer, userId: string) {
  const token = await userToken(server, userId);
  const res = await server.request('POST', '/me/installations', { token, body: { integrationId: 'vault', config: { url: 'https://vault.example.com', apiToken: 'tok' } } });
  if (res.status !== 201) throw new Error(`install: ${res.status} ${JSON.stringify(res.body)}`);
}

const cardOf = (ui: ReturnType<typeof inside>, app: string) => within(ui.getByRole('listitem', { name: app }));

describe('the integrations page', () => {
  afterEach(resetWidget);

  describe('with the demo integrations and a few more', () => {
    let server: TestServer;
    let http: Http;
    let userId: string;

    beforeAll(async () => {
      ({ server, http } = await serve({ definitions: () => definitionsWith([forms, alerts, consent, vault]) }));
    });
    beforeEach(async () => {
      userId = await signIn(server, http);
    });
    afterAll(async () => {
      await http?.close();
      await server?.close();
    });

    it('shows loading, then a card per integration with its name, description and state', async () => {
      // The list is held at the network edge until the loading state is seen: a fast answer
      // (the server is in this process) could otherwise come before the first look.
      let answer!: () => void;
      const held = new Promise<void>((resolve) => (answer = resolve));
      const fetchOf = globalThis.fetch;
      const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
        if (String(input instanceof Request ? input.url : input).includes('/me/integrations')) await held;
        return fetchOf(input, init);
      });
      const { ui } = await renderPage();
      expect((await ui.findByText('Loading…')).getAttribute('aria-busy')).toBe('true');
      answer();

      const list = await ui.findByRole('list');
      spy.mockRestore();
      const cards = within(list).getAllByRole('listitem');
      expect(cards.map((c) => within(c).getByRole('heading').textContent)).toEqual([
        'Alerts',
        'BigCommerce',
        'Consent',
        'Forms',
        'HubSpot',
        'Jira',
        'NetSuite',
        'Slack',
        'Heartbeat',
        'Vault',
      ]);
      const slack = cardOf(ui, 'Slack');
      expect(slack.getByRole('heading', { name: 'Slack', level: 3 })).toBeTruthy();
      expect(slack.getByText('Post messages to your Slack workspace')).toBeTruthy();
      expect(slack.getByText('Not installed')).toBeTruthy();
      expect(slack.getByRole('button', { name: 'Install' })).toBeTruthy();
      expect(slack.queryByRole('switch')).toBeNull();
    });

    it('shows an installed integration as such, with its active switch, Configure and Uninstall', async () => {
      await installVault(server, userId);
      const { ui } = await renderPage();
      await ui.findByRole('list');
      const card = cardOf(ui, 'Vault');
      expect(card.getByText('Installed')).toBeTruthy();
      expect(card.queryByRole('button', { name: 'Install' })).toBeNull();
      expect((card.getByRole('switch', { name: 'Active' }) as HTMLInputElement).checked).toBe(true);
      expect(card.getByRole('button', { name: 'Configure' })).toBeTruthy();
      expect(card.getByRole('button', { name: 'Uninstall' })).toBeTruthy();
      expect(card.queryByText('Update available')).toBeNull();
    });

    it('deactivates with the switch, and activates again, on the server', async () => {
      await installVault(server, userId);
      const { ui } = await renderPage();
      await ui.findByRole('list');

      fireEvent.click(cardOf(ui, 'Vault').getByRole('switch', { name: 'Active' }));

      await waitFor(async () => expect((await installationsOf(server, userId))[0].active).toBe(false));
      await waitFor(() => expect((cardOf(ui, 'Vault').getByRole('switch', { name: 'Active' }) as HTMLInputElement).checked).toBe(false));

      fireEvent.click(cardOf(ui, 'Vault').getByRole('switch', { name: 'Active' }));

      await waitFor(async () => expect((await installationsOf(server, userId))[0].active).toBe(true));
      await waitFor(() => expect((cardOf(ui, 'Vault').getByRole('switch', { name: 'Active' }) as HTMLInputElement).checked).toBe(true));
    });

    it('uninstalls on the server, and the card offers Install again', async () => {
      await installVault(server, userId);
      const { ui } = await renderPage();
      await ui.findByRole('list');

      fireEvent.click(cardOf(ui, 'Vault').getByRole('button', { name: 'Uninstall' }));

      await waitFor(() => expect(cardOf(ui, 'Vault').getByRole('button', { name: 'Install' })).toBeTruthy());
      expect(cardOf(ui, 'Vault').getByText('Not installed')).toBeTruthy();
      expect(await installationsOf(server, userId)).toEqual([]);
    });

    it('reloads by itself after a change made elsewhere on the page through the widget (Alloy.deactivate)', async () => {
      await installVault(server, userId);
      const { ui } = await renderPage();
      await waitFor(() => expect((cardOf(ui, 'Vault').getByRole('switch', { name: 'Active' }) as HTMLInputElement).checked).toBe(true));

      await deactivate({ integrationId: 'vault' });

      await waitFor(() => expect((cardOf(ui, 'Vault').getByRole('switch', { name: 'Active' }) as HTMLInputElement).checked).toBe(false));
    });

    it('installs from a card through the modal, and shows it installed behind the success message', async () => {
      const { ui } = await renderPage();
      await ui.findByRole('list');

      fireEvent.click(cardOf(ui, 'Vault').getByRole('button', { name: 'Install' }));

      const dialog = await waitFor(modal);
      fireEvent.input(await dialog.findByLabelText('Endpoint URL'), { target: { value: 'https://vault.example.com' } });
      fireEvent.input(dialog.getByLabelText('API token'), { target: { value: 'tok' } });
      fireEvent.click(dialog.getByRole('button', { name: 'Install' }));
      await dialog.findByRole('heading', { name: 'Vault is ready' });
      expect(await installationsOf(server, userId)).toHaveLength(1);
      // The page behind says so already, not only once the user has closed the modal.
      await waitFor(() => expect(cardOf(ui, 'Vault').getByText('Installed')).toBeTruthy());
      expect(modal()).toBeTruthy();
      close();
      expect(cardOf(ui, 'Vault').getByText('Installed')).toBeTruthy();
    });

    it('says why the modal cannot open (an expired token, no provider), and keeps the list', async () => {
      const { ui } = await renderPage();
      await ui.findByRole('list');
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        vi.setSystemTime(Date.now() + 2 * 3600_000); // past the token's lifetime (TOKEN_TTL_SECONDS, 1 h)
        fireEvent.click(cardOf(ui, 'Vault').getByRole('button', { name: 'Install' }));

        const alert = await ui.findByRole('alert');
        expect(alert.textContent).toBe('The user token has expired');
        expect(modal).toThrow('no <alloy-embedded> host');
        expect(cardOf(ui, 'Vault').getByRole('button', { name: 'Install' })).toBeTruthy();
      } finally {
        vi.useRealTimers();
      }
    });

    it('gives focus back to the card’s button when the modal it opened closes', async () => {
      await installVault(server, userId);
      const { ui, host } = await renderPage();
      await ui.findByRole('list');
      const configure = cardOf(ui, 'Vault').getByRole('button', { name: 'Configure' });
      configure.focus();
      fireEvent.click(configure);
      const dialog = await waitFor(modal);
      const url = (await dialog.findByLabelText('Endpoint URL')) as HTMLInputElement;
      expect(url.value).toBe('https://vault.example.com');

      fireEvent.keyDown(url, { key: 'Escape' });

      expect(hosts()).toEqual([host]);
      expect(document.activeElement).toBe(host);
      expect(host.shadowRoot!.activeElement).toBe(configure);
    });

    it('shows a search box when there are more than 6 integrations, which filters by name and description', async () => {
      const { ui } = await renderPage();
      await ui.findByRole('list');
      const search = ui.getByRole('searchbox', { name: 'Search integrations' });

      fireEvent.input(search, { target: { value: 'sla' } });
      expect(ui.getAllByRole('listitem').map((c) => within(c).getByRole('heading').textContent)).toEqual(['Slack']);

      fireEvent.input(search, { target: { value: 'INVOICES' } });
      expect(ui.getAllByRole('listitem').map((c) => within(c).getByRole('heading').textContent)).toEqual(['NetSuite']);

      fireEvent.input(search, { target: { value: '  ' } });
      expect(ui.getAllByRole('listitem')).toHaveLength(10);
    });

    it('takes strings and a theme', async () => {
      const { ui, host } = await renderPage({ strings: { install: 'Add' }, theme: { radius: '2px' } });
      await ui.findByRole('list');
      expect(cardOf(ui, 'Slack').getByRole('button', { name: 'Add' })).toBeTruthy();
      // The theme is the mount's own stylesheet, never an inline style (a strict CSP refuses those).
      expect(host.getAttribute('style')).toBeNull();
      expect([...host.shadowRoot!.adoptedStyleSheets[1]!.cssRules].map((r) => r.cssText).join('')).toContain('--alloy-radius: 2px');
    });

    it('is removed by the function it returns', async () => {
      const { ui, remove, container } = await renderPage();
      await ui.findByRole('list');
      remove();
      expect(container.querySelector('alloy-embedded')).toBeNull();
    });
  });

  describe('with few integrations', () => {
    let server: TestServer;
    let http: Http;

    beforeAll(async () => {
      ({ server, http } = await serve());
    });
    beforeEach(async () => {
      await signIn(server, http);
    });
    afterAll(async () => {
      await http?.close();
      await server?.close();
    });

    it('shows no search box with 6 or fewer', async () => {
      const { ui } = await renderPage();
      expect(await ui.findAllByRole('listitem')).toHaveLength(6);
      expect(ui.queryByRole('searchbox')).toBeNull();
    });

    it('shows an alert with Retry when the server cannot be reached, and the list once it can', async () => {
      const port = Number(new URL(http.url).port);
      await http.close();
      const { ui } = await renderPage();

      const alert = await ui.findByRole('alert');
      expect(alert.textContent).toContain('Could not load the integrations.');
      expect(alert.textContent).toContain('Could not reach the server');

      http = await listen(server, port);
      fireEvent.click(within(alert).getByRole('button', { name: 'Retry' }));

      expect(await ui.findAllByRole('listitem')).toHaveLength(6);
      expect(ui.queryByRole('alert')).toBeNull();
    });
  });

  it('says so when there are no integrations', async () => {
    const { server, http } = await serve({ definitions: () => buildDefinitions([]) });
    try {
      await signIn(server, http);
      const { ui } = await renderPage();
      expect(await ui.findByText('No integrations are available yet.')).toBeTruthy();
      expect(ui.queryByRole('list')).toBeNull();
    } finally {
      await http.close();
      await server.close();
    }
  });

  it('says why an update is refused, and keeps the list', async () => {
    let definitions: Definitions = definitionsWith([vault]);
    const started = await serve({ definitions: () => definitions });
    const { server } = started;
    let { http } = started;
    try {
      const userId = await signIn(server, http);
      await installVault(server, userId);
      // Version 2 adds a field: the user must reinstall (Configure) rather than update.
      const v1 = vault.workflows[0]!;
      definitions = definitionsWith([{ ...vault, workflows: [{ ...v1, version: 2, fields: [...v1.fields, { name: 'mention', label: 'Who to mention', type: 'text' }] }] }]);
      http = await restartAndServe(server, http);

      const { ui } = await renderPage();
      await ui.findByRole('list');
      fireEvent.click(cardOf(ui, 'Vault').getByRole('button', { name: 'Update' }));

      const alert = await ui.findByRole('alert');
      expect(alert.textContent).toBe('Version 2 changes the configurable fields (new fields: mention); the user must reinstall the workflow');
      expect(cardOf(ui, 'Vault').getByRole('button', { name: 'Configure' })).toBeTruthy();
      expect((await installationsOf(server, userId))[0].version).toBe(1);
    } finally {
      await http.close();
      await server.close();
    }
  });

  it('shows "Update available" when a newer version of an installed workflow is out, and updates it', async () => {
    let definitions: Definitions = definitionsWith([vault]);
    const started = await serve({ definitions: () => definitions });
    const { server } = started;
    let { http } = started;
    try {
      const userId = await signIn(server, http);
      await installVault(server, userId);
      // Version 2 of the vault workflow: a new description, the same fields.
      definitions = definitionsWith([{ ...vault, workflows: [{ ...vault.workflows[0]!, version: 2, description: 'Now with retries' }] }]);
      http = await restartAndServe(server, http);

      const { ui } = await renderPage();
      await ui.findByRole('list');
      const card = cardOf(ui, 'Vault');
      expect(card.getByText('Update available')).toBeTruthy();
      expect(cardOf(ui, 'Slack').queryByText('Update available')).toBeNull();

      fireEvent.click(card.getByRole('button', { name: 'Update' }));

      await waitFor(() => expect(cardOf(ui, 'Vault').queryByText('Update available')).toBeNull());
      expect(cardOf(ui, 'Vault').queryByRole('button', { name: 'Update' })).toBeNull();
      expect((await installationsOf(server, userId))[0]).toMatchObject({ version: 2, config: { url: 'https://vault.example.com', apiToken: '[redacted]' } });
    } finally {
      await http.close();
      await server.close();
    }
  });
});
