import { z } from 'zod';
import { findConnector, listConnectors } from '../connectors';
import { DefinitionError } from '../definitions/event-schema';
import { NonRetriableError } from '../engine/errors';
import { renderInput } from '../engine/template';
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
    return action.run(parsed.data, {
      http: actions.http,
      credential: actions.credential?.app === connector.id ? actions.credential.data : undefined,
      // Stable across retries, and one per forEach item (the step id names it), so a destination can drop duplicates.
      deliveryId: `${actions.executionId}_${ctx.stepId}`,
      signingSecrets: await actions.signingSecrets(block),
      settings: actions.settings,
    });
  },
});
