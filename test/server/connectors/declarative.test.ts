import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { findConnector, useConnectorDir } from '../../../server/connectors';
import { parseConnector } from '../../../server/connectors/declarative/load';
import { formEncode, verifyDelivery } from '../../../server/connectors/declarative/runtime';
import { VerifySpec } from '../../../server/connectors/declarative/schema';
import { loadConfig } from '../../../server/config';
import { DefinitionError } from '../../../server/definitions/event-schema';
import { NonRetriableError } from '../../../server/engine/errors';
import { startAppFake, type AppFake } from '../../fakes/app-fake';
import { connectorContext, connectorHttp, thrown } from '../../helpers/connector';

/** The least connector file: one action. */
const minimal = (over: Record<string, unknown> = {}) => ({
  id: 'acme-crm',
  name: 'Acme CRM',
  icon: '/icons/acme.svg',
  baseUrl: { default: 'https://{{credential.tenant}}.acme-crm.test', env: 'ACME_CRM_API_URL' },
  auth: [
    {
      type: 'apiKey',
      fields: [
        { name: 'tenant', label: 'Tenant', type: 'text', required: true },
        { name: 'apiKey', label: 'API key', type: 'secret', required: true },
      ],
      apply: { headers: { authorization: 'Bearer {{credential.apiKey}}' } },
    },
  ],
  errors: { message: ['error.message'] },
  actions: {
    createNote: {
      description: 'Create a note',
      input: { contactId: 'String', text: 'String', pinned: 'Boolean?' },
      request: { method: 'POST', path: '/v1/contacts/{{input.contactId}}/notes', body: { text: '{{input.text}}', pinned: '{{input.pinned}}' } },
      output: 'note',
    },
  },
  ...over,
});

const message = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return (err as Error).message;
  }
  throw new Error('expected a DefinitionError');
};

describe('connector files: a mistake names the file, the path in it and the reason', () => {
  it('an unknown field, a bad path and a missing action', () => {
    expect(message(() => parseConnector({ ...minimal(), colour: 'red' }, 'acme.json'))).toMatch(/^acme\.json: Unrecognized key: "colour"/);
    expect(message(() => parseConnector(minimal({ actions: {} }), 'acme.json'))).toBe('acme.json: actions: needs at least one action');
    const badPath = minimal();
    (badPath.actions.createNote as { output: string }).output = 'note..id';
    expect(message(() => parseConnector(badPath, 'acme.json'))).toMatch(/^acme\.json: actions\.createNote\.output: is not a path/);
  });

  it('a template root that is not in scope where it is used, an input the action does not declare, a parameter a source does not take', () => {
    const wrongRoot = minimal();
    wrongRoot.actions.createNote.request.path = '/v1/contacts/{{params.id}}/notes';
    expect(message(() => parseConnector(wrongRoot, 'acme.json'))).toBe(
      'acme.json: actions.createNote.request.path: "{{params.id}}": params is not in scope here (input, credential are)',
    );
    const undeclared = minimal();
    undeclared.actions.createNote.request.body = { text: '{{input.txt}}', pinned: '{{input.pinned}}' };
    expect(message(() => parseConnector(undeclared, 'acme.json'))).toBe('acme.json: actions.createNote.request.body.text: "{{input.txt}}" is not in the action\'s input');
    const source = minimal({ optionSources: { lists: { request: { path: '/v1/lists/{{params.folder}}' }, items: 'lists', label: 'name', value: 'id' } } });
    expect(message(() => parseConnector(source, 'acme.json'))).toBe('acme.json: optionSources.lists.request.path: "{{params.folder}}" is not one of the source\'s params');
  });

  it('a bad input type names its path in the action', () => {
    const bad = minimal();
    (bad.actions.createNote.input as Record<string, string>).text = 'Strung';
    expect(message(() => parseConnector(bad, 'acme.json'))).toMatch(/^acme\.json: actions\.createNote\.input\.text: unknown type "Strung"/);
  });
});

describe('CONNECTORS_DIR: the ISV’s own connector files, beside the catalogue', () => {
  const dirs: string[] = [];
  const dirWith = (files: Record<string, unknown>) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'connectors-'));
    dirs.push(dir);
    for (const [name, json] of Object.entries(files)) writeFileSync(path.join(dir, name), typeof json === 'string' ? json : JSON.stringify(json));
    return dir;
  };
  afterEach(() => useConnectorDir(undefined));
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('loads them at start, registered with the built-in ones, their base URL from their env variable', () => {
    const dir = dirWith({ 'acme-crm.json': minimal() });
    const config = loadConfig({ NODE_ENV: 'test', CONNECTORS_DIR: dir, ACME_CRM_API_URL: 'http://127.0.0.1:9' });
    expect(findConnector('acme-crm')?.name).toBe('Acme CRM');
    expect(findConnector('slack')).toBeDefined();
    expect(config.apiUrls['acme-crm']).toBe('http://127.0.0.1:9');
    expect(Object.keys(findConnector('acme-crm')!.actions).sort()).toEqual(['createNote', 'http']);
  });

  it('a bad file, a taken id or a missing directory stops the start, naming it', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', CONNECTORS_DIR: dirWith({ 'bad.json': '{ not json' }) })).toThrow(/bad\.json: invalid JSON/);
    expect(() => loadConfig({ NODE_ENV: 'test', CONNECTORS_DIR: dirWith({ 'slack.json': minimal({ id: 'slack' }) }) })).toThrow(
      /slack\.json: id: id "slack" is a built-in connector's/,
    );
    expect(() => loadConfig({ NODE_ENV: 'test', CONNECTORS_DIR: '/nonexistent/connectors' })).toThrow(/CONNECTORS_DIR: \/nonexistent\/connectors does not exist/);
  });

  it('without CONNECTORS_DIR, a connectors/ folder beside the integrations is read when there is one', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'isv-'));
    dirs.push(root);
    mkdirSync(path.join(root, 'integrations'));
    mkdirSync(path.join(root, 'connectors'));
    writeFileSync(path.join(root, 'connectors', 'acme-crm.json'), JSON.stringify(minimal()));
    const config = loadConfig({ NODE_ENV: 'test', INTEGRATIONS_DIR: path.join(root, 'integrations') });
    expect(config.connectorsDir).toBe(path.join(root, 'connectors'));
    expect(findConnector('acme-crm')).toBeDefined();
  });
});

describe('the runtime of a connector file', () => {
  const http = connectorHttp();
  let fake: AppFake | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });
  const acme = () => parseConnector(minimal());
  const start = async () => {
    fake = await startAppFake({
      name: 'Acme',
      authorize: (req) => (req.headers.authorization === 'Bearer k1' ? undefined : { status: 401, body: { error: { message: 'bad key' } } }),
      errorBody: (_status, m) => ({ error: { message: m } }),
      routes: [{ method: 'POST', path: '/v1/contacts/:id/notes', handle: (req, p) => ({ status: 201, body: { note: { id: 'n1', contact: p.id, ...(req.body as object) } } }) }],
    });
    return fake;
  };

  it('percent-encodes values in the path, leaves out an optional input that is absent, and picks the output', async () => {
    const f = await start();
    const c = acme();
    const out = await c.actions.createNote!.run(
      { contactId: 'a/b c', text: 'hi' },
      connectorContext({ http, credential: { tenant: 't', apiKey: 'k1' }, apiUrls: { 'acme-crm': f.url } }),
    );
    expect(f.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v1/contacts/a%2Fb%20c/notes', body: { text: 'hi' } });
    expect(out).toEqual({ id: 'n1', contact: 'a/b c', text: 'hi' });
  });

  it('a value that would leave the base path is refused before anything is sent', async () => {
    const f = await start();
    const err = await thrown(() =>
      acme().actions.createNote!.run({ contactId: '..', text: 'x' }, connectorContext({ http, credential: { tenant: 't', apiKey: 'k1' }, apiUrls: { 'acme-crm': f.url } })),
    );
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(f.requests).toHaveLength(0);
  });

  it('a credential value that is not a host label cannot steer the base URL to another host', async () => {
    const c = acme();
    // The account form refuses it when it is stored…
    expect(c.credentialChecks!.tenant!.safeParse('evil.test/x').success).toBe(false);
    // …and the runtime refuses it anyway, with the catalogue's default base.
    const err = await thrown(() => c.actions.createNote!.run({ contactId: '1', text: 'x' }, connectorContext({ http, credential: { tenant: 'evil.test/x', apiKey: 'k1' } })));
    expect(err.message).toMatch(/is not a host name part/);
  });

  it('an error answer reads in the app’s words', async () => {
    const f = await start();
    const err = await thrown(() =>
      acme().actions.createNote!.run({ contactId: '1', text: 'x' }, connectorContext({ http, credential: { tenant: 't', apiKey: 'nope' }, apiUrls: { 'acme-crm': f.url } })),
    );
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toBe('Acme CRM: createNote: HTTP 401 bad key');
  });

  it('form bodies flatten objects as a[b] and repeat array keys', () => {
    expect(decodeURIComponent(formEncode({ email: 'a@b.test', metadata: { plan: 'pro' }, 'expand[]': ['x', 'y'] }))).toBe(
      'email=a@b.test&metadata[plan]=pro&expand[]=x&expand[]=y',
    );
  });
});

describe('verifying a delivery', () => {
  const body = '{"id":"evt_1"}';
  it('a Stripe-style t=…,v1=… header: the HMAC of "t.body", within the tolerance', () => {
    const verify = VerifySpec.parse({
      type: 'hmac',
      header: 'Stripe-Signature',
      signed: '{{pairs.t}}.{{body}}',
      pairs: { signature: 'v1', timestamp: 't', toleranceSeconds: 300 },
    });
    const t = 1_800_000_000;
    const sig = createHmac('sha256', 'whsec_x').update(`${t}.${body}`).digest('hex');
    const headers = { 'stripe-signature': `t=${t},v1=deadbeef,v1=${sig}` };
    expect(verifyDelivery(verify, headers, body, 'whsec_x', t * 1000)).toBe(true);
    expect(verifyDelivery(verify, headers, body, 'whsec_x', (t + 301) * 1000), 'too old').toBe(false);
    expect(verifyDelivery(verify, headers, `${body} `, 'whsec_x', t * 1000), 'changed body').toBe(false);
  });

  it('a base64 HMAC of the body (Shopify), and a shared secret in a header', () => {
    const hmac = VerifySpec.parse({ type: 'hmac', header: 'X-Shopify-Hmac-Sha256', encoding: 'base64' });
    const sig = createHmac('sha256', 's3cret').update(body).digest('base64');
    expect(verifyDelivery(hmac, { 'x-shopify-hmac-sha256': sig }, body, 's3cret')).toBe(true);
    expect(verifyDelivery(hmac, { 'x-shopify-hmac-sha256': sig }, body, 'other')).toBe(false);
    const shared = VerifySpec.parse({ type: 'secret', header: 'X-Hook-Secret' });
    expect(verifyDelivery(shared, { 'x-hook-secret': 'abc' }, body, 'abc')).toBe(true);
    expect(verifyDelivery(shared, { 'x-hook-secret': 'abd' }, body, 'abc')).toBe(false);
    expect(verifyDelivery(shared, {}, body, 'abc')).toBe(false);
  });
});
