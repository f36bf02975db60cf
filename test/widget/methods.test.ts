// @vitest-environment happy-dom
import './setup';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { userToken, type TestServer } from '../helpers/server';
import { pair, vault } from './definitions';
import { definitionsWith, installationsOf, resetWidget, serve, signIn, type Http } from './helpers';
import { deactivate, getIntegrations, getWorkflows, reactivate, uninstall } from '../../widget/index';

describe('the widget’s methods on installations', () => {
  let server: TestServer;
  let http: Http;
  let userId: string;

  beforeAll(async () => {
    ({ server, http } = await serve({ definitions: () => definitionsWith([vault, pair]) }));
  });
  beforeEach(async () => {
    userId = await signIn(server, http);
    const token = await userToken(server, userId);
    for (const [integrationId, config] of [
      ['vault', { url: 'https://vault.example.com', apiToken: 'tok' }],
      ['pair', { target: 'https://t.example.com' }],
    ] as const) {
      const res = await server.request('POST', '/me/installations', { token, body: { integrationId, config } });
      expect(res.status).toBe(201);
    }
  });
  afterEach(resetWidget);
  afterAll(async () => {
    await http?.close();
    await server?.close();
  });

  const activeOf = async () => Object.fromEntries((await installationsOf(server, userId)).map((i) => [i.workflowId, i.active]));

  it('lists the user’s integrations and workflows with their installation state', async () => {
    const integrations = await getIntegrations();
    expect(integrations.map((i) => [i.integrationId, i.installed])).toEqual([
      ['bigcommerce', false],
      ['hubspot', false],
      ['jira', false],
      ['netsuite', false],
      ['pair', true],
      ['slack', false],
      ['stream-heartbeat', false],
      ['vault', true],
    ]);
    const workflows = await getWorkflows();
    expect(
      workflows
        .filter((w) => w.installed)
        .map((w) => [w.workflowId, w.installedVersion])
        .sort(),
    ).toEqual([
      ['pair-orders', 1],
      ['pair-refunds', 1],
      ['vault-forward', 1],
    ]);
  });

  it('deactivates and reactivates by integration, by workflow and by installation', async () => {
    await deactivate({ integrationId: 'pair' });
    expect(await activeOf()).toEqual({ 'pair-orders': false, 'pair-refunds': false, 'vault-forward': true });

    await reactivate({ workflowId: 'pair-refunds' });
    expect(await activeOf()).toEqual({ 'pair-orders': false, 'pair-refunds': true, 'vault-forward': true });

    const vaultInstallation = (await installationsOf(server, userId)).find((i) => i.workflowId === 'vault-forward');
    await deactivate({ installationId: vaultInstallation.installationId });
    expect((await activeOf())['vault-forward']).toBe(false);
  });

  it('uninstalls', async () => {
    await uninstall({ integrationId: 'pair' });
    expect((await installationsOf(server, userId)).map((i) => i.workflowId)).toEqual(['vault-forward']);
  });

  it('rejects with not_found when nothing installed matches, and throws a TypeError at once for a malformed target', async () => {
    await expect(uninstall({ integrationId: 'slack' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(deactivate({ workflowId: 'nope' })).rejects.toThrow(/Nothing installed matches/);
    expect(() => reactivate(undefined as never)).toThrow(TypeError);
    expect(await installationsOf(server, userId)).toHaveLength(3);
  });
});
