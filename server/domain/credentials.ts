import { ApiError } from '../errors';
import type { Vault } from '../secrets';
import type { Store } from '../store';
import { LIMITS } from '../../widget/schema';

const tooManyCredentials = (appName: string, path: string) =>
  new ApiError(
    409,
    'conflict',
    `This user already has ${LIMITS.credentialsPerApp} ${appName} credentials, the most allowed per app: delete one that no installation uses (DELETE /me/credentials/{credentialId}) to add another`,
    [{ path, message: `at most ${LIMITS.credentialsPerApp} credentials per app` }],
  );

/**
 * Stores a new credential (its secret encrypted by the caller), unless the user already holds
 * LIMITS.credentialsPerApp of its app: then a 409 saying to delete one, naming `path`.
 */
export async function addCredential(store: Store, input: Parameters<Store['credentials']['create']>[0], appName: string, path = 'app') {
  const credential = await store.credentials.createIfRoom(input, LIMITS.credentialsPerApp);
  if (!credential) throw tooManyCredentials(appName, path);
  return credential;
}

/** A 409 before an account is connected (an OAuth sign-in begins) when the user has no room for another of the app. */
export async function requireRoomForCredential(store: Store, userId: string, app: string, appName: string, path = 'app'): Promise<void> {
  const held = (await store.credentials.list(userId)).filter((c) => c.app === app).length;
  if (held >= LIMITS.credentialsPerApp) throw tooManyCredentials(appName, path);
}

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

/**
 * Deletes a user's credential, its secret with it. One an installation uses is a 409 naming those
 * installations (uninstall them, or move them to another account, first); another user's is a 404.
 */
export async function deleteCredential(store: Store, userId: string, credentialId: string): Promise<void> {
  const result = await store.credentials.deleteUnused(userId, credentialId);
  if (result.kind === 'not_found') throw new ApiError(404, 'not_found', `No credential "${credentialId}" for this user`);
  if (result.kind === 'in_use') {
    const ids = result.installations.map((i) => i.installationId).join(', ');
    throw new ApiError(
      409,
      'conflict',
      `The credential "${credentialId}" is in use by installations ${ids}: uninstall them or give them another account first`,
      result.installations.map((i) => ({ path: 'credentialId', message: `used by installation ${i.installationId} (workflow ${i.workflowId})` })),
    );
  }
}
