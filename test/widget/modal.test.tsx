// @vitest-environment happy-dom
import './setup';
import { fireEvent, waitFor } from '@testing-library/preact';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TestServer } from '../helpers/server';
import { vault } from './definitions';
import { definitionsWith, hosts, installationsOf, modal, resetWidget, serve, signIn, type Http } from './helpers';
import { close, install } from '../../widget/index';

describe('the install modal', () => {
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

  /** Opens the Vault modal from a button of the page, as a user would; resolves on its settings step. */
  async function openFromButton(options: Parameters<typeof install>[0] = { integrationId: 'vault' }) {
    const opener = document.createElement('button');
    opener.textContent = 'Connect the vault';
    document.body.append(opener);
    opener.focus();
    expect(document.activeElement).toBe(opener);
    await install(options);
    const ui = modal();
    await ui.findByLabelText('Endpoint URL');
    return { ui, opener, root: hosts()[0]!.shadowRoot! };
  }

  it('moves focus into the dialog, to the first field of the step', async () => {
    const { ui, root } = await openFromButton();
    await waitFor(() => expect(root.activeElement).toBe(ui.getByLabelText('Endpoint URL')));
  });

  it('closes on Esc: callback({ success: false }) once, onClose once, focus back on the opener, no host left', async () => {
    const callback = vi.fn();
    const onClose = vi.fn();
    const { ui, opener } = await openFromButton({ integrationId: 'vault', callback, onClose });

    fireEvent.keyDown(ui.getByLabelText('Endpoint URL'), { key: 'Escape' });

    expect(hosts()).toHaveLength(0);
    expect(callback).toHaveBeenCalledTimes(1);
    expect(callback).toHaveBeenCalledWith({ success: false });
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(document.activeElement).toBe(opener);
    // Closing again changes nothing.
    close();
    expect(callback).toHaveBeenCalledTimes(1);
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('closes with its close button', async () => {
    const callback = vi.fn();
    const onClose = vi.fn();
    const { ui, opener } = await openFromButton({ integrationId: 'vault', callback, onClose });

    fireEvent.click(ui.getByRole('button', { name: 'Close' }));

    expect(document.querySelector('alloy-embedded')).toBeNull();
    expect(callback).toHaveBeenCalledExactlyOnceWith({ success: false });
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(document.activeElement).toBe(opener);
  });

  it('closes on a click on the backdrop, not on one inside the dialog', async () => {
    const callback = vi.fn();
    const { ui } = await openFromButton({ integrationId: 'vault', callback });
    fireEvent.click(ui.getByRole('dialog'));
    expect(hosts()).toHaveLength(1);
    fireEvent.click(ui.getByRole('dialog').parentElement!);
    expect(hosts()).toHaveLength(0);
    expect(callback).toHaveBeenCalledExactlyOnceWith({ success: false });
  });

  it('closes with Alloy.close(), once', async () => {
    const callback = vi.fn();
    await openFromButton({ integrationId: 'vault', callback });
    close();
    expect(hosts()).toHaveLength(0);
    expect(callback).toHaveBeenCalledExactlyOnceWith({ success: false });
  });

  it('does nothing when install is called while it is open', async () => {
    const first = vi.fn();
    const second = vi.fn();
    await openFromButton({ integrationId: 'vault', callback: first });

    await install({ integrationId: 'slack', callback: second });

    expect(hosts()).toHaveLength(1);
    expect(modal().getByRole('dialog', { name: 'Vault' })).toBeTruthy();
    close();
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).not.toHaveBeenCalled();
  });

  it('keeps focus inside: Tab from the last control goes to the first, Shift+Tab from the first to the last', async () => {
    const { ui, root } = await openFromButton();
    const closeButton = ui.getByRole('button', { name: 'Close' });
    const installButton = ui.getByRole('button', { name: 'Install' });

    installButton.focus();
    expect(root.activeElement).toBe(installButton);
    fireEvent.keyDown(installButton, { key: 'Tab' });
    expect(root.activeElement).toBe(closeButton);

    fireEvent.keyDown(closeButton, { key: 'Tab', shiftKey: true });
    expect(root.activeElement).toBe(installButton);

    // In between, Tab moves on in document order.
    fireEvent.keyDown(installButton, { key: 'Tab', shiftKey: true });
    expect(root.activeElement).toBe(ui.getByLabelText('Region'));
    closeButton.focus();
    fireEvent.keyDown(closeButton, { key: 'Tab' });
    expect(root.activeElement).toBe(ui.getByLabelText('Endpoint URL'));
  });

  it('after the install, the callback has the result and closing does not call it again', async () => {
    const callback = vi.fn();
    const onClose = vi.fn();
    const { ui, opener } = await openFromButton({ integrationId: 'vault', callback, onClose });
    fireEvent.input(ui.getByLabelText('Endpoint URL'), { target: { value: 'https://vault.example.com' } });
    fireEvent.input(ui.getByLabelText('API token'), { target: { value: 'tok' } });
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));
    await ui.findByRole('heading', { name: 'Vault is ready' });
    const [installation] = await installationsOf(server, userId);
    // Its URL is the user's choice, so the install made a signing secret: the callback has it too.
    expect(callback).toHaveBeenCalledExactlyOnceWith({
      success: true,
      installationId: installation.installationId,
      workflowIds: ['vault-forward'],
      signingSecrets: [{ installationId: installation.installationId, workflowId: 'vault-forward', blockId: 'post', secret: expect.stringMatching(/^whsec_/) }],
    });

    // The done step's own Close button (the last one), then focus goes back.
    const closes = ui.getAllByRole('button', { name: 'Close' });
    expect(closes).toHaveLength(2);
    fireEvent.click(closes[1]!);

    expect(hosts()).toHaveLength(0);
    expect(callback).toHaveBeenCalledTimes(1);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(document.activeElement).toBe(opener);
  });

  it('takes the title, strings and theme it is given', async () => {
    const { ui } = await openFromButton({
      integrationId: 'vault',
      title: 'Connect your vault',
      strings: { install: 'Turn on', close: 'Dismiss' },
      theme: { accent: 'rgb(1, 2, 3)' },
    });
    expect(ui.getByRole('dialog', { name: 'Connect your vault' })).toBeTruthy();
    expect(ui.getByRole('button', { name: 'Turn on' })).toBeTruthy();
    expect(ui.getByRole('button', { name: 'Dismiss' })).toBeTruthy();
    expect(hosts()[0]!.getAttribute('style')).toBeNull();
    expect([...hosts()[0]!.shadowRoot!.adoptedStyleSheets[1]!.cssRules].map((r) => r.cssText).join('')).toContain('--alloy-accent: rgb(1, 2, 3)');
  });

  it('throws a TypeError at once for a call without integrationId or workflowIds, opening nothing', () => {
    expect(() => install({} as never)).toThrow(TypeError);
    expect(() => install({ workflowIds: [42] } as never)).toThrow(TypeError);
    expect(hosts()).toHaveLength(0);
  });

  it('takes workflowIds as one id, as alloy-frontend does', async () => {
    await install({ workflowIds: 'vault-forward' });
    expect(await modal().findByRole('dialog', { name: 'Vault' })).toBeTruthy();
  });

  it('finds the integration from workflowIds', async () => {
    await install({ workflowIds: ['vault-forward'] });
    expect(await modal().findByRole('dialog', { name: 'Vault' })).toBeTruthy();
  });
});
