import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../api';
import { ApiError } from '../errors';
import type { Store } from '../store';
import type { TokenService } from '../tokens';
import { bearerToken } from './api-key';

/**
 * End-user endpoints: `Authorization: Bearer USER_TOKEN`. Sets `userId` to the token's subject;
 * every query below is filtered by it. A token of a deleted user is refused.
 */
export function userTokenAuth(tokens: TokenService, store: Store): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw new ApiError(401, 'unauthorized', 'Send the user token as "Authorization: Bearer USER_TOKEN"');
    const { userId } = await tokens.verify(token);
    const user = await store.users.find(userId);
    if (!user || user.userId !== userId) throw new ApiError(401, 'unauthorized', 'The user of this token no longer exists');
    c.set('userId', userId);
    await next();
  };
}
