import type { z } from 'zod';
import { publicBaseUrl, type Api } from '../api';
import { availableAuth, findConnector } from '../connectors';
import { ApiError } from '../errors';
import type { Services } from '../domain/context';
import { credentialForIntegration, installIntegration, requireCredentialFor, requireIntegration, selectWorkflows } from '../domain/installing';
import { credentialMap, formBlocks, headlessInstallationView, installedData } from '../domain/headless-views';
import { requireUser } from '../domain/users';
import { issueSigningSecrets } from '../engine/destination-secrets';
import { installationView } from '../domain/views';
import * as S from '../schemas';

const PENDING_TTL_MS = 60 * 60 * 1000;

type FilledBlocks = Extract<z.output<typeof S.CompleteInstallationBody>['data'], unknown[]>;

/**
 * The values of completeInstallation's `data`, per workflow: each entry's fields by name (several
 * entries of one workflow merge). A workflow that is not part of the installation is a 400 naming it.
 */
function configsByWorkflow(data: FilledBlocks, workflowIds: readonly string[]) {
  const configs = new Map<string, { config: Record<string, unknown>; path: string }>();
  data.forEach((entry, index) => {
    if (!workflowIds.includes(entry.workflowId)) {
      throw new ApiError(400, 'invalid_request', `Workflow "${entry.workflowId}" is not part of this installation (it has ${workflowIds.join(', ')})`, [
        { path: `data.${index}.workflowId`, message: 'not part of this installation' },
      ]);
    }
    const own = configs.get(entry.workflowId) ?? { config: {}, path: `data.${index}.fields` };
    for (const field of entry.fields) own.config[field.name] = field.value;
    configs.set(entry.workflowId, own);
  });
  return configs;
}

/** Alloy's headless installation: the ISV collects credentials and settings in its own UI. */
export function headlessRoutes(api: Api, services: Services) {
  const { store, definitions } = services;
  const tags = ['Headless installation'];

  api.post(
    '/headless/startInstallation',
    { summary: 'Start an installation: returns the fields to fill', tags, body: S.StartInstallationBody, response: S.StartInstallationResponse },
    async (c, { body }) => {
      const user = await requireUser(store, body.userId);
      const integration = requireIntegration(services, body.integrationId);
      const workflows = selectWorkflows(integration, body.workflowIds);
      // A credential that cannot be used is refused now, before the ISV collects the fields.
      const credentialId =
        body.credentialId && !body.credentialIds
          ? (await requireCredentialFor(services, user.userId, integration, body.credentialId)).credentialId
          : await credentialForIntegration(services, user.userId, integration, body.credentialIds);
      const pending = await store.pending.create({
        userId: user.userId,
        integrationId: integration.id,
        workflowIds: workflows.map((w) => w.id),
        credentialId,
        expiresAt: Date.now() + PENDING_TTL_MS,
      });
      const connector = findConnector(integration.connector);
      const auth = connector ? availableAuth(connector, services.config.oauthClients) : [];
      return c.json({
        installationId: pending.installationId,
        data: formBlocks(integration, workflows),
        integrationId: integration.id,
        credentialRequired: auth.length > 0 && !credentialId,
        auth,
        workflows: workflows.map((w) => ({ workflowId: w.id, name: w.name, fields: w.fields })),
        expiresAt: new Date(pending.expiresAt).toISOString(),
      });
    },
  );

  api.post(
    '/headless/completeInstallation',
    { summary: 'Complete an installation with the field values', tags, body: S.CompleteInstallationBody, response: S.CompleteInstallationResponse },
    async (c, { body }) => {
      const user = body.userId === undefined ? undefined : await requireUser(store, body.userId);
      const pending = await store.pending.find(user?.userId, body.installationId);
      if (!pending) {
        throw new ApiError(404, 'not_found', `No installation "${body.installationId}" in progress${user ? ' for this user' : ''} (it may have expired; start again)`, [
          { path: 'installationId', message: 'not found or expired' },
        ]);
      }
      const perWorkflow = Array.isArray(body.data);
      const installations = await installIntegration(services, {
        userId: pending.userId,
        integrationId: pending.integrationId,
        workflowIds: pending.workflowIds,
        credentialId: body.credentialId ?? pending.credentialId ?? undefined,
        config: perWorkflow ? {} : (body.data as Record<string, unknown>),
        configs: perWorkflow ? configsByWorkflow(body.data as FilledBlocks, pending.workflowIds) : undefined,
        configPath: 'data',
        installationId: pending.installationId,
      });
      await store.pending.delete(pending.installationId);
      const base = publicBaseUrl(c, services.config.publicUrl);
      const credentials = await store.credentials.list(pending.userId);
      return c.json({
        message: 'Installation completed successfully' as const,
        success: true as const,
        // The pending id on a first install; a reinstall keeps the installation's existing id.
        installationId: installations[0]!.installationId,
        workflowIds: installations.map((i) => i.workflowId),
        installations: installations.map((i) => installationView(i, base, credentials)),
        signingSecrets: await issueSigningSecrets(services, installations),
      });
    },
  );

  api.post(
    '/headless/editInstallation',
    { summary: 'Start editing an installation: returns its form and current values', tags, body: S.EditInstallationBody, response: S.EditInstallationResponse },
    async (c, { body }) => {
      const user = await requireUser(store, body.userId);
      const integration = requireIntegration(services, body.integrationId);
      const installed = (await store.installations.list(user.userId)).filter((i) => i.integrationId === integration.id);
      if (installed.length === 0)
        throw new ApiError(404, 'not_found', `This user has not installed integration "${integration.id}"`, [{ path: 'integrationId', message: 'not installed' }]);
      const first = body.installationId ? installed.find((i) => i.installationId === body.installationId) : installed[0];
      if (!first) {
        throw new ApiError(404, 'not_found', `No installation "${body.installationId}" of integration "${integration.id}" for this user`, [
          { path: 'installationId', message: 'not found' },
        ]);
      }
      // Without credentialIds the installation keeps its account, or, when that one was deleted, takes the user's current one.
      const kept = first.credentialIds[0] && (await store.credentials.find(user.userId, first.credentialIds[0])) ? first.credentialIds[0] : undefined;
      const credentialId = kept && !body.credentialIds ? kept : await credentialForIntegration(services, user.userId, integration, body.credentialIds);
      // The edit is completed by completeInstallation with the installation's own id: a reinstall keeps every id.
      const pending = await store.pending.create({
        installationId: first.installationId,
        userId: user.userId,
        integrationId: integration.id,
        workflowIds: installed.map((i) => i.workflowId),
        credentialId,
        expiresAt: Date.now() + PENDING_TTL_MS,
      });
      const workflows = selectWorkflows(integration, pending.workflowIds);
      return c.json({
        data: {
          installationId: pending.installationId,
          integrationId: integration.id,
          userId: user.userId,
          formData: formBlocks(integration, workflows),
          credentialIds: credentialId ? credentialMap(integration, { ...first, credentialIds: [credentialId] }) : {},
          workflowIds: pending.workflowIds,
          installedData: installed.map(installedData),
          installedAt: first.installedAt,
          expiresAt: new Date(pending.expiresAt).toISOString(),
        },
      });
    },
  );

  api.get(
    '/installations',
    { summary: 'Every installation of the account, or one user’s', tags, query: S.AllInstallationsQuery, response: S.HeadlessInstallationsResponse },
    async (c, { query }) => {
      const user = query.userId === undefined ? undefined : await requireUser(store, query.userId);
      const installations = user ? await store.installations.list(user.userId) : await store.installations.listAll();
      const credentials = new Map<string, Awaited<ReturnType<typeof store.credentials.list>>>();
      for (const userId of new Set(installations.map((i) => i.userId))) credentials.set(userId, await store.credentials.list(userId));
      const base = publicBaseUrl(c, services.config.publicUrl);
      return c.json({
        data: installations.map((i) => headlessInstallationView(i, definitions.integration(i.integrationId), base, credentials.get(i.userId) ?? [])),
      });
    },
  );
}
