import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { storeInformation } from '../../demo/fakes/bigcommerce';

export interface FakeCategory {
  category_id: number;
  tree_id: number;
  parent_id: number;
  name: string;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

/**
 * The read side of BigCommerce's REST API v3 on 127.0.0.1, in its documented shapes: category trees
 * (`GET /stores/:hash/v3/catalog/trees`), their categories (`GET …/v3/catalog/trees/categories`
 * filtered by `tree_id:in`) and customer attributes (`GET …/v3/customers/attributes`), each a page of
 * `{ data, meta: { pagination } }` taken with `page` and `limit`, authenticated by `X-Auth-Token`
 * (store `abc123`, token `bc-token`). Errors answer `{ status, title, type }`. Get Store Information
 * (`GET /stores/:hash/v2/store`) answers too, so the account can be verified when it is connected. `requests` lists what
 * it was asked, for counting; `failing` makes every answer a 500 until reset.
 */
export async function startFakeBigCommerceCatalog() {
  const tokens = new Map<string, string>([['abc123', 'bc-token']]);
  const state = {
    trees: [
      { id: 1, name: 'Main storefront', channels: [1] },
      { id: 2, name: 'Wholesale', channels: [2] },
    ],
    categories: [
      { category_id: 10, tree_id: 1, parent_id: 0, name: 'Shop All' },
      { category_id: 11, tree_id: 1, parent_id: 10, name: 'Kitchen' },
      { category_id: 12, tree_id: 1, parent_id: 10, name: 'Garden' },
      { category_id: 20, tree_id: 2, parent_id: 0, name: 'Bulk' },
    ] as FakeCategory[],
    attributes: [{ id: 7, name: 'Loyalty tier', type: 'string', date_created: '2024-05-14T09:34:00Z', date_modified: '2024-05-14T09:34:00Z' }],
    failing: false,
  };
  const requests: FakeRequest[] = [];

  const send = (res: http.ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const error = (res: http.ServerResponse, status: number, title: string) =>
    send(res, status, { status, title, type: 'https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes' });
  const page = <T>(res: http.ServerResponse, url: URL, items: T[]) => {
    const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 50) || 50, 1), 250);
    const current = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1);
    const totalPages = Math.max(Math.ceil(items.length / limit), 1);
    const data = items.slice((current - 1) * limit, current * limit);
    send(res, 200, { data, meta: { pagination: { total: items.length, count: data.length, per_page: limit, current_page: current, total_pages: totalPages, links: {} } } });
  };

  const server = http.createServer((req, res) => {
    req.resume().on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams) });
      const store = url.pathname.match(/^\/stores\/([^/]+)\/v2\/store$/);
      if (store) {
        const hash = decodeURIComponent(store[1]!);
        if (!tokens.has(hash) || req.headers['x-auth-token'] !== tokens.get(hash))
          return error(res, 401, 'You are not authorized to access this resource. Check your X-Auth-Token.');
        return send(res, 200, storeInformation(hash, 'Abc Outdoor Supply'));
      }
      const m = url.pathname.match(/^\/stores\/([^/]+)\/v3(\/.*)$/);
      if (!m) return error(res, 404, 'The requested resource was not found.');
      const expected = tokens.get(decodeURIComponent(m[1]!));
      if (!expected || req.headers['x-auth-token'] !== expected) return error(res, 401, 'You are not authorized to access this resource. Check your X-Auth-Token.');
      if (req.method !== 'GET') return error(res, 405, 'The requested method is not supported for this resource.');
      if (state.failing) return error(res, 500, 'Internal Server Error');
      if (m[2] === '/catalog/trees') return page(res, url, state.trees);
      if (m[2] === '/catalog/trees/categories') {
        const trees = url.searchParams.get('tree_id:in')?.split(',').map(Number);
        return page(
          res,
          url,
          state.categories.filter((c) => !trees || trees.includes(c.tree_id)),
        );
      }
      if (m[2] === '/customers/attributes') return page(res, url, state.attributes);
      return error(res, 404, 'The requested resource was not found.');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    requests,
    /** How many requests went to `path` (under `/stores/:hash/v3`). */
    calls: (path: string) => requests.filter((r) => r.path.endsWith(`/v3${path}`)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type FakeBigCommerceCatalog = Awaited<ReturnType<typeof startFakeBigCommerceCatalog>>;
