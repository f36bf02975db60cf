import { randomBytes, randomFillSync } from 'node:crypto';

// Random bytes for ids are drawn in bulk: one call to the CSPRNG per 512 ids, not one per id.
const RANDOM_BYTES = 8;
const pool = Buffer.allocUnsafe(RANDOM_BYTES * 512);
let offset = pool.length;

/**
 * A new opaque id: 24 hex characters, the shape Alloy's own ids have. The first 8 are the
 * creation second and the other 16 are random (64 bits), so ids made in the same second
 * differ at random but sort after older ones. New rows then land at the end of each index
 * instead of all over it: a commit writes a few pages rather than one per row. An id is not a
 * secret (newSecretToken is for those).
 */
export function newId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const seconds = Math.floor(Date.now() / 1000);
  const id = seconds.toString(16).padStart(8, '0') + pool.toString('hex', offset, offset + RANDOM_BYTES);
  offset += RANDOM_BYTES;
  return id;
}

/** An unguessable token for URLs (inbound webhooks, hosted install links): 32 bytes, base64url. */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}
