import { ApiError } from '../errors';
import type { WorkflowDefinition } from '../definitions/schema';
import type { Installation } from '../store/installations';
import type { Services } from './context';
import { fieldChanges } from './config-fields';
import { tellInstallations } from './lifecycle';

/**
 * Moves an installation to the released version of its workflow. Refused (409 `upgrade_blocked`,
 * naming the fields) when the configurable fields changed: the user must reinstall to fill them.
 */
export async function upgradeInstallation(services: Services, installation: Installation, workflow: WorkflowDefinition) {
  if (installation.version === workflow.version) return { success: true as const, version: workflow.version, upgraded: false };
  const from = await services.store.versions.get(workflow.id, installation.version);
  const changes = fieldChanges(from?.definition.fields ?? [], workflow.fields);
  const changed = [...changes.added, ...changes.removed, ...changes.changed];
  if (changed.length > 0) {
    const parts = [
      changes.added.length ? `new fields: ${changes.added.join(', ')}` : '',
      changes.removed.length ? `removed fields: ${changes.removed.join(', ')}` : '',
      changes.changed.length ? `changed fields: ${changes.changed.join(', ')}` : '',
    ].filter(Boolean);
    throw new ApiError(
      409,
      'upgrade_blocked',
      `Version ${workflow.version} changes the configurable fields (${parts.join('; ')}); the user must reinstall the workflow`,
      changed.map((name) => ({ path: `fields.${name}`, message: changes.added.includes(name) ? 'added' : changes.removed.includes(name) ? 'removed' : 'changed' })),
    );
  }
  await services.store.installations.setVersion(installation.userId, workflow.id, workflow.version, tellInstallations(services.store, 'installation.updated'));
  return { success: true as const, version: workflow.version, upgraded: true };
}
