import type { Db, SqlExecutor } from './db';
import { newId } from '../ids';

/** Where a subscription is heading or has got to; `failed`: the runner gave up (a reinstall or a reactivation tries again). */
export type SubscriptionStatus = 'subscribing' | 'subscribed' | 'unsubscribing' | 'unsubscribed' | 'failed';

/** What one installation wants of an app, as the app trigger's lifecycle hooks say it (server/triggers/app.ts). */
export interface WantedSubscription {
  installationId: string;
  userId: string;
  connector: string;
  event: string;
  /** The account it is made with: the installation's. */
  credentialId: string | null;
  subscribed: boolean;
}

/** A subscription as the store keeps it, with its installation's URL token while the installation exists. */
export interface AppSubscription {
  id: string;
  installationId: string;
  userId: string;
  connector: string;
  event: string;
  credentialId: string | null;
  desired: 'subscribed' | 'unsubscribed';
  /** The installation no longer wants it (uninstalled, or moved to another event or account): deleted once removed at the app. */
  retired: boolean;
  /** Counts the changes of `desired`: an outcome for an older revision does not settle a newer one. */
  revision: number;
  status: SubscriptionStatus;
  /** The subscription's id at the app; null while it has none. */
  remoteId: string | null;
  destination: string | null;
  /** Encrypted with the vault; null until the first subscribe. */
  secret: string | null;
  attempts: number;
  /** When the runner is next due to work on it (epoch ms, the engine's clock); null when nothing is to be done. */
  nextAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  webhookToken: string | null;
}

interface Row {
  id: string;
  installation_id: string;
  user_id: string;
  connector: string;
  event: string;
  credential_id: string | null;
  desired: 'subscribed' | 'unsubscribed';
  retired: number | boolean;
  revision: number;
  status: SubscriptionStatus;
  remote_id: string | null;
  destination: string | null;
  secret: string | null;
  attempts: number;
  next_at: number | null;
  last_error: string | null;
  last_error_at: number | null;
  webhook_token?: string | null;
}

const COLUMNS =
  's.id, s.installation_id, s.user_id, s.connector, s.event, s.credential_id, s.desired, s.retired, s.revision, s.status, s.remote_id, s.destination, s.secret, s.attempts, s.next_at, s.last_error, s.last_error_at';
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const toSubscription = (r: Row): AppSubscription => ({
  id: r.id,
  installationId: r.installation_id,
  userId: r.user_id,
  connector: r.connector,
  event: r.event,
  credentialId: r.credential_id,
  desired: r.desired,
  retired: Boolean(Number(r.retired)),
  revision: Number(r.revision),
  status: r.status,
  remoteId: r.remote_id,
  destination: r.destination,
  secret: r.secret,
  attempts: Number(r.attempts),
  nextAt: num(r.next_at),
  lastError: r.last_error,
  lastErrorAt: num(r.last_error_at),
  webhookToken: r.webhook_token ?? null,
});

/**
 * The app trigger's subscriptions at the apps: what each installation wants, written by the
 * trigger's hooks in the installation's own transaction (never a call to the app in there), and
 * what the app has, written by the runner that makes one match the other (server/engine/subscriber.ts)
 * under a lease. A row outlives its installation until its subscription is removed at the app.
 */
export class Subscriptions {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly db: Db) {}

  /**
   * Tells `listener` (the runner beside this process's worker) when a want changes, so it looks at
   * once rather than at its next poll; returns the unsubscribe. On SQLite its read waits for the
   * change's commit; on PostgreSQL it may come first and see nothing, and the next poll does the work.
   */
  onWanted(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Records what an installation wants: its one current subscription (for this connector, event and
   * account) subscribed or not. A current one for anything else is retired, to be removed at the app.
   * A want that did not change changes nothing, unless the runner had given up on it: then it tries again.
   */
  async want(wanted: WantedSubscription, now: number, tx: SqlExecutor): Promise<void> {
    const rows = await tx.all<Row>(`SELECT ${COLUMNS} FROM app_subscriptions s WHERE s.installation_id = ? AND s.retired = 0`, [wanted.installationId]);
    let current: AppSubscription | undefined;
    for (const sub of rows.map(toSubscription)) {
      if (sub.connector === wanted.connector && sub.event === wanted.event && sub.credentialId === wanted.credentialId) current = sub;
      else await this.retireOne(sub.id, now, tx);
    }
    const desired = wanted.subscribed ? 'subscribed' : 'unsubscribed';
    if (!current) {
      // Nothing to do at the app for one that starts unsubscribed (installed paused).
      await tx.run(
        // Two processes planning one installation (subscriber.ts, at its first round): the second does nothing.
        `INSERT INTO app_subscriptions (id, installation_id, user_id, connector, event, credential_id, desired, status, next_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [
          newId(),
          wanted.installationId,
          wanted.userId,
          wanted.connector,
          wanted.event,
          wanted.credentialId,
          desired,
          wanted.subscribed ? 'subscribing' : 'unsubscribed',
          wanted.subscribed ? now : null,
          now,
          now,
        ],
      );
    } else if (current.desired !== desired || current.status === 'failed') {
      await tx.run(`UPDATE app_subscriptions SET desired = ?, revision = revision + 1, status = ?, attempts = 0, next_at = ?, updated_at = ? WHERE id = ?`, [
        desired,
        wanted.subscribed ? 'subscribing' : 'unsubscribing',
        now,
        now,
        current.id,
      ]);
    } else return;
    for (const listener of this.listeners) listener();
  }

  /** Retires an installation's current subscriptions (it is uninstalled, or its trigger is no longer an app's): each is removed at the app, then forgotten. */
  async retire(installationId: string, now: number, tx: SqlExecutor = this.db): Promise<void> {
    const rows = await tx.all<{ id: string }>('SELECT id FROM app_subscriptions WHERE installation_id = ? AND retired = 0', [installationId]);
    for (const { id } of rows) await this.retireOne(id, now, tx);
    if (rows.length > 0) for (const listener of this.listeners) listener();
  }

  private async retireOne(id: string, now: number, tx: SqlExecutor): Promise<void> {
    await tx.run(
      `UPDATE app_subscriptions SET retired = 1, desired = 'unsubscribed', revision = revision + 1, status = 'unsubscribing', attempts = 0, next_at = ?, updated_at = ? WHERE id = ?`,
      [now, now, id],
    );
  }

  /**
   * The ids of the active installations of a workflow version that have no current subscription
   * (installed before subscriptions were kept); read each again before planning it (Installations.activeAt).
   */
  async unplanned(workflowId: string, version: number): Promise<string[]> {
    const rows = await this.db.all<{ id: string }>(
      `SELECT i.id FROM installations i WHERE i.workflow_id = ? AND i.version = ? AND i.active = 1
       AND NOT EXISTS (SELECT 1 FROM app_subscriptions s WHERE s.installation_id = i.id AND s.retired = 0)`,
      [workflowId, version],
    );
    return rows.map((r) => r.id);
  }

  /** Makes due the subscriptions made to a URL that does not start with `prefix` (the server's public URL changed): each is made again to its new URL. */
  async moved(prefix: string, now: number): Promise<number> {
    const result = await this.db.run(
      `UPDATE app_subscriptions SET next_at = ?, updated_at = ? WHERE retired = 0 AND desired = 'subscribed' AND remote_id IS NOT NULL AND next_at IS NULL
       AND substr(destination, 1, ?) <> ?`,
      [now, now, prefix.length, prefix],
    );
    return result.changes;
  }

  /** The encrypted secret the deliveries of an installation's current subscription to `event` carry; undefined before its first subscribe. */
  async secretOf(installationId: string, event: string): Promise<string | undefined> {
    const row = await this.db.get<{ secret: string | null }>('SELECT secret FROM app_subscriptions WHERE installation_id = ? AND event = ? AND retired = 0', [
      installationId,
      event,
    ]);
    return row?.secret ?? undefined;
  }

  /** Every subscription of an installation, retired ones included (oldest first): what was asked of the app, and how that went. */
  async ofInstallation(installationId: string): Promise<AppSubscription[]> {
    const rows = await this.db.all<Row>(`SELECT ${COLUMNS} FROM app_subscriptions s WHERE s.installation_id = ? ORDER BY s.created_at, s.id`, [installationId]);
    return rows.map(toSubscription);
  }

  /**
   * Up to `limit` subscriptions due at `now` and not leased, the longest due first, each with its
   * installation's URL token. Without `subscribe` (this process does not know its public URL), only
   * those that need no URL: removals.
   */
  async due(now: number, limit: number, options: { subscribe: boolean }): Promise<AppSubscription[]> {
    const removalsOnly = options.subscribe ? '' : `AND NOT (s.desired = 'subscribed' AND s.retired = 0 AND s.remote_id IS NULL)`;
    const rows = await this.db.all<Row>(
      `SELECT ${COLUMNS}, i.webhook_token FROM app_subscriptions s LEFT JOIN installations i ON i.id = s.installation_id
       WHERE s.next_at IS NOT NULL AND s.next_at <= ? AND (s.lease_until IS NULL OR s.lease_until <= ?) ${removalsOnly}
       ORDER BY s.next_at LIMIT ?`,
      [now, now, limit],
    );
    return rows.map(toSubscription);
  }

  /** Takes a due subscription until `until`, only as it was read (same revision, still due, not leased): false when another process has it, or it changed. */
  async lease(sub: AppSubscription, until: number, now: number): Promise<boolean> {
    const result = await this.db.run(
      `UPDATE app_subscriptions SET lease_until = ? WHERE id = ? AND revision = ? AND next_at IS NOT NULL AND next_at <= ? AND (lease_until IS NULL OR lease_until <= ?)`,
      [until, sub.id, sub.revision, now, now],
    );
    return result.changes > 0;
  }

  /** Keeps the (encrypted) secret a subscription's deliveries will carry, before the app is asked: every retry sends the same. */
  async keepSecret(id: string, secret: string): Promise<void> {
    await this.db.run('UPDATE app_subscriptions SET secret = ? WHERE id = ? AND secret IS NULL', [secret, id]);
  }

  /** Replaces the (encrypted) secret with the one the app made on subscribe (or the account's), which its deliveries are signed with. */
  async replaceSecret(id: string, secret: string): Promise<void> {
    await this.db.run('UPDATE app_subscriptions SET secret = ? WHERE id = ?', [secret, id]);
  }

  /**
   * Records what the app has now (`remoteId` null: no subscription) and releases the lease. Done,
   * unless `desired` changed meanwhile (then due again at once); a retired one that the app no
   * longer has is forgotten.
   */
  async settle(sub: AppSubscription, outcome: { remoteId: string | null; destination: string | null }, now: number): Promise<void> {
    if (sub.retired && outcome.remoteId === null) {
      if ((await this.db.run('DELETE FROM app_subscriptions WHERE id = ? AND revision = ?', [sub.id, sub.revision])).changes > 0) return;
    }
    const status: SubscriptionStatus = outcome.remoteId === null ? 'unsubscribed' : 'subscribed';
    await this.db.run(
      `UPDATE app_subscriptions SET remote_id = ?, destination = ?, lease_until = NULL, last_error = NULL, last_error_at = NULL, updated_at = ?,
         status = CASE WHEN revision = ? THEN ? ELSE status END,
         attempts = CASE WHEN revision = ? THEN 0 ELSE attempts END,
         next_at = CASE WHEN revision = ? THEN NULL ELSE CAST(? AS BIGINT) END
       WHERE id = ?`,
      [outcome.remoteId, outcome.destination, now, sub.revision, status, sub.revision, sub.revision, now, sub.id],
    );
  }

  /**
   * Records a failed try and releases the lease: due again at `retryAt`, or given up (`failed`) when
   * it is null. When `desired` changed meanwhile, due again at once, with its attempts counted anew.
   */
  async failed(sub: AppSubscription, error: string, retryAt: number | null, now: number): Promise<void> {
    await this.db.run(
      `UPDATE app_subscriptions SET lease_until = NULL, last_error = ?, last_error_at = ?, updated_at = ?,
         attempts = CASE WHEN revision = ? THEN attempts + 1 ELSE 0 END,
         status = CASE WHEN revision = ? THEN ? ELSE status END,
         next_at = CASE WHEN revision = ? THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END
       WHERE id = ?`,
      [error, now, now, sub.revision, sub.revision, retryAt === null ? 'failed' : sub.status, sub.revision, retryAt, now, sub.id],
    );
  }
}
