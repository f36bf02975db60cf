import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack } from '../../demo/fakes/slack';
import { startSink } from '../../demo/fakes/sink';
import { installSlack, ticket } from '../helpers/flows';
import { createUser, startTestServer, storeKind, waitForExecution, type TestServer } from '../helpers/server';

const SLACK = 'slack-ticket-created';

describe(`logs and the error stream, as Alloy's reference writes them (${storeKind})`, () => {
  let server: TestServer;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let errors: Awaited<ReturnType<typeof startSink>>;
  let userId: string;
  let ok: string;
  let failed: string;
  beforeEach(async () => {
    slack = await startFakeSlack();
    errors = await startSink();
    server = await startTestServer({
      env: { WORKERS: 'on', SLACK_API_URL: slack.url, ALLOY_ALLOW_PRIVATE_URLS: 'true', ALLOY_ERROR_WEBHOOK_URL: `${errors.url}/errors`, RETRY_SCHEDULE: '20' },
    });
    userId = await createUser(server, 'ann');
    await installSlack(server, userId, 'C0GENERAL');
    ok = (await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId, data: ticket } })).body.executionIds[0];
    await waitForExecution(server, userId, SLACK, ok, 'succeeded');
    // A channel the workspace no longer has (deleted after the install): the block fails for good.
    await server.request('PUT', '/workflows/deactivate', { body: { userId, workflowId: SLACK } });
    const other = await createUser(server, 'bob');
    const channels = slack.channels;
    slack.channels = [...channels, { id: 'C0NOWHERE', name: 'deleted-soon' }];
    await installSlack(server, other, 'C0NOWHERE');
    slack.channels = channels;
    failed = (await server.request('POST', '/run/event', { body: { event: 'Ticket Created', userId: other, data: ticket } })).body.executionIds[0];
    await waitForExecution(server, other, SLACK, failed, 'failed');
  });
  afterEach(async () => {
    await server.close();
    await slack.close();
    await errors.close();
  });

  // get-workflow-logs (2025-09): data[].{ executionId, startedAt, stoppedAt, finished, results[{ startedAt, stoppedAt, data, connectorId }], inputs[] }
  it('get-workflow-logs 2025-09: finished, results[].data as a list of lists, inputs[]', async () => {
    const res = await server.request('GET', `/workflows/${SLACK}/logs?userId=${userId}`, { headers: { 'x-api-version': '2025-09' } });
    expect(res.status).toBe(200);
    const run = res.body.data.find((e: any) => e.executionId === ok);
    expect(run).toMatchObject({ executionId: ok, startedAt: expect.any(String), stoppedAt: expect.any(String), finished: true });
    expect(run.results).toEqual([
      expect.objectContaining({ connectorId: 'post-message', startedAt: expect.any(String), stoppedAt: expect.any(String), data: [[{ json: expect.anything() }]] }),
    ]);
    expect(run.inputs).toEqual([{ connectorId: 'post-message', data: expect.any(Object) }]);
  });

  // get-workflow-logs (2024-03, basic-debugging guide): also status: "success", results[].blockId, results[].data as a list
  it('get-workflow-logs 2024-03: status "success", results[].blockId and data as a list of items', async () => {
    const res = await server.request('GET', `/2024-03/workflow/${SLACK}/logs?userId=${userId}`);
    expect(res.status).toBe(200);
    const run = res.body.data.find((e: any) => e.executionId === ok);
    expect(run).toMatchObject({ status: 'success', stoppedAt: expect.any(String) });
    expect(run.results[0]).toMatchObject({ blockId: 'post-message', data: [{ json: expect.anything() }] });
  });

  // get-logs: GET /logs?filters&workflowId&associatedUserId&skip&limit&sortBy&sortOrder -> { notifications[], lastFetched, pagination }
  it('get-logs: the page’s own sample query finds the failed run', async () => {
    const filters = JSON.stringify([{ columns: { value: 'message' }, operators: { value: 'equals' }, userinput: { value: 'executionError' }, condition: { value: 'and' } }]);
    const res = await server.request('GET', `/logs?filters=${encodeURIComponent(filters)}&workflowId=${SLACK}&skip=0&limit=10&sortBy=createdAt&sortOrder=desc`);
    expect(res.status).toBe(200);
    expect(res.body.notifications).toHaveLength(1);
    expect(res.body.notifications[0]).toMatchObject({
      _id: failed,
      message: 'executionError',
      data: { executionId: failed, executionUuid: failed },
      createdAt: expect.any(String),
      workflowVersion: 1,
      forgeWorkflowId: SLACK,
      workflowId: SLACK,
      user: { email: 'bob', fullName: null },
      forgeWorkflow: { name: expect.any(String), integrationId: { _id: 'slack', name: 'Slack' } },
    });
    expect(typeof res.body.lastFetched).toBe('string');
    expect(res.body.pagination).toEqual({ totalItems: 1, totalPages: 1, currentPage: 1, pageSize: 10 });
    const everyone = await server.request('GET', `/logs?associatedUserId=${userId}`);
    expect(everyone.body.notifications.map((n: any) => n._id)).toEqual([ok]);
  });

  it('get-logs: answers 400 naming filters for a column Alloy does not offer', async () => {
    const filters = JSON.stringify([{ columns: { value: 'secret' }, operators: { value: 'equals' }, userinput: { value: 'x' } }]);
    const res = await server.request('GET', `/logs?filters=${encodeURIComponent(filters)}`);
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toMatch(/^filters\./);
  });

  it('get-logs: a workflowVersion or createdAt the columns cannot hold is a 400 naming filters, on both stores', async () => {
    const filter = (column: string, value: string | number) =>
      encodeURIComponent(JSON.stringify([{ columns: { value: column }, operators: { value: 'greaterthan' }, userinput: { value } }]));
    for (const [column, value] of [
      ['workflowVersion', '99999999999999999999'],
      ['workflowVersion', 2 ** 31],
      ['workflowVersion', '1.5'],
      ['workflowVersion', 'one'],
      ['createdAt', 'yesterday'],
    ] as const) {
      const res = await server.request('GET', `/logs?filters=${filter(column, value)}`);
      expect(res.status, `${column} ${value}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'filters', message: `bad value for ${column}` }]);
    }
    const fine = await server.request('GET', `/logs?filters=${filter('workflowVersion', '0')}`);
    expect(fine.status).toBe(200);
    expect(fine.body.notifications).toHaveLength(2);
  });

  // The error stream (docs.runalloy.com/docs/handling-errors): X-Alloy-* headers beside the Standard Webhooks ones.
  it('sends the X-Alloy-* identifiers with each error webhook delivery, beside its signature', async () => {
    const [delivery] = await errors.waitFor(1);
    const headers = delivery!.headers;
    expect(headers['x-alloy-workflowid']).toBe(SLACK);
    expect(headers['x-alloy-userid']).toBe((await server.request('GET', '/users/bob')).body.userId);
    expect(headers['x-alloy-blockname']).toBe('Send message');
    expect(headers['x-alloy-blocktype']).toBe('slack');
    expect(headers['x-alloy-executionuuid']).toBe(failed);
    expect(headers['webhook-signature']).toMatch(/^v1,/);
  });
});
