import { compileEventSchema } from '../definitions/event-schema';
import { ApiError, validationError } from '../errors';
import type { Installation } from '../store/installations';
import { triggerKey } from '../store/versions';
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
  let checked = data;
  if (trigger.type === 'customEvent') {
    const parsed = validatorOf(trigger.schema).safeParse(data);
    if (!parsed.success) throw validationError(parsed.error, 'data', `The data does not match the schema of "${trigger.event}"`);
    checked = parsed.data;
  }
  return recordEvent(services, {
    userId: installation.userId,
    name: triggerKey(trigger) ?? `webhook:${installation.workflowId}`,
    data: checked,
    source,
    idempotencyKey,
    installationId: installation.installationId,
  });
}

// Released versions are cached and never change, so their schema objects key the compiled
// validators: nothing is compiled again on the request path.
const validators = new WeakMap<object, ReturnType<typeof compileEventSchema>>();
function validatorOf(schema: Record<string, unknown>) {
  let validator = validators.get(schema);
  if (!validator) validators.set(schema, (validator = compileEventSchema(schema)));
  return validator;
}
