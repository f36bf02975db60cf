import type { Integration } from '../types';
import { alloy } from './api';

/** What `useIntegrations` reports. */
export interface IntegrationsSnapshot {
  /** The user's integrations, once loaded (kept while a refresh is under way). */
  data: Integration[] | undefined;
  /** A load is under way. */
  loading: boolean;
  /** Why the last load failed (an `AlloyError`, or a `TypeError` for a misuse). */
  error: Error | undefined;
}

/**
 * One list of the user's integrations for every `useIntegrations` of the page: loaded once, and
 * again after each change made through the widget (`subscribe('*')`), while anyone listens.
 */
let snapshot: IntegrationsSnapshot & { session: number } = { session: -1, data: undefined, loading: true, error: undefined };
/** What the server renders: loading. */
export const initial: IntegrationsSnapshot = { data: undefined, loading: true, error: undefined };
const listeners = new Set<() => void>();
/** The number of the latest load: only its answer counts. */
let latest = 0;
/** A change was made while nobody listened: load again on the next `ensure`. */
let stale = false;
/** The one `subscribe('*')` of the page is made (on the first listener, and kept). */
let listening = false;

function set(next: typeof snapshot) {
  snapshot = next;
  for (const listener of listeners) listener();
}

export const get = () => snapshot;

/** Loads the list for `session` (the provider's number; another one drops the list of the last). */
export function load(session = snapshot.session): Promise<void> {
  const mine = ++latest;
  if (session !== snapshot.session) set({ session, data: undefined, loading: true, error: undefined });
  else if (!snapshot.loading) set({ ...snapshot, loading: true });
  // Inside a promise: a misuse (no token yet) thrown at once becomes the `error` too.
  return new Promise<Integration[]>((resolve) => resolve(alloy.getIntegrations())).then(
    (data) => void (mine === latest && set({ session, data, loading: false, error: undefined })),
    (error: Error) => void (mine === latest && set({ ...snapshot, loading: false, error })),
  );
}

/** Loads unless the list is this session's and up to date. */
export function ensure(session: number): void {
  if (session === snapshot.session && !stale) return;
  stale = false;
  void load(session);
}

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  // One listener for the page, for good: a change while nobody shows the list marks it stale.
  if (!listening) alloy.subscribe('*', () => (listeners.size ? void load() : (stale = true)));
  listening = true;
  return () => void listeners.delete(listener);
}
