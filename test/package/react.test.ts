// @vitest-environment happy-dom
import '../widget/setup';
import { createElement as h, StrictMode, useEffect, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../demo/fakes/slack';
import { installSlack } from '../helpers/flows';
import { createUser, userToken, type TestServer } from '../helpers/server';
import { resetWidget, serve, type Http } from '../widget/helpers';
import { AlloyProvider, InstallButton, Integrations, useAlloy, useIntegrations, type UseIntegrationsResult } from '../../widget/react/index';
import type { AlloyApi } from '../../widget/types';

// The React bindings (widget/react) from the source, in happy-dom against a test server: what the
// browser test of the packed package (package.test.ts) does not reach.

describe('the React bindings', () => {
  let slack: FakeSlack;
  let server: TestServer;
  let http: Http;
  let root: Root | undefined;
  let container: HTMLElement;
  const seen: string[] = [];
  const realFetch = globalThis.fetch;

  beforeAll(async () => {
    slack = await startFakeSlack();
    slack.channels = [{ id: 'C123', name: 'support' }];
    ({ server, http } = await serve({ env: { SLACK_API_URL: slack.url } }));
    // Every request the widget sends, by method and path.
    globalThis.fetch = (input, init) => {
      seen.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
      return realFetch(input, init);
    };
  });
  afterEach(async () => {
    root?.unmount();
    root = undefined;
    seen.length = 0;
    await resetWidget();
  });
  afterAll(async () => {
    globalThis.fetch = realFetch;
    await http?.close();
    await server?.close();
    await slack?.close();
  });

  const render = (node: ReactNode) => {
    container = document.body.appendChild(document.createElement('div'));
    root = createRoot(container);
    root.render(h(StrictMode, null, node));
  };
  const signedUp = async (name: string, withSlack = false) => {
    const userId = await createUser(server, `${name}${Math.random().toString(36).slice(2, 7)}`);
    if (withSlack) await installSlack(server, userId);
    return { userId, token: await userToken(server, userId) };
  };
  /** Each result a `useIntegrations` rendered, and the last. */
  function Probe({ log }: { log: UseIntegrationsResult[] }) {
    const result = useIntegrations();
    log.push(result);
    const slack = result.data?.find((i) => i.integrationId === 'slack');
    return h('p', { 'data-probe': '' }, result.error ? `error ${(result.error as { code?: string }).code}` : result.data ? `slack ${slack?.installed}` : 'loading');
  }
  const probes = () => [...container.querySelectorAll('[data-probe]')].map((p) => p.textContent);

  it("hands a misuse (no token yet) to onError and to useIntegrations, and useAlloy is window.Alloy's shape", async () => {
    const onError = vi.fn();
    let api: AlloyApi | undefined;
    function Api() {
      api = useAlloy();
      return null;
    }
    const log: UseIntegrationsResult[] = [];
    render([h(Api, { key: 'a' }), h(Probe, { key: 'p', log }), h(InstallButton, { key: 'b', integrationId: 'slack', onError })]);
    await vi.waitFor(() => expect(probes()).toEqual(['error no_token']));
    container.querySelector('button')!.click();
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ code: 'no_token' }));
    expect(typeof api).toBe('function');
    expect(Object.keys(api!()).sort()).toEqual(Object.keys(api!).sort());
  });

  it('loads one list for every useIntegrations of the page, and loads it again after a change made through the widget', async () => {
    const { userId, token } = await signedUp('ann', true);
    const log: UseIntegrationsResult[] = [];
    let api: AlloyApi | undefined;
    function Uninstall() {
      api = useAlloy();
      return null;
    }
    render(h(AlloyProvider, { token, baseUrl: http.url }, h(Probe, { log }), h(Probe, { log }), h(InstallButton, { integrationId: 'slack' }), h(Uninstall)));
    await vi.waitFor(() => expect(probes()).toEqual(['slack true', 'slack true']));
    expect(seen.filter((r) => r === 'GET /me/integrations')).toHaveLength(1);
    expect(container.querySelector('button')!.textContent).toBe('Configure Slack');

    // A change through the API: the `uninstalled` event reloads the list, once for all.
    await api!.uninstall({ integrationId: 'slack' });
    await vi.waitFor(() => expect(probes()).toEqual(['slack false', 'slack false']));
    expect(seen.filter((r) => r === 'GET /me/integrations')).toHaveLength(2);
    expect(container.querySelector('button')!.textContent).toBe('Install Slack');
    expect(container.querySelector('button')!.getAttribute('data-installed')).toBe('false');

    // A change the widget did not make (the backend's): refresh() reloads.
    await installSlack(server, userId);
    await log.at(-1)!.refresh();
    await vi.waitFor(() => expect(probes()).toEqual(['slack true', 'slack true']));
  });

  it("loads the new user's list for a new token, never showing the last user's", async () => {
    const ann = await signedUp('ann', true);
    const bob = await signedUp('bob');
    const log: UseIntegrationsResult[] = [];
    const app = (token: string) => h(AlloyProvider, { token, baseUrl: http.url }, h(Probe, { log }));
    render(app(ann.token));
    await vi.waitFor(() => expect(probes()).toEqual(['slack true']));
    const before = log.length;
    root!.render(h(StrictMode, null, app(bob.token)));
    await vi.waitFor(() => expect(probes()).toEqual(['slack false']));
    const after = log.slice(before).map((r) => (r.data ? `slack ${r.data.find((i) => i.integrationId === 'slack')?.installed}` : 'loading'));
    expect(after).not.toContain('slack true');
    expect(after[0]).toBe('loading');
  });

  it('mounts the integrations page once, again only for a new look, and removes it on unmount', async () => {
    const { token } = await signedUp('cy');
    const hosts = () => [...container.querySelectorAll('alloy-embedded')];
    // Its effect runs after each commit of the tree, with the page's: once it has, a page mounted
    // again would have been removed (the old one's cleanup runs before any new effect).
    let commits = 0;
    function Committed() {
      useEffect(() => void commits++);
      return null;
    }
    const page = (accent: string) => h(AlloyProvider, { token, baseUrl: http.url }, h(Integrations, { theme: { accent }, className: 'mine' }), h(Committed));
    render(page('#0a7'));
    await vi.waitFor(() => expect(hosts()[0]?.shadowRoot?.querySelector('h3')).toBeTruthy());
    expect(hosts()).toHaveLength(1);
    expect(container.querySelector('.mine')).toBeTruthy();
    const first = hosts()[0];
    // A new but equal theme object: the same page.
    const committed = commits;
    root!.render(h(StrictMode, null, page('#0a7')));
    await vi.waitFor(() => expect(commits).toBeGreaterThan(committed));
    expect(hosts()).toEqual([first]);
    // Another theme: rendered again, still once.
    root!.render(h(StrictMode, null, page('#a70')));
    await vi.waitFor(() => expect(hosts()[0]).not.toBe(first));
    await vi.waitFor(() => expect(hosts()[0]?.shadowRoot?.querySelector('h3')).toBeTruthy());
    expect(hosts()).toHaveLength(1);
    root!.unmount();
    root = undefined;
    expect(document.querySelectorAll('alloy-embedded')).toHaveLength(0);
  });
});
