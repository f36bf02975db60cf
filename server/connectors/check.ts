import { checkBlocks } from '../blocks';
import type { Definitions } from '../definitions/load';
import type { Field, IntegrationDefinition, WorkflowDefinition } from '../definitions/schema';
import { triggerModule } from '../triggers';
import { findConnector, listConnectors } from './index';

/**
 * Checks that every connector, action and option source the definitions name exists (each block
 * kind checks its own, nested blocks included: server/blocks/), and that
 * each option source is the integration's app's and gets the parameters it takes (`dependsOn`), so
 * a typo stops the start instead of failing every execution or install later.
 */
export function checkConnectors(definitions: Definitions): void {
  const known = () =>
    listConnectors()
      .map((c) => c.id)
      .join(', ');
  for (const integration of definitions.integrations) {
    if (!findConnector(integration.connector)) {
      throw new Error(`Integration "${integration.id}": no connector "${integration.connector}" (known: ${known()})`);
    }
    integration.workflows.forEach((workflow, w) => {
      checkTriggerAccount(integration, workflow);
      checkBlocks(integration.id, workflow.id, workflow.blocks, ['workflows', w, 'blocks']);
      for (const field of workflow.fields) checkOptionsSource(integration, workflow, field);
    });
  }
}

/** A trigger that works with the installation's account (it polls, subscribes or fetches) must name the integration's own app. */
function checkTriggerAccount(integration: IntegrationDefinition, workflow: WorkflowDefinition): void {
  const uses = triggerModule(workflow.trigger.type).account?.(workflow.trigger);
  if (uses === undefined || findConnector(uses)?.id === findConnector(integration.connector)?.id) return;
  throw new Error(
    `Integration "${integration.id}", workflow "${workflow.id}": the ${workflow.trigger.type} trigger works with a ${findConnector(uses)?.name ?? uses} account, but the installation's account is ${integration.app}'s (connector "${integration.connector}")`,
  );
}

/**
 * A field's option source must exist, be of the integration's app (its options are loaded with the
 * installation's credential), and get exactly the parameters it takes: the values of the fields
 * its `dependsOn` names.
 */
function checkOptionsSource(integration: IntegrationDefinition, workflow: WorkflowDefinition, field: Field): void {
  const source = field.optionsSource;
  if (!source) return;
  const where = `Integration "${integration.id}", workflow "${workflow.id}", field "${field.name}"`;
  const connector = findConnector(source.connector);
  const sources = connector?.optionSources;
  const load = sources && Object.hasOwn(sources, source.source) ? sources[source.source] : undefined;
  if (!connector || !load) throw new Error(`${where}: no option source "${source.source}" in connector "${source.connector}"`);
  if (connector.id !== findConnector(integration.connector)?.id) {
    throw new Error(`${where}: options come from ${connector.name}, but the installation's account is ${integration.app}'s (connector "${integration.connector}")`);
  }
  const takes = Object.keys(load.params?.shape ?? {});
  const given = source.dependsOn ?? [];
  const lacking = takes.filter((p) => !given.includes(p));
  const extra = given.filter((p) => !takes.includes(p));
  const named = (list: string[]) => list.map((p) => `"${p}"`).join(', ');
  if (lacking.length > 0) {
    throw new Error(`${where}: option source "${source.source}" of ${connector.name} needs the value of ${named(lacking)}: list a field of that name in dependsOn`);
  }
  if (extra.length > 0) {
    throw new Error(`${where}: option source "${source.source}" of ${connector.name} takes no ${named(extra)} (it takes ${takes.length ? named(takes) : 'no parameters'})`);
  }
}
