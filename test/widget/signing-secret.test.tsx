// @vitest-environment happy-dom
import './setup';
import { fireEvent, waitFor } from '@testing-library/preact';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { destinationSigningSecrets } from '../../server/engine/destination-secrets';
import type { TestServer } from '../helpers/server';
import { vault } from './definitions';
import { definitionsWith, installationsOf, modal, resetWidget, serve, signIn, type Http } from './helpers';
import { edit, install } from '../../widget/index';

/** The Vault integration with a default endpoint: nothing to ask, so `hide` can install it unseen. */
const preset = {
  ...vault,
  id: 'preset',
  workflows: vault.workflows.map((w) => ({
    ...w,
    id: 'preset-forward',
    trigger: { ...w.trigger, event: 'Preset Saved' },
    fields: [{ name: 'url', label: 'Endpoint URL', type: 'text', default: 'https://hooks.example.com/in' }],
  })),
};

describe('the signing secret of a destination the user chooses, in the widget', () => {
  let server: TestServer;
  let http: Http;

  beforeAll(async () => {
    ({ server, http } = await serve({ definitions: () => definitionsWith([vault, preset]) }));
  });
  afterEach(async () => {
    await resetWidget();
  });
  afterAll(async () => {
    await http?.close();
    await server?.close();
  });

  it('shows the new secret once, after installing, as the server will sign with it', async () => {
    const userId = await signIn(server, http);
    await install({ integrationId: 'vault' });
    let ui = modal();
    fireEvent.input(await ui.findByLabelText('Endpoint URL'), { target: { value: 'https://mine.example.com' } });
    fireEvent.input(ui.getByLabelText('API token'), { target: { value: 'tok-1' } });
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));
    await ui.findByRole('heading', { name: 'Vault is ready' });

    const shown = ui.getByLabelText(/Signing secret: copy it now/) as HTMLInputElement;
    expect(shown.readOnly).toBe(true);
    const [installation] = await installationsOf(server, userId);
    expect(await destinationSigningSecrets(server.services, installation.installationId, 'post')).toEqual([shown.value]);
    await resetWidget();

    // Editing the installation keeps the secret, and does not show it again.
    await edit({ integrationId: 'vault' });
    ui = modal();
    fireEvent.click(await ui.findByRole('button', { name: 'Save' }));
    await ui.findByRole('heading', { name: 'Vault is ready' });
    expect(ui.queryByLabelText(/Signing secret/)).toBeNull();
    expect(await destinationSigningSecrets(server.services, installation.installationId, 'post')).toEqual([shown.value]);
  });

  it('with hide, shows itself when the install made a secret, instead of closing with it unseen', async () => {
    await signIn(server, http);
    const callback = vi.fn();
    await install({ integrationId: 'preset', hide: true, callback });
    const ui = modal();
    await ui.findByRole('heading', { name: 'Vault is ready' });
    await waitFor(() => expect(document.querySelector('alloy-embedded')!.shadowRoot!.querySelector<HTMLElement>('.bd')!.hidden).toBe(false));
    expect((ui.getByLabelText(/Signing secret/) as HTMLInputElement).value).toMatch(/^whsec_/);
    expect(callback).toHaveBeenCalledWith(expect.objectContaining({ success: true }));
  });
});
