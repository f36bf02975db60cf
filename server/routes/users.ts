import { param, type Api } from '../api';
import { ApiError } from '../errors';
import type { Services } from '../domain/context';
import { tellInstallations, tellUserRemoved } from '../domain/lifecycle';
import { requireUser } from '../domain/users';
import { newId } from '../ids';
import * as S from '../schemas';

/** `/users…` and `/user/:userId/token`: end users of the ISV, their tokens, and GDPR deletion. */
export function userRoutes(api: Api, services: Services) {
  const { store } = services;
  const tags = ['Users'];

  // The reference writes the path with a trailing slash (`POST /users/`); both are served.
  api.post(['/users', '/users/'], { summary: 'Create a user', tags, body: S.CreateUserRequest, response: S.CreateUserResponse, status: 201 }, async (c, { body }) => {
    const userId = newId();
    const username = body?.username ?? userId;
    const user = await store.users.create(username, body?.fullName, userId);
    if (!user) throw new ApiError(409, 'conflict', `The username "${username}" is taken`, [{ path: 'username', message: 'already taken' }]);
    return c.json({ userId: user.userId }, 201);
  });

  api.post('/users/batch', { summary: 'Create up to 1000 users', tags, body: S.BatchUsersBody, response: S.BatchUsersResponse }, async (c, { body }) => {
    const data = [];
    for (const item of body.users) {
      const user = await store.users.create(item.username, item.fullName);
      data.push(
        user ? { username: item.username, userId: user.userId } : { username: item.username, error: { code: 'conflict', message: `The username "${item.username}" is taken` } },
      );
    }
    return c.json({ data });
  });

  api.get('/users', { summary: 'List users', tags, query: S.PageQuery, response: S.UsersPage }, async (c, { query }) => {
    // A cursor that names no user would page from nowhere: say so instead of an empty page.
    if (query.cursor && (await store.users.find(query.cursor))?.userId !== query.cursor) {
      throw new ApiError(400, 'invalid_request', `Unknown cursor "${query.cursor}": use nextCursor from the previous page`, [{ path: 'cursor', message: 'unknown' }]);
    }
    const users = await store.users.list(query.limit, query.cursor);
    return c.json({ data: users, nextCursor: users.length === query.limit ? users.at(-1)!.userId : null });
  });

  api.get('/users/:userId', { summary: 'Get a user', tags, response: S.User }, async (c) => c.json(await requireUser(store, param(c, 'userId'))));

  api.put('/users/:userId', { summary: 'Update a user', tags, body: S.UpdateUserBody, response: S.User }, async (c, { body }) => {
    const user = await requireUser(store, param(c, 'userId'));
    const updated = await store.users.update(user.userId, body);
    if (!updated) throw new ApiError(409, 'conflict', `The username "${body.username}" is taken`, [{ path: 'username', message: 'already taken' }]);
    return c.json(updated);
  });

  api.delete('/users/:userId', { summary: 'Delete a user with their installations, credentials and logs', tags, response: S.SuccessResponse }, async (c) => {
    const user = await requireUser(store, param(c, 'userId'));
    await store.users.delete(user.userId, (tx) => tellUserRemoved(store, user.userId, tx));
    return c.json({ success: true as const });
  });

  api.get(['/user/:userId/token', '/users/:userId/token'], { summary: 'Mint a short-lived user token for the widget', tags, response: S.TokenResponse }, async (c) => {
    const user = await requireUser(store, param(c, 'userId'));
    return c.json(await services.tokens.mint(user.userId));
  });

  api.put('/users/:userId/deactivate-workflows', { summary: 'Deactivate every workflow a user installed', tags, response: S.DeactivatedResponse }, async (c) => {
    const user = await requireUser(store, param(c, 'userId'));
    return c.json({
      message: 'Success' as const,
      success: true as const,
      deactivated: await store.installations.deactivateAll(user.userId, tellInstallations(store, 'installation.updated')),
    });
  });

  api.delete('/users/:userId/logs', { summary: "GDPR / CCPA: delete a user's executions, errors and event payloads", tags, response: S.DeletedLogsResponse }, async (c) => {
    const user = await requireUser(store, param(c, 'userId'));
    return c.json({ message: 'Success' as const, success: true as const, deleted: await store.logs.deleteForUser(user.userId) });
  });
}
