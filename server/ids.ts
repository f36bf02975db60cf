import { randomBytes } from 'node:crypto';

// This process's tag (24 random bits) and a counter that starts at random (40 bits).
const PROCESS_TAG = randomBytes(3).toString('hex');
const COUNTER_LIMIT = 2 ** 40;
let counter = randomBytes(5).readUIntBE(0, 5);

/**
 * A new opaque id: 24 hex characters, the shape Alloy's own ids have: the creation second
 * (8), a tag drawn at random when the process starts (6), then a counter (10) that goes up by
 * one per id from a random start. Ids made in the same second by one process follow each
 * other, and sort after older ones: new rows land at the right-hand end of each index, so a
 * commit writes a few pages instead of one per row (random ids within a second cost a page per
 * row per index; measured by the accept benchmark). Processes (several servers and workers on
 * PostgreSQL) differ by their tags. An id is not a secret, and a guessable next one grants
 * nothing: every route checks who owns what it names (newSecretToken is for secrets).
 */
export function newId(): string {
  const seconds = Math.floor(Date.now() / 1000);
  counter = (counter + 1) % COUNTER_LIMIT;
  return seconds.toString(16).padStart(8, '0') + PROCESS_TAG + counter.toString(16).padStart(10, '0');
}

/** An unguessable token for URLs (inbound webhooks, hosted install links): 32 bytes, base64url. */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}
