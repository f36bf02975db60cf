import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { buildDefinitions } from '../../../server/definitions/load';
import { orderStreamIntegration } from '../../helpers/definitions';
import { installHeadless } from '../../helpers/flows';
import { createUser, startTestServer, storeKind, type TestServer, waitForExecution } from '../../helpers/server';
import { captureLogs } from '../../helpers/logs';

// A run that ends without an outcome (the worker crashed, or lost its lease) is claimed again once
// its lease runs out. If that happens every time (a bug, a value the store refuses), it must not be
// run again every lease forever, delivering each time.

let server: TestServer | undefined;
let closeSink: (() => void) | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await server?.close();
  closeSink?.();
});

it(`gives an execution up after its attempts and 3 more claims without an outcome, and logs why (${storeKind})`, async () => {
  let deliveries = 0;
  const sink = createServer((req, res) => {
    deliveries++;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}'));
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  closeSink = () => sink.close();
  const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

  // Two attempts (one retry); leases of a second, so a run without an outcome is claimed again soon.
  server = await startTestServer({
    env: { WORKERS: 'on', RETRY_SCHEDULE: '20', EXECUTION_LEASE_MS: '1000', ALLOY_ALLOW_PRIVATE_URLS: 'true' },
    definitions: () => buildDefinitions([orderStreamIntegration(`${sinkUrl}/orders`)]),
  });
  const userId = await createUser(server, 'crashy');
  await installHeadless(server, userId, 'acme');
  // As with a value the store cannot hold (a NUL byte did this on PostgreSQL): after each delivery,
  // recording the success fails, and so does recording that failure, as a retry or for good. Not
  // an outage: every run ends without an outcome.
  const executions = server.services.store.executions;
  const refused = () => Promise.reject(new Error('the store refused the value'));
  vi.spyOn(executions, 'succeed').mockImplementation(refused);
  vi.spyOn(executions, 'retryAt').mockImplementation(refused);
  const fail = executions.fail.bind(executions);
  vi.spyOn(executions, 'fail').mockImplementation((claimed, owner, error, now) => (error.message.includes('refused') ? refused() : fail(claimed, owner, error, now)));
  const logs = captureLogs();

  const accepted = await server.request('POST', '/run/event', { body: { event: 'Order Paid', userId, data: { orderId: 'A-1' } } });
  const executionId = accepted.body.executionIds[0] as string;
  const execution = await waitForExecution(server, userId, 'order-paid', executionId, 'failed');

  const message = 'Gave up after 6 claims: at least 4 of its runs ended without an outcome (the worker crashed or lost its lease during the run; see the server log)';
  expect(execution.error).toBe(message);
  // Run at each of the 5 claims it was allowed (2 attempts and 3 more), not at the 6th.
  expect(deliveries).toBe(5);
  expect(logs.messages('error').filter((m) => m.includes(`execution ${executionId} crashed`))).toHaveLength(5);
  const errors = await server.request('GET', `/workflows/order-paid/errors?userId=${userId}`);
  expect(errors.body.data).toEqual([expect.objectContaining({ executionId, block: null, message })]);
  // Given up for good: no more claims, no more deliveries.
  await new Promise((r) => setTimeout(r, 1500));
  expect(deliveries).toBe(5);
}, 30_000);
