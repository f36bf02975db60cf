import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Definitions } from '../../server/definitions/load';
import { startRetentionSweep } from '../../server/retention';
import { startServices } from '../../server/services';
import type { Db } from '../../server/store/db';
import type { StoreOptions } from '../../server/store';
import { Logs } from '../../server/store/logs';
import { definitionsWith, demoWorkflow } from '../helpers/definitions';
import { countRows, createUserWithSlack, installFulfillment, installSlack, ticket } from '../helpers/flows';
import { recordingDb } from '../helpers/recording-db';
import { createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';

const SLACK = 'slack-ticket-created';
const DAY = 24 * 60 * 60 * 1000;

/** The demo definitions with the Slack workflow changed by `change`. */
const slackChanged = (change: (workflow: any) => void) => definitionsWith([], (demo) => change(demoWorkflow(demo, SLACK)));

/** The query plan of `sql`: SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN told to avoid sequential scans (it still takes one when no index fits). */
async function planOf(db: Db, sql: string, params: readonly unknown[]): Promise<string> {
  if (db.dialect === 'sqlite') return (await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params)).map((r) => r.detail).join('\n');
  return db.transaction(async (tx) => {
    await tx.run('SET LOCAL enable_seqscan = off');
    return (await tx.all<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).map((r) => r['QUERY PLAN']).join('\n');
  });
}

describe(`workflows (${storeKind})`, () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const runTicket = (s: TestServer, userId: string) => s.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } });
  const insertError = (s: TestServer, row: { userId: string; workflowId?: string; executionId?: string | null; block?: string | null; message: string; at: number }) =>
    s.services.store.db.run('INSERT INTO errors (id, execution_id, user_id, workflow_id, block, message, occurred_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      Math.random().toString(16).slice(2),
      row.executionId ?? null,
      row.userId,
      row.workflowId ?? SLACK,
      row.block ?? null,
      row.message,
      row.at,
    ]);

  describe('listing and reading', () => {
    it('lists every workflow with the user’s installation state', async () => {
      server = await startTestServer();
      const userId = await createUserWithSlack(server, 'ann');

      const res = await server.request('GET', `/workflows?userId=${userId}`);

      expect(res.status).toBe(200);
      expect(res.body.data.map((w: any) => [w.workflowId, w.integrationId, w.installed, w.installedVersion, w.active])).toEqual([
        ['bigcommerce-order-created', 'bigcommerce', false, null, false],
        ['bigcommerce-fulfillment-updated', 'bigcommerce', false, null, false],
        ['hubspot-ticket-deal', 'hubspot', false, null, false],
        ['jira-ticket-issue', 'jira', false, null, false],
        ['netsuite-create-invoice', 'netsuite', false, null, false],
        [SLACK, 'slack', true, 1, true],
        ['hourly-heartbeat', 'stream-heartbeat', false, null, false],
        ['order-lines', 'stream-heartbeat', false, null, false],
      ]);
    });

    it('answers 400 naming userId when GET /workflows has none', async () => {
      server = await startTestServer();
      const res = await server.request('GET', '/workflows');
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'userId', message: 'required' }]);
    });

    it('reads one workflow with the user’s state', async () => {
      server = await startTestServer();
      const userId = await createUserWithSlack(server, 'ann');

      const res = await server.request('GET', `/workflows/${SLACK}?userId=${userId}`);

      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({
        workflowId: SLACK,
        integrationId: 'slack',
        name: 'Post to Slack when a ticket is created',
        installed: true,
        version: 1,
        installedVersion: 1,
        active: true,
      });
      expect(res.body.data.blocks.map((b: any) => b.id)).toEqual(['trigger', 'post-message']);
      expect(res.body.data.connectors.map((b: any) => b.connectorId)).toEqual(['trigger', 'post-message']);
    });

    it('answers 404 for an unknown workflow', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await server.request('GET', `/workflows/nope?userId=${userId}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'not_found', message: 'No workflow "nope"' });
    });
  });

  describe('uninstalling, activating and deactivating', () => {
    it('uninstalls a workflow, after which it is not installed and runs no more', async () => {
      server = await startTestServer();
      const userId = await createUserWithSlack(server, 'ann');

      const res = await server.request('DELETE', `/workflows/${SLACK}?userId=${userId}`);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true });
      const after = await server.request('GET', `/workflows/${SLACK}?userId=${userId}`);
      expect(after.body.data).toMatchObject({ installed: false, installedVersion: null, active: false });
      expect((await runTicket(server, userId)).body.executionIds).toEqual([]);
    });

    it('answers 404 when uninstalling a workflow the user has not installed', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await server.request('DELETE', `/workflows/${SLACK}?userId=${userId}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'not_found', message: `User "${userId}" has not installed workflow "${SLACK}"` });
    });

    it('deactivates and activates with the seed body { userId, workflowId }', async () => {
      server = await startTestServer();
      const userId = await createUserWithSlack(server, 'ann');

      const off = await server.request('PUT', '/workflows/deactivate', { body: { userId, workflowId: SLACK } });
      expect(off.status).toBe(200);
      expect(off.body).toEqual({ success: true });
      expect((await server.request('GET', `/workflows/${SLACK}?userId=${userId}`)).body.data).toMatchObject({ installed: true, active: false });

      const on = await server.request('PUT', '/workflows/activate', { body: { userId: 'ann', workflowId: SLACK } });
      expect(on.body).toEqual({ success: true, activated: true });
      expect((await server.request('GET', `/workflows/${SLACK}?userId=${userId}`)).body.data).toMatchObject({ installed: true, active: true });
    });

    it('answers 404 when activating a workflow the user has not installed, and for an unknown workflow', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const notInstalled = await server.request('PUT', '/workflows/activate', { body: { userId, workflowId: SLACK } });
      expect(notInstalled.status).toBe(404);
      expect(notInstalled.body.error).toEqual({ code: 'not_found', message: `User "${userId}" has not installed workflow "${SLACK}"` });
      const unknown = await server.request('PUT', '/workflows/deactivate', { body: { userId, workflowId: 'nope' } });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.message).toBe('No workflow "nope"');
    });

    it('answers 400 naming workflowId when it is missing', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const res = await server.request('PUT', '/workflows/deactivate', { body: { userId } });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'workflowId', message: 'give workflowId or workflowName' }]);
    });

    it('deactivates every workflow of a user, counting the ones that were active', async () => {
      server = await startTestServer();
      const userId = await createUser(server, 'ann');
      const other = await createUser(server, 'bob');
      await installSlack(server, userId);
      await installFulfillment(server, userId);
      await installSlack(server, other);

      const res = await server.request('PUT', `/users/${userId}/deactivate-workflows`);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ message: 'Success', success: true, deactivated: 2 });
      const list = await server.request('GET', `/workflows?userId=${userId}`);
      expect(list.body.data.filter((w: any) => w.installed).map((w: any) => w.active)).toEqual([false, false]);
      expect((await server.request('GET', `/workflows/${SLACK}?userId=${other}`)).body.data.active).toBe(true);
      expect((await server.request('PUT', `/users/${userId}/deactivate-workflows`)).body).toEqual({ message: 'Success', success: true, deactivated: 0 });
    });
  });

  describe('versions, users and analytics', () => {
    it('lists the released versions with their fields', async () => {
      server = await startTestServer();
      const res = await server.request('GET', `/workflows/${SLACK}/versions`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([{ version: 1, releasedAt: expect.any(String), current: true, fields: [expect.objectContaining({ name: 'channel' })] }]);
    });

    it('lists who installed a workflow, active or not, at which version', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      await createUser(server, 'cy');
      await installSlack(server, ann);
      await installSlack(server, bob);
      await server.request('PUT', '/workflows/deactivate', { body: { userId: bob, workflowId: SLACK } });

      const res = await server.request('GET', `/workflows/${SLACK}/users`);

      expect(res.status).toBe(200);
      const rows = [...res.body.data].sort((a: any, b: any) => a.username.localeCompare(b.username));
      expect(rows).toEqual([
        { userId: ann, username: 'ann', fullName: null, workflowActive: true, active: true, installedVersion: 1, installedAt: expect.any(String) },
        { userId: bob, username: 'bob', fullName: null, workflowActive: false, active: false, installedVersion: 1, installedAt: expect.any(String) },
      ]);
    });

    it('counts runs by status, errors and installs', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      await installSlack(server, ann);
      await installSlack(server, bob);
      await server.request('PUT', '/workflows/deactivate', { body: { userId: bob, workflowId: SLACK } });
      const first = await runTicket(server, ann);
      await runTicket(server, ann);
      await server.services.store.db.run("UPDATE executions SET status = 'succeeded' WHERE id = ?", [first.body.executionIds[0]]);
      await insertError(server, { userId: ann, message: 'channel_not_found', at: Date.now() });

      const res = await server.request('GET', `/workflows/${SLACK}/analytics`);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        workflowId: SLACK,
        totalAppActions: expect.any(Number),
        totalWorkflowRuns: 2,
        totalErrors: 1,
        succeededRuns: 1,
        failedRuns: 0,
        queuedRuns: 1,
        runningRuns: 0,
        totalInstalls: 2,
        activeInstalls: 1,
        lastRunAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      });
    });

    it('answers zeros and no last run for a workflow nobody installed', async () => {
      server = await startTestServer();
      const res = await server.request('GET', '/workflows/netsuite-create-invoice/analytics');
      expect(res.body).toEqual({
        workflowId: 'netsuite-create-invoice',
        totalAppActions: 0,
        totalWorkflowRuns: 0,
        totalErrors: 0,
        succeededRuns: 0,
        failedRuns: 0,
        queuedRuns: 0,
        runningRuns: 0,
        totalInstalls: 0,
        activeInstalls: 0,
        lastRunAt: null,
      });
    });

    it('answers 404 for the versions, users and analytics of an unknown workflow', async () => {
      server = await startTestServer();
      for (const what of ['versions', 'users', 'analytics', 'logs', 'errors']) {
        const res = await server.request('GET', `/workflows/nope/${what}`);
        expect(res.status, what).toBe(404);
        expect(res.body.error).toEqual({ code: 'not_found', message: 'No workflow "nope"' });
      }
    });
  });

  describe('logs and errors', () => {
    it('refuses a logs cursor that names no execution', async () => {
      server = await startTestServer();
      const res = await server.request('GET', `/workflows/${SLACK}/logs?cursor=nope`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/Unknown cursor "nope"/);
    });

    it('pages the executions newest first with limit and cursor', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      await installSlack(server, ann);
      await installSlack(server, bob);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await runTicket(server, ann)).body.executionIds[0]);
      await runTicket(server, bob);
      // Distinct times, in the order the events were sent.
      const base = Date.now() - 60_000;
      for (const [i, id] of ids.entries()) await server.services.store.db.run('UPDATE executions SET created_at = ? WHERE id = ?', [base + i * 1000, id]);
      const newestFirst = [...ids].reverse();

      const page1 = await server.request('GET', `/workflows/${SLACK}/logs?userId=${ann}&limit=2`);
      const page2 = await server.request('GET', `/workflows/${SLACK}/logs?userId=${ann}&limit=2&cursor=${page1.body.nextCursor}`);
      const page3 = await server.request('GET', `/workflows/${SLACK}/logs?userId=${ann}&limit=2&cursor=${page2.body.nextCursor}`);

      expect(page1.status).toBe(200);
      expect(page1.body.data.map((e: any) => e.executionId)).toEqual(newestFirst.slice(0, 2));
      expect(page1.body.nextCursor).toBe(newestFirst[1]);
      expect(page2.body.data.map((e: any) => e.executionId)).toEqual(newestFirst.slice(2, 4));
      expect(page3.body.data.map((e: any) => e.executionId)).toEqual(newestFirst.slice(4));
      expect(page3.body.nextCursor).toBeNull();
      expect(page1.body.data[0]).toEqual({
        executionId: ids[4],
        eventId: expect.any(String),
        event: 'Ticket Created',
        requestId: expect.any(String),
        userId: ann,
        workflowId: SLACK,
        installationId: expect.any(String),
        version: 1,
        status: 'queued',
        attempts: 0,
        createdAt: new Date(base + 4000).toISOString(),
        startedAt: null,
        finishedAt: null,
        error: null,
        steps: [],
        reruns: [],
        // The vendor's keys beside ours (2025-09, the default).
        stoppedAt: null,
        finished: false,
        results: [],
        inputs: [],
      });
      // Without userId: every user's executions; the singular alias answers the same.
      const all = await server.request('GET', `/workflows/${SLACK}/logs`);
      expect(all.body.data).toHaveLength(6);
      const alias = await server.request('GET', `/workflow/${SLACK}/logs?userId=${ann}&limit=2`);
      expect(alias.body).toEqual(page1.body);
    });

    it('answers 400 naming limit when it is out of range', async () => {
      server = await startTestServer();
      for (const limit of ['0', '1001', 'ten']) {
        const res = await server.request('GET', `/workflows/${SLACK}/logs?limit=${limit}`);
        expect(res.status, limit).toBe(400);
        expect(res.body.error.details.map((d: any) => d.path)).toEqual(['limit']);
      }
    });

    it('answers 404 for the logs of an unknown user', async () => {
      server = await startTestServer();
      const res = await server.request('GET', `/workflows/${SLACK}/logs?userId=ghost`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    });

    it('lists error logs in the seed shape, newest first, filtered by user', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const bob = await createUser(server, 'bob');
      await installSlack(server, ann);
      const run = await runTicket(server, ann);
      const at = Date.parse('2024-06-01T12:00:00.000Z');
      await insertError(server, { userId: ann, executionId: run.body.executionIds[0], block: 'post-message', message: 'channel_not_found', at });
      await insertError(server, { userId: ann, message: 'token_revoked', block: 'post-message', at: at + 60_000 });
      await insertError(server, { userId: bob, message: 'other user', at: at + 120_000 });
      await insertError(server, { userId: ann, workflowId: 'netsuite-create-invoice', message: 'other workflow', at });

      const res = await server.request('GET', `/workflows/${SLACK}/errors?userId=${ann}`);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        data: [
          { workflowId: SLACK, userId: ann, executionId: null, block: 'post-message', errorOccurredAt: '2024-06-01T12:01:00.000Z', message: 'token_revoked' },
          {
            workflowId: SLACK,
            userId: ann,
            executionId: run.body.executionIds[0],
            block: 'post-message',
            errorOccurredAt: '2024-06-01T12:00:00.000Z',
            message: 'channel_not_found',
          },
        ],
      });
      const everyone = await server.request('GET', `/workflows/${SLACK}/errors?limit=1`);
      expect(everyone.body.data.map((e: any) => e.message)).toEqual(['other user']);
    });
  });

  describe('versions and upgrades', () => {
    it('keeps an installation on v1 when v2 is released, runs it at v1, and upgrades it on request', async () => {
      let definitions: Definitions = definitionsWith();
      server = await startTestServer({ definitions: () => definitions });
      const ann = await createUserWithSlack(server, 'ann');

      definitions = slackChanged((w) => {
        w.version = 2;
        w.blocks[0].input.text = 'v2: {{event.ticketName}}';
      });
      await server.restart();

      const before = await server.request('GET', `/workflows/${SLACK}?userId=${ann}`);
      expect(before.body.data).toMatchObject({ installed: true, version: 2, installedVersion: 1 });
      const versions = await server.request('GET', `/workflows/${SLACK}/versions`);
      expect(versions.body.data.map((v: any) => [v.version, v.current])).toEqual([
        [1, false],
        [2, true],
      ]);
      const atV1 = await runTicket(server, ann);
      expect(await countRows(server, 'executions', 'id = ? AND version = 1', [atV1.body.executionIds[0]])).toBe(1);

      const upgrade = await server.request('PUT', `/workflows/${SLACK}/upgrade`, { body: { userId: ann } });

      expect(upgrade.status).toBe(200);
      expect(upgrade.body).toEqual({ success: true, version: 2, upgraded: true });
      const after = await server.request('GET', `/workflows/${SLACK}?userId=${ann}`);
      expect(after.body.data).toMatchObject({ version: 2, installedVersion: 2, active: true });
      const atV2 = await runTicket(server, ann);
      const logs = await server.request('GET', `/workflows/${SLACK}/logs?userId=${ann}`);
      const versionOf = Object.fromEntries(logs.body.data.map((e: any) => [e.executionId, e.version]));
      expect(versionOf).toEqual({ [atV1.body.executionIds[0]]: 1, [atV2.body.executionIds[0]]: 2 });
      // Nothing left to do the second time.
      expect((await server.request('PUT', `/workflows/${SLACK}/upgrade`, { body: { userId: ann } })).body).toEqual({ success: true, version: 2, upgraded: false });
    });

    it('installs a new user at the released version', async () => {
      let definitions: Definitions = definitionsWith();
      server = await startTestServer({ definitions: () => definitions });
      definitions = slackChanged((w) => {
        w.version = 2;
        w.description = 'second';
      });
      await server.restart();
      const bob = await createUserWithSlack(server, 'bob');
      expect((await server.request('GET', `/workflows/${SLACK}?userId=${bob}`)).body.data).toMatchObject({ version: 2, installedVersion: 2 });
    });

    it('answers 409 upgrade_blocked naming a field v2 adds, until the user reinstalls', async () => {
      let definitions: Definitions = definitionsWith();
      server = await startTestServer({ definitions: () => definitions });
      const ann = await createUserWithSlack(server, 'ann');
      definitions = slackChanged((w) => {
        w.version = 2;
        w.fields.push({ name: 'mention', label: 'Who to mention', type: 'text' });
      });
      await server.restart();

      const res = await server.request('PUT', `/workflows/${SLACK}/upgrade`, { body: { userId: ann } });

      expect(res.status).toBe(409);
      expect(res.body.error).toEqual({
        code: 'upgrade_blocked',
        message: 'Version 2 changes the configurable fields (new fields: mention); the user must reinstall the workflow',
        details: [{ path: 'fields.mention', message: 'added' }],
      });
      expect((await server.request('GET', `/workflows/${SLACK}?userId=${ann}`)).body.data.installedVersion).toBe(1);

      await installSlack(server, ann);
      expect((await server.request('GET', `/workflows/${SLACK}?userId=${ann}`)).body.data.installedVersion).toBe(2);
    });

    it('answers 404 upgrading a workflow the user has not installed', async () => {
      server = await startTestServer();
      const ann = await createUser(server, 'ann');
      const res = await server.request('PUT', `/workflows/${SLACK}/upgrade`, { body: { userId: ann } });
      expect(res.status).toBe(404);
      expect(res.body.error).toEqual({ code: 'not_found', message: `User "${ann}" has not installed workflow "${SLACK}"` });
    });

    it('refuses to start when a released version’s definition changed without raising version', async () => {
      server = await startTestServer();
      const changed = slackChanged((w) => {
        w.blocks[0].input.text = 'edited in place';
      });
      let store: StoreOptions;
      if (storeKind === 'postgres') {
        const row = await server.services.store.db.get<{ schema: string }>('SELECT current_schema() AS schema');
        store = { kind: 'postgres', url: process.env.TEST_DATABASE_URL!, schema: row!.schema, maxConnections: 1 };
      } else {
        store = { kind: 'sqlite', file: path.join(server.dataDir, 'alloy.sqlite') };
      }

      await expect(startServices(server.services.config, { store, definitions: changed })).rejects.toThrow(
        'Workflow "slack-ticket-created" version 1 is already released with a different definition. Released versions are immutable: raise "version" to release the change.',
      );
      // The same files with the version raised start fine.
      const raised = slackChanged((w) => {
        w.blocks[0].input.text = 'edited in place';
        w.version = 2;
      });
      const started = await startServices(server.services.config, { store, definitions: raised });
      expect(started.released).toEqual([`${SLACK}@2`]);
      await started.services.store.close();
    });
  });

  describe('retention', () => {
    it('deletes old finished executions, errors and events, but keeps queued work and its event', async () => {
      server = await startTestServer();
      const ann = await createUserWithSlack(server, 'ann');
      const old = Date.now() - 90 * DAY;
      const db = server.services.store.db;
      const finishedOld = await runTicket(server, ann);
      const queuedOld = await runTicket(server, ann);
      const finishedRecent = await runTicket(server, ann);
      const unheardOld = await server.request('POST', '/run/event', { body: { event: 'Fulfillment Updated', userId: ann, data: { orderId: '1', status: 'S' } } });
      expect(unheardOld.body.executionIds).toEqual([]);
      for (const run of [finishedOld, queuedOld, unheardOld]) {
        await db.run('UPDATE events SET received_at = ? WHERE id = ?', [old, run.body.eventId]);
        await db.run('UPDATE executions SET created_at = ? WHERE event_id = ?', [old, run.body.eventId]);
      }
      await db.run("UPDATE executions SET status = 'succeeded', finished_at = ? WHERE event_id IN (?, ?)", [old, finishedOld.body.eventId, finishedRecent.body.eventId]);
      await insertError(server, { userId: ann, executionId: finishedOld.body.executionIds[0], message: 'old', at: old });
      await insertError(server, { userId: ann, message: 'recent', at: Date.now() });

      const deleted = await server.services.store.logs.deleteOlderThan(Date.now() - 60 * DAY);

      expect(deleted).toEqual({ executions: 1, errors: 1, events: 2 });
      const events = await db.all<{ id: string }>('SELECT id FROM events');
      expect(events.map((e) => e.id).sort()).toEqual([queuedOld.body.eventId, finishedRecent.body.eventId].sort());
      const executions = await db.all<{ id: string; status: string }>('SELECT id, status FROM executions');
      expect(executions.map((e) => e.id).sort()).toEqual([queuedOld.body.executionIds[0], finishedRecent.body.executionIds[0]].sort());
      expect((await server.request('GET', `/workflows/${SLACK}/errors`)).body.data.map((e: any) => e.message)).toEqual(['recent']);
      // A second sweep finds nothing more.
      expect(await server.services.store.logs.deleteOlderThan(Date.now() - 60 * DAY)).toEqual({ executions: 0, errors: 0, events: 0 });
    });

    it('deletes a backlog larger than one batch in bounded statements, and keeps what is newer or pending', async () => {
      server = await startTestServer();
      const ann = await createUserWithSlack(server, 'ann');
      const old = Date.now() - 90 * DAY;
      const db = server.services.store.db;
      const oldRuns = [];
      for (let i = 0; i < 7; i++) oldRuns.push(await runTicket(server, ann));
      const queuedOld = await runTicket(server, ann);
      const recent = await runTicket(server, ann);
      for (const run of [...oldRuns, queuedOld]) {
        await db.run('UPDATE events SET received_at = ? WHERE id = ?', [old, run.body.eventId]);
        await db.run('UPDATE executions SET created_at = ? WHERE event_id = ?', [old, run.body.eventId]);
      }
      await db.run("UPDATE executions SET status = 'succeeded', finished_at = ? WHERE status = 'queued' AND event_id <> ?", [old, queuedOld.body.eventId]);
      for (let i = 0; i < 7; i++) await insertError(server, { userId: ann, message: `old ${i}`, at: old });
      await db.run('INSERT INTO steps (execution_id, block_id, attempt, started_at) VALUES (?, ?, 1, ?)', [oldRuns[0].body.executionIds[0], 'post-message', old]);
      await insertError(server, { userId: ann, message: 'recent', at: Date.now() });
      // The store's logs on the same database, with every statement they run recorded.
      const recorded = recordingDb(db);

      const deleted = await new Logs(recorded.db).deleteOlderThan(Date.now() - 60 * DAY, 3);

      expect(deleted).toEqual({ executions: 7, errors: 7, events: 7 });
      // 3 + 3 + 1 rows per table: every statement bounded by the batch.
      expect(recorded.statements.map((s) => [s.sql.match(/^DELETE FROM (\w+)/)?.[1], s.changes])).toEqual([
        ['errors', 3],
        ['errors', 3],
        ['errors', 1],
        ['executions', 3],
        ['executions', 3],
        ['executions', 1],
        ['events', 3],
        ['events', 3],
        ['events', 1],
      ]);
      const events = await db.all<{ id: string }>('SELECT id FROM events');
      expect(events.map((e) => e.id).sort()).toEqual([queuedOld.body.eventId, recent.body.eventId].sort());
      const executions = await db.all<{ id: string }>('SELECT id FROM executions');
      expect(executions.map((e) => e.id).sort()).toEqual([queuedOld.body.executionIds[0], recent.body.executionIds[0]].sort());
      expect((await db.all<{ message: string }>('SELECT message FROM errors')).map((e) => e.message)).toEqual(['recent']);
      expect(await countRows(server, 'steps')).toBe(0);
    });

    it('finds what is old through an index, not by reading every row', async () => {
      server = await startTestServer();
      const db = server.services.store.db;
      const recorded = recordingDb(db);
      await new Logs(recorded.db).deleteOlderThan(Date.now() - 60 * DAY);
      expect(recorded.statements).toHaveLength(3);

      const plans = await Promise.all(recorded.statements.map(({ sql, params }) => planOf(db, sql, params)));
      const [errors, executions, events] = plans;
      expect(errors).toContain('errors_occurred');
      expect(executions).toContain('executions_finished');
      expect(events).toContain('events_received');
      for (const plan of plans) expect(plan).not.toMatch(/Seq Scan|^SCAN (errors|executions|events)$/m);
    });

    it('deletes OAuth requests started and never completed once they expire, through an index', async () => {
      server = await startTestServer();
      const { credentials, db } = server.services.store;
      const userId = await createUser(server, 'ann');
      const state = (name: string, expiresAt: number) =>
        credentials.saveOAuthState({ state: name, userId, app: 'slack', codeVerifier: 'v', redirectUri: 'http://localhost/oauth/callback', origin: null, expiresAt });
      await state('old', Date.now() - 60_000);
      await state('older', Date.now() - 3_600_000);
      await state('pending', Date.now() + 600_000);
      const stop = startRetentionSweep(server.services.store, 60);
      try {
        for (let i = 0; i < 100 && (await countRows(server, 'oauth_states')) > 1; i++) await new Promise((r) => setTimeout(r, 20));
      } finally {
        stop();
      }
      expect((await db.all<{ state: string }>('SELECT state FROM oauth_states')).map((r) => r.state)).toEqual(['pending']);
      expect(await planOf(db, 'DELETE FROM oauth_states WHERE expires_at < ?', [Date.now()])).toContain('oauth_states_expires');
    });
  });
});
