import type { z } from 'zod';
import { findConnector } from '../connectors';
import type { IntegrationDefinition, WorkflowDefinition } from '../definitions/schema';
import type { Credential } from '../store/credentials';
import type { Installation } from '../store/installations';
import type { BlockView, IntegrationView, WorkflowView, InstallationView } from '../schemas';
import { redactSecrets } from './config-fields';

/** Makes a served path (`/icons/slack.svg`) absolute against the server's public URL. */
export function absoluteUrl(baseUrl: string, pathOrUrl: string): string {
  return /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${baseUrl}${pathOrUrl}`;
}

function triggerBlock(workflow: WorkflowDefinition, baseUrl: string): z.input<typeof BlockView> {
  const trigger = workflow.trigger;
  if (trigger.type === 'customEvent') return { name: 'Custom Event', id: 'trigger', type: 'customEvent', icon: absoluteUrl(baseUrl, '/icons/app-event.svg') };
  if (trigger.type === 'webhook') return { name: 'Webhook', id: 'trigger', type: 'webhook', icon: absoluteUrl(baseUrl, '/icons/webhook.svg') };
  const app = findConnector(trigger.connector);
  return { name: `${app?.name ?? trigger.connector} Trigger`, id: 'trigger', type: `${trigger.connector}Trigger`, icon: absoluteUrl(baseUrl, app?.icon ?? '/icons/app-event.svg') };
}

/** A workflow as the Alloy API lists it, with the user's installation state. */
export function workflowView(
  integration: IntegrationDefinition,
  workflow: WorkflowDefinition,
  installation: Installation | undefined,
  baseUrl: string,
): z.input<typeof WorkflowView> {
  return {
    workflowId: workflow.id,
    integrationId: integration.id,
    name: workflow.name,
    description: workflow.description,
    installed: Boolean(installation),
    version: workflow.version,
    installedVersion: installation?.version ?? null,
    active: installation?.active ?? false,
    trigger: workflow.trigger.type === 'customEvent' || workflow.trigger.type === 'app'
      ? { type: workflow.trigger.type, event: workflow.trigger.event }
      : { type: workflow.trigger.type },
    blocks: [
      triggerBlock(workflow, baseUrl),
      ...workflow.blocks.map((b) => {
        const app = findConnector(b.connector);
        return { name: b.name ?? app?.name ?? b.connector, id: b.id, type: b.connector, icon: absoluteUrl(baseUrl, app?.icon ?? '/icons/app-event.svg') };
      }),
    ],
  };
}

/** An integration in the seed's `GET /integrations` shape. */
export function integrationView(
  integration: IntegrationDefinition,
  installations: readonly Installation[],
  baseUrl: string,
  /** The user's credentials (at least those of the integration's app): an installation whose own is not among the usable ones needs reconnecting. */
  credentials: readonly Pick<Credential, 'credentialId' | 'status'>[],
): z.input<typeof IntegrationView> {
  const byWorkflow = new Map(installations.map((i) => [i.workflowId, i]));
  const workflows = integration.workflows.map((w) => workflowView(integration, w, byWorkflow.get(w.id), baseUrl));
  return {
    integrationId: integration.id,
    app: integration.app,
    description: integration.description,
    installed: workflows.some((w) => w.installed),
    // The account an installed workflow uses was revoked, expired or deleted: the user must connect one again.
    needsReconnect: installations.some((i) => i.integrationId === integration.id && needsReconnect(i, credentials)),
    icon: absoluteUrl(baseUrl, integration.icon),
    workflows,
  };
}

/**
 * Whether an installation's account must be connected again: its credential was deleted (the ISV
 * may delete one in use) or the app refused its token. `credentials` are the user's.
 */
export function needsReconnect(installation: Installation, credentials: readonly Pick<Credential, 'credentialId' | 'status'>[]): boolean {
  const usable = new Set(credentials.filter((c) => c.status === 'ok').map((c) => c.credentialId));
  return installation.credentialIds.some((id) => !usable.has(id));
}

/** An installation as the API shows it: secrets redacted, webhook URL spelled out. `credentials` are the user's. */
export function installationView(
  installation: Installation,
  baseUrl: string,
  credentials: readonly Pick<Credential, 'credentialId' | 'status'>[],
): z.input<typeof InstallationView> {
  return {
    needsReconnect: needsReconnect(installation, credentials),
    installationId: installation.installationId,
    userId: installation.userId,
    integrationId: installation.integrationId,
    workflowId: installation.workflowId,
    version: installation.version,
    active: installation.active,
    config: redactSecrets(installation.config),
    credentialIds: installation.credentialIds,
    webhookUrl: installation.webhookToken ? `${baseUrl}/hooks/${installation.webhookToken}` : null,
    installedAt: installation.installedAt,
    updatedAt: installation.updatedAt,
  };
}
