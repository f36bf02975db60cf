import { createHash } from 'node:crypto';
import { compileEventSchema } from '../definitions/event-schema';
import { ApiError, validationError } from '../errors';
import type { Installation } from '../store/installations';
import { triggerKey } from '../store/versions';
import type { AcceptedEvent } from '../store/events';
import type { Services } from './context';

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
  let checked = data;
  if (trigger.type === 'customEvent') {
    const parsed = compileEventSchema(trigger.schema).safeParse(data);
    if (!parsed.success) throw validationError(parsed.error, 'data', `The data does not match the schema of "${trigger.event}"`);
    checked = parsed.data;
  }
  const name = triggerKey(trigger) ?? `webhook:${installation.workflowId}`;
  const result = await services.store.events.accept({
    userId: installation.userId,
    name,
    data: checked,
    source,
    idempotencyKey,
    installationId: installation.installationId,
    requestHash: createHash('sha256').update(JSON.stringify([name, installation.installationId, checked])).digest('hex'),
  });
  if (result.kind === 'key_reused') throw new ApiError(409, 'conflict', 'This idempotency key was already used for a different event or data');
  if (result.kind === 'accepted') services.engine.wake();
  return { replayed: result.kind === 'repeat', body: result.response };
}
