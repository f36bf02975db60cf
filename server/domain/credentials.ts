import type { Connector, ConnectorSettings } from '../connectors/types';
import type { HttpClient } from '../engine/http';
import { ApiError } from '../errors';
import type { Credential, NewCredential } from '../store/credentials';
import { credentialData, emitLifecycle, tellCredentialDeleted } from './lifecycle';
import { verifyAccount } from './verify';
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
export async function addCredential(store: Store, input: NewCredential, appName: string, path = 'app') {
  const credential = await store.credentials.createIfRoom(input, LIMITS.credentialsPerApp, (tx, created) =>
    emitLifecycle(store, 'credential.created', credentialData(created), tx),
  );
  if (!credential) throw tooManyCredentials(appName, path);
  return credential;
}

/**
 * Connects an account: checks it with the app first (`verifyAccount`: nothing is stored when the
 * app refuses it or is down), then stores it encrypted with the name the app told, as a new
 * credential or, with `reconnect`, in place of that credential of the user's (same id: every
 * installation on it is kept; a `needs_reconnect` one sends `credential.recovered`).
 */
export async function connectAccount(
  deps: { store: Store; vault: Vault; http: HttpClient; settings: ConnectorSettings },
  input: {
    userId: string;
    connector: Connector;
    type: 'apiKey' | 'oauth2';
    /** What is stored (encrypted): the API-key form's values, or the OAuth token set. */
    secret: Record<string, unknown>;
    /** What the connector's calls get as `ctx.credential` (for OAuth, `{ accessToken }`). */
    credential: Record<string, string>;
    expiresAt?: number | null;
    reconnect?: string | null;
    /** Where the request named the app and the account's data, for error details. */
    paths?: { app: string; data: string };
  },
): Promise<Credential> {
  const { store, vault } = deps;
  const { connector, userId } = input;
  const paths = input.paths ?? { app: 'app', data: 'data' };
  if (input.reconnect) await requireOwnCredential(store, userId, input.reconnect, connector);
  const displayName = await verifyAccount(deps, connector, input.credential, paths.data);
  const stored = { type: input.type, secret: vault.encrypt(JSON.stringify(input.secret)), expiresAt: input.expiresAt ?? null, displayName };
  if (!input.reconnect) return addCredential(store, { userId, app: connector.id, ...stored }, connector.name, paths.app);
  const changed = await store.credentials.reconnect(userId, input.reconnect, stored, async (tx, { credential, before }) => {
    if (before.status === 'needs_reconnect') await emitLifecycle(store, 'credential.recovered', credentialData(credential), tx);
  });
  if (!changed) throw new ApiError(404, 'not_found', `No credential "${input.reconnect}" for this user`, [{ path: 'credentialId', message: 'not found' }]);
  return changed.credential;
}

/** The user's credential to reconnect: 404 when it is not theirs, 400 when it is another app's. */
async function requireOwnCredential(store: Store, userId: string, credentialId: string, connector: Connector): Promise<Credential> {
  const credential = await store.credentials.find(userId, credentialId);
  if (!credential) throw new ApiError(404, 'not_found', `No credential "${credentialId}" for this user`, [{ path: 'credentialId', message: 'not found' }]);
  if (credential.app !== connector.id) {
    throw new ApiError(400, 'invalid_request', `Credential "${credentialId}" is ${credential.app}'s, not ${connector.name}'s`, [
      { path: 'credentialId', message: `expected a ${connector.id} credential` },
    ]);
  }
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
): Promise<
  | { app: string; type: string; status: Credential['status']; lastError: string | null; lastErrorAt: string | null; expiresAt: string | null; data: Record<string, string> }
  | undefined
> {
  const found = await store.credentials.secret(userId, credentialId);
  if (!found) return undefined;
  const { app, type, status, lastError, lastErrorAt, expiresAt } = found.credential;
  return { app, type, status, lastError, lastErrorAt, expiresAt, data: JSON.parse(vault.decrypt(found.secret)) as Record<string, string> };
}

/**
 * Deletes a user's credential, its secret with it. One an installation uses is a 409 naming those
 * installations (uninstall them, or move them to another account, first); another user's is a 404.
 */
export async function deleteCredential(store: Store, userId: string, credentialId: string): Promise<void> {
  const result = await store.credentials.deleteUnused(userId, credentialId, tellCredentialDeleted(store));
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
