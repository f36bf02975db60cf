import { PROCESS_API_KEY } from './process';
import { send, type RequestOptions, type TestServer } from './server';

/** Sends a request to a server, in process (`TestServer.request`) or over HTTP (`httpRequester`). */
export type Requester = TestServer['request'];

/**
 * TestServer.request's counterpart for a server process at `url`: ISV requests carry the
 * processes' API key unless `apiKey: null` or `token` is given; redirects are not followed.
 */
export function httpRequester(url: string, apiKey = PROCESS_API_KEY): Requester {
  return (method, path, opts: RequestOptions = {}) => send((init) => fetch(`${url}${path}`, { method, ...init, redirect: 'manual' }), opts, apiKey);
}

export const OAUTH_ORIGIN = 'https://app.acme.test';

/**
 * Connects an account through the OAuth popup as a browser would: the page starts the sign-in,
 * POSTs the begin URL with its Origin (getting the binding cookie), the provider approves
 * (`approve` gets its authorize URL and gives back where it redirects the browser: the callback
 * with code and state), and the callback page is loaded with the cookie. Returns the credential
 * id the callback page hands to the opener; throws with the page when the connection failed.
 */
export async function connectThroughOAuth(request: Requester, input: { token: string; app: string; approve: (authorize: URL) => Promise<URL>; origin?: string }): Promise<string> {
  const origin = input.origin ?? OAUTH_ORIGIN;
  const started = await request('POST', `/me/oauth/${input.app}/start`, { token: input.token, body: { origin: `${origin}/settings` } });
  if (started.status !== 200) throw new Error(`OAuth start: ${started.status} ${JSON.stringify(started.body)}`);
  const beginUrl = new URL(started.body.beginUrl as string);
  const begun = await request('POST', `${beginUrl.pathname}${beginUrl.search}`, { apiKey: null, headers: { origin } });
  const location = begun.headers.get('location');
  if (begun.status !== 303 || !location) throw new Error(`OAuth begin: ${begun.status} ${String(begun.body).slice(0, 300)}`);
  const cookie = begun.headers.get('set-cookie')?.split(';')[0];
  const back = await input.approve(new URL(location));
  const callback = await request('GET', `${back.pathname}${back.search}`, { apiKey: null, headers: cookie ? { cookie } : {} });
  const credentialId = typeof callback.body === 'string' ? callback.body.match(/"credentialId":"([0-9a-f]+)"/)?.[1] : undefined;
  if (callback.status !== 200 || !credentialId) throw new Error(`OAuth callback: ${callback.status} ${String(callback.body).slice(0, 500)}`);
  return credentialId;
}

/**
 * A provider that approves at once (the fakes' authorize pages): where it sends the browser back.
 * `params` are added to its URL first (the fake Slack's `team`: the workspace the user picks).
 */
export async function approveAtOnce(authorize: URL, params: Record<string, string> = {}): Promise<URL> {
  const url = new URL(authorize);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (!location) throw new Error(`the provider did not redirect back: ${res.status}`);
  return new URL(location);
}
