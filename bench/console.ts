/**
 * 7. Console lists: the console's list pages at 100,000 executions (loaded in bulk with SQL, spread
 *    over a week), each asked 25 times through the app in this process, so the time is the
 *    server's (routing, session, queries, JSON) without a network. p50 and p99 per page.
 */
import { createApp } from '../server/app';
import { loadConfig } from '../server/config';
import { startServices } from '../server/services';
import { loadExecutions } from '../test/helpers/bulk-executions';
import { API_KEY, mark, ms, openBenchStore, quantile, type Row, type StoreKind } from './common';

const CALLS = 25;
/** What the console's pages ask for first (the overview's week reads every execution of the week: the slow one). */
const PAGES: Array<[name: string, url: string]> = [
  ['executions', '/console/api/executions'],
  ['executions, failed', '/console/api/executions?status=failed'],
  ['executions of a user', '/console/api/executions?userId=bulk-user-00000042'],
  ['an execution', '/console/api/executions/bulk-x-00050000'],
  ['users, by prefix', '/console/api/users?q=bulk-000004'],
  ['errors, day', '/console/api/errors?window=day'],
  ['deliveries, lifecycle', '/console/api/deliveries?stream=lifecycle'],
  ['overview, hour', '/console/api/overview?window=hour'],
  ['overview, day', '/console/api/overview?window=day'],
  ['overview, week', '/console/api/overview?window=week'],
];

export interface ConsoleResult {
  store: StoreKind;
  pages: Array<{ name: string; p50: number; p99: number }>;
}

export async function consoleLists(kind: StoreKind, pgUrl?: string): Promise<ConsoleResult> {
  const store = await openBenchStore(kind, pgUrl);
  const config = loadConfig({ ALLOY_API_KEY: API_KEY, WORKERS: 'off', ...store.env });
  const { services } = await startServices(config);
  try {
    await loadExecutions(services.store.db);
    const app = createApp(services);
    const signIn = await app.request('http://localhost/console/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: API_KEY }),
    });
    if (signIn.status !== 201) throw new Error(`console sign-in: ${signIn.status} ${await signIn.text()}`);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const pages = [];
    for (const [name, url] of PAGES) {
      const times: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        const started = performance.now();
        const res = await app.request(`http://localhost${url}`, { headers: { cookie } });
        await res.arrayBuffer();
        times.push(performance.now() - started);
        if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
      }
      pages.push({ name, p50: quantile(times, 0.5), p99: quantile(times, 0.99) });
    }
    return { store: kind, pages };
  } finally {
    await services.engine.stop();
    await services.store.close();
    await store.dispose();
  }
}

export function consoleRows(results: ConsoleResult[]): Row[] {
  return results.flatMap((r) =>
    r.pages.map((p): Row => [
      `${r.store} console at 100,000 executions: ${p.name}`,
      `p50 ${ms(p.p50, 1)} · p99 ${ms(p.p99, 1)}`,
      'server time, 25 calls',
      'p99 < 1 s (a page interactive in < 1 s)',
      mark(p.p99 < 1000),
    ]),
  );
}
