import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildDefinitions, type Definitions } from '../../server/definitions/load';

// import.meta.dirname, not new URL(…, import.meta.url): under happy-dom Vite turns the latter into a page URL.
const demoDir = resolve(import.meta.dirname, '../../demo/integrations');

/** The shipped demo integrations as raw objects (a fresh copy each call, safe to change). */
export function demoIntegrations(): any[] {
  return readdirSync(demoDir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => JSON.parse(readFileSync(join(demoDir, n), 'utf8')));
}

/** The demo integrations plus `extra` ones, with `change` applied to the raw demo objects first. */
export function definitionsWith(extra: unknown[] = [], change: (demo: any[]) => void = () => {}): Definitions {
  const demo = demoIntegrations();
  change(demo);
  return buildDefinitions([...demo, ...extra]);
}

/** One workflow of the raw demo objects, by id. */
export function demoWorkflow(demo: any[], workflowId: string): any {
  for (const integration of demo) {
    const found = integration.workflows.find((w: any) => w.id === workflowId);
    if (found) return found;
  }
  throw new Error(`no demo workflow ${workflowId}`);
}

/** AcmeCo (the ISV's own app) on the account-less `streamData` connector, with `workflows`. */
export const acmeIntegration = (workflows: unknown[]) => ({ id: 'acme', app: 'AcmeCo', connector: 'streamData', icon: '/icons/stream-data.svg', workflows });

/** AcmeCo with one workflow, `order-paid`, whose block `send` streams each "Order Paid" event's `{ orderId }` to `url`. */
export const orderStreamIntegration = (url: string) =>
  acmeIntegration([
    {
      id: 'order-paid',
      name: 'Stream paid orders',
      version: 1,
      trigger: { type: 'customEvent', event: 'Order Paid', schema: { orderId: 'String' } },
      blocks: [{ id: 'send', connector: 'streamData', action: 'post', input: { url, body: { orderId: '{{event.orderId}}' } } }],
    },
  ]);

/**
 * An integration on the account-less `streamData` connector whose workflow has a secret field,
 * a required text field and a select: enough to show validation and secret handling.
 */
export const vaultIntegration = {
  id: 'vault',
  app: 'Vault',
  // Definition files spell connectors in lower case; the lookup is case-insensitive.
  connector: 'streamdata',
  icon: '/icons/stream-data.svg',
  workflows: [
    {
      id: 'vault-forward',
      name: 'Forward records to the vault',
      version: 1,
      trigger: { type: 'customEvent', event: 'Record Saved', schema: { recordId: 'String' } },
      blocks: [{ id: 'post', connector: 'streamData', action: 'post', input: { url: '{{config.url}}', token: '{{config.apiToken}}' } }],
      fields: [
        { name: 'url', label: 'Endpoint URL', type: 'text', required: true },
        { name: 'apiToken', label: 'API token', type: 'secret', required: true },
        {
          name: 'region',
          label: 'Region',
          type: 'select',
          options: [
            { label: 'US', value: 'us' },
            { label: 'EU', value: 'eu' },
          ],
        },
      ],
    },
  ],
};
