import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../api';
import { ApiError } from '../errors';

/**
 * The ISV operations the vendor's browser SDK, alloy-frontend 2.1.1, calls from the end user's page
 * (`getIntegrations`, `getWorkflows`, `deactivate`, `reactivate`) with the user token in
 * `x-alloy-user-token` instead of the API key. Only these take a user token, and only these answer
 * CORS; every other ISV route is the API key's alone.
 */
export const BROWSER_SDK_OPERATIONS = [
  { method: 'GET', path: '/integrations' },
  { method: 'GET', path: '/workflows' },
  { method: 'PUT', path: '/workflows/deactivate' },
  { method: 'PUT', path: '/workflows/activate' },
] as const;

const operations = new Set<string>(BROWSER_SDK_OPERATIONS.map((o) => `${o.method} ${o.path}`));

export const USER_TOKEN_HEADER = 'x-alloy-user-token';

/**
 * The guard of the ISV routes: `apiKey`, except that on BROWSER_SDK_OPERATIONS a request with
 * `x-alloy-user-token` goes through `userToken` instead, and then acts for that token's user only.
 * Both credentials at once are refused rather than one of them ignored: the key acts for the whole
 * account, the token for one user, and which was meant is not ours to guess.
 */
export function isvAuth(apiKey: MiddlewareHandler<AppEnv>, userToken: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return (c, next) => {
    const hasUserToken = c.req.header(USER_TOKEN_HEADER) !== undefined;
    const hasAuthorization = c.req.header('authorization') !== undefined;
    // `c.req.path` is the path without its version prefix (app.ts's getPath); HEAD is answered by GET.
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    if (!operations.has(`${method} ${c.req.path}`)) {
      if (hasUserToken && !hasAuthorization) {
        throw new ApiError(401, 'unauthorized', 'This endpoint takes the ISV API key ("Authorization: bearer YOUR_API_KEY"), not a user token');
      }
      return apiKey(c, next);
    }
    if (hasUserToken && hasAuthorization) {
      throw new ApiError(400, 'invalid_request', `Send the API key (Authorization) or a user token (${USER_TOKEN_HEADER}), not both`);
    }
    if (hasUserToken) return userToken(c, next);
    if (!hasAuthorization) {
      throw new ApiError(401, 'unauthorized', `Send your API key as "Authorization: bearer YOUR_API_KEY", or the end user's token as "${USER_TOKEN_HEADER}: USER_TOKEN"`);
    }
    return apiKey(c, next);
  };
}
