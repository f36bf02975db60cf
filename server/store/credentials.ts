import type { Db, SqlExecutor } from './db';
import { newId } from '../ids';

/** What the API may show of a credential: never its secret. */
export interface Credential {
  credentialId: string;
  userId: string;
  app: string;
  type: string;
  /**
   * `healthy`: usable; `refreshing`: a process is refreshing its OAuth token (the others wait for
   * it); `needs_reconnect`: the app refused it, the user must connect it again. (`deleted` is
   * what an installation whose credential is gone shows: no row has it.)
   */
  status: CredentialStatus;
  /** The account's name as the app told it when connected (Slack team, store name, database host). */
  displayName: string | null;
  /** The last error with this account (a refused or failed refresh), and when; null once it works again. */
  lastError: string | null;
  lastErrorAt: string | null;
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export type CredentialStatus = 'healthy' | 'refreshing' | 'needs_reconnect';

/** An OAuth authorization request between its start and its callback. */
export interface PendingOAuth {
  state: string;
  userId: string;
  app: string;
  codeVerifier: string;
  redirectUri: string;
  /** The page that started it (checked against the allowed origins), or null when none was given. */
  origin: string | null;
  /** The credential this sign-in reconnects (same id, its installations kept), or null for a new one. */
  credentialId: string | null;
  expiresAt: number;
}

interface OAuthStateRow {
  state: string;
  user_id: string;
  app: string;
  code_verifier: string;
  redirect_uri: string;
  origin: string | null;
  credential_id: string | null;
  expires_at: number;
}

/** The row as a pending request; an expired one counts as gone. */
function pendingOAuth(row: OAuthStateRow | undefined): PendingOAuth | undefined {
  const expiresAt = Number(row?.expires_at);
  if (!row || expiresAt < Date.now()) return undefined;
  return {
    state: row.state,
    userId: row.user_id,
    app: row.app,
    codeVerifier: row.code_verifier,
    redirectUri: row.redirect_uri,
    origin: row.origin,
    credentialId: row.credential_id ?? null,
    expiresAt,
  };
}

interface CredentialRow {
  id: string;
  user_id: string;
  app: string;
  type: string;
  secret: string;
  status: CredentialStatus;
  display_name: string | null;
  last_error: string | null;
  last_error_at: number | null;
  refresh_until: number | null;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
}

const toCredential = (r: CredentialRow): Credential => ({
  credentialId: r.id,
  userId: r.user_id,
  app: r.app,
  type: r.type,
  // A refresh whose lease ran out (its process died) left nothing under way.
  status: r.status === 'refreshing' && Number(r.refresh_until) < Date.now() ? 'healthy' : r.status,
  displayName: r.display_name ?? null,
  lastError: r.last_error ?? null,
  lastErrorAt: r.last_error_at === null || r.last_error_at === undefined ? null : new Date(Number(r.last_error_at)).toISOString(),
  expiresAt: r.expires_at === null ? null : new Date(Number(r.expires_at)).toISOString(),
  createdAt: new Date(Number(r.created_at)).toISOString(),
  updatedAt: new Date(Number(r.updated_at)).toISOString(),
});

/** A credential to store: `secret` already encrypted by the caller. */
export interface NewCredential {
  userId: string;
  app: string;
  type: string;
  secret: string;
  expiresAt?: number | null;
  /** The account's name from the connect-time test, when it told one. */
  displayName?: string | null;
}

/** Credentials; `secret` is already encrypted by the caller. Every query is scoped to one user. */
export class Credentials {
  constructor(private readonly db: Db) {}

  /**
   * Creates a credential unless the user already has `maxPerApp` for its app; then undefined.
   * The count and the insert are one transaction; on PostgreSQL it also locks the user's row, so
   * concurrent requests cannot each see room for one more (SQLite runs one transaction at a time).
   */
  async createIfRoom(input: NewCredential, maxPerApp: number, then?: (tx: SqlExecutor, credential: Credential) => Promise<unknown>): Promise<Credential | undefined> {
    return this.db.transaction(async (tx) => {
      if (this.db.dialect === 'postgres') await tx.get('SELECT id FROM users WHERE id = ? FOR UPDATE', [input.userId]);
      const held = await tx.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM credentials WHERE user_id = ? AND app = ?', [input.userId, input.app]);
      if (Number(held?.n ?? 0) >= maxPerApp) return undefined;
      const now = Date.now();
      const row = await tx.get<CredentialRow>(
        `INSERT INTO credentials (id, user_id, app, type, secret, status, display_name, expires_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'healthy', ?, ?, ?, ?) RETURNING *`,
        [newId(), input.userId, input.app, input.type, input.secret, input.displayName ?? null, input.expiresAt ?? null, now, now],
      );
      const credential = toCredential(row!);
      await then?.(tx, credential);
      return credential;
    });
  }

  /**
   * Deletes a credential, secret and all, unless an installation of the user uses it: then nothing
   * is deleted and the answer names those installations. The check and the delete are one
   * transaction (on PostgreSQL under the user's row lock, as in `createIfRoom`).
   */
  async deleteUnused(
    userId: string,
    credentialId: string,
    then?: (tx: SqlExecutor, deleted: Credential) => Promise<unknown>,
  ): Promise<{ kind: 'deleted' } | { kind: 'not_found' } | { kind: 'in_use'; installations: Array<{ installationId: string; workflowId: string }> }> {
    return this.db.transaction(async (tx) => {
      if (this.db.dialect === 'postgres') await tx.get('SELECT id FROM users WHERE id = ? FOR UPDATE', [userId]);
      if (!(await tx.get('SELECT id FROM credentials WHERE user_id = ? AND id = ?', [userId, credentialId]))) return { kind: 'not_found' as const };
      // A user has at most one installation per workflow: a short list, read whole.
      const rows = await tx.all<{ id: string; workflow_id: string; credential_ids: string }>(
        'SELECT id, workflow_id, credential_ids FROM installations WHERE user_id = ? ORDER BY installed_at, id',
        [userId],
      );
      const users = rows.filter((r) => (JSON.parse(r.credential_ids) as string[]).includes(credentialId));
      if (users.length > 0) return { kind: 'in_use' as const, installations: users.map((r) => ({ installationId: r.id, workflowId: r.workflow_id })) };
      const deleted = await tx.get<CredentialRow>('DELETE FROM credentials WHERE user_id = ? AND id = ? RETURNING *', [userId, credentialId]);
      await then?.(tx, toCredential(deleted!));
      return { kind: 'deleted' as const };
    });
  }

  async list(userId: string, executor: SqlExecutor = this.db): Promise<Credential[]> {
    const rows = await executor.all<CredentialRow>('SELECT * FROM credentials WHERE user_id = ? ORDER BY created_at', [userId]);
    return rows.map(toCredential);
  }

  async find(userId: string, credentialId: string): Promise<Credential | undefined> {
    const row = await this.db.get<CredentialRow>('SELECT * FROM credentials WHERE user_id = ? AND id = ?', [userId, credentialId]);
    return row && toCredential(row);
  }

  /** The credential with its encrypted secret, in one query: for the engine only. */
  async secret(userId: string, credentialId: string): Promise<{ credential: Credential; secret: string } | undefined> {
    const row = await this.db.get<CredentialRow>('SELECT * FROM credentials WHERE user_id = ? AND id = ?', [userId, credentialId]);
    return row && { credential: toCredential(row), secret: row.secret };
  }

  /**
   * Reconnects a credential: a new secret (and type: an OAuth account may be reconnected with a
   * bot token) for the same id, so every installation on it is kept. Healthy again, its error
   * cleared. Returns it with the status it had before, or undefined when the user has no such one.
   */
  async reconnect(
    userId: string,
    credentialId: string,
    input: Pick<NewCredential, 'type' | 'secret' | 'expiresAt' | 'displayName'>,
    then?: (tx: SqlExecutor, change: { credential: Credential; before: Credential }) => Promise<unknown>,
  ): Promise<{ credential: Credential; before: Credential } | undefined> {
    return this.db.transaction(async (tx) => {
      const old = await tx.get<CredentialRow>('SELECT * FROM credentials WHERE user_id = ? AND id = ?' + (this.db.dialect === 'postgres' ? ' FOR UPDATE' : ''), [
        userId,
        credentialId,
      ]);
      if (!old) return undefined;
      const row = await tx.get<CredentialRow>(
        `UPDATE credentials SET type = ?, secret = ?, expires_at = ?, display_name = COALESCE(?, display_name), status = 'healthy',
           last_error = NULL, last_error_at = NULL, refresh_until = NULL, updated_at = ? WHERE user_id = ? AND id = ? RETURNING *`,
        [input.type, input.secret, input.expiresAt ?? null, input.displayName ?? null, Date.now(), userId, credentialId],
      );
      const change = { credential: toCredential(row!), before: toCredential(old) };
      await then?.(tx, change);
      return change;
    });
  }

  /** Replaces a credential's secret after an OAuth refresh; it is usable again. */
  async updateSecret(userId: string, credentialId: string, secret: string, expiresAt: number | null): Promise<void> {
    await this.db.run(
      "UPDATE credentials SET secret = ?, expires_at = ?, status = 'healthy', last_error = NULL, last_error_at = NULL, refresh_until = NULL, updated_at = ? WHERE user_id = ? AND id = ?",
      [secret, expiresAt, Date.now(), userId, credentialId],
    );
  }

  /**
   * Takes the refresh of an OAuth credential whose token expires before `staleBefore`, for
   * `leaseMs`: one statement, so of several processes only one gets it (a row lock on
   * PostgreSQL, the single writer on SQLite); the others wait for its result (`find` until the
   * status is no longer `refreshing`). A lease whose process died runs out, and the refresh can be
   * taken again. Returns the credential with its encrypted secret, or undefined when it is not
   * due, not healthy, or another process holds it.
   */
  async claimRefresh(userId: string, credentialId: string, staleBefore: number, leaseMs: number): Promise<{ credential: Credential; secret: string } | undefined> {
    const now = Date.now();
    const row = await this.db.get<CredentialRow>(
      `UPDATE credentials SET status = 'refreshing', refresh_until = ?
        WHERE user_id = ? AND id = ? AND type = 'oauth2' AND expires_at IS NOT NULL AND expires_at <= ?
          AND (status = 'healthy' OR (status = 'refreshing' AND refresh_until < ?))
        RETURNING *`,
      [now + leaseMs, userId, credentialId, staleBefore, now],
    );
    return row && { credential: toCredential(row), secret: row.secret };
  }

  /**
   * Gives a refresh back without new tokens: healthy still, with why when it failed (the provider
   * was down), or as it was (`error` null: nothing to refresh yet).
   */
  async releaseRefresh(userId: string, credentialId: string, error: string | null): Promise<void> {
    const now = Date.now();
    await this.db.run(
      `UPDATE credentials SET status = 'healthy', refresh_until = NULL, last_error = COALESCE(?, last_error),
         last_error_at = CASE WHEN CAST(? AS TEXT) IS NULL THEN last_error_at ELSE ? END WHERE user_id = ? AND id = ? AND status = 'refreshing'`,
      [error, error, now, userId, credentialId],
    );
  }

  /** OAuth credentials whose token expires before `before`, healthy and with no refresh under way: for the sweep that refreshes ahead. */
  async expiring(before: number, limit: number): Promise<Array<{ userId: string; credentialId: string }>> {
    const rows = await this.db.all<{ id: string; user_id: string }>(
      "SELECT id, user_id FROM credentials WHERE expires_at IS NOT NULL AND expires_at <= ? AND type = 'oauth2' AND status IN ('healthy', 'refreshing') ORDER BY expires_at LIMIT ?",
      [before, limit],
    );
    return rows.map((r) => ({ userId: r.user_id, credentialId: r.id }));
  }

  /**
   * Marks a credential the user must connect again (the app refused its refresh), with why. Only
   * the change from another status runs `then` in its transaction (the lifecycle message): a
   * credential already marked is not told of twice. Returns whether it changed.
   */
  async markNeedsReconnect(userId: string, credentialId: string, error: string, then?: (tx: SqlExecutor, credential: Credential) => Promise<unknown>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const now = Date.now();
      const row = await tx.get<CredentialRow>(
        `UPDATE credentials SET status = 'needs_reconnect', refresh_until = NULL, last_error = ?, last_error_at = ?, updated_at = ?
          WHERE user_id = ? AND id = ? AND status <> 'needs_reconnect' RETURNING *`,
        [error, now, now, userId, credentialId],
      );
      if (!row) return false;
      await then?.(tx, toCredential(row));
      return true;
    });
  }

  /** Remembers an OAuth authorization request until its callback (or `expiresAt`). */
  async saveOAuthState(input: Omit<PendingOAuth, 'credentialId'> & { credentialId?: string | null }) {
    const row = { ...input, credentialId: input.credentialId ?? null };
    await this.db.run('INSERT INTO oauth_states (state, user_id, app, code_verifier, redirect_uri, origin, credential_id, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      row.state,
      row.userId,
      row.app,
      row.codeVerifier,
      row.redirectUri,
      row.origin,
      row.credentialId,
      row.expiresAt,
    ]);
  }

  /** Deletes the OAuth requests that expired before `now` (started, never completed); returns how many. */
  async deleteExpiredOAuthStates(now: number): Promise<number> {
    return (await this.db.run('DELETE FROM oauth_states WHERE expires_at < ?', [now])).changes;
  }

  /** Takes an OAuth request by its state, once: a replayed callback finds nothing. */
  async takeOAuthState(state: string): Promise<PendingOAuth | undefined> {
    // One statement: of two takers at once (a link opened twice), only one gets the row. Its own
    // row only: the expired ones of other requests go in the hourly sweep (deleteExpiredOAuthStates).
    return pendingOAuth(await this.db.get<OAuthStateRow>('DELETE FROM oauth_states WHERE state = ? RETURNING *', [state]));
  }

  /** An OAuth request by its state, left in place for its callback (the browser's step to the provider reads it). */
  async findOAuthState(state: string): Promise<PendingOAuth | undefined> {
    return pendingOAuth(await this.db.get<OAuthStateRow>('SELECT * FROM oauth_states WHERE state = ?', [state]));
  }

  /** Deletes a credential; `then` runs in the same transaction with what was deleted (to tell of it). */
  async delete(userId: string, credentialId: string, then?: (tx: SqlExecutor, deleted: Credential) => Promise<unknown>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const row = await tx.get<CredentialRow>('DELETE FROM credentials WHERE user_id = ? AND id = ? RETURNING *', [userId, credentialId]);
      if (row) await then?.(tx, toCredential(row));
      return Boolean(row);
    });
  }
}
