import type { Hono } from 'hono';
import { z } from 'zod';
import { param, readJson, type Api, type AppEnv } from '../api';
import { MAX_JSON_DEPTH, rejectUnstorable } from '../json-limits';
import { ApiError, validationError } from '../errors';
import type { Services } from '../domain/context';
import { runInstallation } from '../domain/triggers';
import { requireUser } from '../domain/users';
import { findWorkflowByRef } from '../domain/workflows';
import { findInstallationByWebhookToken } from '../store/installations';
import * as S from '../schemas';
import { eventAnswer, idempotencyKeyHeader } from './idempotency';

/** Starting workflows other than by custom event: one workflow directly, inbound webhooks, re-runs. */
export function inboundRoutes(api: Api, app: Hono<AppEnv>, services: Services) {
  const { store } = services;

  api.post(
    '/run/workflow',
    {
      summary: 'Run one installed workflow for a user with the given data',
      description: 'The workflow is named by `workflowId` or `workflowName`. Answers `message: "success"`, as Alloy does, with the event and execution ids.',
      tags: ['Events'],
      body: S.RunWorkflowBody,
      response: S.RunWorkflowResponse,
    },
    async (c, { body }) => {
      const user = await requireUser(store, body.userId);
      const { workflow } = findWorkflowByRef(services.definitions, body);
      const installation = await store.installations.find(user.userId, workflow.id);
      if (!installation) throw new ApiError(404, 'not_found', `User "${body.userId}" has not installed workflow "${workflow.id}"`);
      const result = await runInstallation(services, installation, body.data, 'isv', idempotencyKeyHeader(c), undefined, c.get('requestId'));
      return eventAnswer(c, { ...result, body: { ...result.body, message: 'success' } });
    },
  );

  api.post(
    '/workflows/:workflowId/rerun/:executionId',
    {
      summary: 'Re-run a failed execution with its original input',
      description:
        'By default (`from: "failed"`) the run starts at the block that failed: the blocks before it keep their recorded outputs, are not called again, and are marked `reused` in the logs. `from: "start"` runs every block again. Give `from` in the query or the JSON body (docs/replay.md).',
      tags: ['Workflows'],
      query: S.RerunQuery,
      body: S.RerunBody,
      response: S.RerunResponse,
    },
    async (c, { query, body }) => {
      if (query.from && body?.from && query.from !== body.from) {
        throw new ApiError(400, 'invalid_request', `from is "${query.from}" in the query and "${body.from}" in the body; give it once`, [
          { path: 'from', message: 'given twice, with different values' },
        ]);
      }
      const executionId = param(c, 'executionId');
      const status = await store.executions.status(executionId);
      if (!status) throw new ApiError(404, 'not_found', `No execution "${executionId}"`);
      if (!(await store.executions.requeue(undefined, executionId, param(c, 'workflowId'), { from: query.from ?? body?.from ?? 'failed' }))) {
        throw new ApiError(409, 'conflict', `Execution "${executionId}" is ${status}; only a failed execution of this workflow can be re-run`);
      }
      services.engine.wake();
      return c.json({ success: true as const, executionId, status: 'queued' as const });
    },
  );

  // The token in the URL is the credential: unguessable, one per installation.
  // Not an Api route, so it makes the Api's checks itself: no NUL (PostgreSQL refuses it), no body nested too deep.
  app.post('/hooks/:token', async (c) => {
    rejectUnstorable(c.req.param());
    const installation = await findInstallationByWebhookToken(store.db, param(c, 'token'));
    if (!installation) throw new ApiError(404, 'not_found', 'No webhook at this URL');
    const body = await readJson(c);
    rejectUnstorable(body, MAX_JSON_DEPTH, false);
    const parsed = z.record(z.string(), z.unknown()).safeParse(body ?? {});
    if (!parsed.success) throw validationError(parsed.error, undefined, 'A webhook body must be a JSON object');
    // A sender that signs its webhooks (Standard Webhooks) names each delivery: a redelivery is a repeat.
    const key = idempotencyKeyHeader(c) ?? (c.req.header('webhook-id') ? idempotencyKeyHeader(c, 'webhook-id') : undefined);
    // Its trigger type may check it first (the app trigger verifies it came from the app): headers and the body as sent.
    const delivery = { headers: c.req.header(), rawBody: await c.req.text() };
    return eventAnswer(c, await runInstallation(services, installation, parsed.data, 'webhook', key, delivery, c.get('requestId')), 202);
  });
}
