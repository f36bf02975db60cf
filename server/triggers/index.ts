import { z } from 'zod';
import { appTrigger } from './app';
import { customEventTrigger } from './custom-event';
import { pollTrigger } from './poll';
import { scheduleTrigger } from './schedule';
import type { TriggerModule } from './types';
import { webhookTrigger } from './webhook';

export type { TriggerModule, TriggerRunner, TriggerView } from './types';

// Adding a trigger type: write server/triggers/<type>.ts, add it here.
/** Every trigger type's module, by type. */
export const TRIGGER_MODULES = {
  customEvent: customEventTrigger,
  webhook: webhookTrigger,
  app: appTrigger,
  schedule: scheduleTrigger,
  poll: pollTrigger,
};

export type TriggerType = keyof typeof TRIGGER_MODULES;
type Schema = (typeof TRIGGER_MODULES)[TriggerType]['schema'];

export const TRIGGER_TYPES = Object.keys(TRIGGER_MODULES) as TriggerType[];
const types = TRIGGER_TYPES.map((t) => `"${t}"`);

/** What starts a workflow: one member per trigger type, each declared by its module. */
export const TriggerSchema = z.discriminatedUnion('type', Object.values(TRIGGER_MODULES).map((m) => m.schema) as unknown as [Schema, ...Schema[]], {
  error: `expected trigger type ${types.slice(0, -1).join(', ')} or ${types.at(-1)}`,
});

export type Trigger = z.output<typeof TriggerSchema>;

/** The module of a trigger type. */
export function triggerModule(type: TriggerType): TriggerModule {
  return TRIGGER_MODULES[type] as TriggerModule;
}
