import type { Config } from '../config';
import type { ConnectorSettings } from '../connectors/types';
import type { Vault } from '../secrets';
import type { Store } from '../store';
import { ErrorNotifier } from './error-webhook';
import type { ExecutorDeps } from './executor';
import { createHttpClient } from './http';
import { LifecycleWebhookSender } from './lifecycle-webhook';
import { RefreshSweep } from './refresh-sweep';
import { engineClock } from './scheduler';
import { TRIGGER_TYPES, triggerModule, type TriggerRunner, type TriggerType } from '../triggers';
import { triggerHooks } from '../triggers/lifecycle';
import { ReplayRunner } from './replay';
import { Worker } from './worker';

export interface Engine {
  deps: ExecutorDeps;
  worker?: Worker;
  /** Beside the worker when ALLOY_ERROR_WEBHOOK_URL is set: sends the error log's notices. */
  notifier?: ErrorNotifier;
  /** Beside the worker: refreshes OAuth tokens ahead of their expiry (OAUTH_REFRESH_AHEAD_MS). */
  sweep?: RefreshSweep;
  /** Beside the worker when ALLOY_EVENTS_WEBHOOK_URL is set: sends the lifecycle messages. */
  lifecycle?: LifecycleWebhookSender;
  /** Beside the worker: requeues the running bulk replay's executions at REPLAY_RATE_PER_SECOND (docs/replay.md). */
  replays?: ReplayRunner;
  /** Beside the worker: the trigger types' runners (the schedule's), by type. */
  runners: Map<TriggerType, TriggerRunner>;
  /** Epoch milliseconds: Date.now, except in tests that drive it (ALLOY_TEST_CLOCK_FILE). */
  now(): number;
  /** Tells the local worker there is new work (no-op without one). */
  wake(): void;
  /** Stops every loop; the worker's running executions get `graceMs` (default 10 s) to finish, the rest are given back. */
  stop(graceMs?: number): Promise<void>;
}

/** The engine's parts from the configuration: HTTP client, connector settings, and a worker when asked. */
export function createEngine(config: Config, store: Store, vault: Vault, webhookSecret: string, options: { worker: boolean }): Engine {
  // Every outbound call is refused a private address unless ALLOY_ALLOW_PRIVATE_URLS=true, checked
  // as it connects; the apps' API URLs the operator set (SLACK_API_URL…) are trusted as they are.
  const http = createHttpClient({
    timeoutMs: config.httpTimeoutMs,
    maxResponseBytes: config.httpMaxResponseBytes,
    allowPrivate: config.allowPrivateUrls,
    // A base whose host comes from the account (`https://{{credential.shop}}.myshopify.com`) is not the operator's choice: not trusted.
    trustedOrigins: Object.values(config.apiUrls).filter((url) => !url.includes('{{')),
  });
  const settings: ConnectorSettings = {
    apiUrls: config.apiUrls,
    webhookSecret,
    allowPrivateUrls: config.allowPrivateUrls,
    oauthClients: config.oauthClients,
    // A server without PUBLIC_URL fills this in once it listens (server/index.ts).
    selfUrl: config.publicUrl,
  };
  // Beside the worker: executions fail only where one runs.
  const notifier =
    options.worker && config.errorWebhookUrl
      ? new ErrorNotifier(store, http, { url: config.errorWebhookUrl, secret: webhookSecret, retrySchedule: config.retrySchedule, leaseMs: config.leaseMs })
      : undefined;
  // Beside the worker too: any process may store a message (an API call's change), and the
  // processes that run workers send them, taking each from the store.
  const lifecycle =
    options.worker && config.eventsWebhookUrl
      ? new LifecycleWebhookSender(store, http, {
          url: config.eventsWebhookUrl,
          secret: webhookSecret,
          retrySchedule: config.retrySchedule,
          leaseMs: config.leaseMs,
          disableAfterMs: config.eventsWebhookDisableAfterDays * 86_400_000,
        })
      : undefined;
  const deps: ExecutorDeps = {
    store,
    vault,
    http,
    settings,
    retrySchedule: config.retrySchedule,
    retryAfterMaxMs: config.retryAfterMaxMs,
    connectorThrottles: config.connectorThrottles,
    errorNotifier: notifier,
  };
  const worker = options.worker
    ? new Worker(deps, {
        concurrency: config.workerConcurrency,
        userConcurrency: config.userConcurrency,
        leaseMs: config.leaseMs,
      })
    : undefined;
  worker?.start();
  notifier?.start();
  // Beside the worker: tokens about to expire are refreshed before an execution needs them.
  const sweep = options.worker ? new RefreshSweep(deps, config.refreshAheadMs) : undefined;
  sweep?.start();
  const replays = worker ? new ReplayRunner(store, { ratePerSecond: config.replayRatePerSecond, leaseMs: config.leaseMs, onRequeued: () => worker.wake() }) : undefined;
  replays?.start();
  lifecycle?.start();
  // Every process that changes installations tells the trigger types, in the change's transaction.
  const now = engineClock(config.testClockFile);
  store.installations.onChange(triggerHooks(store, now));
  // Beside the worker: the trigger types' own loops (the schedule's clock).
  const runners = new Map<TriggerType, TriggerRunner>();
  if (worker) {
    const runnerDeps = { store, now, wake: () => worker.wake(), pollMs: config.testClockFile ? 100 : 1000, apps: deps };
    for (const type of TRIGGER_TYPES) {
      const runner = triggerModule(type).runner?.(runnerDeps);
      if (runner) runners.set(type, runner);
    }
  }
  for (const runner of runners.values()) runner.start();
  // New executions go straight to this worker while it has room (server/store/events.ts).
  if (worker) store.events.dispatchTo(worker);
  // Scaled out on PostgreSQL, events committed by any process wake this worker at once.
  const unsubscribe = worker && store.db.onNewWork?.(() => worker.wake());
  return {
    deps,
    worker,
    notifier,
    sweep,
    lifecycle,
    replays,
    runners,
    now,
    wake: () => worker?.wake(),
    async stop(graceMs) {
      if (worker) store.events.dispatchTo(undefined);
      unsubscribe?.();
      store.installations.onChange(undefined);
      const [released] = await Promise.all([
        worker?.stop(graceMs),
        ...[...runners.values()].map((r) => r.stop()),
        notifier?.stop(),
        lifecycle?.stop(),
        sweep?.stop(),
        replays?.stop(),
      ]);
      // Executions given back may still wait on an app's answer, which no longer counts: cut their calls (a close would wait for them).
      await http.close(Boolean(released));
    },
  };
}
