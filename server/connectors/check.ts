import type { Definitions } from '../definitions/load';
import { findConnector, listConnectors } from './index';

/**
 * Checks that every connector and action the definitions name exists, so a typo stops the start
 * instead of failing every execution later.
 */
export function checkConnectors(definitions: Definitions): void {
  const known = () => listConnectors().map((c) => c.id).join(', ');
  for (const integration of definitions.integrations) {
    if (!findConnector(integration.connector)) {
      throw new Error(`Integration "${integration.id}": no connector "${integration.connector}" (known: ${known()})`);
    }
    for (const workflow of integration.workflows) {
      for (const block of workflow.blocks) {
        const connector = findConnector(block.connector);
        const where = `Integration "${integration.id}", workflow "${workflow.id}", block "${block.id}"`;
        if (!connector) throw new Error(`${where}: no connector "${block.connector}" (known: ${known()})`);
        if (!connector.actions[block.action]) {
          throw new Error(`${where}: ${connector.name} has no action "${block.action}" (it has: ${Object.keys(connector.actions).join(', ')})`);
        }
      }
      for (const field of workflow.fields) {
        const source = field.optionsSource;
        if (source && !findConnector(source.connector)?.optionSources?.[source.source]) {
          throw new Error(`Integration "${integration.id}", workflow "${workflow.id}", field "${field.name}": no option source "${source.source}" in connector "${source.connector}"`);
        }
      }
    }
  }
}
