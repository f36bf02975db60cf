// The console's typed client for /console/api (the contract: docs/console.md). The session is the
// HttpOnly cookie the server set at sign-in; the page holds only the CSRF token, in this module's
// memory, and asks GET /console/api/session for it again after a reload. The API key is sent once,
// to POST /console/session, and kept nowhere.

import type { z } from 'zod';
// Types only (erased from the bundle): the wire shapes are the server's own zod schemas, so a
// change there that the console does not follow fails the type-check.
import type * as C from '../server/domain/console/schemas';

export type Window = C.Window;
export const WINDOWS: Window[] = ['hour', 'day', 'week'];
export type ExecutionStatus = z.infer<typeof C.ExecutionStatus>;
export const EXECUTION_STATUSES: ExecutionStatus[] = ['queued', 'running', 'succeeded', 'skipped', 'failed'];
export type DeliveryStream = z.infer<typeof C.DeliveriesQuery>['stream'];
export const DELIVERY_STATUSES: Array<NonNullable<z.infer<typeof C.DeliveriesQuery>['status']>> = ['pending', 'delivered', 'failed'];

export type Session = z.infer<typeof C.SessionView>;
export type Overview = z.infer<typeof C.Overview>;
export type UserRow = z.infer<typeof C.UserRow>;
export type UserDetail = z.infer<typeof C.UserDetail>;
export type ExecutionSummary = z.infer<typeof C.ExecutionSummary>;
export type ExecutionDetail = z.infer<typeof C.ExecutionDetail>;
export type Step = z.infer<typeof C.StepView>;
export type ErrorGroup = z.infer<typeof C.ErrorGroup>;
export type Definition = z.infer<typeof C.Definitions>['data'][number];
export type Diff = z.infer<typeof C.Diff>;
export type Delivery = z.infer<typeof C.Delivery>;
export type VersionInstallation = z.infer<typeof C.VersionInstallationsPage>['data'][number];

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** A refused call, with the server's own words; `retryAfterSeconds` from a 429's `Retry-After`. */
export class ConsoleError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
/** Told when the session is found gone (a 401): the app shows the sign-in page. */
let onSignedOut: () => void = () => {};
export const whenSignedOut = (listener: () => void) => void (onSignedOut = listener);

async function send<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ConsoleError(0, 'network', 'Could not reach the server.');
  }
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => ({}))) as T & { error?: { code?: string; message?: string } };
  if (res.ok) return json;
  const retryAfter = Number(res.headers.get('retry-after'));
  throw new ConsoleError(res.status, json.error?.code ?? String(res.status), json.error?.message ?? `The server answered ${res.status}.`, retryAfter > 0 ? retryAfter : undefined);
}

/** A call to /console/api; a 401 means the session ended (expired, signed out elsewhere): back to sign-in. */
async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  try {
    return await send<T>(method, `/console/api${path}`, body);
  } catch (err) {
    if (err instanceof ConsoleError && err.status === 401) {
      csrfToken = undefined;
      onSignedOut();
    }
    throw err;
  }
}

/** A query string from the fields that have a value. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
}

const id = encodeURIComponent;

export const api = {
  /** Exchanges the key for the session cookie; the key goes no further than this request. */
  async signIn(apiKey: string): Promise<Session> {
    const session = await send<Session>('POST', '/console/session', { apiKey });
    csrfToken = session.csrfToken;
    return session;
  },
  /** The live session, if the cookie still has one (after a reload); undefined otherwise. */
  async restore(): Promise<Session | undefined> {
    try {
      const session = await send<Session>('GET', '/console/api/session');
      csrfToken = session.csrfToken;
      return session;
    } catch (err) {
      if (err instanceof ConsoleError && err.status === 401) return undefined;
      throw err;
    }
  },
  async signOut(): Promise<void> {
    try {
      await send('DELETE', '/console/session');
    } catch (err) {
      // Already gone (expired): signed out all the same.
      if (!(err instanceof ConsoleError && err.status === 401)) throw err;
    }
    csrfToken = undefined;
  },
  overview: (window: Window, workflowId?: string) => call<Overview>('GET', `/overview${query({ window, workflowId })}`),
  users: (q: { q?: string; cursor?: string; limit?: number }) => call<Page<UserRow>>('GET', `/users${query(q)}`),
  user: (userId: string) => call<UserDetail>('GET', `/users/${id(userId)}`),
  executions: (q: { workflowId?: string; userId?: string; status?: string; from?: string; to?: string; cursor?: string; limit?: number }) =>
    call<Page<ExecutionSummary>>('GET', `/executions${query(q)}`),
  execution: (executionId: string) => call<ExecutionDetail>('GET', `/executions/${id(executionId)}`),
  rerun: (executionId: string, from: 'start' | 'failed') => call<z.infer<typeof C.RerunResponse>>('POST', `/executions/${id(executionId)}/rerun`, { from }),
  errors: (q: { workflowId?: string; window: Window; cursor?: string }) => call<Page<ErrorGroup>>('GET', `/errors${query(q)}`),
  replay: (groupId: string, dryRun: boolean) => call<z.infer<typeof C.GroupReplayResponse>>('POST', '/errors/replay', { groupId, dryRun }),
  definitions: () => call<z.infer<typeof C.Definitions>>('GET', '/definitions'),
  diff: (workflowId: string, from: number, to: number) => call<Diff>('GET', `/definitions/${id(workflowId)}/diff${query({ from, to })}`),
  versionInstallations: (workflowId: string, version: number, cursor?: string) =>
    call<Page<VersionInstallation>>('GET', `/definitions/${id(workflowId)}/versions/${version}/installations${query({ cursor })}`),
  deliveries: (q: { stream: DeliveryStream; status?: string; cursor?: string; limit?: number }) => call<z.infer<typeof C.DeliveriesPage>>('GET', `/deliveries${query(q)}`),
  redeliver: (deliveryId: string) => call<z.infer<typeof C.RedeliverResponse>>('POST', `/deliveries/${id(deliveryId)}/redeliver`),
};
