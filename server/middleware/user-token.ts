import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../api';
import { ApiError } from '../errors';
import type { Store } from '../store';
import type { TokenService } from '../tokens';
import { bearerToken } from './api-key';

/**
 * Where a user token is read from: `Authorization: Bearer USER_TOKEN` (our widget and the `/me/*`
 * routes), or the bare token in `x-alloy-user-token`, as the vendor's browser SDK (alloy-frontend) sends it.
 */
export type UserTokenHeader = 'authorization' | 'x-alloy-user-token';

const HOW_TO_SEND: Record<UserTokenHeader, string> = {
  authorization: 'Send the user token as "Authorization: Bearer USER_TOKEN"',
  'x-alloy-user-token': 'Send the user token as "x-alloy-user-token: USER_TOKEN"',
};

/**
 * End-user endpoints: a user token (in `Authorization: Bearer USER_TOKEN` unless `header` says
 * otherwise). Sets `userId` to the token's subject; every query below is filtered by it. A token
 * of a deleted user is refused.
 */
export function userTokenAuth(tokens: TokenService, store: Store, header: UserTokenHeader = 'authorization'): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const sent = c.req.header(header);
    const token = header === 'authorization' ? bearerToken(sent) : sent?.trim() || undefined;
    if (!token) throw new ApiError(401, 'unauthorized', HOW_TO_SEND[header]);
    const { userId } = await tokens.verify(token);
    const user = await store.users.find(userId);
    if (!user || user.userId !== userId) throw new ApiError(401, 'unauthorized', 'The user of this token no longer exists');
    c.set('userId', userId);
    await next();
  };
}
