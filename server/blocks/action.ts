import { z } from 'zod';
import { findConnector, listConnectors } from '../connectors';
import { DefinitionError } from '../definitions/event-schema';
import { NonRetriableError } from '../engine/errors';
import { renderInput } from '../engine/template';
import { countDelivery } from '../observability/metrics';
import { BlockBase, defineBlock } from './types';

const Name = z.string().min(1, 'must not be empty');

/** A connector action with templated input: `{ "id", "connector": "slack", "action": "postMessage", "input": { … } }`. */
export const ActionBlockSchema = z.strictObject({
  ...BlockBase,
  // No type: every block was an action before the other kinds, and a released definition must
  // parse to what it did then (its hash is what makes it immutable).
  type: z.undefined().optional(),
  connector: Name,
  action: Name,
  input: z.record(z.string(), z.unknown()).default({}),
});

export type ActionBlock = z.output<typeof ActionBlockSchema>;

export const action = defineBlock({
  type: undefined,
  schema: ActionBlockSchema,
  runsOnce: true,
  templates: (block) => [block.input],

  // A typo in a connector or action stops the start instead of failing every execution later.
  check(block, { integrationId, workflowId, path }) {
    const connector = findConnector(block.connector);
    const where = `block "${block.id}" of workflow "${workflowId}"`;
    if (!connector) {
      const known = listConnectors()
        .map((c) => c.id)
        .join(', ');
      throw new DefinitionError(`${where}: no connector "${block.connector}" (known: ${known})`, `integration "${integrationId}"`, [...path, 'connector']);
    }
    if (!Object.hasOwn(connector.actions, block.action)) {
      const reason = `${where}: ${connector.name} has no action "${block.action}" (it has: ${Object.keys(connector.actions).join(', ')})`;
      throw new DefinitionError(reason, `integration "${integrationId}"`, [...path, 'action']);
    }
  },

  view(block) {
    const app = findConnector(block.connector);
    return { name: block.name ?? app?.name ?? block.connector, type: block.connector, icon: app?.icon ?? '/icons/app-event.svg' };
  },

  async run(block, ctx) {
    const connector = findConnector(block.connector);
    const action = connector && Object.hasOwn(connector.actions, block.action) ? connector.actions[block.action] : undefined;
    if (!connector || !action) throw new NonRetriableError(`Block "${block.id}": no action "${block.action}" in connector "${block.connector}"`);
    const input = renderInput(block.input, ctx.scope, block.id);
    ctx.logInput(input);
    const parsed = action.input.safeParse(input);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ');
      throw new NonRetriableError(`Block "${block.id}": invalid input for ${connector.name} ${block.action} — ${why}`);
    }
    const { actions } = ctx;
    const credential = actions.credential?.app === connector.id ? actions.credential : undefined;
    const signingSecrets = await actions.signingSecrets(block);
    // Its connection's hold and its throttle's turn, waited for or deferred (server/engine/throttle.ts).
    const call = { connector: connector.id, action: block.action, throttle: action.throttle, input: parsed.data, credential, executionId: actions.executionId, stepId: ctx.stepId };
    await actions.gate?.beforeCall(call);
    try {
      const output = await action.run(parsed.data, {
        http: actions.http,
        credential: credential?.data,
        // Stable across retries, and one per forEach item (the step id names it), so a destination can drop duplicates.
        deliveryId: `${actions.executionId}_${ctx.stepId}`,
        signingSecrets,
        settings: actions.settings,
      });
      countDelivery(connector.id, 'succeeded');
      return output;
    } catch (err) {
      countDelivery(connector.id, err instanceof NonRetriableError ? 'failed' : 'retriable');
      // A hold that cannot be written (the store is down) is lost; the failure is what the executor must see.
      await actions.gate?.failed(call, err).catch(() => undefined);
      throw err;
    }
  },
});
