import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signatures (the scheme Svix uses): `webhook-signature: v1,<base64 HMAC-SHA256
 * of "id.timestamp.body">` with the secret `whsec_<base64 key>`. Several signatures may stand,
 * space-separated, while a secret is rotated.
 */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  if (!secret.startsWith('whsec_')) throw new TypeError('A webhook secret starts with "whsec_"');
  return Buffer.from(secret.slice('whsec_'.length), 'base64');
}

export function sign(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * The three headers of a signed delivery. With several secrets (a rotation's new and old one), one
 * signature each, space-separated: a receiver that knows either accepts it.
 */
export function signedHeaders(secrets: string | readonly string[], id: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  const signatures = (typeof secrets === 'string' ? [secrets] : secrets).map((secret) => sign(secret, id, timestamp, body));
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatures.join(' ') };
}

/** Checks a delivery as a receiver would: a matching signature, and a timestamp within ±5 minutes. */
export function verifyWebhook(secret: string, headers: Record<string, string | undefined>, body: string, now = Date.now()): boolean {
  const id = headers['webhook-id'];
  const timestamp = Number(headers['webhook-timestamp']);
  const signatures = headers['webhook-signature'];
  if (!id || !Number.isFinite(timestamp) || !signatures) return false;
  if (Math.abs(now / 1000 - timestamp) > 5 * 60) return false;
  const expected = Buffer.from(sign(secret, id, timestamp, body));
  return signatures.split(' ').some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * Whether two texts are equal, in a time that depends on neither (digests of equal length are
 * compared, so a secret's length leaks nothing either): for a shared secret or a signature a delivery carries.
 */
export function sameText(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}
