import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { listen } from '../helpers/browser';
import { createUserWithSlack } from '../helpers/flows';
import { createUser, startTestServer, storeKind, userToken, type TestServer } from '../helpers/server';

/** What alloy-frontend 2.1.1's `Alloy()` returns, as far as these tests call it (the package has no types). */
interface AlloyFrontend {
  setToken(token: string): void;
  getIntegrations(): Promise<any>;
  getWorkflows(): Promise<any>;
  deactivate(data: object): Promise<any>;
  reactivate(data: object): Promise<any>;
}
const Alloy = createRequire(import.meta.url)('alloy-frontend') as () => AlloyFrontend;

/** The host alloy-frontend hard-codes for the "us" region. */
const VENDOR_HOST = 'https://embedded.runalloy.com';
/** The ISV's page the SDK runs in. */
const PAGE_ORIGIN = 'https://app.acme.test';
const SLACK = 'slack-ticket-created';
const SLACK_NAME = 'Post to Slack when a ticket is created';

interface SentRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}

/**
 * `fetch` as the SDK's page would run it, aimed at `base` instead of the vendor's host: a browser
 * asks first (the SDK's Content-Type and x-alloy-user-token are not CORS-safelisted), sends its
 * Origin, and hands the page nothing ("Failed to fetch") when the server's CORS answers do not allow it.
 */
function pageFetch(base: string, sent: SentRequest[]): typeof fetch {
  const fetch = globalThis.fetch; // Node's own, before the test puts this one in its place
  const refused = (why: string) => new TypeError(`Failed to fetch (CORS: ${why})`);
  return async (input, init = {}) => {
    const url = String(input);
    if (!url.startsWith(`${VENDOR_HOST}/`)) throw new Error(`alloy-frontend called an unexpected host: ${url}`);
    const target = base + url.slice(VENDOR_HOST.length);
    const method = init.method ?? 'GET';
    const headers = new Headers(init.headers);
    sent.push({
      method,
      path: url.slice(VENDOR_HOST.length),
      headers: Object.fromEntries(headers),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    const names = [...headers.keys()];
    const preflight = await fetch(target, {
      method: 'OPTIONS',
      headers: { origin: PAGE_ORIGIN, 'access-control-request-method': method, 'access-control-request-headers': names.join(',') },
    });
    const allowedHeaders = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    if (!preflight.ok) throw refused(`preflight answered ${preflight.status}`);
    if (preflight.headers.get('access-control-allow-origin') !== PAGE_ORIGIN) throw refused('origin not allowed');
    if (!(preflight.headers.get('access-control-allow-methods') ?? '').split(',').includes(method)) throw refused(`${method} not allowed`);
    for (const name of names) if (!allowedHeaders.includes(name)) throw refused(`header ${name} not allowed`);
    headers.set('origin', PAGE_ORIGIN);
    const res = await fetch(target, { ...init, headers });
    if (res.headers.get('access-control-allow-origin') !== PAGE_ORIGIN) throw refused('answer without Access-Control-Allow-Origin');
    return res;
  };
}

describe(`alloy-frontend 2.1.1, the vendor's browser SDK, against this server (${storeKind})`, () => {
  let server: TestServer;
  let http: Awaited<ReturnType<typeof listen>>;
  let sent: SentRequest[];

  beforeEach(async () => {
    server = await startTestServer({ env: { ALLOY_ALLOWED_ORIGINS: PAGE_ORIGIN } });
    http = await listen(server);
    sent = [];
    vi.stubGlobal('fetch', pageFetch(http.url, sent));
  });
  afterEach(async () => {
    vi.unstubAllGlobals();
    await http.close();
    await server.close();
  });

  /** The SDK as the ISV's page sets it up: `Alloy()`, then `setToken` with the user's token. */
  async function sdkFor(userId: string): Promise<AlloyFrontend> {
    const alloy = Alloy();
    alloy.setToken(await userToken(server, userId));
    return alloy;
  }

  it('getIntegrations hands back the 2024-03 list for the token’s user: data[].{ integrationId, app, installed, icon, workflows[] }', async () => {
    const ann = await createUserWithSlack(server, 'ann');
    await createUser(server, 'bob');
    const integrations = await (await sdkFor(ann)).getIntegrations();

    expect(sent).toEqual([
      { method: 'GET', path: '/2024-03/integrations', headers: { 'content-type': 'application/json', 'x-alloy-user-token': expect.any(String) }, body: undefined },
    ]);
    for (const i of integrations.data) {
      expect(i).toMatchObject({ integrationId: expect.any(String), app: expect.any(String), installed: expect.any(Boolean), icon: expect.any(String) });
      for (const w of i.workflows) {
        expect(w).toMatchObject({
          workflowId: expect.any(String),
          name: expect.any(String),
          installed: expect.any(Boolean),
          version: expect.any(Number),
          active: expect.any(Boolean),
        });
        expect('installedVersion' in w).toBe(true);
        for (const b of w.blocks) expect(b).toMatchObject({ name: expect.any(String), id: expect.any(String), type: expect.any(String), icon: expect.any(String) });
      }
    }
    const slack = integrations.data.find((i: any) => i.integrationId === 'slack');
    expect(slack).toMatchObject({ app: 'Slack', installed: true });
    expect(slack.workflows.find((w: any) => w.workflowId === SLACK)).toMatchObject({ installed: true, active: true, installedVersion: 1 });
  });

  it('getIntegrations for a user with nothing installed shows nothing installed, whatever other users have', async () => {
    await createUserWithSlack(server, 'ann');
    const bob = await createUser(server, 'bob');
    const integrations = await (await sdkFor(bob)).getIntegrations();
    expect(integrations.data.length).toBeGreaterThan(0);
    expect(integrations.data.filter((i: any) => i.installed)).toEqual([]);
  });

  it('getWorkflows hands back data[] with each workflow’s installation state for the token’s user', async () => {
    const ann = await createUserWithSlack(server, 'ann');
    const workflows = await (await sdkFor(ann)).getWorkflows();
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /2024-03/workflows']);
    for (const w of workflows.data) {
      expect(w).toMatchObject({
        workflowId: expect.any(String),
        name: expect.any(String),
        installed: expect.any(Boolean),
        active: expect.any(Boolean),
        version: expect.any(Number),
      });
    }
    expect(workflows.data.find((w: any) => w.workflowId === SLACK)).toMatchObject({ name: SLACK_NAME, installed: true, active: true, installedVersion: 1 });
    expect(workflows.data.filter((w: any) => w.installed).map((w: any) => w.workflowId)).toEqual([SLACK]);
  });

  it('deactivate and reactivate turn the user’s installation off and on again in the store', async () => {
    const ann = await createUserWithSlack(server, 'ann');
    const alloy = await sdkFor(ann);
    const active = async () => (await server.services.store.installations.find(ann, SLACK))?.active;

    expect(await alloy.deactivate({ workflowId: SLACK })).toEqual({ success: true });
    expect(await active()).toBe(false);
    expect((await alloy.getWorkflows()).data.find((w: any) => w.workflowId === SLACK).active).toBe(false);

    // The vendor's reactivate answers { activated: true }; by name, as Alloy also allows.
    expect(await alloy.reactivate({ workflowName: SLACK_NAME })).toMatchObject({ activated: true });
    expect(await active()).toBe(true);

    expect(sent.filter((r) => r.method === 'PUT')).toEqual([
      { method: 'PUT', path: '/2024-03/workflows/deactivate', headers: expect.objectContaining({ 'x-alloy-user-token': expect.any(String) }), body: { workflowId: SLACK } },
      { method: 'PUT', path: '/2024-03/workflows/activate', headers: expect.objectContaining({ 'x-alloy-user-token': expect.any(String) }), body: { workflowName: SLACK_NAME } },
    ]);
  });

  it('deactivate naming another user changes nothing of theirs: the token acts for its own user only', async () => {
    const ann = await createUserWithSlack(server, 'ann');
    const bob = await createUserWithSlack(server, 'bob');
    const answer = await (await sdkFor(bob)).deactivate({ userId: ann, workflowId: SLACK });
    expect(answer.error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('its own user only') });
    expect((await server.services.store.installations.find(ann, SLACK))?.active).toBe(true);
    expect((await server.services.store.installations.find(bob, SLACK))?.active).toBe(true);
  });

  it('hands the page our 401 error body for an invalid token, readable across origins', async () => {
    const alloy = Alloy();
    alloy.setToken('not.a.token');
    expect(await alloy.getIntegrations()).toEqual({ error: { code: 'unauthorized', message: 'The user token is invalid' }, message: 'The user token is invalid' });
  });

  it('throws "no token set" at once, before any request, when setToken was not called', () => {
    const alloy = Alloy();
    expect(() => alloy.getIntegrations()).toThrow('no token set');
    expect(() => alloy.deactivate({ workflowId: SLACK })).toThrow('no token set');
    expect(sent).toEqual([]);
  });
});
