import { randomBytes } from 'node:crypto';

/** A new opaque id: 24 hex characters, the shape Alloy's own ids have. */
export function newId(): string {
  return randomBytes(12).toString('hex');
}

/** An unguessable token for URLs (inbound webhooks, hosted install links): 32 bytes, base64url. */
export function newSecretToken(): string {
  return randomBytes(32).toString('base64url');
}
