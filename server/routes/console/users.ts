import { z } from 'zod';
import { param, type Api } from '../../api';
import { pageOf, readCursor } from '../../domain/console/cursor';
import * as C from '../../domain/console/schemas';
import { ApiError } from '../../errors';
import { executionSummary } from './executions';
import { workflowName, type ConsoleContext } from './index';

const iso = (ms: number) => new Date(ms).toISOString();
const UsernameKey = z.tuple([z.string()]);

/** Users: search by id or username prefix; one user's installations, their connections and recent executions. */
export function userRoutes(api: Api, { services, lists }: ConsoleContext) {
  const { store } = services;
  const tags = ['Console'];

  api.get(
    '/console/api/users',
    {
      summary: 'Users by username, or those whose id is q or whose username begins with q',
      description: 'On the first page, the user whose id is `q` (if any) comes first.',
      tags,
      query: C.UsersQuery,
      response: C.UsersPage,
    },
    async (c, { query }) => {
      const after = readCursor(query.cursor, UsernameKey)?.[0];
      const q = query.q || undefined;
      const rows = await lists.users(q, after, query.limit + 1);
      const page = pageOf(rows, query.limit, (u) => [u.username]);
      const byId = q && after === undefined ? await lists.userById(q) : undefined;
      const data = byId && !page.data.some((u) => u.userId === byId.userId) ? [byId, ...page.data] : page.data;
      return c.json({ data: data.map((u) => ({ ...u, createdAt: iso(u.createdAt) })), nextCursor: page.nextCursor });
    },
  );

  api.get('/console/api/users/:userId', { summary: 'A user’s installations, connections and latest executions', tags, response: C.UserDetail }, async (c) => {
    const ref = param(c, 'userId');
    const user = await store.users.find(ref);
    if (!user) throw new ApiError(404, 'not_found', `No user with id or username "${ref}"`);
    const [installations, credentials, executions] = await Promise.all([
      store.installations.list(user.userId),
      store.credentials.list(user.userId),
      lists.executions({ userId: user.userId }, undefined, 20),
    ]);
    const byId = new Map(credentials.map((cr) => [cr.credentialId, cr]));
    return c.json({
      user: { userId: user.userId, username: user.username, createdAt: user.createdAt },
      installations: installations.map((i) => {
        const credentialId = i.credentialIds[0];
        const credential = credentialId === undefined ? undefined : byId.get(credentialId);
        const connector = services.definitions.workflow(i.workflowId)?.integration.connector ?? i.integrationId;
        return {
          installationId: i.installationId,
          workflowId: i.workflowId,
          workflowName: workflowName(services, i.workflowId),
          integrationId: i.integrationId,
          version: i.version,
          active: i.active,
          connection:
            credentialId === undefined
              ? null
              : credential
                ? { credentialId, app: credential.app, displayName: credential.displayName, status: credential.status, lastError: credential.lastError }
                : // Its account was deleted: the installation needs a new one.
                  { credentialId, app: connector, displayName: null, status: 'deleted' as const, lastError: null },
        };
      }),
      executions: executions.map((r) => executionSummary(services, r)),
    });
  });
}
