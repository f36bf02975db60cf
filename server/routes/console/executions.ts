import type { z } from 'zod';
import { param, type Api } from '../../api';
import { blockKind, findBlock } from '../../blocks';
import type { Services } from '../../domain/context';
import { pageOf, readCursor, TimeIdKey } from '../../domain/console/cursor';
import * as C from '../../domain/console/schemas';
import { ApiError } from '../../errors';
import type { ExecutionRow } from '../../store/console';
import type { ExecutionLog } from '../../store/logs';
import { workflowName, type ConsoleContext } from './index';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** An execution as the console's lists show it. */
export const executionSummary = (services: Services, r: ExecutionRow): z.input<typeof C.ExecutionSummary> => ({
  executionId: r.executionId,
  workflowId: r.workflowId,
  workflowName: workflowName(services, r.workflowId),
  userId: r.userId,
  username: r.username,
  status: r.status,
  attempts: r.attempts,
  createdAt: iso(r.createdAt)!,
  finishedAt: iso(r.finishedAt),
  durationMs: r.finishedAt === null ? null : r.finishedAt - r.createdAt,
  error: r.error,
});

/** The user an id or username names, or a 404 naming the field. */
export async function userIdOf(services: Services, ref: string, field = 'userId'): Promise<string> {
  const user = await services.store.users.find(ref);
  if (!user) throw new ApiError(404, 'not_found', `No user with id or username "${ref}"`, [{ path: field, message: 'no such user' }]);
  return user.userId;
}

/** Executions: the filtered list, one execution with its steps, and re-runs. */
export function executionRoutes(api: Api, { services, lists }: ConsoleContext) {
  const { store } = services;
  const tags = ['Console'];

  api.get('/console/api/executions', { summary: 'Executions, newest first, filtered', tags, query: C.ExecutionsQuery, response: C.ExecutionsPage }, async (c, { query }) => {
    const after = readCursor(query.cursor, TimeIdKey);
    const filter = {
      workflowId: query.workflowId,
      userId: query.userId === undefined ? undefined : await userIdOf(services, query.userId),
      status: query.status,
      from: query.from === undefined ? undefined : Date.parse(query.from),
      to: query.to === undefined ? undefined : Date.parse(query.to),
    };
    const rows = await lists.executions(filter, after, query.limit + 1);
    const page = pageOf(rows, query.limit, (r) => [r.createdAt, r.executionId]);
    return c.json({ data: page.data.map((r) => executionSummary(services, r)), nextCursor: page.nextCursor });
  });

  api.get('/console/api/executions/:executionId', { summary: 'One execution: its trigger, steps and error', tags, response: C.ExecutionDetail }, async (c) => {
    const executionId = param(c, 'executionId');
    const record = await lists.execution(executionId);
    if (!record) throw new ApiError(404, 'not_found', `No execution "${executionId}"`);
    // Its steps as the logs API reads them (GET /workflows/:id/logs): recorded redacted, with the
    // blocks each attempt reused. That read pages a workflow and user's executions by cursor,
    // oldest first: after the one just older comes this one. Retention may delete that one
    // between the two reads: then once more.
    let log: ExecutionLog | undefined;
    for (let tries = 0; tries < 2 && log?.executionId !== executionId; tries++) {
      [log] = await store.logs.executions(record.workflowId, record.userId, 1, await lists.olderSibling(record), { order: 'asc' });
    }
    const version = await store.versions.get(record.workflowId, record.version);
    const blocks = version?.definition.blocks ?? [];
    const stepName = (stepId: string) => {
      const block = findBlock(blocks, stepId.slice(stepId.lastIndexOf('.') + 1));
      return block ? blockKind(block).view(block).name : stepId;
    };
    const steps = log?.executionId === executionId ? log.steps : [];
    return c.json({
      ...executionSummary(services, record),
      version: record.version,
      trigger: { event: record.event, data: record.eventData },
      steps: steps.map((s) => ({
        blockId: s.blockId,
        name: stepName(s.blockId),
        status: s.error !== null ? ('failed' as const) : s.finishedAt === null ? ('running' as const) : ('succeeded' as const),
        input: s.input,
        output: s.output,
        error: s.error,
        startedAt: s.startedAt,
        finishedAt: s.finishedAt,
        durationMs: s.finishedAt === null ? null : Date.parse(s.finishedAt) - Date.parse(s.startedAt),
        attempt: s.attempt,
        reused: s.reused,
        fromAttempt: s.fromAttempt,
      })),
      canRerun: record.status === 'failed',
      rerunFromFailed: record.failedBlock !== null,
    });
  });

  api.post(
    '/console/api/executions/:executionId/rerun',
    {
      summary: 'Re-run a failed execution',
      description: 'As POST /workflows/{workflowId}/rerun/{executionId}: queued again under its own id, from the failed step or from the start (docs/replay.md).',
      tags,
      body: C.RerunBody,
      response: C.RerunResponse,
      status: 202,
      errors: [404, 409],
    },
    async (c, { body }) => {
      const executionId = param(c, 'executionId');
      const record = await lists.execution(executionId);
      if (!record) throw new ApiError(404, 'not_found', `No execution "${executionId}"`);
      if (!(await store.executions.requeue(undefined, executionId, record.workflowId, { from: body.from }))) {
        const status = (await store.executions.status(executionId)) ?? 'gone';
        throw new ApiError(409, 'conflict', `Execution "${executionId}" is ${status}; only a failed execution can be re-run`);
      }
      services.engine.wake();
      return c.json({ executionId, status: 'queued' as const }, 202);
    },
  );
}
