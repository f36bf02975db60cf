// The vendor's Node SDK, alloy-node 2.2.1 (a devDependency), as an ISV's backend runs it: the
// package itself, constructed with our API key, its requests sent to our server over real HTTP by
// a request interceptor on the axios it uses (the package is not edited). Every one of its
// Embedded methods is called, and what it returns to its caller is asserted as the vendor's
// reference documents that operation. Its Unified API methods (`/2023-03/one/…`) are another
// product and out of scope.
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from '../../demo/fakes/slack';
import { listen } from '../helpers/browser';
import { installFulfillment, installSlack, ticket } from '../helpers/flows';
import { API_KEY, startTestServer, storeKind, waitForExecution, type TestServer } from '../helpers/server';

const require = createRequire(import.meta.url);
const sdkPath = require.resolve('alloy-node');
// The axios the SDK itself resolves (its own nested copy if it had one): its default instance is the one it calls.
const sdkAxios = createRequire(sdkPath)('axios') as {
  interceptors: { request: { use(f: (config: AxiosConfig) => AxiosConfig): number; eject(id: number): void } };
};
type AxiosConfig = { url?: string; method?: string; params?: Record<string, unknown> };
const Alloy = require('alloy-node') as new (apiKey: string) => AlloySdk;

/** The SDK's Embedded methods, as index.js declares them (every other method calls `/2023-03/one/…`). */
const EMBEDDED_METHODS = [
  'identify',
  'clear',
  'event',
  'getUser',
  'getVersions',
  'getUsers',
  'createUser',
  'updateUser',
  'deleteUser',
  'getUserToken',
  'getWorkflows',
  'reactivate',
  'deactivate',
  'disableAllWorkflows',
  'getLogs',
  'deleteLogs',
  'getAnalytics',
  'getIntegrations',
  'getIntegration',
  'getWorkflowDetails',
  'getApps',
  'run',
  'getUserOauthRedirect',
  'getCredential',
  'getWorkflow',
  'deleteWorkflow',
  'generateLink',
] as const;
type AlloySdk = { userId: string | null; username: string | null } & Record<(typeof EMBEDDED_METHODS)[number], (...args: any[]) => Promise<any>>;

const VENDOR = 'https://embedded.runalloy.com';
const SLACK = 'slack-ticket-created';
const SLACK_NAME = 'Post to Slack when a ticket is created';
const CLIENT = { clientId: 'client-123', clientSecret: 'client-secret-456' };
/** Methods called by any test of this file, for the last test's check that none was left out. */
const called = new Set<string>();

describe(`alloy-node 2.2.1, the vendor's Node SDK, against our server (${storeKind})`, () => {
  let server: TestServer;
  let http: Awaited<ReturnType<typeof listen>>;
  let slack: FakeSlack;
  let interceptor: number;
  /** `METHOD /path` of every request the SDK sent, as it sent it (version prefix included). */
  let sent: string[];
  let alloy: AlloySdk;

  beforeEach(async () => {
    slack = await startFakeSlack({ oauth: { ...CLIENT, expiresIn: 3600 } });
    server = await startTestServer({
      env: { WORKERS: 'on', SLACK_API_URL: slack.url, SLACK_OAUTH_URL: slack.authorizeUrl, SLACK_CLIENT_ID: CLIENT.clientId, SLACK_CLIENT_SECRET: CLIENT.clientSecret },
    });
    http = await listen(server);
    sent = [];
    interceptor = sdkAxios.interceptors.request.use((config) => {
      if (!config.url?.startsWith(`${VENDOR}/`)) throw new Error(`the SDK called ${config.url}, not ${VENDOR}`);
      sent.push(`${config.method?.toUpperCase()} ${config.url.slice(VENDOR.length)}`);
      return { ...config, url: http.url + config.url.slice(VENDOR.length) };
    });
    // Notes which methods the tests call; the SDK runs unchanged (its methods' `this`, the proxy, reads and writes the SDK object's fields).
    alloy = new Proxy(new Alloy(API_KEY), {
      get(target, key, receiver) {
        if (typeof key === 'string' && (EMBEDDED_METHODS as readonly string[]).includes(key)) called.add(key);
        return Reflect.get(target, key, receiver);
      },
    });
  });
  afterEach(async () => {
    sdkAxios.interceptors.request.eject(interceptor);
    await http.close();
    await server.close();
    await slack.close();
  });

  /** A user made through the SDK and identified, as the vendor's guide starts. */
  const identifiedUser = async () => {
    const { userId } = await alloy.createUser({ username: 'ann@example.com', fullName: 'Ann Example' });
    await alloy.identify(userId);
    return userId as string;
  };

  it('lists every Embedded method the SDK has: all the others call the Unified API', () => {
    const methods = Object.getOwnPropertyNames(Alloy.prototype).filter((n) => n !== 'constructor');
    const unified = methods.filter((n) => String((Alloy.prototype as any)[n]).includes('/2023-03/one/'));
    expect(methods.filter((n) => !unified.includes(n)).sort()).toEqual([...EMBEDDED_METHODS].sort());
  });

  it('creates, identifies (by userId or username), reads, lists, updates, tokens and deletes a user', async () => {
    const created = await alloy.createUser({ username: 'ann@example.com', fullName: 'Ann Example' });
    expect(created).toEqual({ userId: expect.any(String) });
    const { userId } = created;

    await alloy.identify(userId);
    expect([alloy.userId, alloy.username]).toEqual([userId, 'ann@example.com']);
    alloy.clear();
    expect([alloy.userId, alloy.username]).toEqual([null, null]);
    // The SDK's docs pass a userId; its parameter is named username, and Alloy takes either.
    await alloy.identify('ann@example.com');
    expect(alloy.userId).toBe(userId);

    expect(await alloy.getUser(userId)).toMatchObject({ userId, username: 'ann@example.com', fullName: 'Ann Example' });
    expect((await alloy.getUsers()).data).toEqual([expect.objectContaining({ userId, username: 'ann@example.com', fullName: 'Ann Example' })]);
    expect(await alloy.updateUser({ fullName: 'Ann Other' })).toMatchObject({ userId, username: 'ann@example.com', fullName: 'Ann Other' });
    const token = await alloy.getUserToken();
    expect(token).toEqual(expect.objectContaining({ token: expect.any(String) }));
    expect((await server.request('GET', '/me/integrations', { token: token.token })).status).toBe(200);
    expect(await alloy.deleteUser()).toEqual({ success: true });
    expect((await server.request('GET', `/users/${userId}`)).status).toBe(404);

    expect(sent).toEqual([
      'POST /2023-01/users',
      `GET /2023-01/users/${userId}`,
      'GET /2023-01/users/ann@example.com',
      `GET /2023-01/users/${userId}`,
      'GET /2023-01/users',
      `PUT /2023-01/users/${userId}`,
      `GET /2023-01/users/${userId}/token`,
      `DELETE /2023-01/users/${userId}`,
    ]);
  });

  it('throws the server’s own words to its caller when a call fails (it reads a top-level message, as Alloy’s errors have)', async () => {
    const error = await alloy.getUser('nobody').then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBe('No user with id or username "nobody"');
  });

  it('lists integrations, gets one by id or app name, and the apps', async () => {
    const userId = await identifiedUser();
    await installSlack(server, userId, 'C0GENERAL');

    const integrations = await alloy.getIntegrations();
    expect(integrations.data.map((i: any) => i.integrationId)).toEqual(expect.arrayContaining(['slack', 'bigcommerce']));
    const slackIntegration = integrations.data.find((i: any) => i.integrationId === 'slack');
    expect(slackIntegration).toMatchObject({
      app: 'Slack',
      installed: true,
      workflows: [expect.objectContaining({ workflowId: SLACK, installedVersion: 1, blocks: expect.any(Array) })],
    });

    const byId = await alloy.getIntegration('slack');
    expect(byId.data).toMatchObject({ integrationId: 'slack', app: 'Slack', workflows: [expect.objectContaining({ workflowId: SLACK })] });
    expect((await alloy.getIntegration('Slack')).data.integrationId).toBe('slack');

    const apps = await alloy.getApps();
    for (const app of apps.data) expect(app).toEqual(expect.objectContaining({ name: expect.any(String), icon: expect.any(String), type: expect.any(Array) }));
    expect(apps.data.map((a: any) => a.name)).toEqual(expect.arrayContaining(['slack', 'bigcommerce']));

    expect(sent.slice(2)).toEqual([`GET /2023-01/integrations`, 'GET /2023-01/integrations/slack', 'GET /2023-01/integrations/Slack', 'GET /2023-01/apps']);
  });

  it('lists workflows, gets one with its versions and its users, deactivates, reactivates and disables them all, and uninstalls one', async () => {
    const userId = await identifiedUser();
    await installSlack(server, userId, 'C0GENERAL');
    await installFulfillment(server, userId);

    const workflows = await alloy.getWorkflows();
    expect(workflows.data).toEqual(expect.arrayContaining([expect.objectContaining({ workflowId: SLACK, name: SLACK_NAME, installed: true, active: true })]));
    const one = await alloy.getWorkflow(SLACK);
    expect(one.data).toMatchObject({ workflowId: SLACK, name: SLACK_NAME, active: true });
    expect(one.data.connectors).toEqual([
      { connectorName: 'Custom Event', connectorId: 'trigger', connector: 'customEvent', icon: expect.any(String) },
      { connectorName: 'Send message', connectorId: 'post-message', connector: 'slack', icon: `${http.url}/icons/slack.svg` },
    ]);

    const versions = await alloy.getVersions(SLACK);
    expect(versions.data).toEqual([expect.objectContaining({ version: 1, releasedAt: expect.any(String), current: true })]);

    const users = await alloy.getWorkflowDetails(SLACK);
    expect(users.data).toEqual([
      expect.objectContaining({ userId, username: 'ann@example.com', fullName: 'Ann Example', workflowActive: true, installedVersion: 1, installedAt: expect.any(String) }),
    ]);

    expect(await alloy.deactivate({ workflowId: SLACK })).toEqual(expect.objectContaining({ success: true }));
    expect((await alloy.getWorkflow(SLACK)).data.active).toBe(false);
    // reactivate spreads its argument into the body: the workflow by name, as the vendor allows.
    expect(await alloy.reactivate({ workflowName: SLACK_NAME })).toEqual(expect.objectContaining({ activated: true }));
    expect((await alloy.getWorkflow(SLACK)).data.active).toBe(true);

    expect(await alloy.disableAllWorkflows()).toEqual(expect.objectContaining({ message: 'Success' }));
    expect((await alloy.getWorkflows()).data.filter((w: any) => w.installed).map((w: any) => w.active)).toEqual([false, false]);

    expect(await alloy.deleteWorkflow(SLACK)).toEqual({ success: true });
    expect((await alloy.getWorkflow(SLACK)).data.installed).toBe(false);

    expect(sent).toContain(`GET /2023-06/workflows/${SLACK}/versions`);
    expect(sent).toContain(`GET /2023-01/workflows/${SLACK}/users`);
    expect(sent).toContain(`PUT /2023-01/users/${userId}/deactivate-workflows`);
    expect(sent).toContain(`DELETE /2023-01/workflows/${SLACK}`);
  });

  it('runs an event and a workflow (by id or by name), reads the logs and analytics, and deletes the logs', async () => {
    const userId = await identifiedUser();
    await installSlack(server, userId, 'C0GENERAL');

    expect(await alloy.event('Ticket Created', ticket)).toEqual(expect.objectContaining({ message: 'Event successfully triggered' }));
    // run() sends a reference that is not a MongoDB ObjectId as workflowName: our ids arrive there too.
    const byId = await alloy.run(SLACK, { ...ticket, ticketName: 'By id' });
    expect(byId).toEqual(expect.objectContaining({ message: 'success' }));
    const byName = await alloy.run(SLACK_NAME, { ...ticket, ticketName: 'By name' });
    expect(byName).toEqual(expect.objectContaining({ message: 'success' }));
    for (const executionId of [...byId.executionIds, ...byName.executionIds]) await waitForExecution(server, userId, SLACK, executionId, 'succeeded');
    expect(slack.messages.map((m) => m.text.split('\n')[0])).toEqual(
      expect.arrayContaining(['New ticket: Printer on fire from ann@example.com', 'New ticket: By id from ann@example.com', 'New ticket: By name from ann@example.com']),
    );

    const logs = await alloy.getLogs(SLACK);
    expect(logs.data).toHaveLength(3);
    for (const run of logs.data) {
      expect(run).toEqual(
        expect.objectContaining({
          executionId: expect.any(String),
          startedAt: expect.any(String),
          stoppedAt: expect.any(String),
          finished: true,
          results: expect.any(Array),
          inputs: expect.any(Array),
        }),
      );
      expect(run.results[0]).toEqual(
        expect.objectContaining({ startedAt: expect.any(String), stoppedAt: expect.any(String), connectorId: 'post-message', data: expect.anything() }),
      );
    }
    expect(await alloy.getAnalytics(SLACK)).toEqual(expect.objectContaining({ totalAppActions: 3, totalWorkflowRuns: 3, totalErrors: 0 }));

    expect(await alloy.deleteLogs()).toEqual(expect.objectContaining({ message: 'Success' }));
    expect((await alloy.getLogs(SLACK)).data).toEqual([]);

    expect(sent.slice(2)).toEqual([
      'POST /2023-01/run/event',
      'POST /2023-01/run/workflow',
      'POST /2023-01/run/workflow',
      `GET /2023-01/workflows/${SLACK}/logs`,
      `GET /2023-01/workflows/${SLACK}/analytics`,
      `DELETE /2023-01/users/${userId}/logs`,
      `GET /2023-01/workflows/${SLACK}/logs`,
    ]);
  });

  it('gets what connecting an app takes by its credential name', async () => {
    const bigcommerce = await alloy.getCredential('bigcommerce');
    expect(bigcommerce.data).toMatchObject({ name: 'bigcommerce', icon: expect.any(String), isOauth: false });
    expect(bigcommerce.data.properties.map((p: any) => p.name)).toEqual(['storeHash', 'accessToken']);
    expect((await alloy.getCredential('slack')).data).toMatchObject({ name: 'slack', isOauth: true, properties: [] });
    expect(sent).toEqual(['GET /2023-01/credentials/bigcommerce', 'GET /2023-01/credentials/slack']);
  });

  it('gets an OAuth redirect for the user that, opened once in a browser, connects their account', async () => {
    const userId = await identifiedUser();
    const redirect = await alloy.getUserOauthRedirect({ credentialName: 'slack' });
    expect(redirect).toEqual({ oauthUrl: expect.stringMatching(new RegExp(`^${http.url}/oauth/link/link_[\\w-]{43}$`)), expiresAt: expect.any(String) });
    expect(sent.at(-1)).toBe(`GET /2023-01/users/${userId}/credentials/slack`);

    // The user's browser: opens the link, goes through the provider's consent, comes back with the cookie the link set.
    const opened = await fetch(redirect.oauthUrl, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    const cookie = opened.headers.get('set-cookie')!.split(';')[0]!;
    const callback = (await fetch(opened.headers.get('location')!, { redirect: 'manual' })).headers.get('location')!;
    expect(callback.startsWith(`${http.url}/oauth/callback?`)).toBe(true);
    const page = await fetch(callback, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Connected. You can close this window.');
    const credentials = await server.request('GET', `/credentials/users/${userId}`);
    expect(credentials.body.data).toEqual([expect.objectContaining({ type: 'slack', authType: 'oauth2' })]);

    // Single-use: the same link a second time connects nothing.
    expect((await fetch(redirect.oauthUrl, { redirect: 'manual' })).status).toBe(400);
  });

  it('generates a link to the hosted install page for the user', async () => {
    const userId = await identifiedUser();
    const link = await alloy.generateLink('slack');
    expect(link).toEqual(expect.objectContaining({ url: expect.stringMatching(new RegExp(`^${http.url}/install/slack#token=`)) }));
    expect(sent.at(-1)).toBe(`GET /2023-01/users/${userId}/integrations/slack/install-url`);
    expect((await fetch(link.url.split('#')[0])).status).toBe(200);
  });

  it('called every one of the SDK’s Embedded methods above', () => {
    expect([...EMBEDDED_METHODS].filter((m) => !called.has(m))).toEqual([]);
  });
});
