// @vitest-environment happy-dom
import './setup';
import { fireEvent, waitFor, within } from '@testing-library/preact';
import { Agent, fetch as nodeFetch } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TestServer } from '../helpers/server';
import { vault } from './definitions';
import { definitionsWith, inside, installationsOf, modal, resetWidget, serve, signIn, type Http } from './helpers';
import de from '../../widget/locales/de';
import es from '../../widget/locales/es';
import fr from '../../widget/locales/fr';
import { AlloyError, close, install, renderIntegrations } from '../../widget/index';

/** Renders the integrations page into a container of the host page; queries inside its shadow root. */
async function renderPage(options: Parameters<typeof renderIntegrations>[1] = {}) {
  const container = document.createElement('section');
  document.body.append(container);
  renderIntegrations(container, options);
  const host = await vi.waitFor(() => container.querySelector('alloy-embedded') ?? Promise.reject(new Error('not rendered yet')));
  return inside(host);
}

describe('the widget in the user’s language', () => {
  let server: TestServer;
  let http: Http;
  let userId: string;
  /** The locale files the widget asked for, in order: `de`, `fr`… */
  const fetched: string[] = [];
  /** Locales whose file cannot be fetched, as on a flaky network. */
  const unreachable = new Set<string>();
  /** Node's connections to the test server, closed before it is (else they reset). */
  const agent = new Agent();
  /** The requests under way: the page reloads its list when the modal closes, after the test too. */
  const pending = new Set<Promise<unknown>>();

  beforeAll(async () => {
    ({ server, http } = await serve({ definitions: () => definitionsWith([vault]) }));
    // The UI fetches a locale from beside itself: in the browser, `…/widget/alloy-locale-de.json` at
    // the server, beside `alloy-ui.js`; here, where the source is, beside widget/ui.ts. That request
    // goes to the test server instead, which serves the files the build wrote (`npm test` builds
    // first), with Node's fetch: happy-dom sends a CORS preflight even for a simple GET, which no
    // browser does (test/e2e/locale.test.ts fetches it from another origin in Chromium).
    const pageFetch = globalThis.fetch;
    const track = (response: Promise<Response>) => {
      pending.add(response);
      void response.catch(() => undefined).finally(() => pending.delete(response));
      return response;
    };
    vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => track(localeFetch(input, init)));
    const localeFetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      const url = String(input instanceof Request ? input.url : input);
      const locale = /\/widget\/alloy-locale-([\w-]+)\.json$/.exec(url)?.[1];
      if (!locale) return pageFetch(input, init);
      fetched.push(locale);
      if (unreachable.has(locale)) return Promise.reject(new TypeError('Failed to fetch'));
      return nodeFetch(`${http.url}/widget/alloy-locale-${locale}.json`, { dispatcher: agent }) as unknown as Promise<Response>;
    };
  });
  beforeEach(async () => {
    userId = await signIn(server, http);
  });
  afterEach(async () => {
    document.documentElement.lang = '';
    unreachable.clear();
    await resetWidget();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await Promise.allSettled(pending);
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await agent.close();
    await http?.close();
    await server?.close();
  });

  it('install({ locale: "de" }): German words, and the server’s error in German (the field’s own words stay the server’s, the labels the ISV’s)', async () => {
    const onError = vi.fn();
    await install({ integrationId: 'vault', locale: 'de', onError });
    const ui = modal();
    // Spaces only: not empty to the widget, but the server trims it and answers 400.
    fireEvent.input(await ui.findByLabelText('Endpoint URL'), { target: { value: '   ' } });
    fireEvent.input(ui.getByLabelText('API token'), { target: { value: 'tok-1' } });
    expect(ui.getByRole('button', { name: 'Schließen' })).toBeTruthy();
    fireEvent.click(ui.getByRole('button', { name: 'Installieren' }));

    const alert = await ui.findByRole('alert');
    expect(alert.textContent).toBe(de.invalid_request);
    expect(alert.textContent).toBe('Bitte prüfen Sie Ihre Eingaben.');
    expect(ui.getByText('Endpoint URL is required')).toBeTruthy();
    // onError gets the error as it was: the code, the server's own code and words.
    expect(onError.mock.calls[0]![0]).toBeInstanceOf(AlloyError);
    expect(onError.mock.calls[0]![0]).toMatchObject({
      code: 'invalid_request',
      serverCode: 'invalid_request',
      message: expect.stringContaining('config.url: Endpoint URL is required'),
    });
    expect(await installationsOf(server, userId)).toEqual([]);
  });

  it('fetches a locale once a page', async () => {
    await install({ integrationId: 'vault', locale: 'de-AT' });
    await modal().findByRole('button', { name: 'Installieren' });
    close();
    await install({ integrationId: 'vault', locale: 'de' });
    await modal().findByRole('button', { name: 'Installieren' });
    expect(fetched.filter((l) => l === 'de')).toEqual(['de']);
  });

  it('defaults to the page’s <html lang>; English and an unknown language fetch nothing', async () => {
    document.documentElement.lang = 'de-DE';
    await install({ integrationId: 'vault' });
    expect(await modal().findByRole('button', { name: 'Installieren' })).toBeTruthy();
    close();

    const before = fetched.length;
    document.documentElement.lang = 'nl';
    await install({ integrationId: 'vault' });
    expect(await modal().findByRole('button', { name: 'Install' })).toBeTruthy();
    close();
    // An explicit locale wins over the page's.
    document.documentElement.lang = 'de';
    await install({ integrationId: 'vault', locale: 'en-GB' });
    expect(await modal().findByRole('button', { name: 'Install' })).toBeTruthy();
    expect(fetched.length).toBe(before);
  });

  it('the strings option wins over the locale, error messages too', async () => {
    await install({ integrationId: 'vault', locale: 'de', strings: { install: 'Jetzt installieren', invalid_request: 'Die Angaben stimmen nicht.' } });
    const ui = modal();
    fireEvent.input(await ui.findByLabelText('Endpoint URL'), { target: { value: '   ' } });
    fireEvent.input(ui.getByLabelText('API token'), { target: { value: 'tok-1' } });
    expect(ui.getByRole('button', { name: 'Schließen' })).toBeTruthy();
    fireEvent.click(ui.getByRole('button', { name: 'Jetzt installieren' }));
    expect((await ui.findByRole('alert')).textContent).toBe('Die Angaben stimmen nicht.');
  });

  it('English keeps the server’s own words for an error', async () => {
    await install({ integrationId: 'nope', locale: 'en' });
    expect((await modal().findByRole('alert')).textContent).toMatch(/^No integration "nope"/);
  });

  it('falls back to English when the locale file cannot be fetched, and tries again next time', async () => {
    unreachable.add('es');
    await install({ integrationId: 'vault', locale: 'es' });
    const ui = modal();
    expect(await ui.findByLabelText('Endpoint URL')).toBeTruthy();
    expect(ui.getByRole('button', { name: 'Install' })).toBeTruthy();
    close();

    unreachable.clear();
    await install({ integrationId: 'vault', locale: 'es' });
    expect(await modal().findByRole('button', { name: es.install })).toBeTruthy();
    expect(fetched.filter((l) => l === 'es')).toEqual(['es', 'es']);
  });

  it('renderIntegrations picks up <html lang="fr">: the page, its errors and the modal it opens are French', async () => {
    document.documentElement.lang = 'fr';
    const ui = await renderPage();
    await ui.findByRole('list');
    const card = within(ui.getByRole('listitem', { name: 'Vault' }));
    expect(card.getByText(fr.notInstalled)).toBeTruthy();

    // The token expires (no provider): the page says why the modal cannot open in French, not in the widget's English.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 2 * 3600_000);
      fireEvent.click(card.getByRole('button', { name: 'Installer' }));
      expect((await ui.findByRole('alert')).textContent).toBe(fr.unauthorized);
      expect(fr.unauthorized).toBe('Votre session a expiré. Rechargez la page.');
    } finally {
      vi.useRealTimers();
    }

    // The modal it opens is French too.
    fireEvent.click(card.getByRole('button', { name: 'Installer' }));
    const dialog = await waitFor(modal);
    expect(await dialog.findByRole('button', { name: 'Installer' })).toBeTruthy();
    expect(dialog.getByRole('button', { name: 'Fermer' })).toBeTruthy();
  });

  it('renderIntegrations({ locale }) wins over the page’s lang, for the modal too unless modal.locale says otherwise', async () => {
    document.documentElement.lang = 'fr';
    const ui = await renderPage({ locale: 'de', modal: { locale: 'es' } });
    const card = within(await ui.findByRole('listitem', { name: 'Vault' }));
    expect(card.getByText(de.notInstalled)).toBeTruthy();
    fireEvent.click(card.getByRole('button', { name: de.install }));
    expect(await (await waitFor(modal)).findByRole('button', { name: es.install })).toBeTruthy();
  });
});
