import type { Vault } from '../secrets';
import type { Store } from '../store';

/** A user's credential with its secret data decrypted: for connectors only, never for a response. */
export async function openCredential(
  store: Store,
  vault: Vault,
  userId: string,
  credentialId: string,
): Promise<{ app: string; type: string; status: string; expiresAt: string | null; data: Record<string, string> } | undefined> {
  const found = await store.credentials.secret(userId, credentialId);
  if (!found) return undefined;
  const { app, type, status, expiresAt } = found.credential;
  return { app, type, status, expiresAt, data: JSON.parse(vault.decrypt(found.secret)) as Record<string, string> };
}
