import type { Hono } from 'hono';
import { z } from 'zod';
import { param, readJson, type Api, type AppEnv } from '../api';
import { ApiError, validationError } from '../errors';
import type { Services } from '../domain/context';
import { runInstallation } from '../domain/triggers';
import { requireUser } from '../domain/users';
import { findInstallationByWebhookToken } from '../store/installations';
import * as S from '../schemas';

/** Starting workflows other than by custom event: one workflow directly, inbound webhooks, re-runs. */
export function inboundRoutes(api: Api, app: Hono<AppEnv>, services: Services) {
  const { store } = services;

  api.post(
    '/run/workflow',
    { summary: 'Run one installed workflow for a user with the given data', tags: ['Events'], body: S.RunWorkflowBody, response: S.RunEventResponse },
    async (c, { body }) => {
      const user = await requireUser(store, body.userId);
      const installation = await store.installations.find(user.userId, body.workflowId);
      if (!installation) throw new ApiError(404, 'not_found', `User "${body.userId}" has not installed workflow "${body.workflowId}"`);
      const result = await runInstallation(services, installation, body.data, 'isv', c.req.header('idempotency-key') || undefined);
      if (result.replayed) c.header('Idempotent-Replayed', 'true');
      return c.json(result.body);
    },
  );

  api.post(
    '/workflows/:workflowId/rerun/:executionId',
    { summary: 'Re-run a failed execution with its original input', tags: ['Workflows'], response: S.RerunResponse },
    async (c) => {
      const executionId = param(c, 'executionId');
      const status = await store.executions.status(executionId);
      if (!status) throw new ApiError(404, 'not_found', `No execution "${executionId}"`);
      if (!(await store.executions.requeue(undefined, executionId, param(c, 'workflowId')))) {
        throw new ApiError(409, 'conflict', `Execution "${executionId}" is ${status}; only a failed execution of this workflow can be re-run`);
      }
      services.engine.wake();
      return c.json({ success: true as const, executionId, status: 'queued' as const });
    },
  );

  // The token in the URL is the credential: unguessable, one per installation.
  app.post('/hooks/:token', async (c) => {
    const installation = await findInstallationByWebhookToken(store.db, param(c, 'token'));
    if (!installation) throw new ApiError(404, 'not_found', 'No webhook at this URL');
    const body = await readJson(c);
    const parsed = z.record(z.string(), z.unknown()).safeParse(body ?? {});
    if (!parsed.success) throw validationError(parsed.error, undefined, 'A webhook body must be a JSON object');
    const key = c.req.header('idempotency-key') || c.req.header('webhook-id') || undefined;
    const result = await runInstallation(services, installation, parsed.data, 'webhook', key);
    return c.json(result.body, 202);
  });
}
