import type { Db, SqlExecutor } from './db';
import { newId, newSecretToken } from '../ids';

export interface Installation {
  installationId: string;
  userId: string;
  integrationId: string;
  workflowId: string;
  version: number;
  config: Record<string, unknown>;
  credentialIds: string[];
  active: boolean;
  webhookToken: string | null;
  installedAt: string;
  updatedAt: string;
}

export interface InstallationRow {
  id: string;
  user_id: string;
  integration_id: string;
  workflow_id: string;
  version: number;
  config: string;
  credential_ids: string;
  active: number | boolean;
  webhook_token: string | null;
  installed_at: number;
  updated_at: number;
}

/** InstallationRow's columns, named: the executions' inputs query (prepared on PostgreSQL) reads them too, and a prepared `SELECT *` would fail once a migration adds a column. */
export const COLUMNS = 'id, user_id, integration_id, workflow_id, version, config, credential_ids, active, webhook_token, installed_at, updated_at';
/** COLUMNS of the table known as `alias` in a join (`i.id, i.user_id, …`). */
export const columnsOf = (alias: string): string =>
  COLUMNS.split(', ')
    .map((c) => `${alias}.${c}`)
    .join(', ');

export const toInstallation = (r: InstallationRow): Installation => ({
  installationId: r.id,
  userId: r.user_id,
  integrationId: r.integration_id,
  workflowId: r.workflow_id,
  version: Number(r.version),
  config: JSON.parse(r.config) as Record<string, unknown>,
  credentialIds: JSON.parse(r.credential_ids) as string[],
  active: Boolean(Number(r.active)),
  webhookToken: r.webhook_token,
  installedAt: new Date(Number(r.installed_at)).toISOString(),
  updatedAt: new Date(Number(r.updated_at)).toISOString(),
});

export interface InstallationInput {
  /** Id for a new installation (a reinstall keeps the existing one); generated when not given. */
  id?: string;
  /** Defaults to true: installing (or reinstalling) activates. */
  active?: boolean;
  integrationId: string;
  workflowId: string;
  version: number;
  config: Record<string, unknown>;
  credentialIds: string[];
  /** Webhook-triggered workflows get an unguessable inbound URL token. */
  needsWebhookToken: boolean;
}

/**
 * What a change may do in its own transaction before it commits (tell of it: server/domain/lifecycle.ts),
 * given what it changed; it is not called when nothing changed.
 */
export type Then<T> = (tx: SqlExecutor, changed: T) => Promise<unknown>;

/** One installation before and after a change: no `before` when it is new, no `after` when it was deleted. */
export interface InstallationChange {
  before?: Installation;
  after?: Installation;
}

/** Told of the changes to installations in the transaction that makes them, before `then`. */
export type InstallationListener = (tx: SqlExecutor, changes: readonly InstallationChange[]) => Promise<void>;

/** A user's installed copies of workflows. Every query is scoped to one user. */
export class Installations {
  private listener: InstallationListener | undefined;

  constructor(private readonly db: Db) {}

  /**
   * Sets what is told of every change (the trigger types' lifecycle hooks, registered by the
   * engine: server/triggers/lifecycle.ts); its writes commit or roll back with the change.
   */
  onChange(listener: InstallationListener | undefined): void {
    this.listener = listener;
  }

  async list(userId: string, executor: SqlExecutor = this.db): Promise<Installation[]> {
    const rows = await executor.all<InstallationRow>('SELECT * FROM installations WHERE user_id = ? ORDER BY installed_at, id', [userId]);
    return rows.map(toInstallation);
  }

  /** Every user's installations, for the account-wide list (GET /installations). */
  async listAll(): Promise<Installation[]> {
    const rows = await this.db.all<InstallationRow>(`SELECT ${COLUMNS} FROM installations ORDER BY installed_at, id`);
    return rows.map(toInstallation);
  }

  async find(userId: string, workflowId: string): Promise<Installation | undefined> {
    const row = await this.db.get<InstallationRow>('SELECT * FROM installations WHERE user_id = ? AND workflow_id = ?', [userId, workflowId]);
    return row && toInstallation(row);
  }

  async findById(userId: string, installationId: string): Promise<Installation | undefined> {
    const row = await this.db.get<InstallationRow>(`SELECT ${COLUMNS} FROM installations WHERE user_id = ? AND id = ?`, [userId, installationId]);
    return row && toInstallation(row);
  }

  /**
   * The installation, if it is still active at `version` of its workflow, read in `tx`. On
   * PostgreSQL it is locked (FOR SHARE) until `tx` ends: a change in flight is waited for and read
   * as committed, and a change to come waits. For work planned from an earlier read, such as a
   * runner's first round planning the installations that have no plan.
   */
  async activeAt(installationId: string, version: number, tx: SqlExecutor): Promise<Installation | undefined> {
    const lock = this.db.dialect === 'postgres' ? ' FOR SHARE' : '';
    const row = await tx.get<InstallationRow>(`SELECT ${COLUMNS} FROM installations WHERE id = ? AND version = ? AND active = 1${lock}`, [installationId, version]);
    return row && toInstallation(row);
  }

  /**
   * Installs (or reinstalls, reconfigures) workflows for a user in one transaction. A reinstall
   * keeps the installation id and webhook URL, and moves it to the given version, active unless
   * the input says otherwise (a reconfiguration keeps a paused installation paused). `then` is
   * told which are new (`created`) and which were there before.
   */
  async install(userId: string, inputs: readonly InstallationInput[], then?: Then<Array<{ installation: Installation; created: boolean }>>): Promise<Installation[]> {
    return this.db.transaction(async (tx) => {
      const now = Date.now();
      const out: Array<{ installation: Installation; created: boolean }> = [];
      const before = this.listener ? await this.list(userId, tx) : [];
      for (const input of inputs) {
        // A new row is the one whose installed_at is this call's: a reinstall keeps the first one's.
        const row = await tx.get<InstallationRow & { created: boolean | number }>(
          `INSERT INTO installations (id, user_id, integration_id, workflow_id, version, config, credential_ids, active, webhook_token, installed_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (user_id, workflow_id) DO UPDATE SET
             version = excluded.version, config = excluded.config, credential_ids = excluded.credential_ids,
             active = excluded.active, updated_at = excluded.updated_at,
             webhook_token = COALESCE(installations.webhook_token, excluded.webhook_token)
           RETURNING ${COLUMNS}, installed_at = ? AS created`,
          [
            input.id ?? newId(),
            userId,
            input.integrationId,
            input.workflowId,
            input.version,
            JSON.stringify(input.config),
            JSON.stringify(input.credentialIds),
            input.active === false ? 0 : 1,
            input.needsWebhookToken ? newSecretToken() : null,
            now,
            now,
            now,
          ],
        );
        out.push({ installation: toInstallation(row!), created: Boolean(Number(row!.created)) });
      }
      await this.listener?.(
        tx,
        out.map(({ installation }) => ({ before: before.find((b) => b.installationId === installation.installationId), after: installation })),
      );
      await then?.(tx, out);
      return out.map((o) => o.installation);
    });
  }

  /**
   * Sets `active` on one installed workflow; `false` when the user has not installed it. Setting it
   * to what it is already changes nothing (and `then` is not called).
   */
  async setActive(userId: string, workflowId: string, active: boolean, then?: Then<Installation>): Promise<boolean> {
    const value = active ? 1 : 0;
    return this.db.transaction(async (tx) => {
      const row = await tx.get<InstallationRow>(`UPDATE installations SET active = ?, updated_at = ? WHERE user_id = ? AND workflow_id = ? AND active <> ? RETURNING ${COLUMNS}`, [
        value,
        Date.now(),
        userId,
        workflowId,
        value,
      ]);
      const installation = row && toInstallation(row);
      if (installation) await this.listener?.(tx, [{ before: { ...installation, active: !active }, after: installation }]);
      if (installation) await then?.(tx, installation);
      return Boolean(row ?? (await tx.get('SELECT id FROM installations WHERE user_id = ? AND workflow_id = ?', [userId, workflowId])));
    });
  }

  /** Deactivates every installed workflow of a user; returns how many were active. */
  async deactivateAll(userId: string, then?: Then<Installation[]>): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.all<InstallationRow>(`UPDATE installations SET active = 0, updated_at = ? WHERE user_id = ? AND active = 1 RETURNING ${COLUMNS}`, [Date.now(), userId]);
      const installations = rows.map(toInstallation);
      if (rows.length > 0)
        await this.listener?.(
          tx,
          installations.map((after) => ({ before: { ...after, active: true }, after })),
        );
      if (rows.length > 0) await then?.(tx, installations);
      return rows.length;
    });
  }

  async setVersion(userId: string, workflowId: string, version: number, then?: Then<Installation>): Promise<Installation | undefined> {
    return this.db.transaction(async (tx) => {
      const before = this.listener && (await tx.get<InstallationRow>(`SELECT ${COLUMNS} FROM installations WHERE user_id = ? AND workflow_id = ?`, [userId, workflowId]));
      const row = await tx.get<InstallationRow>(`UPDATE installations SET version = ?, updated_at = ? WHERE user_id = ? AND workflow_id = ? RETURNING ${COLUMNS}`, [
        version,
        Date.now(),
        userId,
        workflowId,
      ]);
      const installation = row && toInstallation(row);
      if (installation) await this.listener?.(tx, [{ before: before ? toInstallation(before) : undefined, after: installation }]);
      if (installation) await then?.(tx, installation);
      return installation;
    });
  }

  async uninstall(userId: string, workflowId: string, then?: Then<Installation>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const row = await tx.get<InstallationRow>(`DELETE FROM installations WHERE user_id = ? AND workflow_id = ? RETURNING ${COLUMNS}`, [userId, workflowId]);
      const installation = row && toInstallation(row);
      if (installation) await this.listener?.(tx, [{ before: installation }]);
      if (installation) await then?.(tx, installation);
      return Boolean(row);
    });
  }

  /** Who installed a workflow, with their username, for `GET /workflows/:id/users`. */
  async usersOf(workflowId: string): Promise<Array<Installation & { username: string; fullName: string | null }>> {
    const rows = await this.db.all<InstallationRow & { username: string; full_name: string | null }>(
      `SELECT installations.*, users.username, users.full_name FROM installations JOIN users ON users.id = installations.user_id
       WHERE workflow_id = ? ORDER BY installed_at, installations.id`,
      [workflowId],
    );
    return rows.map((r) => ({ ...toInstallation(r), username: r.username, fullName: r.full_name }));
  }
}

export interface PendingInstallation {
  installationId: string;
  userId: string;
  integrationId: string;
  workflowIds: string[];
  credentialId: string | null;
  expiresAt: number;
}

/** Headless installations between `startInstallation` and `completeInstallation`. */
export class PendingInstallations {
  constructor(private readonly db: Db) {}

  /**
   * Starts one; `installationId` is given for an edit of an installation (it keeps its id), and
   * replaces an edit of it already under way.
   */
  async create(input: Omit<PendingInstallation, 'installationId'> & { installationId?: string }): Promise<PendingInstallation> {
    const id = input.installationId ?? newId();
    await this.db.run(
      `INSERT INTO pending_installations (id, user_id, integration_id, workflow_ids, credential_id, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, integration_id = excluded.integration_id, workflow_ids = excluded.workflow_ids,
         credential_id = excluded.credential_id, created_at = excluded.created_at, expires_at = excluded.expires_at`,
      [id, input.userId, input.integrationId, JSON.stringify(input.workflowIds), input.credentialId, Date.now(), input.expiresAt],
    );
    return { ...input, installationId: id };
  }

  /** A pending installation by its id, of the given user when one is given (headless completion may leave it out). */
  async find(userId: string | undefined, installationId: string): Promise<PendingInstallation | undefined> {
    const row = await this.db.get<{ id: string; user_id: string; integration_id: string; workflow_ids: string; credential_id: string | null; expires_at: number }>(
      userId === undefined
        ? 'SELECT * FROM pending_installations WHERE id = ? AND expires_at > ?'
        : 'SELECT * FROM pending_installations WHERE user_id = ? AND id = ? AND expires_at > ?',
      userId === undefined ? [installationId, Date.now()] : [userId, installationId, Date.now()],
    );
    return (
      row && {
        installationId: row.id,
        userId: row.user_id,
        integrationId: row.integration_id,
        workflowIds: JSON.parse(row.workflow_ids) as string[],
        credentialId: row.credential_id,
        expiresAt: Number(row.expires_at),
      }
    );
  }

  async delete(installationId: string): Promise<void> {
    await this.db.run('DELETE FROM pending_installations WHERE id = ? OR expires_at <= ?', [installationId, Date.now()]);
  }
}

/** The installation an inbound webhook URL belongs to (the token is its only credential). */
export async function findInstallationByWebhookToken(db: Db, token: string): Promise<Installation | undefined> {
  const row = await db.get<InstallationRow>('SELECT * FROM installations WHERE webhook_token = ?', [token]);
  return row && toInstallation(row);
}
