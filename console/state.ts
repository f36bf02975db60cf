import { query } from './api';
import { cells } from '../widget/state/cells';

/** Where the console is mounted: every client route is under it. */
export const BASE = '/console';

export interface Route {
  /** The path under BASE, without a trailing slash: '' (overview), '/users', '/executions/abc'… */
  path: string;
  query: URLSearchParams;
}

export type SessionState = 'unknown' | 'signed-in' | 'signed-out';

function current(): Route {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length).replace(/\/+$/, '') : '';
  return { path, query: new URLSearchParams(location.search) };
}

/**
 * The console's shared state: the route (from the address bar, so a view can be shared and back
 * and forward work), the session, and what the live region says. One group: the app re-renders on
 * any change (widget/state/cells.ts).
 */
const group = cells();
export const watch = group.watch;
export const route = group.cell<Route>(current());
export const session = group.cell<SessionState>('unknown');
/** Why the sign-in page is shown (signed out, session expired), read by it once. */
export const signInNote = group.cell('');
/** The polite live region's text: results loaded, an action done. */
export const announcement = group.cell('');

export const announce = (text: string) => {
  // The same words twice are still news: clear first so the region changes.
  announcement.value = '';
  queueMicrotask(() => (announcement.value = text));
};

/** Goes to `href` (a path under BASE, with its query) as a new history entry, or in place of this one. */
export function navigate(href: string, replace = false) {
  // The same address again (Apply with unchanged filters) is not a new step for Back.
  if (replace || href === location.pathname + location.search) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  route.value = current();
}

window.addEventListener('popstate', () => (route.value = current()));

/** A console address: `href('/executions', { status: 'failed' })`. */
export function href(path: string, params: Record<string, string | number | undefined | null> = {}): string {
  return `${BASE}${path}${query(params)}`;
}
