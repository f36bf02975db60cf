import { findConnector } from '../connectors';
import type { Connector, OptionContext } from '../connectors/types';
import { isStoreUnavailable } from '../errors';
import { newSecretToken } from '../ids';
import type { AppSubscription } from '../store/subscriptions';
import type { TriggerRunnerDeps } from '../triggers/types';
import { NonRetriableError, RetryAfterError } from './errors';
import { CREDENTIAL_DELETED } from './executor';
import { usableCredential } from './oauth';
import { redact } from './redact';
import { RoundLoop } from './round-loop';
import { logger } from '../observability/log';

/** Subscriptions taken per query; a full batch makes it look again at once. */
const BATCH = 20;
/** How long one process holds a subscription it works on, by the engine's clock: one killed mid-call holds it no longer. */
export const SUBSCRIPTION_LEASE_MS = 5 * 60_000;
/** The delay before each retry of a failed subscribe or unsubscribe (longer if the app's Retry-After says so); past the last, it is given up. */
export const SUBSCRIPTION_RETRY_DELAYS_MS = [10_000, 60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 24 * 3_600_000];
const MAX_ERROR_CHARS = 2000;

/**
 * The app trigger's runner, beside each worker: it makes the subscriptions at the apps match what
 * the installations want (server/store/subscriptions.ts), subscribing the installation's URL
 * (`<public URL>/hooks/<token>`) with a secret of its own, kept encrypted before the app is asked,
 * and removing the subscriptions of deactivated and uninstalled ones. Several processes may run
 * one: each takes a subscription under a lease, only as it read it. A failed call is tried again
 * on SUBSCRIPTION_RETRY_DELAYS_MS, its error kept on the subscription; a refusal (a 4xx, a deleted
 * account) is given up at once. A process that does not know its public URL (a worker without
 * PUBLIC_URL) only removes. At its first round it plans the active installations that have no
 * subscription (installed before subscriptions were kept), and whenever it learns the public URL,
 * the subscriptions made to another URL are made again to this one. Its clock is `deps.now`, so
 * tests drive it instead of waiting.
 */
export class Subscriber extends RoundLoop {
  private unwatch: (() => void) | undefined;
  private planned = false;
  /** The public URL the subscriptions were last checked against: when it changes, those made to another are made again. */
  private checkedUrl: string | undefined;

  constructor(deps: TriggerRunnerDeps) {
    super(deps, 'app subscriptions', 'subscriptions');
  }

  // A want changed by this process is worked on at once, not at the next poll.
  protected override started(): void {
    this.unwatch = this.deps.store.subscriptions.onWanted(() => this.soon());
  }

  protected override stopped(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  protected async round(): Promise<void> {
    const { store, apps } = this.deps;
    if (!this.planned) await this.planUnplanned();
    const base = apps.settings.selfUrl?.replace(/\/$/, '');
    if (base && base !== this.checkedUrl) {
      const moved = await store.subscriptions.moved(`${base}/hooks/`, this.deps.now());
      if (moved > 0) logger.info(`app subscriptions: the public URL is now ${base}: moving ${moved} subscription${moved === 1 ? '' : 's'} to it`);
      this.checkedUrl = base;
    }
    for (;;) {
      const now = this.deps.now();
      const due = await store.subscriptions.due(now, BATCH, { subscribe: Boolean(base) });
      for (const sub of due) await this.work(sub, now);
      if (due.length < BATCH) break;
    }
  }

  /** Plans the active installations of app-triggered workflows that have no subscription (installed before subscriptions were kept). */
  private async planUnplanned(): Promise<void> {
    const { store } = this.deps;
    let count = 0;
    for (const version of await store.versions.all()) {
      const { trigger } = version.definition;
      if (trigger.type !== 'app') continue;
      const connector = findConnector(trigger.connector);
      if (!connector?.webhooks) continue;
      for (const installationId of await store.subscriptions.unplanned(version.workflowId, version.version)) {
        // Read again, locked, in the transaction that plans it: a change since (an upgrade, a
        // deactivation, another account) has made its own plan, which this one must not undo.
        const planned = await store.db.transaction(async (tx) => {
          const installation = await store.installations.activeAt(installationId, version.version, tx);
          if (!installation) return false;
          const { userId, credentialIds } = installation;
          const wanted = { installationId, userId, connector: connector.id, event: trigger.event, credentialId: credentialIds[0] ?? null, subscribed: true };
          await store.subscriptions.want(wanted, this.deps.now(), tx);
          return true;
        });
        if (planned) count++;
      }
    }
    if (count > 0) logger.info(`app subscriptions: planned the subscriptions of ${count} active installation${count === 1 ? '' : 's'} that had none`);
    this.planned = true;
  }

  private async work(sub: AppSubscription, now: number): Promise<void> {
    const { store } = this.deps;
    if (!(await store.subscriptions.lease(sub, now + SUBSCRIPTION_LEASE_MS, now))) return; // another process has it, or it changed
    const secrets: string[] = [];
    try {
      await store.subscriptions.settle(sub, await this.converge(sub, secrets), this.deps.now());
    } catch (err) {
      if (isStoreUnavailable(err)) throw err; // the lease lapses and the work is taken again
      const message = (redact(err instanceof Error ? err.message : String(err), secrets) as string).slice(0, MAX_ERROR_CHARS);
      const delay = SUBSCRIPTION_RETRY_DELAYS_MS[sub.attempts];
      const asked = err instanceof RetryAfterError ? (err.retryAfterMs ?? 0) : 0;
      const retryAt = err instanceof NonRetriableError || delay === undefined ? null : now + Math.max(delay, asked);
      await store.subscriptions.failed(sub, message, retryAt, this.deps.now());
      const what = `${sub.desired === 'subscribed' && !sub.retired ? 'subscribing' : 'unsubscribing'} installation ${sub.installationId} to ${sub.connector} ${sub.event}`;
      logger.warn(`app subscriptions: ${what} failed (${message}); ${retryAt === null ? 'given up' : `trying again at ${new Date(retryAt).toISOString()}`}`);
    }
  }

  /** Makes the app's side match the wanted one; resolves with what the app has now. */
  private async converge(sub: AppSubscription, secrets: string[]): Promise<{ remoteId: string | null; destination: string | null }> {
    const { store, apps } = this.deps;
    if (sub.desired === 'subscribed' && !sub.retired && sub.webhookToken === null) {
      // Its installation went without its hooks being told: nothing wants it now.
      await store.subscriptions.retire(sub.installationId, this.deps.now());
      return { remoteId: sub.remoteId, destination: sub.destination };
    }
    const wanted = sub.desired === 'subscribed' && !sub.retired;
    const base = apps.settings.selfUrl?.replace(/\/$/, '');
    const url = base === undefined ? undefined : `${base}/hooks/${sub.webhookToken}`;
    // Made already, to this URL (or this process cannot tell: it does not know the public URL).
    if (wanted && sub.remoteId !== null && (url === undefined || sub.destination === url)) return { remoteId: sub.remoteId, destination: sub.destination };
    if (!wanted && sub.remoteId === null) return { remoteId: null, destination: null };
    const connector = findConnector(sub.connector);
    const webhooks = connector?.webhooks;
    if (!connector || !webhooks) throw new NonRetriableError(`the connector "${sub.connector}" no longer subscribes to its app's events`);
    const ctx = await this.account(sub, connector, wanted);
    secrets.push(...Object.values(ctx.credential ?? {}));
    if (!wanted) {
      await webhooks.unsubscribe(ctx, sub.remoteId!);
      return { remoteId: null, destination: null };
    }
    if (url === undefined) throw new RetryAfterError('this process does not know the server’s public URL (set PUBLIC_URL)');
    let secret = sub.secret === null ? undefined : apps.vault.decrypt(sub.secret);
    if (secret === undefined) {
      // Kept before the app is asked: a retry after a lost answer sends the same one.
      secret = newSecretToken();
      await store.subscriptions.keepSecret(sub.id, apps.vault.encrypt(secret));
    }
    secrets.push(secret);
    const made = await webhooks.subscribe(ctx, { event: sub.event, url, secret });
    const { subscriptionId } = made;
    // The app made the signing secret itself (or it is the account's): deliveries are checked against that one.
    if (made.secret !== undefined && made.secret !== secret) {
      secrets.push(made.secret);
      await store.subscriptions.replaceSecret(sub.id, apps.vault.encrypt(made.secret));
    }
    // Moved (the public URL changed): the subscription to the old URL goes once the new one is made.
    if (sub.remoteId !== null && sub.remoteId !== subscriptionId) await webhooks.unsubscribe(ctx, sub.remoteId);
    return { remoteId: subscriptionId, destination: url };
  }

  /** What calling the app takes: the account the subscription is (or was) made with, opened (an OAuth token refreshed if due). */
  private async account(sub: AppSubscription, connector: Connector, wanted: boolean): Promise<OptionContext> {
    const { apps } = this.deps;
    const credential = sub.credentialId ? await usableCredential(apps, sub.userId, sub.credentialId) : undefined;
    if (!credential) {
      if (wanted) throw new NonRetriableError(sub.credentialId ? CREDENTIAL_DELETED : `the installation has no ${connector.name} account`);
      throw new NonRetriableError(`the ${connector.name} account it was made with was deleted: remove subscription ${sub.remoteId} in ${connector.name} by hand`);
    }
    if (credential.app !== connector.id) throw new NonRetriableError(`the installation's account is not a ${connector.name} account`);
    return { http: apps.http, settings: apps.settings, credential: credential.data as Record<string, string> };
  }
}
