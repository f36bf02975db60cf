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
}

const toCredential = (r: CredentialRow): Credential => ({
  credentialId: r.id,
  userId: r.user_id,
  app: r.app,
  type: r.type,
  status: r.status,
  expiresAt: r.expires_at === null ? null : new Date(Number(r.expires_at)).toISOString(),
  createdAt: new Date(Number(r.created_at)).toISOString(),
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
  async takeOAuthState(state: string) {
    return this.db.transaction(async (tx) => {
      const row = await tx.get<{ state: string; user_id: string; app: string; code_verifier: string; redirect_uri: string; origin: string | null; expires_at: number }>(
        'SELECT * FROM oauth_states WHERE state = ?',
        [state],
      );
      // Its own row only: the expired ones of other requests go in the hourly sweep (deleteExpiredOAuthStates).
      await tx.run('DELETE FROM oauth_states WHERE state = ?', [state]);
      if (!row || Number(row.expires_at) < Date.now()) return undefined;
      return { userId: row.user_id, app: row.app, codeVerifier: row.code_verifier, redirectUri: row.redirect_uri, origin: row.origin };
    });
  }

  async delete(userId: string, credentialId: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM credentials WHERE user_id = ? AND id = ?', [userId, credentialId])).changes > 0;
  }
}
