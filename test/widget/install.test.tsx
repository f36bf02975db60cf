// @vitest-environment happy-dom
import './setup';
import { fireEvent, waitFor, within } from '@testing-library/preact';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../demo/fakes/slack';
import type { TestServer } from '../helpers/server';
import { alerts, consent, forms, pair, vault } from './definitions';
import { addCredential, installHeadless } from '../helpers/flows';
import { definitionsWith, installationsOf, modal, resetWidget, serve, signIn, type Http } from './helpers';
import { AlloyError, authenticate, close, edit, install } from '../../widget/index';

const select = (el: HTMLElement) => el as HTMLSelectElement;
const optionTexts = (el: HTMLElement) => [...select(el).options].map((o) => o.textContent);

/**
 * Records the requests the widget sends ("POST /me/installations"), through the page's own fetch,
 * until the test ends. `answerRead(request)` resolves once the widget has read the answer to that
 * request and the tasks that follow have run: what the widget does next on that answer, it has
 * sent by then.
 */
function watchRequests() {
  const sent: string[] = [];
  const read = new Map<string, Promise<void>>();
  const pageFetch = globalThis.fetch;
  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = `${init?.method ?? 'GET'} ${new URL(String(input instanceof Request ? input.url : input)).pathname}`;
    sent.push(request);
    const res = await pageFetch(input, init);
    const json = res.json.bind(res);
    let done!: () => void;
    read.set(request, new Promise<void>((resolve) => (done = resolve)));
    res.json = () => json().finally(() => done());
    return res;
  });
  onTestFinished(() => spy.mockRestore());
  return {
    sent,
    async answerRead(request: string) {
      await vi.waitFor(() => expect(read.has(request)).toBe(true), { timeout: 10_000 });
      await read.get(request);
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  };
}

describe('installing with the widget', () => {
  let slack: FakeSlack;
  let server: TestServer;
  let http: Http;

  beforeAll(async () => {
    slack = await startFakeSlack();
    ({ server, http } = await serve({ env: { SLACK_API_URL: slack.url }, definitions: () => definitionsWith([forms, alerts, consent, vault, pair]) }));
  });
  afterEach(async () => {
    slack.acceptToken = (token) => /^xox[bp]-/.test(token);
    slack.team = { id: 'T0NORTHWIND', name: 'Northwind Traders' };
    await resetWidget();
  });
  afterAll(async () => {
    await http?.close();
    await server?.close();
    await slack?.close();
  });

  /** Opens the Slack modal and connects an account with a bot token. */
  async function connectSlack(token: string, integrationId = 'slack') {
    const callback = vi.fn();
    await install({ integrationId, callback });
    const ui = modal();
    fireEvent.input(await ui.findByLabelText('Bot token'), { target: { value: token } });
    fireEvent.click(ui.getByRole('button', { name: 'Connect' }));
    return { ui, callback };
  }

  it('installs Slack with a bot token: connect, choose a channel Slack lists, done, callback once', async () => {
    const userId = await signIn(server, http);
    const callback = vi.fn();

    await install({ integrationId: 'slack', callback });

    const ui = modal();
    const dialog = await ui.findByRole('dialog', { name: 'Slack' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(ui.getByRole('heading', { name: 'Connect your Slack account' })).toBeTruthy();
    const token = ui.getByLabelText('Bot token') as HTMLInputElement;
    expect(token.type).toBe('password');
    fireEvent.input(token, { target: { value: 'xoxb-widget-1' } });
    fireEvent.click(ui.getByRole('button', { name: 'Connect' }));

    // The settings step: the channel select waits for Slack's channels, then offers them.
    const loading = select(await ui.findByLabelText('Slack channel'));
    expect(loading.disabled).toBe(true);
    expect(loading.getAttribute('aria-busy')).toBe('true');
    expect(optionTexts(loading)).toEqual(['Loading…']);
    await waitFor(() => expect(select(ui.getByLabelText('Slack channel')).disabled).toBe(false));
    const channel = select(ui.getByLabelText('Slack channel'));
    expect(optionTexts(channel)).toEqual(['Choose…', '#general', '#random']);
    expect(slack.requests.filter((r) => r.path === '/api/conversations.list').at(-1)?.token).toBe('xoxb-widget-1');
    fireEvent.change(channel, { target: { value: 'C0RANDOM' } });
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));

    await ui.findByRole('heading', { name: 'Slack is ready' });
    expect(ui.getByRole('dialog', { name: 'Slack is ready' })).toBeTruthy();
    const installations = await installationsOf(server, userId);
    expect(installations).toHaveLength(1);
    expect(installations[0]).toMatchObject({ integrationId: 'slack', workflowId: 'slack-ticket-created', active: true, config: { channel: 'C0RANDOM' } });
    expect(callback).toHaveBeenCalledTimes(1);
    // The install callback also says which account was connected.
    expect(callback).toHaveBeenCalledWith({
      success: true,
      installationId: installations[0].installationId,
      workflowIds: ['slack-ticket-created'],
      credentialId: installations[0].credentialIds.slack,
    });

    fireEvent.click(ui.getAllByRole('button', { name: 'Close' }).at(-1)!);
    expect(document.querySelector('alloy-embedded')).toBeNull();
    expect(callback).toHaveBeenCalledTimes(1);
  });

  it('skips the connect step when the user already has an account connected', async () => {
    const userId = await signIn(server, http);
    const first = await connectSlack('xoxb-first');
    await waitFor(() => expect(select(first.ui.getByLabelText('Slack channel')).disabled).toBe(false));
    await resetWidget();

    await install({ integrationId: 'slack' });

    const ui = modal();
    await waitFor(() => expect(select(ui.getByLabelText('Slack channel')).disabled).toBe(false));
    expect(ui.queryByLabelText('Bot token')).toBeNull();
    fireEvent.change(ui.getByLabelText('Slack channel'), { target: { value: 'C0GENERAL' } });
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));
    await ui.findByRole('heading', { name: 'Slack is ready' });
    expect((await installationsOf(server, userId))[0].config).toEqual({ channel: 'C0GENERAL' });
  });

  it('fills every field type, installs, and the server stores each value (the secret redacted)', async () => {
    const userId = await signIn(server, http);
    const callback = vi.fn();

    await install({ integrationId: 'forms', callback });

    const ui = modal();
    await ui.findByRole('dialog', { name: 'Forms' });
    // No account to connect: straight to the settings.
    expect(ui.queryByRole('button', { name: 'Connect' })).toBeNull();
    const title = ui.getByLabelText('Title') as HTMLInputElement;
    expect(title.placeholder).toBe('A title');
    fireEvent.input(title, { target: { value: 'Support forms' } });
    const secret = ui.getByLabelText('API key') as HTMLInputElement;
    expect(secret.type).toBe('password');
    fireEvent.input(secret, { target: { value: 'sk-123' } });
    const limit = ui.getByLabelText('Limit') as HTMLInputElement;
    expect(limit.type).toBe('number');
    fireEvent.input(limit, { target: { value: '25' } });
    const notify = ui.getByRole('checkbox', { name: 'Notify the team' }) as HTMLInputElement;
    expect(notify.checked).toBe(false);
    fireEvent.click(notify);
    expect(notify.checked).toBe(true);
    const region = ui.getByLabelText('Region');
    expect(optionTexts(region)).toEqual(['Choose…', 'US', 'EU']);
    fireEvent.change(region, { target: { value: 'eu' } });
    const tags = select(ui.getByLabelText('Tags'));
    expect(tags.multiple).toBe(true);
    expect(optionTexts(tags)).toEqual(['Red', 'Green', 'Blue']);
    tags.options[0]!.selected = true;
    tags.options[2]!.selected = true;
    fireEvent.change(tags);
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));

    await ui.findByRole('heading', { name: 'Forms is ready' });
    const [installation] = await installationsOf(server, userId);
    expect(installation.config).toEqual({ title: 'Support forms', apiKey: '[redacted]', limit: 25, notify: true, region: 'eu', tags: ['red', 'blue'] });
    expect(callback).toHaveBeenCalledWith({ success: true, installationId: installation.installationId, workflowIds: ['forms-forward'] });
  });

  it('fills a select from Slack in another integration on Slack, with the account connected there', async () => {
    const userId = await signIn(server, http);
    const { ui } = await connectSlack('xoxp-alerts', 'alerts');
    await ui.findByRole('dialog', { name: 'Alerts' });
    await waitFor(() => expect(select(ui.getByLabelText('Alert channel')).disabled).toBe(false));
    expect(optionTexts(ui.getByLabelText('Alert channel'))).toEqual(['Choose…', '#general', '#random']);
    fireEvent.change(ui.getByLabelText('Alert channel'), { target: { value: 'C0GENERAL' } });
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));
    await ui.findByRole('heading', { name: 'Alerts is ready' });
    expect((await installationsOf(server, userId))[0]).toMatchObject({ workflowId: 'alerts-post', config: { alertChannel: 'C0GENERAL' } });
  });

  it('reopens an installation with its settings filled in, and saving keeps the stored secret', async () => {
    const userId = await signIn(server, http);
    await install({ integrationId: 'vault' });
    let ui = modal();
    fireEvent.input(await ui.findByLabelText('Endpoint URL'), { target: { value: 'https://vault.example.com' } });
    fireEvent.input(ui.getByLabelText('API token'), { target: { value: 'tok-1' } });
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));
    await ui.findByRole('heading', { name: 'Vault is ready' });
    await resetWidget();

    await edit({ integrationId: 'vault' });

    ui = modal();
    const url = (await ui.findByLabelText('Endpoint URL')) as HTMLInputElement;
    expect(url.value).toBe('https://vault.example.com');
    fireEvent.input(url, { target: { value: 'https://vault2.example.com' } });
    fireEvent.click(ui.getByRole('button', { name: 'Save' }));
    await ui.findByRole('heading', { name: 'Vault is ready' });
    const [installation] = await installationsOf(server, userId);
    expect(installation.config).toEqual({ url: 'https://vault2.example.com', apiToken: '[redacted]' });
    const sealed = await server.services.store.installations.list(userId);
    expect(JSON.stringify(sealed[0]!.config)).not.toContain('tok-1');
  });

  it('asks once for a field two workflows share, with its default filled in, and installs both', async () => {
    const userId = await signIn(server, http);
    const callback = vi.fn();
    await install({ integrationId: 'pair', callback });
    const ui = modal();
    expect(await ui.findAllByLabelText('Target')).toHaveLength(1);
    expect((ui.getByLabelText('Note') as HTMLInputElement).value).toBe('from the widget');
    fireEvent.input(ui.getByLabelText('Target'), { target: { value: 'https://t.example.com' } });
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));
    await ui.findByRole('heading', { name: 'Pair is ready' });
    const installations = await installationsOf(server, userId);
    expect(Object.fromEntries(installations.map((i) => [i.workflowId, i.config]))).toEqual({
      'pair-orders': { target: 'https://t.example.com', note: 'from the widget' },
      'pair-refunds': { target: 'https://t.example.com' },
    });
    expect(callback.mock.calls[0]![0].workflowIds.sort()).toEqual(['pair-orders', 'pair-refunds']);
  });

  it('installs only the workflows asked for, asking only their fields', async () => {
    const userId = await signIn(server, http);
    const callback = vi.fn();
    await install({ workflowIds: ['pair-refunds'], callback });
    const ui = modal();
    await ui.findByRole('dialog', { name: 'Pair' });
    expect(ui.queryByLabelText('Note')).toBeNull();
    fireEvent.input(ui.getByLabelText('Target'), { target: { value: 'https://t.example.com' } });
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));
    await ui.findByRole('heading', { name: 'Pair is ready' });
    expect((await installationsOf(server, userId)).map((i) => i.workflowId)).toEqual(['pair-refunds']);
    expect(callback).toHaveBeenCalledWith(expect.objectContaining({ success: true, workflowIds: ['pair-refunds'] }));
  });

  it('connects an account only with authenticate, which resolves with its credentialId', async () => {
    const userId = await signIn(server, http);
    const callback = vi.fn();
    // Settles once the account is connected: not awaited before the user has done it.
    const connected = authenticate({ app: 'Slack', callback });
    const ui = await vi.waitFor(modal);
    fireEvent.input(await ui.findByLabelText('Bot token'), { target: { value: 'xoxb-auth' } });
    fireEvent.click(ui.getByRole('button', { name: 'Connect' }));
    await ui.findByRole('heading', { name: 'Slack is ready' });
    expect(ui.queryByLabelText('Slack channel')).toBeNull();
    const [credential] = await server.services.store.credentials.list(userId);
    expect(await connected).toBe(credential!.credentialId);
    expect(callback).toHaveBeenCalledExactlyOnceWith({ success: true, credentialId: credential!.credentialId });
    expect(await installationsOf(server, userId)).toEqual([]);
  });

  it('authenticate resolves with undefined when the user closes the modal without connecting', async () => {
    await signIn(server, http);
    const callback = vi.fn();
    const connected = authenticate({ app: 'Slack', callback });
    await (await vi.waitFor(modal)).findByLabelText('Bot token');
    close();
    expect(await connected).toBeUndefined();
    expect(callback).toHaveBeenCalledExactlyOnceWith({ success: false });
  });

  it('lists the user’s accounts on the account step and removes one no installation uses, from the server too', async () => {
    const userId = await signIn(server, http);
    slack.team = { id: 'T0USED', name: 'Used Workspace' };
    const used = await addCredential(server, userId, 'slack', { botToken: 'xoxb-used' });
    await installHeadless(server, userId, 'slack', { credentialId: used, data: { channel: 'C0GENERAL' } });
    slack.team = { id: 'T0SPARE', name: 'Spare Workspace' };
    await addCredential(server, userId, 'slack', { botToken: 'xoxb-spare' });

    void authenticate({ app: 'Slack' });

    const ui = await vi.waitFor(modal);
    const spare = within(await ui.findByRole('group', { name: 'Spare Workspace' }));
    // Only the spare account can go: the one an installation uses has no button.
    expect(within(ui.getByRole('group', { name: 'Used Workspace' })).queryByRole('button', { name: 'Remove' })).toBeNull();
    fireEvent.click(spare.getByRole('button', { name: 'Remove' }));
    await waitFor(() => expect(ui.queryByRole('group', { name: 'Spare Workspace' })).toBeNull());
    expect(ui.queryByRole('button', { name: 'Remove' })).toBeNull();
    expect(ui.getByLabelText('Bot token')).toBeTruthy();
    expect((await server.services.store.credentials.list(userId)).map((c) => c.credentialId)).toEqual([used]);
  });

  it('with hide, installs without showing anything when nothing needs asking', async () => {
    const userId = await signIn(server, http);
    const callback = vi.fn();
    const onClose = vi.fn();
    await install({ integrationId: 'consent', hide: true, callback, onClose });
    expect(document.querySelector('alloy-embedded')!.shadowRoot!.querySelector<HTMLElement>('.bd')!.hidden).toBe(true);
    await waitFor(() => expect(callback).toHaveBeenCalledTimes(1));
    const [installation] = await installationsOf(server, userId);
    expect(callback).toHaveBeenCalledWith({ success: true, installationId: installation.installationId, workflowIds: ['consent-forward'] });
    expect(document.querySelector('alloy-embedded')).toBeNull();
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('with hide, shows the modal when a field needs an answer', async () => {
    const userId = await signIn(server, http);
    const callback = vi.fn();
    await install({ integrationId: 'vault', hide: true, callback });
    const ui = modal();
    await ui.findByLabelText('Endpoint URL');
    await waitFor(() => expect(document.querySelector('alloy-embedded')!.shadowRoot!.querySelector<HTMLElement>('.bd')!.hidden).toBe(false));
    // Nothing is flagged before the user has done anything.
    expect(ui.queryByText('Endpoint URL is required')).toBeNull();
    expect(ui.getByLabelText('Endpoint URL').getAttribute('aria-invalid')).toBeNull();
    expect(callback).not.toHaveBeenCalled();
    expect(await installationsOf(server, userId)).toEqual([]);
    // Focus moves into it once it shows, as it does into a modal shown from the start.
    await waitFor(() => expect(document.querySelector('alloy-embedded')!.shadowRoot!.activeElement).toBe(ui.getByLabelText('Endpoint URL')));
  });

  it('with hide, installs nothing when closed before it got to install', async () => {
    const userId = await signIn(server, http);
    const callback = vi.fn();
    const onClose = vi.fn();
    const requests = watchRequests();
    await install({ integrationId: 'consent', hide: true, callback, onClose });
    close();
    // The load it started ends after the close: on its answer, nothing more is sent.
    await requests.answerRead('GET /me/integrations/consent');
    expect(requests.sent).not.toContain('POST /me/installations');
    expect(await installationsOf(server, userId)).toEqual([]);
    expect(callback).toHaveBeenCalledExactlyOnceWith({ success: false });
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(document.querySelector('alloy-embedded')).toBeNull();
  });

  describe('validation', () => {
    it('shows "<Label> is required" next to an empty required field, and installs nothing', async () => {
      const userId = await signIn(server, http);
      const callback = vi.fn();
      const requests = watchRequests();
      await install({ integrationId: 'vault', callback });
      const ui = modal();
      fireEvent.input(await ui.findByLabelText('API token'), { target: { value: 'tok-1' } });

      fireEvent.click(ui.getByRole('button', { name: 'Install' }));

      const url = ui.getByLabelText('Endpoint URL');
      expect(url.getAttribute('aria-invalid')).toBe('true');
      const message = ui.getByText('Endpoint URL is required');
      expect(url.getAttribute('aria-describedby')?.split(' ')).toContain(message.id);
      expect(ui.getByLabelText('API token').getAttribute('aria-invalid')).toBeNull();
      expect(await installationsOf(server, userId)).toEqual([]);
      expect(callback).not.toHaveBeenCalled();

      // Typing clears the message.
      fireEvent.input(url, { target: { value: 'https://vault.example.com' } });
      expect(url.getAttribute('aria-invalid')).toBeNull();
      expect(ui.queryByText('Endpoint URL is required')).toBeNull();
      // Answered, it installs: the one install the widget sent (one from the first click would have come before it).
      fireEvent.click(ui.getByRole('button', { name: 'Install' }));
      await ui.findByRole('heading', { name: 'Vault is ready' });
      expect(requests.sent.filter((r) => r === 'POST /me/installations')).toHaveLength(1);
      expect(callback).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ success: true }));
    });

    it('shows the server’s 400 about config.<field> next to that field', async () => {
      const userId = await signIn(server, http);
      await install({ integrationId: 'vault' });
      const ui = modal();
      // Only spaces: not empty to the widget, but the server trims it.
      fireEvent.input(await ui.findByLabelText('Endpoint URL'), { target: { value: '   ' } });
      fireEvent.input(ui.getByLabelText('API token'), { target: { value: 'tok-1' } });

      fireEvent.click(ui.getByRole('button', { name: 'Install' }));

      const alert = await ui.findByRole('alert');
      expect(alert.textContent).toBe('Invalid configuration for "Forward records to the vault": config.url: Endpoint URL is required');
      const url = ui.getByLabelText('Endpoint URL');
      expect(url.getAttribute('aria-invalid')).toBe('true');
      const message = ui.getByText('Endpoint URL is required');
      expect(url.getAttribute('aria-describedby')?.split(' ')).toContain(message.id);
      expect(await installationsOf(server, userId)).toEqual([]);
    });

    it('names every missing field at once; a number field holding no number counts as empty', async () => {
      const userId = await signIn(server, http);
      await install({ integrationId: 'forms' });
      const ui = modal();
      // As in a browser, an <input type="number"> holds "" for text that is not a number.
      fireEvent.input(await ui.findByLabelText('Limit'), { target: { value: 'ten' } });
      fireEvent.click(ui.getByRole('button', { name: 'Install' }));
      for (const label of ['Title', 'API key', 'Limit', 'Region']) {
        expect(ui.getByLabelText(label).getAttribute('aria-invalid'), label).toBe('true');
        expect(ui.getByText(`${label} is required`)).toBeTruthy();
      }
      // Optional fields are not flagged.
      expect(ui.getByLabelText('Tags').getAttribute('aria-invalid')).toBeNull();
      expect(ui.getByRole('checkbox', { name: 'Notify the team' }).getAttribute('aria-invalid')).toBeNull();
      expect(await installationsOf(server, userId)).toEqual([]);
    });

    it('installs a required checkbox left unticked as false', async () => {
      const userId = await signIn(server, http);
      await install({ integrationId: 'consent' });
      const ui = modal();
      expect(((await ui.findByRole('checkbox', { name: 'Archive a copy' })) as HTMLInputElement).checked).toBe(false);
      fireEvent.click(ui.getByRole('button', { name: 'Install' }));
      await ui.findByRole('heading', { name: 'Consent is ready' });
      expect((await installationsOf(server, userId))[0].config).toEqual({ archive: false });
    });
  });

  describe('server errors, in words', () => {
    it('shows the server’s message when the account details are refused', async () => {
      const userId = await signIn(server, http);
      const { ui } = await connectSlack('   ');
      const alert = await ui.findByRole('alert');
      expect(alert.textContent).toContain('Invalid Slack credential');
      // Still on the form, the value kept, to fix and try again.
      expect((ui.getByLabelText('Bot token') as HTMLInputElement).value).toBe('   ');
      expect((await server.request('GET', `/installations?userId=${userId}`)).body.data).toEqual([]);

      fireEvent.input(ui.getByLabelText('Bot token'), { target: { value: 'xoxb-good' } });
      fireEvent.click(ui.getByRole('button', { name: 'Connect' }));
      // Its channels loaded: no call to Slack is left in flight for the next test's.
      await waitFor(() => expect(select(ui.getByLabelText('Slack channel')).disabled).toBe(false));
      expect(ui.queryByRole('alert')).toBeNull();
    });

    it('shows options that fail to load as an alert with Retry, which loads them again', async () => {
      await signIn(server, http);
      // The account passes Slack's check when connected; then Slack refuses to list its channels.
      slack.failNext('invalid_auth', { method: 'conversations.list' });
      const { ui } = await connectSlack('xoxb-revoked');

      const alert = await ui.findByRole('alert');
      expect(alert.textContent).toContain('Could not load the choices.');
      expect(alert.textContent).toContain('invalid_auth');
      slack.acceptToken = () => true;
      fireEvent.click(ui.getByRole('button', { name: 'Retry' }));

      await waitFor(() => expect(select(ui.getByLabelText('Slack channel')).disabled).toBe(false));
      expect(optionTexts(ui.getByLabelText('Slack channel'))).toEqual(['Choose…', '#general', '#random']);
      expect(ui.queryByRole('alert')).toBeNull();
    });

    it('says so when the integration does not exist', async () => {
      await signIn(server, http);
      const onError = vi.fn();
      await install({ integrationId: 'nope', onError });
      const alert = await modal().findByRole('alert');
      expect(alert.textContent).toMatch(/^No integration "nope"/);
      // onError gets the AlloyError itself, code and all, once.
      expect(onError).toHaveBeenCalledTimes(1);
      expect(onError.mock.calls[0]![0]).toBeInstanceOf(AlloyError);
      expect(onError.mock.calls[0]![0]).toMatchObject({ code: 'not_found', message: alert.textContent });
    });
  });
});
