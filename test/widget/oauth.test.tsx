// @vitest-environment happy-dom
import './setup';
import { fireEvent, waitFor } from '@testing-library/preact';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../demo/fakes/slack';
import { userToken, type TestServer } from '../helpers/server';
import { installationsOf, modal, resetWidget, serve, signIn, type Http } from './helpers';
import { AlloyError, close, install } from '../../widget/index';

/** What the widget gets from window.open: a window it sends a form into and watches for closing. */
function fakePopup() {
  return {
    closed: false,
    close: vi.fn(function (this: { closed: boolean }) {
      this.closed = true;
    }),
  };
}

/** A form the page submitted, as the browser would send it: where, how, into which window. */
interface Submitted {
  method: string;
  action: string;
  target: string;
  fields: string[];
  inDocument: boolean;
}

describe('connecting an account through OAuth (popup)', () => {
  let slack: FakeSlack;
  let server: TestServer;
  let http: Http;
  let userId: string;
  const realOpen = window.open;
  let opened: Array<{ url: string | URL | undefined; target: string | undefined }>;
  let popup: ReturnType<typeof fakePopup> | null;
  let submitted: Submitted[];
  const realSubmit = HTMLFormElement.prototype.submit;

  beforeAll(async () => {
    slack = await startFakeSlack();
    ({ server, http } = await serve({
      env: { SLACK_API_URL: slack.url, SLACK_CLIENT_ID: 'client-1', SLACK_CLIENT_SECRET: 'secret-1', SLACK_OAUTH_URL: 'https://slack.example.com/oauth/v2/authorize' },
    }));
  });
  beforeEach(async () => {
    userId = await signIn(server, http);
    opened = [];
    popup = fakePopup();
    window.open = ((url?: string | URL, target?: string) => {
      opened.push({ url, target });
      return popup;
    }) as typeof window.open;
    // happy-dom would navigate this very page (it knows no other window by name): the browser's part is played below.
    submitted = [];
    HTMLFormElement.prototype.submit = function (this: HTMLFormElement) {
      submitted.push({
        method: this.method,
        action: this.action,
        target: this.target,
        fields: [...this.elements].map((e) => (e as HTMLInputElement).name),
        inDocument: this.isConnected,
      });
    };
  });
  afterEach(async () => {
    window.open = realOpen;
    HTMLFormElement.prototype.submit = realSubmit;
    await resetWidget();
  });
  afterAll(async () => {
    await http?.close();
    await server?.close();
    await slack?.close();
  });

  /** Opens the Slack modal and clicks "Connect with Slack"; resolves once the popup was sent to the provider. */
  async function startOAuth(options: Partial<Parameters<typeof install>[0]> = {}) {
    await install({ integrationId: 'slack', ...options } as Parameters<typeof install>[0]);
    const ui = modal();
    // Both ways are offered: OAuth, and the bot token form.
    expect(await ui.findByRole('heading', { name: 'Or enter the details' })).toBeTruthy();
    fireEvent.click(ui.getByRole('button', { name: 'Connect with Slack' }));
    return ui;
  }

  const post = (data: unknown, origin = http.url) => window.dispatchEvent(new MessageEvent('message', { data, origin }));

  it('opens the popup in the click, begins the sign-in by a form this page posts into it, and goes on with the account it connected', async () => {
    const callback = vi.fn();
    const ui = await startOAuth({ callback });

    expect(opened).toEqual([{ url: 'about:blank', target: 'alloy-oauth' }]);
    await waitFor(() => expect(submitted).toHaveLength(1));
    const form = submitted[0]!;
    expect(form).toEqual({
      method: 'post',
      action: expect.stringMatching(new RegExp(`^${http.url}/oauth/begin\\?state=[\\w-]+$`)),
      target: 'alloy-oauth',
      fields: [],
      inDocument: true,
    });
    // Submitted, the form is gone from the page.
    expect(document.querySelector('form')).toBeNull();
    // What the browser sends: the POST with this page's Origin, answered with the way to the provider.
    const begin = new URL(form.action);
    const begun = await server.request('POST', `${begin.pathname}${begin.search}`, { apiKey: null, headers: { origin: location.origin } });
    expect(begun.status).toBe(303);
    const authorize = new URL(begun.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe('https://slack.example.com/oauth/v2/authorize');
    expect(authorize.searchParams.get('client_id')).toBe('client-1');
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${http.url}/oauth/callback`);
    // Busy: aria-disabled, not disabled, so the focus stays on it (in the dialog).
    expect(ui.getByRole('button', { name: 'Connect with Slack' }).getAttribute('aria-disabled')).toBe('true');

    // What the callback page posts to the opener once the provider sent the user back.
    const token = await userToken(server, userId);
    const { credentialId } = (await server.request('POST', '/me/credentials', { token, body: { app: 'slack', data: { botToken: 'xoxb-oauth' } } })).body;
    // Forged messages first (another origin, another type), each naming an account of its own: had
    // either been taken, the flow would have ended with it and ignored the real one that follows.
    post({ type: 'alloy:oauth', success: true, app: 'slack', credentialId: 'forged-origin' }, 'https://evil.example.com');
    post({ type: 'something-else', success: true, credentialId: 'forged-type' });
    post({ type: 'alloy:oauth', success: true, app: 'slack', credentialId });

    await waitFor(() => expect((ui.getByLabelText('Slack channel') as HTMLSelectElement).disabled).toBe(false));
    expect(slack.requests.at(-1)?.token).toBe('xoxb-oauth');
    fireEvent.change(ui.getByLabelText('Slack channel'), { target: { value: 'C0GENERAL' } });
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));
    await ui.findByRole('heading', { name: 'Slack is ready' });
    expect((await installationsOf(server, userId))[0].credentialIds).toEqual({ slack: credentialId });
    expect(callback).toHaveBeenCalledWith(expect.objectContaining({ success: true, credentialId }));
  });

  it('says so when the provider refused, and closes the popup', async () => {
    const onError = vi.fn();
    const ui = await startOAuth({ onError });
    await waitFor(() => expect(submitted).toHaveLength(1));

    post({ type: 'alloy:oauth', success: false, error: 'access_denied' });

    expect((await ui.findByRole('alert')).textContent).toBe('access_denied');
    expect(popup!.close).toHaveBeenCalled();
    expect(onError.mock.calls[0]![0]).toMatchObject({ code: 'unauthorized', message: 'access_denied' });
    expect(ui.getByRole('button', { name: 'Connect with Slack' }).getAttribute('aria-disabled')).toBe('false');
  });

  it('says so when the user closes the popup first', async () => {
    const onError = vi.fn();
    const ui = await startOAuth({ onError });
    await waitFor(() => expect(submitted).toHaveLength(1));

    popup!.closed = true;

    const alert = await ui.findByRole('alert', {}, { timeout: 2000 });
    expect(alert.textContent).toBe('The sign-in window was closed before the account was connected.');
    expect(onError.mock.calls[0]![0]).toBeInstanceOf(AlloyError);
    expect(onError.mock.calls[0]![0]).toMatchObject({ code: 'popup_closed' });
  });

  it('cancels the sign-in when the modal closes: its message listener and popup watch are removed', async () => {
    const onError = vi.fn();
    const callback = vi.fn();
    await startOAuth({ onError, callback });
    await waitFor(() => expect(submitted).toHaveLength(1));
    const removed = vi.spyOn(window, 'removeEventListener');
    const cleared = vi.spyOn(globalThis, 'clearInterval');

    close();

    try {
      expect(removed).toHaveBeenCalledWith('message', expect.any(Function));
      expect(cleared).toHaveBeenCalled();
    } finally {
      removed.mockRestore();
      cleared.mockRestore();
    }
    expect(onError).not.toHaveBeenCalled();
    expect(callback).toHaveBeenCalledExactlyOnceWith({ success: false });
  });

  it('says so when the popup was blocked', async () => {
    popup = null;
    const onError = vi.fn();
    const ui = await startOAuth({ onError });

    expect((await ui.findByRole('alert')).textContent).toBe('The sign-in window was blocked. Allow pop-ups for this page and try again.');
    expect(onError.mock.calls[0]![0]).toMatchObject({ code: 'popup_blocked' });
  });
});
