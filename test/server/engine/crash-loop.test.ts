import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { buildDefinitions } from '../../../server/definitions/load';
import { orderStreamIntegration } from '../../helpers/definitions';
import { installHeadless } from '../../helpers/flows';
import { refuseWrites, type Refusal } from '../../helpers/refuse-writes';
import { createUser, startTestServer, storeKind, type TestServer, waitForExecution } from '../../helpers/server';
import { captureLogs } from '../../helpers/logs';

// A run that ends without an outcome (the worker crashed, or lost its lease) is claimed again once
// its lease runs out. If that happens every time (a bug, a value the store refuses), it must not be
// run again every lease forever, delivering each time.

let server: TestServer | undefined;
let refusals: Refusal[] = [];
let closeSink: (() => void) | undefined;
afterEach(async () => {
  // Lifted first: shutting down gives running executions back to the queue, an update it would refuse.
  for (const refusal of refusals) await refusal.lift();
  refusals = [];
  await server?.close();
  closeSink?.();
});

it(`gives an execution up after its attempts and 3 more claims without an outcome, and logs why (${storeKind})`, async () => {
  const delivered: string[] = [];
  const sink = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      delivered.push((JSON.parse(body) as { orderId: string }).orderId);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  closeSink = () => sink.close();
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const deliveriesOf = (orderId: string) => delivered.filter((id) => id === orderId).length;

  // Two attempts (one retry); leases of a second, so a run without an outcome is claimed again soon.
  server = await startTestServer({
    env: { WORKERS: 'on', RETRY_SCHEDULE: '20', EXECUTION_LEASE_MS: '1000', ALLOY_ALLOW_PRIVATE_URLS: 'true' },
    definitions: () => buildDefinitions([orderStreamIntegration(`${sinkUrl}/orders`)]),
  });
  const userId = await createUser(server, 'crashy');
  await installHeadless(server, userId, 'acme');
  // As with a value the store cannot hold (a NUL byte did this on PostgreSQL): after each delivery,
  // the database refuses to record it (the step of the last block, written with the success) and
  // the success, then to record that failure, as a retry or for good. Not an outage: every run
  // ends without an outcome. Only giving up is let through.
  const db = server.services.store.db;
  refusals = [
    await refuseWrites(db, 'INSERT', 'steps', "NEW.block_id = 'send'"),
    await refuseWrites(db, 'UPDATE', 'executions', "NEW.status IN ('succeeded', 'queued') OR (NEW.status = 'failed' AND NEW.error NOT LIKE 'Gave up after %')"),
  ];
  const logs = captureLogs();

  const accepted = await server.request('POST', '/run/event', { body: { event: 'Order Paid', userId, data: { orderId: 'A-1' } } });
  const executionId = accepted.body.executionIds[0] as string;
  const execution = await waitForExecution(server, userId, 'order-paid', executionId, 'failed');

  const message = 'Gave up after 6 claims: at least 4 of its runs ended without an outcome (the worker crashed or lost its lease during the run; see the server log)';
  expect(execution.error).toBe(message);
  // Run at each of the 5 claims it was allowed (2 attempts and 3 more), not at the 6th.
  expect(deliveriesOf('A-1')).toBe(5);
  expect(logs.messages('error').filter((m) => m.includes(`execution ${executionId} crashed`))).toHaveLength(5);
  const errors = await server.request('GET', `/workflows/order-paid/errors?userId=${userId}`);
  expect(errors.body.data).toEqual([expect.objectContaining({ executionId, block: null, message })]);

  // Given up for good: failed, leased to no worker, so no claim takes it again. Once the store takes
  // outcomes again, a later event runs and succeeds, delivered once; the given-up one is not run again.
  expect(await db.get('SELECT status, attempts, lease_owner FROM executions WHERE id = ?', [executionId])).toEqual({ status: 'failed', attempts: 6, lease_owner: null });
  for (const refusal of refusals) await refusal.lift();
  const later = await server.request('POST', '/run/event', { body: { event: 'Order Paid', userId, data: { orderId: 'B-2' } } });
  await waitForExecution(server, userId, 'order-paid', later.body.executionIds[0] as string, 'succeeded');
  expect(deliveriesOf('B-2')).toBe(1);
  expect(deliveriesOf('A-1')).toBe(5);
}, 30_000);
