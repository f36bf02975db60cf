import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { netsuite } from '../../../server/connectors/netsuite';
import { NonRetriableError } from '../../../server/engine/errors';
import { NETSUITE_ACCOUNT, startFakeNetSuite, type FakeNetSuite } from '../../fakes/netsuite';
import type { HttpClient } from '../../../server/engine/http';
import { connectorContext, connectorHttp, thrown } from '../../helpers/connector';

let fake: FakeNetSuite;
const http = connectorHttp();
const context = (credential: Record<string, string> = { ...NETSUITE_ACCOUNT }) => connectorContext({ http, credential, apiUrls: { netsuite: fake.url } });

let n = 0;
const invoice = () => ({ externalId: `acme-inv-${++n}`, invoiceNumber: `INV-${1000 + n}`, amount: 249.5, subsidiary: '1', customer: '42', item: '7' });
const createInvoice = (input: unknown, ctx = context()) => netsuite.actions.createInvoice!.run(netsuite.actions.createInvoice!.input.parse(input), ctx);

beforeAll(async () => {
  fake = await startFakeNetSuite();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.rejections.length = 0;
});

describe('NetSuite createInvoice', () => {
  it('signs the request so NetSuite accepts it, and returns the new invoice id from Location', async () => {
    const input = invoice();

    const out = await createInvoice(input);

    expect(fake.rejections).toEqual([]);
    const created = fake.invoices.at(-1)!;
    expect(out).toEqual({ invoiceId: created.id, location: `${fake.url}/services/rest/record/v1/invoice/${created.id}` });
    expect(created.body).toEqual({
      externalId: input.externalId,
      tranId: input.invoiceNumber,
      entity: { id: '42' },
      subsidiary: { id: '1' },
      item: { items: [{ item: { id: '7' }, amount: 249.5 }] },
    });
    expect(created.headers.authorization).toMatch(/^OAuth realm="1234567_SB1", oauth_consumer_key="ck_4f1b2c", /);
  });

  it('signs every request with a fresh nonce, so consecutive invoices are all accepted', async () => {
    const before = fake.invoices.length;

    await createInvoice(invoice());
    await createInvoice(invoice());

    expect(fake.rejections).toEqual([]);
    expect(fake.invoices).toHaveLength(before + 2);
    const [a, b] = fake.invoices.slice(-2).map((i) => /oauth_nonce="([^"]+)"/.exec(String(i.headers.authorization))![1]);
    expect(a).not.toBe(b);
  });

  it('writes the realm in upper case with underscores whatever case the account id was entered in', async () => {
    await expect(createInvoice(invoice(), context({ ...NETSUITE_ACCOUNT, accountId: '1234567-sb1' }))).resolves.toMatchObject({ invoiceId: expect.any(String) });
    expect(fake.rejections).toEqual([]);
  });

  it('fails without retrying when the token secret is wrong (401), because the signature does not match', async () => {
    const before = fake.invoices.length;

    const err = await thrown(() => createInvoice(invoice(), context({ ...NETSUITE_ACCOUNT, tokenSecret: 'not-the-secret' })));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/HTTP 401/);
    expect(err.message).toMatch(/Invalid login attempt/);
    expect(fake.rejections).toEqual(['signature mismatch']);
    expect(fake.invoices).toHaveLength(before);
  });

  it('fails without retrying when the consumer secret is wrong', async () => {
    const err = await thrown(() => createInvoice(invoice(), context({ ...NETSUITE_ACCOUNT, consumerSecret: 'nope' })));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(fake.rejections).toEqual(['signature mismatch']);
  });

  it('refuses an incomplete credential before calling NetSuite', async () => {
    const { tokenSecret: _omit, ...partial } = NETSUITE_ACCOUNT;

    const err = await thrown(() => createInvoice(invoice(), context(partial)));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/token id and secret/);
    expect(fake.rejections).toEqual([]);
  });

  it('refuses a stored account id that is not one (a host, a path) before calling anything', async () => {
    const sent: unknown[] = [];
    const recording = { send: async (req: unknown) => (sent.push(req), { status: 204, headers: {}, body: null }) } as unknown as HttpClient;

    for (const accountId of ['attacker.example', '1234567.attacker.example/x', '1234567@attacker.example', '"a', '-1234567']) {
      const err = await thrown(() => createInvoice(invoice(), connectorContext({ http: recording, credential: { ...NETSUITE_ACCOUNT, accountId } })));

      expect(err).toBeInstanceOf(NonRetriableError);
      expect(err.message).toBe('NetSuite: the credential\'s account id must be a NetSuite account id: letters, digits, "_" and "-", such as 1234567 or 1234567_SB1');
    }
    expect(sent).toEqual([]);
  });

  it('fails without retrying when NetSuite refuses a duplicate external id (400)', async () => {
    const input = invoice();
    await createInvoice(input);

    const err = await thrown(() => createInvoice(input));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/HTTP 400/);
    expect(err.message).toMatch(/same external ID/);
  });
});
