import fs from 'node:fs';
import path from 'node:path';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for secrets at rest (credential data, signing keys). The ciphertext is
 * `v1.<iv>.<tag>.<data>` in base64url, so a future key or algorithm can be told apart.
 */
export class Vault {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new TypeError('The encryption key must be 32 bytes');
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), data].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /** The plaintext; a `DecryptionError` when the ciphertext was made with another key (or altered). */
  decrypt(ciphertext: string): string {
    const [version, iv, tag, data] = ciphertext.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('Unknown ciphertext format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch (err) {
      // GCM's "Unsupported state or unable to authenticate data": the tag does not match.
      throw new DecryptionError('Cannot decrypt a stored secret: it was encrypted with a different encryption key, or altered', { cause: err });
    }
  }
}

/** A stored secret that this key cannot open: encrypted with a different key, or altered. */
export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

/** Parses `ALLOY_ENCRYPTION_KEY`: 32 bytes as 64 hex characters or base64. */
export function parseEncryptionKey(value: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) {
    throw new Error('ALLOY_ENCRYPTION_KEY must be 32 bytes, as 64 hex characters or base64 (openssl rand -hex 32)');
  }
  return key;
}

/** SHA-256 of an API key, as stored: a key is long and random, so a salt adds nothing. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * A secret generated once and kept in the data directory (mode 0600), for development set-ups
 * that set no environment variable. Returns the value and whether it was just created.
 */
export function persistedSecret(dataDir: string, name: string, generate: () => string): { value: string; created: boolean } {
  const file = path.join(dataDir, name);
  try {
    return { value: fs.readFileSync(file, 'utf8').trim(), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(dataDir, { recursive: true });
  const value = generate();
  // Written whole under a name of its own, then linked into place: a process starting at the same
  // moment sees either no file or the whole value, never the empty file an exclusive create leaves
  // between its open and its write (it read an empty key and refused to start).
  const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(partial, `${value}\n`, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(partial, file);
    return { value, created: true };
  } catch (err) {
    // Another process created it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { value: fs.readFileSync(file, 'utf8').trim(), created: false };
    throw err;
  } finally {
    fs.rmSync(partial, { force: true });
  }
}
