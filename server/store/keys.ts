import type { Db } from './db';
import { newId } from '../ids';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
}

/** ISV API key hashes and the user-token signing keys. */
export class Keys {
  constructor(private readonly db: Db) {}

  async addApiKeyHash(hash: string, label: string): Promise<void> {
    await this.db.run('INSERT INTO api_keys (id, hash, label, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING', [newId(), hash, label, Date.now()]);
  }

  async signingKeys(): Promise<SigningKeyRow[]> {
    return this.db.all<SigningKeyRow>('SELECT * FROM signing_keys ORDER BY created_at, kid');
  }

  async addSigningKey(row: SigningKeyRow): Promise<void> {
    await this.db.run('INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk, created_at) VALUES (?, ?, ?, ?, ?)', [
      row.kid,
      row.alg,
      row.private_jwk,
      row.public_jwk,
      row.created_at,
    ]);
  }
}
