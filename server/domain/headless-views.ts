import type { z } from 'zod';
import { findConnector } from '../connectors';
import type { IntegrationDefinition, WorkflowDefinition } from '../definitions/schema';
import type { FormBlock, HeadlessInstallationView } from '../schemas';
import type { Credential } from '../store/credentials';
import type { Installation } from '../store/installations';
import { redactSecrets } from './config-fields';
import { fieldModule } from './fields';
import { installationView, needsReconnect } from './views';

/**
 * The `blockId` of a workflow's settings in Alloy's headless shapes. Alloy keeps fields per block;
 * ours belong to the workflow (its blocks map them as `{{config.<name>}}`), so each workflow has
 * one form block, named after that scope.
 */
export const CONFIG_BLOCK_ID = 'config';

/** The app id of an integration (`slack`), as Alloy's forms and credential maps name it. */
export function integrationAppId(integration: IntegrationDefinition): string {
  return findConnector(integration.connector)?.id ?? integration.connector;
}

/** The forms of the workflows to install, in the shape of startInstallation's `data`. */
export function formBlocks(integration: IntegrationDefinition, workflows: readonly WorkflowDefinition[]): z.input<typeof FormBlock>[] {
  return workflows.map((w) => ({
    workflowId: w.id,
    app: integrationAppId(integration),
    blockId: CONFIG_BLOCK_ID,
    // `type` as Alloy's forms name it (`string`…); `inputType` keeps ours, which says the control.
    fields: w.fields.map(({ label, type, ...rest }) => ({ ...rest, displayName: label, type: fieldModule(type).vendorType, inputType: type })),
  }));
}

/** The values an installation holds, in the shape completeInstallation takes them (secrets redacted). */
export function installedData(installation: Installation) {
  const config = redactSecrets(installation.config);
  return {
    workflowId: installation.workflowId,
    blockId: CONFIG_BLOCK_ID,
    fields: Object.entries(config).map(([name, value]) => ({ name, value })),
  };
}

/** An installation's credential by app (`{ slack: "…" }`), as Alloy's installation shapes give it. */
export function credentialMap(integration: IntegrationDefinition | undefined, installation: Installation): Record<string, string> {
  const app = integration ? integrationAppId(integration) : installation.integrationId;
  return installation.credentialIds[0] ? { [app]: installation.credentialIds[0] } : {};
}

/**
 * An installation in Alloy's `GET /installations` shape (formData, credentialIds by app,
 * workflowIds, enabled) beside our own keys. One per installed workflow: ours are per workflow.
 */
export function headlessInstallationView(
  installation: Installation,
  integration: IntegrationDefinition | undefined,
  baseUrl: string,
  credentials: readonly Credential[],
): z.input<typeof HeadlessInstallationView> {
  const workflow = integration?.workflows.find((w) => w.id === installation.workflowId);
  const view = installationView(installation, baseUrl, credentials);
  return {
    ...view,
    formData: integration && workflow ? formBlocks(integration, [workflow]) : [],
    credentialIds: credentialMap(integration, installation),
    workflowIds: [installation.workflowId],
    enabled: installation.active,
    needsReconnect: needsReconnect(installation, credentials),
  };
}
