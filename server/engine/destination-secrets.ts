import { allBlocks, isActionBlock, type ActionBlock } from '../blocks';
import { findConnector } from '../connectors';
import type { WorkflowDefinition } from '../definitions/schema';
import type { Vault } from '../secrets';
import type { Store } from '../store';
import { generateWebhookSecret } from './webhook-signature';

/**
 * Per-destination signing secrets. A delivery whose URL a user can choose (a definition's
 * `{{config.url}}`) is signed with a secret of that installation's block, never with the ISV's
 * `ALLOY_WEBHOOK_SECRET`: otherwise a user could point the block at a URL of their own, collect
 * validly signed bodies, and replay them within the signature's 5 minutes to the ISV's receivers.
 * Svix gives each endpoint its own secret for the same reason.
 */

/** How long a rotated-out secret still signs beside the new one, so a receiver can switch over (Svix's 24 hours). */
export const PREVIOUS_SECRET_SIGNS_MS = 24 * 60 * 60 * 1000;

/** Whether a block's deliveries go where the definition does not fix: its destination input holds a template (or is not a plain string). */
export function hasUserSetDestination(block: ActionBlock): boolean {
  const field = findConnector(block.connector)?.actions[block.action]?.destination;
  if (!field) return false;
  const value = block.input[field];
  return typeof value !== 'string' || value.includes('{{');
}

/** The blocks of a workflow that sign with a secret of their own, nested ones included. */
export function userSetDestinations(workflow: WorkflowDefinition): ActionBlock[] {
  return allBlocks(workflow.blocks).filter(isActionBlock).filter(hasUserSetDestination);
}

export interface DestinationSecretDeps {
  store: Store;
  vault: Vault;
}

/**
 * What a block of an installation signs with: the destination's current secret and, while a
 * rotation's overlap lasts, the one it replaced. A destination without one (installed before
 * secrets existed, or a block added by an upgrade) gets one now; its user sees it by rotating.
 */
export async function destinationSigningSecrets(deps: DestinationSecretDeps, installationId: string, blockId: string, now = Date.now()): Promise<string[]> {
  let stored = await deps.store.destinationSecrets.find(installationId, blockId);
  if (!stored) {
    await deps.store.destinationSecrets.createIfAbsent(installationId, blockId, deps.vault.encrypt(generateWebhookSecret()));
    stored = await deps.store.destinationSecrets.find(installationId, blockId);
    if (!stored) throw new Error(`The signing secret of block "${blockId}" could not be stored (the installation was removed?)`);
  }
  const secrets = [deps.vault.decrypt(stored.secret)];
  if (stored.previousSecret && stored.previousUntil !== null && stored.previousUntil > now) secrets.push(deps.vault.decrypt(stored.previousSecret));
  return secrets;
}

/** A destination's new signing secret, in the shape the API shows it (once). */
export interface IssuedSecret {
  installationId: string;
  workflowId: string;
  blockId: string;
  /** `whsec_…`: verify deliveries to this destination with it (any Standard Webhooks library). */
  secret: string;
}

/**
 * Gives each user-set destination of the installations a secret, where it has none yet, and
 * returns the ones made now: the only time their plaintext leaves the server unasked.
 */
export async function issueSigningSecrets(
  deps: DestinationSecretDeps,
  installations: ReadonlyArray<{ installationId: string; workflowId: string; version: number }>,
): Promise<IssuedSecret[]> {
  const issued: IssuedSecret[] = [];
  for (const installation of installations) {
    const version = await deps.store.versions.get(installation.workflowId, installation.version);
    if (!version) continue;
    for (const block of userSetDestinations(version.definition)) {
      const secret = generateWebhookSecret();
      if (await deps.store.destinationSecrets.createIfAbsent(installation.installationId, block.id, deps.vault.encrypt(secret))) {
        issued.push({ installationId: installation.installationId, workflowId: installation.workflowId, blockId: block.id, secret });
      }
    }
  }
  return issued;
}

/** Replaces a destination's secret; the old one signs beside it for PREVIOUS_SECRET_SIGNS_MS. Returns the new one. */
export async function rotateSigningSecret(
  deps: DestinationSecretDeps,
  installationId: string,
  blockId: string,
  now = Date.now(),
): Promise<{ secret: string; previousSignsUntil: string }> {
  const secret = generateWebhookSecret();
  const until = now + PREVIOUS_SECRET_SIGNS_MS;
  await deps.store.destinationSecrets.rotate(installationId, blockId, deps.vault.encrypt(secret), until);
  return { secret, previousSignsUntil: new Date(until).toISOString() };
}
