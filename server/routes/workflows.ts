import { param, publicBaseUrl, type Api } from '../api';
import { ApiError } from '../errors';
import type { Services } from '../domain/context';
import { tellInstallations } from '../domain/lifecycle';
import { upgradeInstallation } from '../domain/upgrade';
import { actingUser, requireUser } from '../domain/users';
import { executionLogView, workflowConnectorOf } from '../domain/vendor-views';
import { workflowView } from '../domain/views';
import { findWorkflowByRef } from '../domain/workflows';
import { apiVersionOf } from '../middleware/api-version';
import * as S from '../schemas';

/** Workflows, their installations per user, versions, logs and errors. */
export function workflowRoutes(api: Api, services: Services) {
  const { store, definitions } = services;
  const tags = ['Workflows'];

  const requireWorkflow = (workflowId: string) => {
    const found = definitions.workflow(workflowId);
    if (!found) throw new ApiError(404, 'not_found', `No workflow "${workflowId}"`);
    return found;
  };

  // This and activate/deactivate are also called by alloy-frontend with a user token
  // (middleware/browser-sdk.ts): `userId` is then the token's.
  api.get(
    '/workflows',
    { summary: 'List workflows with a user’s installation state', description: S.BROWSER_SDK_AUTH_NOTE, tags, query: S.ActingUserQuery, response: S.WorkflowsResponse },
    async (c, { query }) => {
      const user = await actingUser(store, c.get('userId'), query.userId);
      const installed = new Map((await store.installations.list(user.userId)).map((i) => [i.workflowId, i]));
      const base = publicBaseUrl(c, services.config.publicUrl);
      return c.json({
        data: definitions.integrations.flatMap((i) => i.workflows.map((w) => workflowView(i, w, installed.get(w.id), base))),
      });
    },
  );

  // Static paths before `/workflows/:workflowId` so they are not taken for an id.
  for (const action of ['activate', 'deactivate'] as const) {
    const activate = action === 'activate';
    api.put(
      `/workflows/${action}`,
      {
        summary: `${activate ? 'Activate' : 'Deactivate'} a user’s installed workflow`,
        description: `The workflow is named by \`workflowId\` or \`workflowName\`. ${S.BROWSER_SDK_AUTH_NOTE}`,
        tags,
        body: S.WorkflowUserBody,
        response: activate ? S.ActivatedResponse : S.SuccessResponse,
      },
      async (c, { body }) => {
        const user = await actingUser(store, c.get('userId'), body.userId);
        const { workflow } = findWorkflowByRef(definitions, body);
        if (!(await store.installations.setActive(user.userId, workflow.id, activate, tellInstallations(store, 'installation.updated')))) {
          throw new ApiError(404, 'not_found', `User "${body.userId ?? user.userId}" has not installed workflow "${workflow.id}"`);
        }
        return c.json(activate ? { success: true as const, activated: true as const } : { success: true as const });
      },
    );
  }

  api.get(
    '/workflows/:workflowId',
    { summary: 'One workflow with a user’s installation state', tags, query: S.UserIdQuery, response: S.WorkflowResponse },
    async (c, { query }) => {
      const { integration, workflow } = requireWorkflow(param(c, 'workflowId'));
      const user = await requireUser(store, query.userId);
      const installation = await store.installations.find(user.userId, workflow.id);
      const view = workflowView(integration, workflow, installation, publicBaseUrl(c, services.config.publicUrl));
      const released = (await store.versions.list(workflow.id)).map((v) => v.releasedAt).sort();
      return c.json({
        data: { ...view, createdAt: released[0]!, updatedAt: released.at(-1)!, connectors: view.blocks.map(workflowConnectorOf) },
      });
    },
  );

  api.delete('/workflows/:workflowId', { summary: 'Uninstall a workflow for a user', tags, query: S.UserIdQuery, response: S.SuccessResponse }, async (c, { query }) => {
    const { workflow } = requireWorkflow(param(c, 'workflowId'));
    const user = await requireUser(store, query.userId);
    if (!(await store.installations.uninstall(user.userId, workflow.id, tellInstallations(store, 'installation.deleted')))) {
      throw new ApiError(404, 'not_found', `User "${query.userId}" has not installed workflow "${workflow.id}"`);
    }
    return c.json({ success: true as const });
  });

  api.get('/workflows/:workflowId/versions', { summary: 'Released versions of a workflow', tags, response: S.VersionsResponse }, async (c) => {
    const { workflow } = requireWorkflow(param(c, 'workflowId'));
    const versions = await store.versions.list(workflow.id);
    return c.json({
      data: versions.map((v) => ({ version: v.version, releasedAt: v.releasedAt, current: v.version === workflow.version, fields: v.definition.fields })),
    });
  });

  api.get('/workflows/:workflowId/users', { summary: 'Who installed a workflow, active or not, at which version', tags, response: S.WorkflowUsersResponse }, async (c) => {
    const { workflow } = requireWorkflow(param(c, 'workflowId'));
    const rows = await store.installations.usersOf(workflow.id);
    return c.json({
      data: rows.map((r) => ({
        username: r.username,
        fullName: r.fullName,
        userId: r.userId,
        workflowActive: r.active,
        active: r.active,
        installedVersion: r.version,
        installedAt: r.installedAt,
      })),
    });
  });

  api.get('/workflows/:workflowId/analytics', { summary: 'Runs, errors and installs of a workflow', tags, response: S.AnalyticsResponse }, async (c) => {
    const { workflow } = requireWorkflow(param(c, 'workflowId'));
    return c.json(await store.logs.analytics(workflow.id));
  });

  api.put(
    '/workflows/:workflowId/upgrade',
    { summary: 'Upgrade a user’s installation to the released version', tags, body: S.UpgradeBody, response: S.UpgradeResponse },
    async (c, { body }) => {
      const { workflow } = requireWorkflow(param(c, 'workflowId'));
      const user = await requireUser(store, body.userId);
      const installation = await store.installations.find(user.userId, workflow.id);
      if (!installation) throw new ApiError(404, 'not_found', `User "${body.userId}" has not installed workflow "${workflow.id}"`);
      return c.json(await upgradeInstallation(services, installation, workflow));
    },
  );

  api.get(
    ['/workflows/:workflowId/logs', '/workflow/:workflowId/logs'],
    {
      summary: 'Executions of a workflow, newest first, paged',
      description: 'Where the versions differ, each answers in its own shape: `status` and `results[].data` (see their descriptions).',
      tags,
      query: S.LogsQuery,
      response: S.LogsResponse,
    },
    async (c, { query }) => {
      const { workflow } = requireWorkflow(param(c, 'workflowId'));
      const userId = query.userId ? (await requireUser(store, query.userId)).userId : undefined;
      if (query.cursor && !(await store.executions.status(query.cursor))) {
        throw new ApiError(400, 'invalid_request', `Unknown cursor "${query.cursor}": use nextCursor from the previous page`, [{ path: 'cursor', message: 'unknown' }]);
      }
      const offset = query.page ? (query.page - 1) * query.limit : 0;
      const logs = await store.logs.executions(workflow.id, userId, query.limit, query.cursor, { order: query.order, offset });
      const version = apiVersionOf(c);
      return c.json({ data: logs.map((l) => executionLogView(l, version)), nextCursor: logs.length === query.limit ? logs.at(-1)!.executionId : null });
    },
  );

  api.get('/workflows/:workflowId/errors', { summary: 'Error logs of a workflow, newest first', tags, query: S.ErrorsQuery, response: S.ErrorsResponse }, async (c, { query }) => {
    const { workflow } = requireWorkflow(param(c, 'workflowId'));
    const userId = query.userId ? (await requireUser(store, query.userId)).userId : undefined;
    return c.json({ data: await store.logs.errors(workflow.id, userId, query.limit) });
  });
}
