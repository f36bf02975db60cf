import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bigcommerce } from '../../../server/connectors/bigcommerce';
import { NonRetriableError } from '../../../server/engine/errors';
import { startFakeBigCommerceCatalog, type FakeBigCommerceCatalog } from '../../fakes/bigcommerce-catalog';
import { connectorContext, connectorHttp, thrown } from '../../helpers/connector';

let fake: FakeBigCommerceCatalog;
const http = connectorHttp();
const context = (credential: Record<string, string> = { storeHash: 'abc123', accessToken: 'bc-token' }) =>
  connectorContext({ http, credential, apiUrls: { bigcommerce: fake.url } });
const sources = () => bigcommerce.optionSources!;

beforeAll(async () => {
  fake = await startFakeBigCommerceCatalog();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.state.failing = false;
});

describe('BigCommerce option sources', () => {
  it('lists the category trees with the store token (GET /v3/catalog/trees)', async () => {
    expect(await sources().categoryTrees!(context())).toEqual([
      { label: 'Main storefront', value: '1' },
      { label: 'Wholesale', value: '2' },
    ]);
    expect(fake.requests[0]).toMatchObject({ method: 'GET', path: '/stores/abc123/v3/catalog/trees', query: { page: '1', limit: '50' } });
  });

  it('lists the categories of one tree, filtered with tree_id:in and labelled with their path', async () => {
    expect(await sources().categories!(context(), { treeId: '1' })).toEqual([
      { label: 'Shop All', value: '10' },
      { label: 'Shop All › Kitchen', value: '11' },
      { label: 'Shop All › Garden', value: '12' },
    ]);
    expect(fake.requests[0]).toMatchObject({ path: '/stores/abc123/v3/catalog/trees/categories', query: { 'tree_id:in': '1' } });
    expect(await sources().categories!(context(), { treeId: '2' })).toEqual([{ label: 'Bulk', value: '20' }]);
  });

  it('declares that categories take the tree id, a number, and refuses another', async () => {
    expect(Object.keys(sources().categories!.params!.shape)).toEqual(['treeId']);
    expect(sources().categories!.params!.safeParse({ treeId: '1,2' }).success).toBe(false);
    await expect(sources().categories!(context(), {})).rejects.toThrow();
    expect(fake.requests).toHaveLength(0);
  });

  it('reads every page of a long list', async () => {
    const many = Array.from({ length: 260 }, (_, i) => ({ category_id: 100 + i, tree_id: 3, parent_id: 0, name: `C${i}` }));
    fake.state.categories.push(...many);
    try {
      const options = await sources().categories!(context(), { treeId: '3' });
      expect(options).toHaveLength(260);
      expect(fake.requests.map((r) => r.query.page)).toEqual(['1', '2']);
    } finally {
      fake.state.categories.splice(-many.length);
    }
  });

  it('lists a customer’s standard fields, the required ones marked, then the store’s attributes as custom fields', async () => {
    const options = await sources().customerFields!(context());
    expect(options.slice(0, 3)).toEqual([
      { label: 'Email', value: 'email', required: true },
      { label: 'First name', value: 'first_name', required: true },
      { label: 'Last name', value: 'last_name', required: true },
    ]);
    expect(options.at(-1)).toEqual({ label: 'Loyalty tier', value: 'attribute:7', custom: true });
    expect(fake.requests[0]).toMatchObject({ path: '/stores/abc123/v3/customers/attributes' });
  });

  it('fails without retrying on a wrong token, and calls nothing without a store hash', async () => {
    const err = await thrown(() => sources().customerFields!(context({ storeHash: 'abc123', accessToken: 'stolen' })));
    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/HTTP 401/);
    const none = await thrown(() => sources().categoryTrees!(context({ accessToken: 'bc-token' })));
    expect(none.message).toMatch(/store hash/);
    expect(fake.requests).toHaveLength(1);
  });
});
