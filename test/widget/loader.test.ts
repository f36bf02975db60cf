// @vitest-environment happy-dom
import './setup';
import { fireEvent } from '@testing-library/preact';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TestServer } from '../helpers/server';
import { vault } from './definitions';
import { definitionsWith, installationsOf, modal, resetWidget, serve, signIn, type Http } from './helpers';
import * as Widget from '../../widget/index';
import type { AlloyEvent } from '../../widget/index';

// What the loader adds around the UI: alloy-frontend's forms, events for any framework, the region.
describe('the loader', () => {
  let server: TestServer;
  let http: Http;
  let userId: string;

  beforeAll(async () => {
    ({ server, http } = await serve({ definitions: () => definitionsWith([vault]) }));
  });
  beforeEach(async () => {
    userId = await signIn(server, http);
  });
  afterEach(resetWidget);
  afterAll(async () => {
    await http?.close();
    await server?.close();
  });

  it("Alloy() returns an instance with window.Alloy's methods, on the one session", async () => {
    const alloy = Widget.Alloy();
    expect(Object.keys(alloy).sort()).toEqual(
      expect.arrayContaining(['install', 'edit', 'update', 'authenticate', 'setToken', 'setRegion', 'getIntegrations', 'getWorkflows', 'deactivate', 'reactivate', 'subscribe']),
    );
    expect((await alloy.getIntegrations()).map((i) => i.integrationId)).toContain('vault');
    expect(Widget.default).toBe(Widget.Alloy);
  });

  it("fills the modal with preFilledValues, given as alloy-frontend's array or as an object, over the defaults", async () => {
    await Widget.install({
      integrationId: 'vault',
      preFilledValues: [
        { name: 'url', value: 'https://prefilled.example.com' },
        { fieldName: 'region', value: 'eu' },
      ],
    });
    const ui = modal();
    expect(((await ui.findByLabelText('Endpoint URL')) as HTMLInputElement).value).toBe('https://prefilled.example.com');
    expect((ui.getByLabelText('Region') as HTMLSelectElement).value).toBe('eu');
    Widget.close();

    await Widget.install({ integrationId: 'vault', preFilledValues: { url: 'https://object.example.com' } });
    expect(((await modal().findByLabelText('Endpoint URL')) as HTMLInputElement).value).toBe('https://object.example.com');
  });

  it('says a version other than the published one cannot be installed (versionIds), to the user and to onError', async () => {
    const onError = vi.fn();
    await Widget.install({ integrationId: 'vault', versionIds: [7], onError });
    expect((await modal().findByRole('alert')).textContent).toMatch(/Version 7 cannot be installed: only the published version \(1\) can/);
    expect(onError).toHaveBeenCalledWith(expect.any(TypeError));
  });

  it('leaves no unhandled rejection when code written for alloy-frontend (a callback, no await) meets a failure', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const failed = new Promise<Error>((resolve) => {
        // No await, no catch: an integration of these workflows does not exist.
        Widget.install({ workflowIds: 'no-such-workflow', onError: resolve });
      });
      expect((await failed).message).toMatch(/no integration has the workflows no-such-workflow/);
      // Rejections are reported after the task that made them: let one pass.
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('tells subscribe listeners about installs, updates, pauses and uninstalls made through the widget, until they unsubscribe', async () => {
    const heard: AlloyEvent[] = [];
    const all: string[] = [];
    const off = Widget.subscribe('*', (e) => all.push(e.type));
    const offInstalled = Widget.subscribe('installed', (e) => heard.push(e));

    await Widget.install({ integrationId: 'vault' });
    const ui = modal();
    fireEvent.input(await ui.findByLabelText('Endpoint URL'), { target: { value: 'https://vault.example.com' } });
    fireEvent.input(ui.getByLabelText('API token'), { target: { value: 'tok' } });
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));
    await ui.findByRole('heading', { name: 'Vault is ready' });
    Widget.close();
    await vi.waitFor(() => expect(heard).toHaveLength(1));
    const [installation] = await installationsOf(server, userId);
    expect(heard[0]).toEqual({ type: 'installed', integrationId: 'vault', installationIds: [installation.installationId], workflowIds: ['vault-forward'] });

    await Widget.deactivate({ integrationId: 'vault' });
    await Widget.uninstall({ integrationId: 'vault' });
    await vi.waitFor(() => expect(all).toEqual(['installed', 'updated', 'uninstalled']));

    off();
    offInstalled();
    // A listener added now is the sentinel: once it heard the next install, the old ones would have too.
    const sentinel = vi.fn();
    Widget.subscribe('installed', sentinel);
    await Widget.install({ integrationId: 'vault', hide: true, preFilledValues: { url: 'https://vault.example.com', apiToken: 'tok' } });
    await vi.waitFor(() => expect(sentinel).toHaveBeenCalledTimes(1));
    expect(all).toEqual(['installed', 'updated', 'uninstalled']);
    expect(heard).toHaveLength(1);
    expect(() => Widget.subscribe('installed', 'nope' as never)).toThrow(TypeError);
  });

  it('maps a region to a base URL given once, and throws at once for a region never given', async () => {
    expect(() => Widget.setRegion('eu')).toThrow(/no URL for "eu"/);
    Widget.setRegion('eu', http.url);
    expect((await Widget.getIntegrations()).map((i) => i.integrationId)).toContain('vault');
  });

  it('preloads the UI, so install opens from what is already here', async () => {
    await Widget.preload();
    await Widget.preload('idle');
    await Widget.install({ integrationId: 'vault' });
    expect(await modal().findByLabelText('Endpoint URL')).toBeTruthy();
  });
});
