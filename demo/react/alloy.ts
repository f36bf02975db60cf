// window.Alloy's type, from the widget's own source: a type-only import, so nothing of widget/ is
// bundled into this app. The widget itself comes from <script src="/widget/alloy.js"> in index.html.
import type * as AlloyApi from '../../widget/index';

declare global {
  interface Window {
    Alloy: typeof AlloyApi;
  }
}

export type { InstallResultCallback, SendResult } from '../../widget/index';

/** A JSON call to AcmeCo's backend; rejects with the server's own message. */
export async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
  return body as T;
}

export const post = <T>(url: string, body: unknown) => call<T>(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The user token, minted by AcmeCo's backend with the API key (which never reaches the page). */
export const fetchToken = async () => (await call<{ token: string }>('/demo/session')).token;

export const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** What a run answer means for the user. */
export function ran(result: { executionIds?: string[] }, what: string): string {
  const n = result.executionIds?.length ?? 0;
  return n ? `${what}: ${n} workflow${n === 1 ? '' : 's'} running.` : `${what}, but no installed integration listens to it yet: install one first.`;
}
