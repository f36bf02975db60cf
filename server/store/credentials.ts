import type { Db } from './db';
import { newId } from '../ids';

/** What the API may show of a credential: never its secret. */
export interface Credential {
  credentialId: string;
  userId: string;
  app: string;
  type: string;
  status: 'ok' | 'needs_reconnect';
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** An OAuth authorization request between its start and its callback. */
export interface PendingOAuth {
  state: string;
  userId: string;
  app: string;
  codeVerifier: string;
  redirectUri: string;
  /** The page that started it (checked against the allowed origins), or null when none was given. */
  origin: string | null;
  expiresAt: number;
}

interface OAuthStateRow {
  state: string;
  user_id: string;
  app: string;
  code_verifier: string;
  redirect_uri: string;
  origin: string | null;
  expires_at: number;
}

/** The row as a pending request; an expired one counts as gone. */
function pendingOAuth(row: OAuthStateRow | undefined): PendingOAuth | undefined {
  const expiresAt = Number(row?.expires_at);
  if (!row || expiresAt < Date.now()) return undefined;
  return { state: row.state, userId: row.user_id, app: row.app, codeVerifier: row.code_verifier, redirectUri: row.redirect_uri, origin: row.origin, expiresAt };
}

interface CredentialRow {
  id: string;
  user_id: string;
  app: string;
  type: string;
  secret: string;
  status: Credential['status'];
  expires_at: number | null;
  created_at: number;
  updated_at: number;
}

const toCredential = (r: CredentialRow): Credential => ({
  credentialId: r.id,
  userId: r.user_id,
  app: r.app,
  type: r.type,
  status: r.status,
  expiresAt: r.expires_at === null ? null : new Date(Number(r.expires_at)).toISOString(),
  createdAt: new Date(Number(r.created_at)).toISOString(),
  updatedAt: new Date(Number(r.updated_at)).toISOString(),
});

/** Credentials; `secret` is already encrypted by the caller. Every query is scoped to one user. */
export class Credentials {
  constructor(private readonly db: Db) {}

  async create(input: { userId: string; app: string; type: string; secret: string; expiresAt?: number | null }): Promise<Credential> {
    const now = Date.now();
    const row = await this.db.get<CredentialRow>(
      `INSERT INTO credentials (id, user_id, app, type, secret, status, expires_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'ok', ?, ?, ?) RETURNING *`,
      [newId(), input.userId, input.app, input.type, input.secret, input.expiresAt ?? null, now, now],
    );
    return toCredential(row!);
  }

  /**
   * Creates a credential unless the user already has `maxPerApp` for its app; then undefined.
   * The count and the insert are one transaction; on PostgreSQL it also locks the user's row, so
   * concurrent requests cannot each see room for one more (SQLite runs one transaction at a time).
   */
  async createIfRoom(input: Parameters<Credentials['create']>[0], maxPerApp: number): Promise<Credential | undefined> {
    return this.db.transaction(async (tx) => {
      if (this.db.dialect === 'postgres') await tx.get('SELECT id FROM users WHERE id = ? FOR UPDATE', [input.userId]);
      const held = await tx.get<{ n: number | string }>('SELECT COUNT(*) AS n FROM credentials WHERE user_id = ? AND app = ?', [input.userId, input.app]);
      if (Number(held?.n ?? 0) >= maxPerApp) return undefined;
      const now = Date.now();
      const row = await tx.get<CredentialRow>(
        `INSERT INTO credentials (id, user_id, app, type, secret, status, expires_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'ok', ?, ?, ?) RETURNING *`,
        [newId(), input.userId, input.app, input.type, input.secret, input.expiresAt ?? null, now, now],
      );
      return toCredential(row!);
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
      await tx.run('DELETE FROM credentials WHERE user_id = ? AND id = ?', [userId, credentialId]);
      return { kind: 'deleted' as const };
    });
  }

  async list(userId: string): Promise<Credential[]> {
    const rows = await this.db.all<CredentialRow>('SELECT * FROM credentials WHERE user_id = ? ORDER BY created_at', [userId]);
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

  /** Replaces a credential's secret after an OAuth refresh; it is usable again. */
  async updateSecret(userId: string, credentialId: string, secret: string, expiresAt: number | null): Promise<void> {
    await this.db.run("UPDATE credentials SET secret = ?, expires_at = ?, status = 'ok', updated_at = ? WHERE user_id = ? AND id = ?", [
      secret,
      expiresAt,
      Date.now(),
      userId,
      credentialId,
    ]);
  }

  /** Marks a credential the user must connect again (its refresh was refused). */
  async markNeedsReconnect(userId: string, credentialId: string): Promise<void> {
    await this.db.run("UPDATE credentials SET status = 'needs_reconnect', updated_at = ? WHERE user_id = ? AND id = ?", [Date.now(), userId, credentialId]);
  }

  /** Remembers an OAuth authorization request until its callback (or `expiresAt`). */
  async saveOAuthState(row: { state: string; userId: string; app: string; codeVerifier: string; redirectUri: string; origin: string | null; expiresAt: number }) {
    await this.db.run(
      'INSERT INTO oauth_states (state, user_id, app, code_verifier, redirect_uri, origin, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [row.state, row.userId, row.app, row.codeVerifier, row.redirectUri, row.origin, row.expiresAt],
    );
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

  async delete(userId: string, credentialId: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM credentials WHERE user_id = ? AND id = ?', [userId, credentialId])).changes > 0;
  }
}
