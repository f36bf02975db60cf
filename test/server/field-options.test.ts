import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../demo/fakes/slack';
import { startFakeBigCommerceCatalog, type FakeBigCommerceCatalog } from '../fakes/bigcommerce-catalog';
import { definitionsWith } from '../helpers/definitions';
import { addCredential } from '../helpers/flows';
import { createUser, startTestServer, storeKind, userToken, type TestServer } from '../helpers/server';

/** A BigCommerce workflow with a category of a chosen tree (a dependent select) and a mapping to the customer's fields. */
const catalog = {
  id: 'catalog',
  app: 'BigCommerce',
  connector: 'bigcommerce',
  icon: '/icons/bigcommerce.svg',
  workflows: [
    {
      id: 'catalog-sync',
      name: 'Sync customers into a category',
      version: 1,
      trigger: { type: 'customEvent', event: 'Customer Signed Up', schema: { email: 'String' } },
      blocks: [{ id: 'update', connector: 'bigcommerce', action: 'updateOrderStatus', input: { orderId: '1', status: 'Shipped' } }],
      fields: [
        { name: 'treeId', label: 'Category tree', type: 'select', required: true, optionsSource: { connector: 'bigcommerce', source: 'categoryTrees' } },
        { name: 'category', label: 'Category', type: 'select', required: true, optionsSource: { connector: 'bigcommerce', source: 'categories', dependsOn: ['treeId'] } },
        {
          name: 'customer',
          label: 'Customer fields',
          type: 'fieldMapping',
          sourceFields: [
            { name: 'contactEmail', label: 'Contact email', required: true },
            { name: 'firstName', label: 'First name' },
            { name: 'lastName', label: 'Last name' },
            { name: 'tier', label: 'Tier' },
          ],
          optionsSource: { connector: 'bigcommerce', source: 'customerFields' },
        },
      ],
    },
  ],
};

const mapped = { contactEmail: 'email', firstName: 'first_name', lastName: 'last_name', tier: 'attribute:7' };

describe(`fields whose options come from the app (${storeKind})`, () => {
  let bigcommerce: FakeBigCommerceCatalog;
  let slack: FakeSlack;
  let server: TestServer;
  let userId: string;
  let token: string;
  let store: string;
  const me = (method: string, url: string, body?: unknown) => server.request(method, url, { token, body });
  const install = (config: Record<string, unknown>) => me('POST', '/me/installations', { integrationId: 'catalog', credentialId: store, config });

  beforeAll(async () => {
    bigcommerce = await startFakeBigCommerceCatalog();
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await bigcommerce.close();
    await slack.close();
  });
  beforeEach(async () => {
    bigcommerce.requests.length = 0;
    bigcommerce.state.failing = false;
    slack.requests.length = 0;
    server = await startTestServer({ env: { BIGCOMMERCE_API_URL: bigcommerce.url, SLACK_API_URL: slack.url }, definitions: () => definitionsWith([catalog]) });
    userId = await createUser(server, 'ann');
    token = await userToken(server, userId);
    store = await addCredential(server, userId, 'bigcommerce', { storeHash: 'abc123', accessToken: 'bc-token' });
    // Connecting checked the account with BigCommerce: what the tests count starts after that.
    bigcommerce.requests.length = 0;
  });
  afterEach(() => server.close());

  describe('a dependent select', () => {
    it('loads its options with the parent field’s value, sent as a query parameter named after it', async () => {
      const kitchen = await me('GET', `/me/options/bigcommerce/categories?credentialId=${store}&treeId=1`);
      expect(kitchen.status, JSON.stringify(kitchen.body)).toBe(200);
      expect(kitchen.body.data).toEqual([
        { label: 'Shop All', value: '10' },
        { label: 'Shop All › Kitchen', value: '11' },
        { label: 'Shop All › Garden', value: '12' },
      ]);
      const isv = await server.request('GET', `/users/${userId}/options/bigcommerce/categories?credentialId=${store}&treeId=2&unrelated=x`);
      expect(isv.body.data).toEqual([{ label: 'Bulk', value: '20' }]);
      expect(bigcommerce.requests.map((r) => r.query['tree_id:in'])).toEqual(['1', '2']);
    });

    it('answers 400 naming the parent when its value is missing or not one the source takes, and asks the app nothing', async () => {
      const missing = await me('GET', `/me/options/bigcommerce/categories?credentialId=${store}`);
      expect(missing.status).toBe(400);
      expect(missing.body.error).toMatchObject({ code: 'invalid_request', details: [{ path: 'treeId', message: 'required: the options of source "categories" depend on it' }] });
      const bad = await me('GET', `/me/options/bigcommerce/categories?credentialId=${store}&treeId=1,2`);
      expect(bad.body.error.details).toEqual([{ path: 'treeId', message: 'a category tree id is a number' }]);
      expect(bigcommerce.requests).toEqual([]);
    });

    it('installs a category of the chosen tree, and refuses one of another tree, naming the field and the value', async () => {
      const ok = await install({ treeId: '1', category: '11', customer: mapped });
      expect(ok.status, JSON.stringify(ok.body)).toBe(201);
      expect(ok.body.installations[0].config).toEqual({ treeId: '1', category: '11', customer: mapped });

      const other = await install({ treeId: '1', category: '20', customer: mapped });
      expect(other.status).toBe(400);
      expect(other.body.error).toEqual({
        code: 'invalid_request',
        message: 'Invalid configuration for "Sync customers into a category": config.category: "20" is not one of the options',
        details: [{ path: 'config.category', message: '"20" is not one of the options' }],
      });
      expect((await me('GET', '/me/installations')).body.data[0].config.category).toBe('11');

      // The same category is one of the other tree's: the check loads that tree's categories.
      const wholesale = await install({ treeId: '2', category: '20', customer: mapped });
      expect(wholesale.status, JSON.stringify(wholesale.body)).toBe(201);
      expect(bigcommerce.requests.filter((r) => r.path.endsWith('/catalog/trees/categories')).map((r) => r.query['tree_id:in'])).toEqual(['1', '2']);
    });

    it('checks the parent itself first and leaves its child alone when the parent is refused', async () => {
      const res = await install({ treeId: '9', category: '11', customer: mapped });
      expect(res.body.error.details).toEqual([{ path: 'config.treeId', message: '"9" is not one of the options' }]);
      expect(bigcommerce.calls('/catalog/trees/categories')).toBe(0);
    });
  });

  describe('a field mapping to the account’s fields', () => {
    it('takes a mapping to a custom field of the account', async () => {
      const res = await install({ treeId: '1', category: '10', customer: mapped });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.installations[0].config.customer.tier).toBe('attribute:7');
    });

    it('refuses a target the account does not have', async () => {
      const res = await install({ treeId: '1', category: '10', customer: { ...mapped, tier: 'attribute:99' } });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'config.customer.tier', message: '"attribute:99" is not one of the options' }]);
    });

    it('refuses a mapping that leaves a field the account requires unmapped', async () => {
      const { lastName: _, ...partial } = mapped;
      const res = await install({ treeId: '1', category: '10', customer: partial });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'config.customer', message: '"last_name" (Last name) is required by the account: map a field to it' }]);
    });
  });

  describe('a select of Slack channels', () => {
    let slackCredential: string;
    beforeEach(async () => {
      slack.channels = [{ id: 'C0GENERAL', name: 'general' }];
      slackCredential = await addCredential(server, userId, 'slack', { botToken: 'xoxb-ann' });
    });

    it('refuses a channel Slack does not list with a 400 naming the field and the value, on every install path', async () => {
      const widget = await me('POST', '/me/installations', { integrationId: 'slack', credentialId: slackCredential, config: { channel: 'C999' } });
      expect(widget.status).toBe(400);
      expect(widget.body.error).toMatchObject({ code: 'invalid_request', details: [{ path: 'config.channel', message: '"C999" is not one of the options' }] });

      const start = await server.request('POST', '/headless/startInstallation', { body: { userId, integrationId: 'slack', credentialId: slackCredential } });
      const headless = await server.request('POST', '/headless/completeInstallation', { body: { userId, installationId: start.body.installationId, data: { channel: 'C999' } } });
      expect(headless.status).toBe(400);
      expect(headless.body.error.details).toEqual([{ path: 'data.channel', message: '"C999" is not one of the options' }]);

      const installed = await me('POST', '/me/installations', { integrationId: 'slack', credentialId: slackCredential, config: { channel: 'C0GENERAL' } });
      expect(installed.status).toBe(201);
      const reconfigured = await me('PUT', `/me/installations/${installed.body.installationId}`, { config: { channel: 'C999' } });
      expect(reconfigured.status).toBe(400);
      expect(reconfigured.body.error.details).toEqual([{ path: 'config.channel', message: '"C999" is not one of the options' }]);
    });

    it('asks Slack once for the widget’s load and the install that follows, and again for another account', async () => {
      const lists = () => slack.requests.filter((r) => r.path === '/api/conversations.list').length;
      const options = await me('GET', `/me/options/slack/channels?credentialId=${slackCredential}`);
      expect(options.body.data).toEqual([{ label: '#general', value: 'C0GENERAL' }]);
      const installed = await me('POST', '/me/installations', { integrationId: 'slack', credentialId: slackCredential, config: { channel: 'C0GENERAL' } });
      expect(installed.status).toBe(201);
      expect(lists()).toBe(1);

      const other = await addCredential(server, userId, 'slack', { botToken: 'xoxb-other' });
      await me('GET', `/me/options/slack/channels?credentialId=${other}`);
      expect(lists()).toBe(2);
      expect(slack.requests.at(-1)!.token).toBe('xoxb-other');
    });

    it('keeps options apart per parent value: another tree is another load', async () => {
      await me('GET', `/me/options/bigcommerce/categories?credentialId=${store}&treeId=1`);
      await me('GET', `/me/options/bigcommerce/categories?credentialId=${store}&treeId=1`);
      await me('GET', `/me/options/bigcommerce/categories?credentialId=${store}&treeId=2`);
      expect(bigcommerce.calls('/catalog/trees/categories')).toBe(2);
    });
  });

  it('answers 502 upstream_error when the app fails while checking, as the options route does, and installs nothing', async () => {
    bigcommerce.state.failing = true;
    const res = await install({ treeId: '1', category: '11', customer: mapped });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('upstream_error');
    expect(res.body.error.message).toMatch(/^Could not load the options of the field "Category tree" from BigCommerce: GET .*HTTP 500/);
    expect((await me('GET', '/me/installations')).body.data).toEqual([]);

    // A failure is not kept: once the app answers, the same install goes through.
    bigcommerce.state.failing = false;
    expect((await install({ treeId: '1', category: '11', customer: mapped })).status).toBe(201);
  });
});
