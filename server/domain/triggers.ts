import { ApiError } from '../errors';
import type { Installation } from '../store/installations';
import { triggerModule } from '../triggers';
import { directEventName } from '../triggers/types';
import type { AcceptedEvent } from '../store/events';
import type { Services } from './context';
import { recordEvent } from './events';

/**
 * Starts one installation's workflow with the given data (an inbound webhook, or
 * `POST /run/workflow`): recorded with its execution before the answer, like any event.
 */
export async function runInstallation(
  services: Services,
  installation: Installation,
  data: unknown,
  source: 'isv' | 'webhook',
  idempotencyKey?: string,
): Promise<{ replayed: boolean; body: AcceptedEvent }> {
  if (!installation.active) throw new ApiError(409, 'conflict', `The workflow "${installation.workflowId}" is deactivated for this user`);
  const version = await services.store.versions.get(installation.workflowId, installation.version);
  if (!version) throw new ApiError(404, 'not_found', `Workflow "${installation.workflowId}" version ${installation.version} is not released`);
  const trigger = version.definition.trigger;
  const module = triggerModule(trigger.type);
  return recordEvent(services, {
    userId: installation.userId,
    name: module.key(trigger) ?? directEventName(trigger.type, installation.workflowId),
    data: module.accept ? module.accept(trigger, data) : data,
    source,
    idempotencyKey,
    installationId: installation.installationId,
  });
}
