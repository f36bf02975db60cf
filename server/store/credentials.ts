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

  async create(input: { userId: string; app: string; type: string; secret: string; expiresAt?: number }): Promise<Credential> {
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

  /** The encrypted secret, for the engine only. */
  async secret(userId: string, credentialId: string): Promise<string | undefined> {
    const row = await this.db.get<{ secret: string }>('SELECT secret FROM credentials WHERE user_id = ? AND id = ?', [userId, credentialId]);
    return row?.secret;
  }

  async delete(userId: string, credentialId: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM credentials WHERE user_id = ? AND id = ?', [userId, credentialId])).changes > 0;
  }
}
