// @vitest-environment happy-dom
import './setup';
import { fireEvent, waitFor, within } from '@testing-library/preact';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../demo/fakes/slack';
import type { TestServer } from '../helpers/server';
import { addCredential, installHeadless } from '../helpers/flows';
import { inside, installationsOf, modal, resetWidget, serve, signIn, type Http } from './helpers';
import { edit, install, renderIntegrations } from '../../widget/index';

const select = (el: HTMLElement) => el as HTMLSelectElement;

/** What the widget sent to the server: method and path (the spy calls the real fetch through). */
function sentRequests(fetchSpy: MockInstance<typeof fetch>, http: Http) {
  return fetchSpy.mock.calls.map(([url, init]) => `${init?.method ?? 'GET'} ${String(url).slice(http.url.length)}`);
}

describe('the user’s accounts in the widget: several per app, picking one, reconnecting', () => {
  let slack: FakeSlack;
  let server: TestServer;
  let http: Http;
  let userId: string;
  let fetchSpy: MockInstance<typeof fetch>;

  beforeAll(async () => {
    slack = await startFakeSlack();
    ({ server, http } = await serve({
      env: { SLACK_API_URL: slack.url, SLACK_CLIENT_ID: 'client-1', SLACK_CLIENT_SECRET: 'secret-1', SLACK_OAUTH_URL: 'https://slack.example.com/oauth/v2/authorize' },
    }));
  });
  beforeEach(async () => {
    userId = await signIn(server, http);
    fetchSpy = vi.spyOn(globalThis, 'fetch');
  });
  afterEach(async () => {
    fetchSpy.mockRestore();
    slack.acceptToken = (token) => /^xox[bp]-/.test(token);
    slack.team = { id: 'T0NORTHWIND', name: 'Northwind Traders' };
    await resetWidget();
  });
  afterAll(async () => {
    await http?.close();
    await server?.close();
    await slack?.close();
  });

  /** Connects a Slack account in the workspace `team` through the API, as another tab would have; its credentialId. */
  async function slackAccount(team: string, token = `xoxb-${team.toLowerCase().replace(/\W/g, '')}`) {
    slack.team = { id: `T0${team.toUpperCase().replace(/\W/g, '')}`, name: team };
    return addCredential(server, userId, 'slack', { botToken: token });
  }

  /** Waits for the channel select to hold Slack's channels, picks one and saves; resolves at the done step. */
  async function chooseChannelAndSave(ui: ReturnType<typeof modal>, button: 'Install' | 'Save') {
    await waitFor(() => expect(select(ui.getByLabelText('Slack channel')).disabled).toBe(false));
    fireEvent.change(ui.getByLabelText('Slack channel'), { target: { value: 'C0RANDOM' } });
    fireEvent.click(ui.getByRole('button', { name: button }));
    await ui.findByRole('heading', { name: 'Slack is ready' });
  }

  it('lists each account by the name its app gave it, and installs with the one the user picks', async () => {
    await slackAccount('Acme HQ', 'xoxb-hq');
    const labs = await slackAccount('Acme Labs', 'xoxb-labs');
    const callback = vi.fn();

    await install({ integrationId: 'slack', callback });

    const ui = modal();
    // Two usable accounts and no installation yet: the user is asked which.
    const hq = within(await ui.findByRole('group', { name: 'Acme HQ' }));
    expect(hq.getByRole('button', { name: 'Use this account' })).toBeTruthy();
    expect(ui.getByRole('heading', { name: 'Connect another account' })).toBeTruthy();
    expect(ui.getByLabelText('Bot token')).toBeTruthy();
    fireEvent.click(within(ui.getByRole('group', { name: 'Acme Labs' })).getByRole('button', { name: 'Use this account' }));

    await chooseChannelAndSave(ui, 'Install');
    // The channels were listed with the chosen account's token, and the installation uses it.
    expect(slack.requests.filter((r) => r.path === '/api/conversations.list').map((r) => r.token)).toEqual(['xoxb-labs']);
    const [installation] = await installationsOf(server, userId);
    expect(installation.credentialIds).toEqual({ slack: labs });
    expect(callback).toHaveBeenCalledWith(expect.objectContaining({ success: true, credentialId: labs }));
  });

  it('starts from the account the installation already uses, with several connected', async () => {
    await slackAccount('Acme HQ');
    const labs = await slackAccount('Acme Labs');
    await installHeadless(server, userId, 'slack', { credentialId: labs, data: { channel: 'C0GENERAL' } });

    await install({ integrationId: 'slack' });

    const ui = modal();
    // Straight to the settings: nothing to ask.
    await chooseChannelAndSave(ui, 'Save');
    expect(ui.queryByRole('group')).toBeNull();
    expect((await installationsOf(server, userId))[0]).toMatchObject({ credentialIds: { slack: labs }, config: { channel: 'C0RANDOM' } });
  });

  it('connects another account beside the one in use, and saves the installation with the new one', async () => {
    const hq = await slackAccount('Acme HQ');
    await installHeadless(server, userId, 'slack', { credentialId: hq, data: { channel: 'C0GENERAL' } });
    slack.team = { id: 'T0LABS', name: 'Acme Labs' };

    await edit({ integrationId: 'slack' });

    const ui = modal();
    await ui.findByRole('group', { name: 'Acme HQ' });
    fireEvent.input(ui.getByLabelText('Bot token'), { target: { value: 'xoxb-labs-new' } });
    fireEvent.click(ui.getByRole('button', { name: 'Connect' }));
    await chooseChannelAndSave(ui, 'Save');

    const accounts = await server.services.store.credentials.list(userId);
    expect(accounts.map((c) => c.displayName).sort()).toEqual(['Acme HQ', 'Acme Labs']);
    const labs = accounts.find((c) => c.displayName === 'Acme Labs')!.credentialId;
    expect((await installationsOf(server, userId))[0].credentialIds).toEqual({ slack: labs });
  });

  it('shows the app’s own reason when it refuses an account, in the words `strings` gives its code', async () => {
    slack.acceptToken = () => false;
    const onError = vi.fn();
    await install({ integrationId: 'slack', onError, strings: { credential_refused: 'Slack did not take it ({message})' } });
    const ui = modal();
    fireEvent.input(await ui.findByLabelText('Bot token'), { target: { value: 'xoxb-revoked' } });
    fireEvent.click(ui.getByRole('button', { name: 'Connect' }));

    expect((await ui.findByRole('alert')).textContent).toBe('Slack did not take it (Slack says: invalid_auth)');
    expect(onError.mock.calls[0]![0]).toMatchObject({ code: 'invalid_request', serverCode: 'credential_refused', message: 'Slack says: invalid_auth' });
    // Still on the form, nothing stored.
    expect(ui.getByLabelText('Bot token')).toBeTruthy();
    expect(await server.services.store.credentials.list(userId)).toEqual([]);
  });

  it('shows the app’s reason as is in English', async () => {
    slack.acceptToken = () => false;
    await install({ integrationId: 'slack' });
    const ui = modal();
    fireEvent.input(await ui.findByLabelText('Bot token'), { target: { value: 'xoxb-revoked' } });
    fireEvent.click(ui.getByRole('button', { name: 'Connect' }));
    expect((await ui.findByRole('alert')).textContent).toBe('Slack says: invalid_auth');
  });

  describe('an account the app refused', () => {
    let refused: string;
    let installationId: string;
    let updatedAt: string;

    beforeEach(async () => {
      refused = await slackAccount('Acme HQ', 'xoxb-old');
      await installHeadless(server, userId, 'slack', { credentialId: refused, data: { channel: 'C0GENERAL' } });
      ({ installationId, updatedAt } = (await installationsOf(server, userId))[0]);
      await server.services.store.credentials.markNeedsReconnect(userId, refused, 'Slack says: token_revoked');
    });

    /** The installation is the one from before: same id, same settings, not written again. */
    async function expectInstallationKept() {
      const [installation] = await installationsOf(server, userId);
      expect(installation).toMatchObject({ installationId, updatedAt, config: { channel: 'C0GENERAL' }, credentialIds: { slack: refused } });
      expect(sentRequests(fetchSpy, http).filter((r) => r.includes('/me/installations') && !r.startsWith('GET'))).toEqual([]);
    }

    it('reconnects it in the modal with the API-key form: PUT to that same credential, the installation kept as it is', async () => {
      const callback = vi.fn();
      await edit({ integrationId: 'slack', callback });
      const ui = modal();
      const account = within(await ui.findByRole('group', { name: 'Acme HQ' }));
      expect(account.getByText('Reconnect needed')).toBeTruthy();
      expect(account.getByText(/Slack says: token_revoked/)).toBeTruthy();
      // It cannot be used as it is.
      expect(account.queryByRole('button', { name: 'Use this account' })).toBeNull();

      fireEvent.click(account.getByRole('button', { name: 'Reconnect' }));
      // The account step for that account alone: the focus moves to its form.
      const token = await ui.findByLabelText('Bot token');
      await waitFor(() => expect(document.querySelector('alloy-embedded')!.shadowRoot!.activeElement).toBe(ui.getByRole('button', { name: 'Connect with Slack' })));
      expect(ui.queryByRole('button', { name: 'Reconnect' })).toBeNull();
      fireEvent.input(token, { target: { value: 'xoxb-fresh' } });
      fireEvent.click(ui.getByRole('button', { name: 'Connect' }));

      // Done: the installation works again as it was, nothing to save.
      await ui.findByRole('heading', { name: 'Slack is ready' });
      expect(sentRequests(fetchSpy, http)).toContain(`PUT /me/credentials/${refused}`);
      expect(slack.requests.filter((r) => r.path === '/api/auth.test').at(-1)?.token).toBe('xoxb-fresh');
      const [account2] = await server.services.store.credentials.list(userId);
      expect(account2).toMatchObject({ credentialId: refused, status: 'healthy', lastError: null, displayName: 'Acme HQ' });
      await expectInstallationKept();
      expect(callback).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ success: true, credentialId: refused }));
    });

    it('shows it on the integrations page with the last error, and Reconnect there reconnects that account; the page reloads', async () => {
      const container = document.body.appendChild(document.createElement('section'));
      renderIntegrations(container);
      const page = inside(await vi.waitFor(() => container.querySelector('alloy-embedded') ?? Promise.reject(new Error('not rendered yet'))));
      const card = within(await page.findByRole('listitem', { name: 'Slack' }));
      const account = within(card.getByRole('group', { name: 'Acme HQ' }));
      expect(account.getByText('Reconnect needed')).toBeTruthy();
      expect(account.getByText(/Slack says: token_revoked/)).toBeTruthy();

      fireEvent.click(account.getByRole('button', { name: 'Reconnect' }));

      const ui = await vi.waitFor(modal);
      fireEvent.input(await ui.findByLabelText('Bot token'), { target: { value: 'xoxb-fresh' } });
      fireEvent.click(ui.getByRole('button', { name: 'Connect' }));
      await ui.findByRole('heading', { name: 'Slack is ready' });
      fireEvent.click(ui.getAllByRole('button', { name: 'Close' }).at(-1)!);

      // Reloaded: the account is fine again.
      await waitFor(() => expect(card.queryByRole('group', { name: 'Acme HQ' })).toBeNull());
      expect(card.getByText('Installed')).toBeTruthy();
      expect(sentRequests(fetchSpy, http)).toContain(`PUT /me/credentials/${refused}`);
      await expectInstallationKept();
    });

    it('reconnects an OAuth account by a sign-in that names that credential', async () => {
      const submitted: string[] = [];
      const realSubmit = HTMLFormElement.prototype.submit;
      const realOpen = window.open;
      // The browser's part (see oauth.test.tsx): a popup that stays open, a form sent into it.
      window.open = (() => ({ closed: false, close() {} })) as unknown as typeof window.open;
      HTMLFormElement.prototype.submit = function (this: HTMLFormElement) {
        submitted.push(this.action);
      };
      try {
        await edit({ integrationId: 'slack' });
        const ui = modal();
        fireEvent.click(within(await ui.findByRole('group', { name: 'Acme HQ' })).getByRole('button', { name: 'Reconnect' }));
        fireEvent.click(await ui.findByRole('button', { name: 'Connect with Slack' }));

        await waitFor(() => expect(submitted).toHaveLength(1));
        const state = new URL(submitted[0]!).searchParams.get('state')!;
        expect((await server.services.store.credentials.findOAuthState(state))?.credentialId).toBe(refused);

        // What the callback page posts once Slack sent the user back (the server reconnected that credential).
        window.dispatchEvent(new MessageEvent('message', { data: { type: 'alloy:oauth', success: true, app: 'slack', credentialId: refused }, origin: http.url }));
        await ui.findByRole('heading', { name: 'Slack is ready' });
        await expectInstallationKept();
      } finally {
        HTMLFormElement.prototype.submit = realSubmit;
        window.open = realOpen;
      }
    });
  });

  it('an installation whose account was deleted: no Reconnect, another account connected instead, and the installation saved with it', async () => {
    const gone = await slackAccount('Acme HQ');
    await installHeadless(server, userId, 'slack', { credentialId: gone, data: { channel: 'C0GENERAL' } });
    // The ISV deletes the account the installation uses.
    expect((await server.request('DELETE', `/users/${userId}/credentials/${gone}`)).status).toBe(200);

    const container = document.body.appendChild(document.createElement('section'));
    renderIntegrations(container);
    const page = inside(await vi.waitFor(() => container.querySelector('alloy-embedded') ?? Promise.reject(new Error('not rendered yet'))));
    const card = within(await page.findByRole('listitem', { name: 'Slack' }));
    const account = within(card.getByRole('group', { name: `Slack ${gone.slice(0, 6)}` }));
    expect(account.getByText('Account deleted')).toBeTruthy();
    expect(account.queryByRole('button', { name: 'Reconnect' })).toBeNull();

    slack.team = { id: 'T0LABS', name: 'Acme Labs' };
    fireEvent.click(account.getByRole('button', { name: 'Connect another account' }));

    const ui = await vi.waitFor(modal);
    // The modal shows it too, with nothing to do with it but replace it.
    const deleted = within(await ui.findByRole('group', { name: `Slack ${gone.slice(0, 6)}` }));
    expect(deleted.getByText('Account deleted')).toBeTruthy();
    expect(deleted.queryByRole('button')).toBeNull();
    fireEvent.input(ui.getByLabelText('Bot token'), { target: { value: 'xoxb-labs' } });
    fireEvent.click(ui.getByRole('button', { name: 'Connect' }));
    await chooseChannelAndSave(ui, 'Save');

    const [labs] = await server.services.store.credentials.list(userId);
    expect(labs!.displayName).toBe('Acme Labs');
    expect((await installationsOf(server, userId))[0]).toMatchObject({ credentialIds: { slack: labs!.credentialId }, config: { channel: 'C0RANDOM' } });
    fireEvent.click(ui.getAllByRole('button', { name: 'Close' }).at(-1)!);
    await waitFor(() => expect(card.queryByText('Account deleted')).toBeNull());
  });
});
