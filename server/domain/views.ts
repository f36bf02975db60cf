import type { z } from 'zod';
import { blockViews } from '../blocks';
import { findConnector } from '../connectors';
import type { IntegrationDefinition, WorkflowDefinition } from '../definitions/schema';
import type { Credential } from '../store/credentials';
import type { Installation } from '../store/installations';
import type { BlockView, IntegrationView, WorkflowView, InstallationView } from '../schemas';
import type { ConnectionView } from '../../widget/schema';
import { redactSecrets } from './config-fields';
import { triggerModule } from '../triggers';

/** Makes a served path (`/icons/slack.svg`) absolute against the server's public URL. */
export function absoluteUrl(baseUrl: string, pathOrUrl: string): string {
  return /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${baseUrl}${pathOrUrl}`;
}

/** The workflow's trigger as its view shows it: its block (first of the blocks) and the `trigger` summary. */
function triggerView(workflow: WorkflowDefinition, baseUrl: string): { block: z.input<typeof BlockView>; summary: { type: string; event?: string } } {
  const { block, summary } = triggerModule(workflow.trigger.type).view(workflow.trigger);
  return { block: { name: block.name, id: 'trigger', type: block.type, icon: absoluteUrl(baseUrl, block.icon) }, summary };
}

/** A workflow as the Alloy API lists it, with the user's installation state. */
export function workflowView(
  integration: IntegrationDefinition,
  workflow: WorkflowDefinition,
  installation: Installation | undefined,
  baseUrl: string,
): z.input<typeof WorkflowView> {
  const trigger = triggerView(workflow, baseUrl);
  return {
    workflowId: workflow.id,
    integrationId: integration.id,
    name: workflow.name,
    description: workflow.description,
    installed: Boolean(installation),
    version: workflow.version,
    installedVersion: installation?.version ?? null,
    active: installation?.active ?? false,
    credentialId: installation ? (installation.credentialIds[0] ?? null) : null,
    trigger: trigger.summary,
    blocks: [
      trigger.block,
      // Nested blocks after the block holding them: the list names every app a workflow calls.
      ...blockViews(workflow.blocks).map((b) => ({ name: b.name, id: b.id, type: b.type, icon: absoluteUrl(baseUrl, b.icon) })),
    ],
  };
}

/** An integration in the seed's `GET /integrations` shape. */
export function integrationView(
  integration: IntegrationDefinition,
  installations: readonly Installation[],
  baseUrl: string,
  /** The user's credentials (at least those of the integration's app): an installation whose own is not among the usable ones needs reconnecting. */
  credentials: readonly Credential[],
): z.input<typeof IntegrationView> {
  const byWorkflow = new Map(installations.map((i) => [i.workflowId, i]));
  const own = installations.filter((i) => i.integrationId === integration.id);
  const used = [...new Set(own.flatMap((i) => i.credentialIds))];
  const workflows = integration.workflows.map((w) => workflowView(integration, w, byWorkflow.get(w.id), baseUrl));
  return {
    integrationId: integration.id,
    app: integration.app,
    description: integration.description,
    installed: workflows.some((w) => w.installed),
    // The account an installed workflow uses was revoked, expired or deleted: the user must connect one again.
    needsReconnect: own.some((i) => needsReconnect(i, credentials)),
    connections: used.map((id) => connectionView(id, credentials, findConnector(integration.connector)?.id ?? integration.app)),
    icon: absoluteUrl(baseUrl, integration.icon),
    workflows,
  };
}

/** An account as the API shows it; one no longer among the user's credentials is `deleted`. */
export function connectionView(credentialId: string, credentials: readonly Credential[], app: string): z.input<typeof ConnectionView> {
  const c = credentials.find((x) => x.credentialId === credentialId);
  if (!c) return { credentialId, app, displayName: null, status: 'deleted', lastError: null, lastErrorAt: null };
  return { credentialId, app: c.app, displayName: c.displayName, status: c.status, lastError: c.lastError, lastErrorAt: c.lastErrorAt };
}

/**
 * Whether an installation's account must be connected again: its credential was deleted (the ISV
 * may delete one in use) or the app refused its token. `credentials` are the user's.
 */
export function needsReconnect(installation: Installation, credentials: readonly Pick<Credential, 'credentialId' | 'status'>[]): boolean {
  const usable = new Set(credentials.filter((c) => c.status !== 'needs_reconnect').map((c) => c.credentialId));
  return installation.credentialIds.some((id) => !usable.has(id));
}

/** An installation as the API shows it: secrets redacted, webhook URL spelled out. `credentials` are the user's. */
export function installationView(installation: Installation, baseUrl: string, credentials: readonly Credential[]): z.input<typeof InstallationView> {
  const credentialId = installation.credentialIds[0];
  return {
    needsReconnect: needsReconnect(installation, credentials),
    connection: credentialId ? connectionView(credentialId, credentials, installation.integrationId) : null,
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
