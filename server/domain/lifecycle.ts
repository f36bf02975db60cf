import { z } from 'zod';
import type { Store } from '../store';
import type { SqlExecutor } from '../store/db';
import type { Credential } from '../store/credentials';
import type { Installation } from '../store/installations';

/**
 * The lifecycle webhooks the ISV gets at ALLOY_EVENTS_WEBHOOK_URL, Standard Webhooks signed:
 * `{ type, timestamp, data }`, the `webhook-id` stable across tries. One schema per type's `data`;
 * the types and the docs come from them.
 */
const CredentialData = z.object({
  userId: z.string(),
  credentialId: z.string(),
  app: z.string(),
  displayName: z.string().nullable(),
  status: z.enum(['healthy', 'refreshing', 'needs_reconnect', 'deleted']),
  lastError: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
});

const InstallationData = z.object({
  userId: z.string(),
  installationId: z.string(),
  integrationId: z.string(),
  workflowId: z.string(),
  version: z.number().int(),
  active: z.boolean(),
  credentialIds: z.array(z.string()),
});

const ExecutionFailedData = z.object({
  userId: z.string(),
  workflowId: z.string(),
  executionId: z.string().nullable(),
  block: z.string().nullable(),
  message: z.string(),
  occurredAt: z.string(),
});

export const LifecycleData = {
  'installation.created': InstallationData,
  'installation.updated': InstallationData,
  'installation.deleted': InstallationData,
  'credential.created': CredentialData,
  'credential.needs_reconnect': CredentialData,
  'credential.recovered': CredentialData,
  'credential.deleted': CredentialData,
  'execution.failed': ExecutionFailedData,
} as const;

export type LifecycleType = keyof typeof LifecycleData;
export const LIFECYCLE_TYPES = Object.keys(LifecycleData) as LifecycleType[];
export type LifecycleDataOf<T extends LifecycleType> = z.input<(typeof LifecycleData)[T]>;

/** A credential as a `credential.*` message tells it (never its secret). */
export function credentialData(credential: Credential, status: z.input<typeof CredentialData>['status'] = credential.status): LifecycleDataOf<'credential.created'> {
  const { userId, credentialId, app, displayName, lastError, lastErrorAt } = credential;
  return { userId, credentialId, app, displayName, status, lastError, lastErrorAt };
}

/**
 * Stores a lifecycle message, due at once: in `tx` when the change it tells of has a transaction
 * (then it is sent only if that commits), else on its own right after the change. The data is
 * checked against its type's schema: a wrong shape is our bug, thrown here, not sent.
 */
export async function emitLifecycle<T extends LifecycleType>(store: Store, type: T, data: LifecycleDataOf<T>, tx?: SqlExecutor): Promise<string | null> {
  const parsed = LifecycleData[type].parse(data) as Record<string, unknown>;
  return tx ? store.webhookMessages.enqueueIn(tx, type, parsed) : store.webhookMessages.enqueue(type, parsed);
}

/** An installation as an `installation.*` message tells it (never its settings: they may hold secrets). */
export function installationData(installation: Installation): LifecycleDataOf<'installation.created'> {
  const { userId, installationId, integrationId, workflowId, version, active, credentialIds } = installation;
  return { userId, installationId, integrationId, workflowId, version, active, credentialIds };
}

/**
 * The store's `then` callback that tells of changed installations, each as `type`, in the change's
 * transaction: `store.installations.setActive(userId, workflowId, true, tellInstallations(store, 'installation.updated'))`.
 */
export function tellInstallations(store: Store, type: 'installation.created' | 'installation.updated' | 'installation.deleted') {
  return async (tx: SqlExecutor, changed: Installation | readonly Installation[]) => {
    for (const installation of Array.isArray(changed) ? changed : [changed as Installation]) {
      await emitLifecycle(store, type, installationData(installation), tx);
    }
  };
}

/** The store's `then` callback of a credential's deletion: `credential.deleted`, its status `deleted`. */
export function tellCredentialDeleted(store: Store) {
  return (tx: SqlExecutor, credential: Credential) => emitLifecycle(store, 'credential.deleted', credentialData(credential, 'deleted'), tx);
}

/**
 * Deleting a user removes their installations and credentials with them: each is told as deleted,
 * as if removed one by one, so a receiver that mirrors them by these messages keeps no ghost. Runs
 * in the deletion's transaction, before the rows go.
 */
export async function tellUserRemoved(store: Store, userId: string, tx: SqlExecutor): Promise<void> {
  if (!store.webhookMessages.enabled) return; // nothing would be kept: spare the reads
  await tellInstallations(store, 'installation.deleted')(tx, await store.installations.list(userId, tx));
  for (const credential of await store.credentials.list(userId, tx)) await tellCredentialDeleted(store)(tx, credential);
}
