import type { Vault } from '../secrets';
import type { Store } from '../store';

/** A user's credential with its secret data decrypted: for connectors only, never for a response. */
export async function openCredential(
  store: Store,
  vault: Vault,
  userId: string,
  credentialId: string,
): Promise<{ app: string; status: string; data: Record<string, string> } | undefined> {
  const credential = await store.credentials.find(userId, credentialId);
  const secret = credential && (await store.credentials.secret(userId, credentialId));
  if (!credential || !secret) return undefined;
  return { app: credential.app, status: credential.status, data: JSON.parse(vault.decrypt(secret)) as Record<string, string> };
}
