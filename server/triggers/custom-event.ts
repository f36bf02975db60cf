import { z } from 'zod';
import { compileEventSchema, EventSchemaFormat } from '../definitions/event-schema';
import { validationError } from '../errors';
import { defineTrigger } from './types';

/** A named event the ISV sends (`POST /run/event`), or the browser when the definition allows it; its data is checked against the schema. */
export const customEventTrigger = defineTrigger({
  type: 'customEvent',
  schema: z.strictObject({
    type: z.literal('customEvent'),
    event: z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    schema: EventSchemaFormat,
    // Opt-in because an event sent from the browser with the user token is forgeable by that user.
    browser: z.boolean().default(false),
  }),
  key: (trigger) => trigger.event,
  needsUrl: false,
  view: (trigger) => ({
    block: { name: 'Custom Event', type: 'customEvent', icon: '/icons/app-event.svg' },
    summary: { type: 'customEvent', event: trigger.event },
  }),
  accept(trigger, data) {
    const parsed = validatorOf(trigger.schema).safeParse(data);
    if (!parsed.success) throw validationError(parsed.error, 'data', `The data does not match the schema of "${trigger.event}"`);
    return parsed.data;
  },
  declaredEvent: ({ event, schema, browser }) => ({ name: event, schema, browser }),
});

// Released versions are cached and never change, so their schema objects key the compiled
// validators: nothing is compiled again on the request path.
const validators = new WeakMap<object, ReturnType<typeof compileEventSchema>>();
function validatorOf(schema: Record<string, unknown>) {
  let validator = validators.get(schema);
  if (!validator) validators.set(schema, (validator = compileEventSchema(schema)));
  return validator;
}
