import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { netsuite } from '../../../server/connectors/netsuite';
import { NonRetriableError, RetryAfterError } from '../../../server/engine/errors';
import { NETSUITE_ACCOUNT, startFakeNetSuite, type FakeNetSuite } from '../../fakes/netsuite';
import { connectorContext, connectorHttp, thrown } from '../../helpers/connector';

const http = connectorHttp();
let fake: FakeNetSuite;
const source = netsuite.listSources!.invoices!;
const list = (checkpoint: string | null, params: Record<string, unknown> = {}) =>
  source.list(connectorContext({ http, credential: { ...NETSUITE_ACCOUNT }, apiUrls: { netsuite: fake.url } }), checkpoint, source.params!.parse(params));

beforeEach(async () => {
  await fake?.close();
  fake = await startFakeNetSuite();
});
afterAll(async () => {
  await fake.close();
});

describe('NetSuite invoices (list source)', () => {
  it('asks SuiteQL, signed and with Prefer: transient, for the first page of invoices in last-modified order', async () => {
    const [a, b] = [fake.addInvoice('2031-03-03 08:00:02'), fake.addInvoice('2031-03-03 08:00:01'), fake.addInvoice('2031-03-03 08:00:03')];

    const page = await list(null, { pageSize: 2 });

    expect(fake.rejections).toEqual([]);
    expect(fake.suiteqlRequests).toEqual([
      {
        q: "SELECT id, tranid, entity, trandate, foreigntotal, currency, status, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS lastmodified FROM transaction WHERE type = 'CustInvc' ORDER BY lastmodifieddate, id",
        limit: 2,
        offset: 0,
        prefer: 'transient',
      },
    ]);
    expect(page.records.map((r) => [r.key, r.version])).toEqual([
      [String(b!.id), '2031-03-03 08:00:01'],
      [String(a!.id), '2031-03-03 08:00:02'],
    ]);
    expect(page.records[0]!.data).toEqual({
      id: String(b!.id),
      tranid: b!.tranid,
      entity: '42',
      trandate: '2031-03-03',
      foreigntotal: '100',
      currency: '1',
      status: 'A',
      lastmodified: '2031-03-03 08:00:01',
    });
    expect(page).toMatchObject({ hasMore: true, checkpoint: JSON.stringify({ at: '2031-03-03 08:00:02', id: String(a!.id) }) });
  });

  it('goes on after its checkpoint, and ends a round with one a minute behind the last invoice', async () => {
    for (const t of ['08:00:01', '08:00:02', '08:00:03']) fake.addInvoice(`2031-03-03 ${t}`);
    const first = await list(null, { pageSize: 2 });

    const second = await list(first.checkpoint, { pageSize: 2 });

    expect(second.records.map((r) => r.version)).toEqual(['2031-03-03 08:00:03']);
    expect(second).toMatchObject({ hasMore: false, checkpoint: JSON.stringify({ at: '2031-03-03 07:59:03', id: null }) });
    // The next round reads that minute again, page by page (the poller drops the versions it emitted).
    expect(await list(second.checkpoint, { pageSize: 2 })).toMatchObject({ hasMore: true, checkpoint: JSON.stringify({ at: '2031-03-03 08:00:02', id: '5002' }) });
  });

  it('starts the first round at `since`, and answers an empty list with no checkpoint', async () => {
    expect(await list(null)).toEqual({ records: [], checkpoint: null, hasMore: false });
    fake.addInvoice('2030-12-31 23:59:59');
    const recent = fake.addInvoice('2031-01-01 00:00:00');

    const page = await list(null, { since: '2031-01-01' });

    expect(fake.suiteqlRequests.at(-1)!.q).toContain("WHERE type = 'CustInvc' AND lastmodifieddate >= TO_TIMESTAMP('2031-01-01 00:00:00', 'YYYY-MM-DD HH24:MI:SS') ORDER BY");
    expect(page.records.map((r) => r.key)).toEqual([String(recent.id)]);
  });

  it('fails in NetSuite’s words: a refusal as such, a throttle as retryable with its Retry-After', async () => {
    fake.failSuiteQL(1, 400);
    const refused = await thrown(() => list(null));
    expect(refused).toBeInstanceOf(NonRetriableError);
    expect(refused.message).toBe('NetSuite: HTTP 400 INVALID_PARAMETER Invalid search query.');

    fake.failSuiteQL(1, 429, { headers: { 'retry-after': '30' } });
    const throttled = await thrown(() => list(null));
    expect(throttled).toBeInstanceOf(RetryAfterError);
    expect(throttled).toMatchObject({ retryAfterMs: 30_000, message: 'NetSuite: HTTP 429 CONCURRENCY_LIMIT_EXCEEDED Concurrent request limit exceeded. Request blocked.' });
  });

  it('refuses a checkpoint it did not write, without asking NetSuite', async () => {
    const err = await thrown(() => list('{"at":"yesterday"}'));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toBe('NetSuite: the checkpoint "{\\"at\\":\\"yesterday\\"}" is not one the invoice list wrote');
    expect(fake.suiteqlRequests).toEqual([]);
  });
});
