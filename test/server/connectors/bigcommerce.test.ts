import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bigcommerce, orderStatusId } from '../../../server/connectors/bigcommerce';
import { NonRetriableError } from '../../../server/engine/errors';
import { startFakeBigCommerce, type FakeBigCommerce } from '../../../demo/fakes/bigcommerce';
import { connectorContext, connectorHttp, thrown } from '../../helpers/connector';

let fake: FakeBigCommerce;
const http = connectorHttp();
const context = (credential: Record<string, string> = { storeHash: 'abc123', accessToken: 'bc-token' }) =>
  connectorContext({ http, credential, apiUrls: { bigcommerce: fake.url } });

const update = (input: unknown, ctx = context()) => bigcommerce.actions.updateOrderStatus!.run(bigcommerce.actions.updateOrderStatus!.input.parse(input), ctx);

beforeAll(async () => {
  fake = await startFakeBigCommerce();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.requests.length = 0;
  for (const id of [100, 101]) fake.orders.set(id, { id, status_id: 11, status: 'Awaiting Fulfillment' });
});

describe('BigCommerce updateOrderStatus', () => {
  it('maps FULFILLED to Shipped (2) and PUTs it as JSON with the store token', async () => {
    const out = await update({ orderId: '100', status: 'FULFILLED' });

    expect(out).toEqual({ orderId: 100, statusId: 2, status: 'Shipped' });
    expect(fake.orders.get(100)).toEqual({ id: 100, status_id: 2, status: 'Shipped' });
    const [req] = fake.requests;
    expect(req).toMatchObject({ method: 'PUT', path: '/stores/abc123/v2/orders/100' });
    expect(req!.headers['x-auth-token']).toBe('bc-token');
    expect(req!.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(req!.body)).toEqual({ status_id: 2 });
  });

  it('writes a staff note with the status when one is given, and none when it is empty', async () => {
    await update({ orderId: '100', status: 'Shipped', staffNotes: 'Shipped from AcmeCo' });
    await update({ orderId: '100', status: 'Shipped', staffNotes: null });
    const [withNote, without] = fake.requests.slice(-2);
    expect(JSON.parse(withNote!.body)).toEqual({ status_id: 2, staff_notes: 'Shipped from AcmeCo' });
    expect(JSON.parse(without!.body)).toEqual({ status_id: 2 });
  });

  it('accepts a status by its BigCommerce name and a numeric order id', async () => {
    await expect(update({ orderId: 101, status: 'Completed' })).resolves.toEqual({ orderId: 101, statusId: 10, status: 'Completed' });
    expect(fake.orders.get(101)!.status_id).toBe(10);
  });

  it('accepts a status id and names written with underscores', () => {
    expect(orderStatusId(5)).toBe(5);
    expect(orderStatusId('9')).toBe(9);
    expect(orderStatusId('awaiting_shipment')).toBe(9);
    expect(orderStatusId('Partially-Shipped')).toBe(3);
    expect(orderStatusId('canceled')).toBe(5);
  });

  it('fails without retrying on an unknown status, listing the status names, and calls nothing', async () => {
    const err = await thrown(() => update({ orderId: '100', status: 'teleported' }));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/unknown order status "teleported"/);
    expect(err.message).toMatch(/Shipped, Completed, Cancelled/);
    expect(fake.requests).toHaveLength(0);
    expect(() => orderStatusId(15)).toThrow(NonRetriableError);
  });

  it('fails without retrying when the access token is wrong (401)', async () => {
    const err = await thrown(() => update({ orderId: '100', status: 'Shipped' }, context({ storeHash: 'abc123', accessToken: 'stolen' })));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/HTTP 401/);
    expect(fake.orders.get(100)!.status_id).toBe(11);
  });

  it('fails without retrying when the order does not exist (404)', async () => {
    const err = await thrown(() => update({ orderId: '999', status: 'Shipped' }));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/HTTP 404/);
    expect(err.message).toMatch(/The requested resource was not found/);
  });

  it('counts an update answered 200 with a body of null as done (no retry, which would send it again)', async () => {
    const odd = createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('null')));
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve));
    try {
      const ctx = connectorContext({
        http,
        credential: { storeHash: 'abc123', accessToken: 'bc-token' },
        apiUrls: { bigcommerce: `http://127.0.0.1:${(odd.address() as AddressInfo).port}` },
      });
      expect(await update({ orderId: '100', status: 'Shipped' }, ctx)).toEqual({ orderId: 100, statusId: 2, status: undefined });
    } finally {
      odd.close();
    }
  });

  it('refuses a credential without a store hash before calling BigCommerce', async () => {
    const err = await thrown(() => update({ orderId: '100', status: 'Shipped' }, context({ accessToken: 'bc-token' })));

    expect(err).toBeInstanceOf(NonRetriableError);
    expect(err.message).toMatch(/store hash/);
    expect(fake.requests).toHaveLength(0);
  });

  it('rejects an order id that is not a number through its schema', () => {
    expect(bigcommerce.actions.updateOrderStatus!.input.safeParse({ orderId: '12/../34', status: 'Shipped' }).success).toBe(false);
  });
});
