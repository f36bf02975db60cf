import type { Db } from './db';

/** A destination's signing secrets as stored (encrypted by the caller): the current one, and the one it replaced while it still signs. */
export interface StoredDestinationSecret {
  secret: string;
  previousSecret: string | null;
  /** Until when (epoch ms) the previous secret signs beside the current one. */
  previousUntil: number | null;
}

interface Row {
  secret: string;
  previous_secret: string | null;
  previous_until: number | string | null;
}

const toStored = (r: Row): StoredDestinationSecret => ({
  secret: r.secret,
  previousSecret: r.previous_secret,
  previousUntil: r.previous_until === null ? null : Number(r.previous_until),
});

/**
 * Signing secrets of the destinations a user chooses, one per installation and block. Callers
 * reach an installation only through its user (the routes and the engine check that first).
 */
export class DestinationSecrets {
  constructor(private readonly db: Db) {}

  async find(installationId: string, blockId: string): Promise<StoredDestinationSecret | undefined> {
    const row = await this.db.get<Row>('SELECT secret, previous_secret, previous_until FROM destination_secrets WHERE installation_id = ? AND block_id = ?', [
      installationId,
      blockId,
    ]);
    return row && toStored(row);
  }

  /**
   * Stores `secret` for the destination unless it has one already. Returns whether this call
   * stored it: a secret is shown to its user only when it is new.
   */
  async createIfAbsent(installationId: string, blockId: string, secret: string): Promise<boolean> {
    const result = await this.db.run(
      'INSERT INTO destination_secrets (installation_id, block_id, secret, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (installation_id, block_id) DO NOTHING',
      [installationId, blockId, secret, Date.now()],
    );
    return result.changes > 0;
  }

  /**
   * Makes `secret` the current one; the one it replaces keeps signing until `previousUntil`.
   * A destination without a secret gets this one.
   */
  async rotate(installationId: string, blockId: string, secret: string, previousUntil: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      const changed = await tx.run('UPDATE destination_secrets SET previous_secret = secret, previous_until = ?, secret = ? WHERE installation_id = ? AND block_id = ?', [
        previousUntil,
        secret,
        installationId,
        blockId,
      ]);
      if (changed.changes === 0) {
        await tx.run('INSERT INTO destination_secrets (installation_id, block_id, secret, created_at) VALUES (?, ?, ?, ?)', [installationId, blockId, secret, Date.now()]);
      }
    });
  }
}
