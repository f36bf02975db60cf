import './setup';
import { within } from '@testing-library/preact';
import { clear, createStore, entries } from 'idb-keyval';
import { listen } from '../helpers/browser';
import { createUser, startTestServer, userToken, type TestServer } from '../helpers/server';
import type { Definitions } from '../../server/definitions/load';
import { close, setBaseUrl, setToken } from '../../widget/index';
import { stopRetrying } from '../../widget/outbox';

export { definitionsWith } from '../helpers/definitions';

export type Http = Awaited<ReturnType<typeof listen>>;

/** A test server served over real HTTP, as the widget reaches it. */
export async function serve(options: { env?: Record<string, string>; definitions?: () => Definitions } = {}) {
  const server = await startTestServer(options);
  const http = await listen(server);
  return { server, http };
}

/**
 * Restarts the server on its store (e.g. to release new definitions) and serves it again; the
 * widget is pointed at the new address. The user's token stays good: the signing keys are stored.
 */
export async function restartAndServe(server: TestServer, http: Http): Promise<Http> {
  await server.restart();
  await http.close();
  const next = await listen(server);
  setBaseUrl(next.url);
  return next;
}

/** Creates a user and points the widget at the server with that user's token. */
export async function signIn(server: TestServer, http: Http, name = `user${Math.random().toString(36).slice(2, 8)}`): Promise<string> {
  const userId = await createUser(server, name);
  setBaseUrl(http.url);
  setToken(await userToken(server, userId));
  return userId;
}

/** The `<alloy-embedded>` hosts of the page (the modal's is a child of body). */
export const hosts = () => [...document.querySelectorAll('alloy-embedded')];

/** Queries inside a host's shadow root, where everything the widget renders lives. */
export function inside(host: Element | undefined) {
  if (!host?.shadowRoot) throw new Error('no <alloy-embedded> host with a shadow root');
  return within(host.shadowRoot as unknown as HTMLElement);
}

/** Queries inside the open modal. */
export const modal = () => inside([...document.body.children].find((e) => e.localName === 'alloy-embedded'));

/** The widget's IndexedDB outbox, read and cleared as the widget's own store. */
const outbox = createStore('alloy-outbox', 'events');
export const outboxItems = async () => (await entries<string, { id: string; event: string; data: unknown }>(outbox)).map(([, v]) => v);

/** Closes any modal, removes every host, stops the outbox's retry and empties the outbox. */
export async function resetWidget(): Promise<void> {
  close();
  stopRetrying();
  document.body.replaceChildren();
  await clear(outbox);
}

/** The server's installations of a user, through the ISV API. */
export async function installationsOf(server: TestServer, userId: string): Promise<any[]> {
  const res = await server.request('GET', `/installations?userId=${userId}`);
  if (res.status !== 200) throw new Error(`installations: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}
