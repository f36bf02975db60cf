import { z } from 'zod';
import { publicBaseUrl, type Api } from '../api';
import type { Services } from '../domain/context';
import { requireUser } from '../domain/users';
import { absoluteUrl } from '../domain/views';
import { ApiError, validationError } from '../errors';
import * as S from '../schemas';
import { SQL_INTEGER_MAX } from '../store/db';

const MESSAGE_SQL = `CASE x.status ${Object.entries(S.LOG_MESSAGES)
  .map(([status, message]) => `WHEN '${status}' THEN '${message}'`)
  .join(' ')} END`;

/** The columns Alloy's filters name, as SQL over `x` (executions), and how a user's input becomes a parameter. */
const COLUMNS: Record<string, { sql: string; value?: (input: string) => unknown }> = {
  message: { sql: MESSAGE_SQL },
  'data.executionId': { sql: 'x.id' },
  forgeWorkflowId: { sql: 'x.workflow_id' },
  userId: { sql: 'x.user_id' },
  // An integer the INTEGER column can hold (PostgreSQL fails a comparison with 1.5 or 2^31); NaN is refused below.
  workflowVersion: { sql: 'x.version', value: (input) => (/^-?\d+$/.test(input.trim()) && Math.abs(Number(input)) <= SQL_INTEGER_MAX ? Number(input) : NaN) },
  createdAt: { sql: 'x.created_at', value: (input) => Date.parse(input) },
  'forgeWorkflow.integrationId._id': { sql: '(SELECT integration_id FROM installations i WHERE i.id = x.installation_id)' },
};
const OPERATORS: Record<string, string> = { equals: '=', notequals: '<>', greaterthan: '>', lessthan: '<', contains: 'LIKE', notcontains: 'NOT LIKE' };
const SORT_SQL: Record<string, string> = { createdAt: 'x.created_at', completedAt: 'x.finished_at', message: MESSAGE_SQL, userId: 'x.user_id' };

const Filter = z.object({
  columns: z.object({ value: z.enum(Object.keys(COLUMNS) as [string, ...string[]]) }),
  operators: z.object({ value: z.enum(Object.keys(OPERATORS) as [string, ...string[]]) }),
  userinput: z.object({ value: z.union([z.string(), z.number()]).transform(String) }),
  condition: z.object({ value: z.literal('and') }).optional(),
});

/** Alloy's `filters` query parameter (a JSON array), as SQL conditions; a 400 naming the bad part otherwise. */
function filterConditions(filters: string | undefined) {
  if (!filters) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(filters);
  } catch {
    throw new ApiError(400, 'invalid_request', 'filters must be a JSON array of filter objects', [{ path: 'filters', message: 'not JSON' }]);
  }
  const result = z.array(Filter).safeParse(parsed);
  if (!result.success) throw validationError(result.error, 'filters', 'Invalid filters');
  return result.data.map((f) => {
    const column = COLUMNS[f.columns.value]!;
    const op = OPERATORS[f.operators.value]!;
    const input = f.userinput.value;
    const like = op.includes('LIKE');
    // `contains` matches the text as it is: LIKE's own wildcards in it are escaped.
    const param = like ? `%${input.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%` : (column.value?.(input) ?? input);
    if (typeof param === 'number' && Number.isNaN(param)) {
      throw new ApiError(400, 'invalid_request', `"${input}" is not a valid value for ${f.columns.value}`, [{ path: 'filters', message: `bad value for ${f.columns.value}` }]);
    }
    return { sql: like ? `CAST(${column.sql} AS TEXT) ${op} ? ESCAPE '\\'` : `${column.sql} ${op} ?`, params: [param] };
  });
}

/** `GET /logs`: every workflow's runs, filtered, sorted and paged as Alloy's account-wide logs are. */
export function logRoutes(api: Api, services: Services) {
  const { store, definitions } = services;
  api.get(
    '/logs',
    {
      summary: 'Runs of every workflow, filtered, sorted and paged',
      description:
        'One notification per execution: `message` is "executionError" for a failed run, "executionSkipped" for one a filter stopped, "executionSuccess", "executionRunning" or "executionQueued" otherwise.',
      tags: ['Workflows'],
      query: S.AccountLogsQuery,
      response: S.AccountLogsResponse,
    },
    async (c, { query }) => {
      const where = filterConditions(query.filters);
      if (query.workflowId) where.push({ sql: 'x.workflow_id = ?', params: [query.workflowId] });
      if (query.associatedUserId) where.push({ sql: 'x.user_id = ?', params: [(await requireUser(store, query.associatedUserId)).userId] });
      const page = await store.logs.page({ where, sortBy: SORT_SQL[query.sortBy]!, asc: query.sortOrder === 'asc', skip: query.skip, limit: query.limit });
      const base = publicBaseUrl(c, services.config.publicUrl);
      return c.json({
        notifications: page.rows.map((r) => {
          const integration = definitions.workflow(r.workflowId)?.integration;
          return {
            _id: r.executionId,
            message: S.LOG_MESSAGES[r.status],
            data: { executionId: r.executionId, executionUuid: r.executionId },
            startedAt: r.startedAt,
            completedAt: r.finishedAt,
            createdAt: r.createdAt,
            customVersion: false,
            workflowVersion: r.version,
            teamId: 'default',
            forgeWorkflowId: r.workflowId,
            workflowId: r.workflowId,
            userId: r.userId,
            user: { email: r.username, fullName: r.fullName },
            forgeWorkflow: {
              name: definitions.workflow(r.workflowId)?.workflow.name ?? r.workflowId,
              integrationId: { _id: integration?.id ?? '', name: integration?.app ?? '', blockId: 'trigger', icon: integration ? absoluteUrl(base, integration.icon) : '' },
            },
            installationId: r.installationId,
            error: r.error,
          };
        }),
        lastFetched: new Date().toISOString(),
        pagination: {
          totalItems: page.total,
          totalPages: Math.ceil(page.total / query.limit),
          currentPage: Math.floor(query.skip / query.limit) + 1,
          pageSize: query.limit,
        },
      });
    },
  );
}
