import type { Db, SqlExecutor } from './db';
import { newId } from '../ids';

export interface User {
  userId: string;
  username: string;
  fullName: string | null;
  createdAt: string;
  updatedAt: string;
}

interface UserRow {
  id: string;
  username: string;
  full_name: string | null;
  created_at: number;
  updated_at: number;
}

const toUser = (r: UserRow): User => ({
  userId: r.id,
  username: r.username,
  fullName: r.full_name,
  createdAt: new Date(Number(r.created_at)).toISOString(),
  updatedAt: new Date(Number(r.updated_at)).toISOString(),
});

export class Users {
  constructor(private readonly db: Db) {}

  /** Creates a user; `undefined` when the username is taken. */
  async create(username: string, fullName?: string | null, userId = newId()): Promise<User | undefined> {
    const now = Date.now();
    const row = await this.db.get<UserRow>(
      `INSERT INTO users (id, username, full_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (username) DO NOTHING RETURNING *`,
      [userId, username, fullName ?? null, now, now],
    );
    return row && toUser(row);
  }

  /** Finds a user by id or, as Alloy allows, by username. */
  async find(userIdOrUsername: string): Promise<User | undefined> {
    const row = await this.db.get<UserRow>('SELECT * FROM users WHERE id = ? UNION ALL SELECT * FROM users WHERE username = ? AND id <> ? LIMIT 1', [
      userIdOrUsername,
      userIdOrUsername,
      userIdOrUsername,
    ]);
    return row && toUser(row);
  }

  /** Users in creation order, `limit` at a time, after the cursor (a user id). */
  async list(limit: number, after?: string): Promise<User[]> {
    const rows = after
      ? await this.db.all<UserRow>(
          `SELECT * FROM users WHERE (created_at, id) > (SELECT created_at, id FROM users WHERE id = ?)
           ORDER BY created_at, id LIMIT ?`,
          [after, limit],
        )
      : await this.db.all<UserRow>('SELECT * FROM users ORDER BY created_at, id LIMIT ?', [limit]);
    return rows.map(toUser);
  }

  /** Updates the given fields; `undefined` when the new username is taken by someone else. */
  async update(userId: string, patch: { username?: string; fullName?: string | null }): Promise<User | undefined> {
    const current = await this.db.get<UserRow>('SELECT * FROM users WHERE id = ?', [userId]);
    if (!current) return undefined;
    const username = patch.username ?? current.username;
    const fullName = patch.fullName === undefined ? current.full_name : patch.fullName;
    try {
      // The unique index decides, not a prior SELECT: two renames to one name at once are a 409, not a 500.
      const row = await this.db.get<UserRow>('UPDATE users SET username = ?, full_name = ?, updated_at = ? WHERE id = ? RETURNING *', [username, fullName, Date.now(), userId]);
      return row && toUser(row);
    } catch (err) {
      if (isUniqueViolation(err)) return undefined;
      throw err;
    }
  }

  /**
   * Deletes a user and, by cascade, its credentials, installations, events, executions and errors.
   * `before` runs first in the same transaction (to tell of what goes: server/domain/lifecycle.ts).
   */
  async delete(userId: string, before?: (tx: SqlExecutor) => Promise<unknown>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      // PostgreSQL: the user's row lock (credentials.createIfRoom takes it too) keeps what `before` read from changing meanwhile.
      if (before && this.db.dialect === 'postgres') await tx.get('SELECT id FROM users WHERE id = ? FOR UPDATE', [userId]);
      await before?.(tx);
      return (await tx.run('DELETE FROM users WHERE id = ?', [userId])).changes > 0;
    });
  }
}

/** A unique-index violation, as either database reports it. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' /* PostgreSQL unique_violation */ || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
