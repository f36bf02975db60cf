import { expect } from 'vitest';
import type { SqlExecutor } from '../../server/store/db';
import { waitUntil } from './process';
import { createUser, type TestServer } from './server';

/** Stores an API-key credential for `app` through the headless API and returns its id. */
export async function addCredential(server: TestServer, userId: string, app: string, data: Record<string, string>): Promise<string> {
  const res = await server.request('POST', '/headless/credentials', { body: { userId, credential: { type: app, data } } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.credentialId as string;
}

/** Installs workflows of an integration headlessly (start + complete) and returns the completion's body. */
export async function installHeadless(
  server: TestServer,
  userId: string,
  integrationId: string,
  options: { workflowIds?: string[]; credentialId?: string; data?: Record<string, unknown> } = {},
): Promise<any> {
  const start = await server.request('POST', '/headless/startInstallation', {
    body: { userId, integrationId, workflowIds: options.workflowIds, credentialId: options.credentialId },
  });
  expect(start.status, JSON.stringify(start.body)).toBe(200);
  const complete = await server.request('POST', '/headless/completeInstallation', {
    body: { userId, installationId: start.body.installationId, data: options.data ?? {} },
  });
  expect(complete.status, JSON.stringify(complete.body)).toBe(200);
  return complete.body;
}

/** Installs the demo Slack workflow ("Ticket Created") with a fresh credential. */
export async function installSlack(server: TestServer, userId: string, channel = 'C123'): Promise<any> {
  const credentialId = await addCredential(server, userId, 'slack', { botToken: 'xoxb-test' });
  return installHeadless(server, userId, 'slack', { credentialId, data: { channel } });
}

/** Creates the user `username` with the demo Slack workflow installed, and returns the user's id. */
export async function createUserWithSlack(server: TestServer, username: string): Promise<string> {
  const userId = await createUser(server, username);
  await installSlack(server, userId);
  return userId;
}

/** Installs the demo BigCommerce "Fulfillment Updated" workflow with a fresh credential. */
export async function installFulfillment(server: TestServer, userId: string): Promise<any> {
  const credentialId = await addCredential(server, userId, 'bigcommerce', { storeHash: 'abc', accessToken: 'bc-token' });
  return installHeadless(server, userId, 'bigcommerce', { credentialId, workflowIds: ['bigcommerce-fulfillment-updated'], data: { staffNote: 'Updated by AcmeCo' } });
}

export const ticket = { ticketName: 'Printer on fire', customerEmail: 'ann@example.com', description: 'Smoke' };

/** Number of rows of a table matching an optional `where` (with `?` parameters). */
export async function countRows(server: TestServer, table: string, where = '1 = 1', params: unknown[] = []): Promise<number> {
  const row = await server.services.store.db.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, params);
  return Number(row?.n ?? 0);
}

/**
 * For a test that holds a change open (`tx`) to race something against it: on PostgreSQL, waits
 * until another session waits for a lock `tx` holds, or `ended()` (the racer finished without
 * waiting). On SQLite it returns at once: the racer's queries wait for `tx` to end anyway.
 */
export async function untilBlockedBy(server: TestServer, tx: SqlExecutor, what: string, ended = () => false): Promise<void> {
  const { db } = server.services.store;
  if (db.dialect !== 'postgres') return;
  const me = (await tx.get<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!.pid;
  const blocked = async () => (await db.all('SELECT pid FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))', [me])).length > 0;
  await waitUntil(
    async () => ended() || (await blocked()),
    10_000,
    () => what,
  );
}
