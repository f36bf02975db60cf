import type { ErrorBody } from './schema';
import { AlloyError, type AlloyErrorCode } from './errors';
import { baseUrl, currentToken, currentUser, NO_TOKEN } from './session';

/** The message of every `network` error. */
export const OFFLINE = 'Could not reach the server';

// Any other 4xx (400, 413, 415…) is the request's fault: `invalid_request`; a 5xx is `server`.
const CODES: Record<number, AlloyErrorCode> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 429: 'rate_limited' };

/**
 * Calls an end-user endpoint with the user token. A 401 is tried once more with a fresh token
 * when a provider is set; errors come back as `AlloyError` with the server's own words. With
 * `asUser`, only that user's token is used: another user's is `no_token`, and nothing is sent.
 */
export async function request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, asUser?: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    // After a 401 the token is the fresh one the provider just gave.
    const token = await currentToken();
    if (asUser !== undefined && currentUser() !== asUser) throw new AlloyError('no_token', NO_TOKEN);
    let res: Response;
    try {
      res = await fetch(baseUrl() + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new AlloyError('network', OFFLINE);
    }
    const json = (await res.json().catch(() => ({}))) as T & Partial<ErrorBody>;
    if (res.ok) return json;
    if (res.status === 401 && attempt === 0) {
      try {
        await currentToken(true);
        continue;
      } catch {
        // no provider: fall through to the server's answer
      }
    }
    const after = Number(res.headers.get('retry-after'));
    throw new AlloyError(
      CODES[res.status] ?? (res.status < 500 ? 'invalid_request' : 'server'),
      json.error?.message ?? `The server answered ${res.status}`,
      json.error?.details,
      after > 0 ? after * 1000 : undefined,
      json.error?.code,
    );
  }
}

/** Sends `method` to each installation (`/me/installations/:id<suffix>`), all at once. */
export const eachInstallation = (list: Array<{ installationId: string }>, method: string, suffix = '') =>
  Promise.all(list.map((i) => request(method, `/me/installations/${i.installationId}${suffix}`)));
