// @vitest-environment happy-dom
import './setup';
import axe from 'axe-core';
import { fireEvent, waitFor, within } from '@testing-library/preact';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../demo/fakes/slack';
import { listen } from '../helpers/browser';
import type { TestServer } from '../helpers/server';
import { addCredential, installHeadless } from '../helpers/flows';
import { alerts, consent, forms, vault } from './definitions';
import { definitionsWith, hosts, inside, modal, resetWidget, serve, signIn, type Http } from './helpers';
import { h } from 'preact';
import { install, renderIntegrations } from '../../widget/index';
import { mountInShadow } from '../../widget/mount';

/**
 * Runs axe-core on a host element, its open shadow root included (axe walks into it), and returns
 * the violations. `color-contrast` is off: happy-dom lays nothing out, so axe cannot tell which
 * colours end up behind a text and only ever reports it "incomplete", never passed or failed.
 */
async function violations(host: Element) {
  const result = await axe.run(host, { rules: { 'color-contrast': { enabled: false } } });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.html) }));
}

/** No violation axe rates serious or critical. */
async function expectAccessible(host: Element | undefined) {
  if (!host) throw new Error('nothing to audit');
  const found = await violations(host);
  expect(found.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  return found;
}

describe('accessibility (axe-core)', () => {
  let slack: FakeSlack;
  let server: TestServer;
  let http: Http;

  beforeAll(async () => {
    slack = await startFakeSlack();
    ({ server, http } = await serve({ env: { SLACK_API_URL: slack.url }, definitions: () => definitionsWith([forms, vault, alerts, consent]) }));
  });
  beforeEach(async () => {
    await signIn(server, http);
  });
  afterEach(async () => {
    slack.acceptToken = (token) => /^xox[bp]-/.test(token);
    await resetWidget();
  });
  afterAll(async () => {
    await http?.close();
    await server?.close();
    await slack?.close();
  });

  it('finds violations inside the shadow root (the audit is not blind to it)', async () => {
    // An unlabelled field and an unnamed button, mounted the way the widget mounts.
    const { host } = mountInShadow(document.body, h('div', null, h('input', { type: 'text' }), h('button', null)));
    const found = await violations(host);
    expect(found.map((v) => [v.id, v.impact])).toEqual(
      expect.arrayContaining([
        ['label', 'critical'],
        ['button-name', 'critical'],
      ]),
    );
  });

  it('the modal, at each step of a Slack install: loading, connect, a refused account, settings, options that fail', async () => {
    slack.acceptToken = (token) => token === 'xoxb-good';
    await install({ integrationId: 'slack' });
    // Loading: the dialog and its close button only.
    await expectAccessible(hosts()[0]);

    const ui = modal();
    fireEvent.input(await ui.findByLabelText('Bot token'), { target: { value: '  ' } });
    await expectAccessible(hosts()[0]);
    fireEvent.click(ui.getByRole('button', { name: 'Connect' }));
    await ui.findByRole('alert');
    await expectAccessible(hosts()[0]);

    // Slack accepts the account when it is connected, then refuses to list its channels.
    slack.failNext('invalid_auth', { method: 'conversations.list' });
    fireEvent.input(ui.getByLabelText('Bot token'), { target: { value: 'xoxb-good' } });
    fireEvent.click(ui.getByRole('button', { name: 'Connect' }));
    await ui.findByLabelText('Slack channel');
    // The select waiting for its options.
    await expectAccessible(hosts()[0]);
    // The options alert with Retry.
    await ui.findByRole('button', { name: 'Retry' });
    await expectAccessible(hosts()[0]);
  });

  it('the account step with the user’s accounts, one to reconnect, and the integrations page showing it', async () => {
    const userId = await signIn(server, http);
    const broken = await addCredential(server, userId, 'slack', { botToken: 'xoxb-one' });
    await addCredential(server, userId, 'slack', { botToken: 'xoxb-two' });
    await installHeadless(server, userId, 'slack', { credentialId: broken, data: { channel: 'C0GENERAL' } });
    await server.services.store.credentials.markNeedsReconnect(userId, broken, 'Slack says: token_revoked');

    await install({ integrationId: 'slack' });
    const ui = modal();
    await ui.findAllByRole('group');
    await expectAccessible(hosts()[0]);
    fireEvent.click(ui.getByRole('button', { name: 'Reconnect' }));
    await ui.findByLabelText('Bot token');
    await expectAccessible(hosts()[0]);
    fireEvent.keyDown(ui.getByRole('dialog'), { key: 'Escape' });

    const container = document.body.appendChild(document.createElement('main'));
    renderIntegrations(container);
    const host = await waitFor(() => container.querySelector('alloy-embedded') ?? Promise.reject(new Error('not rendered yet')));
    await inside(host).findByRole('button', { name: 'Reconnect' });
    await expectAccessible(host);
  });

  it('the modal with every field type, flagged by validation, and at the done step', async () => {
    await install({ integrationId: 'forms' });
    const ui = modal();
    await ui.findByLabelText('Title');
    await expectAccessible(hosts()[0]);

    fireEvent.click(ui.getByRole('button', { name: 'Install' }));
    expect(ui.getByText('Title is required')).toBeTruthy();
    await expectAccessible(hosts()[0]);

    fireEvent.input(ui.getByLabelText('Title'), { target: { value: 'T' } });
    fireEvent.input(ui.getByLabelText('API key'), { target: { value: 'k' } });
    fireEvent.input(ui.getByLabelText('Limit'), { target: { value: '1' } });
    fireEvent.change(ui.getByLabelText('Region'), { target: { value: 'us' } });
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));
    await ui.findByRole('heading', { name: 'Forms is ready' });
    await expectAccessible(hosts()[0]);
  });

  it('the integrations page: loading, the list with its search box and an installed card', async () => {
    const container = document.createElement('main');
    document.body.append(container);
    renderIntegrations(container);
    const host = await waitFor(() => container.querySelector('alloy-embedded') ?? Promise.reject(new Error('not rendered yet')));
    await expectAccessible(host);
    const ui = inside(host);
    await ui.findByRole('list');
    expect(ui.getByRole('searchbox')).toBeTruthy();
    await expectAccessible(host);

    // Install one, so a card shows its switch, Configure and Uninstall.
    const card = () => within(ui.getByRole('listitem', { name: 'Vault' }));
    fireEvent.click(card().getByRole('button', { name: 'Install' }));
    const dialog = await waitFor(modal);
    fireEvent.input(await dialog.findByLabelText('Endpoint URL'), { target: { value: 'https://vault.example.com' } });
    fireEvent.input(dialog.getByLabelText('API token'), { target: { value: 'tok' } });
    fireEvent.click(dialog.getByRole('button', { name: 'Install' }));
    await dialog.findByRole('heading', { name: 'Vault is ready' });
    fireEvent.keyDown(dialog.getByRole('dialog'), { key: 'Escape' });
    await waitFor(() => expect(card().getByRole('switch', { name: 'Active' })).toBeTruthy());
    await expectAccessible(host);
  });

  it('the integrations page when the server cannot be reached', async () => {
    const port = Number(new URL(http.url).port);
    await http.close();
    try {
      const container = document.createElement('main');
      document.body.append(container);
      renderIntegrations(container);
      const host = await waitFor(() => container.querySelector('alloy-embedded') ?? Promise.reject(new Error('not rendered yet')));
      await inside(host).findByRole('alert');
      await expectAccessible(host);
    } finally {
      http = await listen(server, port);
    }
  });
});
