import { API_KEY, type TestServer } from './server';

/** A signed-in console: the cookie to send back and the CSRF token the page keeps. */
export interface ConsoleSignIn {
  cookie: string;
  csrfToken: string;
}

/** The `name=value` of a Set-Cookie header (what a browser sends back). */
export const cookiePair = (setCookie: string | null): string => (setCookie ?? '').split(';')[0]!;

/** Signs in to the console with the API key (or `apiKey`), as the page does. */
export async function signIn(server: TestServer, apiKey = API_KEY): Promise<ConsoleSignIn> {
  const res = await server.request('POST', '/console/session', { apiKey: null, body: { apiKey } });
  if (res.status !== 201) throw new Error(`console sign-in: ${res.status} ${JSON.stringify(res.body)}`);
  return { cookie: cookiePair(res.headers.get('set-cookie')), csrfToken: res.body.csrfToken };
}

/** A console call as the page makes it: the cookie, and the CSRF token on anything but a GET; never an API key. */
export function consoleRequest(server: TestServer, session: ConsoleSignIn, method: string, url: string, body?: unknown) {
  const headers: Record<string, string> = { cookie: session.cookie };
  if (method !== 'GET') headers['x-csrf-token'] = session.csrfToken;
  return server.request(method, url, { apiKey: null, headers, body });
}
