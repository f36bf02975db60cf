import { ApiError } from '../errors';
import type { Installation } from '../store/installations';
import { triggerModule } from '../triggers';
import { directEventName, type InboundDelivery } from '../triggers/types';
import type { AcceptedEvent } from '../store/events';
import type { Services } from './context';
import { recordEvent } from './events';

/**
 * Starts one installation's workflow with the given data (an inbound webhook, or
 * `POST /run/workflow`): recorded with its execution before the answer, like any event. A delivery
 * to the installation's URL is first checked by its trigger type (the app trigger verifies it came
 * from the app: a 401 otherwise, nothing recorded), which may name it: that name, when it gives
 * one, is the idempotency key.
 */
export async function runInstallation(
  services: Services,
  installation: Installation,
  data: unknown,
  source: 'isv' | 'webhook',
  idempotencyKey?: string,
  delivery?: Omit<InboundDelivery, 'data'>,
  requestId?: string,
): Promise<{ replayed: boolean; body: AcceptedEvent }> {
  const version = await services.store.versions.get(installation.workflowId, installation.version);
  if (!version) throw new ApiError(404, 'not_found', `Workflow "${installation.workflowId}" version ${installation.version} is not released`);
  const trigger = version.definition.trigger;
  const module = triggerModule(trigger.type);
  // Checked before anything else is said of the installation.
  const received = delivery && (await module.receive?.(services, installation, trigger, { ...delivery, data: data as Record<string, unknown> }));
  if (!installation.active) throw new ApiError(409, 'conflict', `The workflow "${installation.workflowId}" is deactivated for this user`);
  return recordEvent(services, {
    userId: installation.userId,
    name: module.key(trigger) ?? directEventName(trigger.type, installation.workflowId),
    data: module.accept ? module.accept(trigger, data) : data,
    source,
    idempotencyKey: received?.idempotencyKey ?? idempotencyKey,
    installationId: installation.installationId,
    requestId,
  });
}
