import { publicBaseUrl, type Api } from '../api';
import { availableAuth, findConnector } from '../connectors';
import { ApiError } from '../errors';
import type { Services } from '../domain/context';
import { createCredential, installIntegration, requireCredentialFor, requireIntegration, selectWorkflows } from '../domain/installing';
import { requireUser } from '../domain/users';
import { issueSigningSecrets } from '../engine/destination-secrets';
import { installationView } from '../domain/views';
import * as S from '../schemas';

const PENDING_TTL_MS = 60 * 60 * 1000;

/** Alloy's headless installation: the ISV collects credentials and settings in its own UI. */
export function headlessRoutes(api: Api, services: Services) {
  const { store } = services;
  const tags = ['Headless installation'];

  api.post('/headless/credentials', { summary: 'Store a credential for a user', tags, body: S.HeadlessCredentialBody, response: S.CredentialResponse, status: 201 }, async (c, { body }) => {
    const user = await requireUser(store, body.userId);
    const credential = await createCredential(services, user.userId, body.credential.type, body.credential.data, {
      app: 'credential.type',
      data: 'credential.data',
    });
    return c.json({ credentialId: credential.credentialId }, 201);
  });

  api.post('/headless/startInstallation', { summary: 'Start an installation: returns the fields to fill', tags, body: S.StartInstallationBody, response: S.StartInstallationResponse }, async (c, { body }) => {
    const user = await requireUser(store, body.userId);
    const integration = requireIntegration(services, body.integrationId);
    const workflows = selectWorkflows(integration, body.workflowIds);
    // A credential that cannot be used is refused now, before the ISV collects the fields.
    if (body.credentialId) await requireCredentialFor(services, user.userId, integration, body.credentialId);
    const pending = await store.pending.create({
      userId: user.userId,
      integrationId: integration.id,
      workflowIds: workflows.map((w) => w.id),
      credentialId: body.credentialId ?? null,
      expiresAt: Date.now() + PENDING_TTL_MS,
    });
    const connector = findConnector(integration.connector);
    const auth = connector ? availableAuth(connector, services.config.oauthClients) : [];
    return c.json({
      installationId: pending.installationId,
      integrationId: integration.id,
      credentialRequired: auth.length > 0 && !body.credentialId,
      auth,
      workflows: workflows.map((w) => ({ workflowId: w.id, name: w.name, fields: w.fields })),
      expiresAt: new Date(pending.expiresAt).toISOString(),
    });
  });

  api.post('/headless/completeInstallation', { summary: 'Complete an installation with the field values', tags, body: S.CompleteInstallationBody, response: S.InstallResponse }, async (c, { body }) => {
    const user = await requireUser(store, body.userId);
    const pending = await store.pending.find(user.userId, body.installationId);
    if (!pending) {
      throw new ApiError(404, 'not_found', `No installation "${body.installationId}" in progress for this user (it may have expired; start again)`, [
        { path: 'installationId', message: 'not found or expired' },
      ]);
    }
    const installations = await installIntegration(services, {
      userId: user.userId,
      integrationId: pending.integrationId,
      workflowIds: pending.workflowIds,
      credentialId: body.credentialId ?? pending.credentialId ?? undefined,
      config: body.data,
      configPath: 'data',
      installationId: pending.installationId,
    });
    await store.pending.delete(pending.installationId);
    const base = publicBaseUrl(c, services.config.publicUrl);
    return c.json({
      success: true as const,
      // The pending id on a first install; a reinstall keeps the installation's existing id.
      installationId: installations[0]!.installationId,
      workflowIds: installations.map((i) => i.workflowId),
      installations: installations.map((i) => installationView(i, base)),
      signingSecrets: await issueSigningSecrets(services, installations),
    });
  });

  api.get('/installations', { summary: 'A user’s installations', tags, query: S.UserIdQuery, response: S.InstallationsResponse }, async (c, { query }) => {
    const user = await requireUser(store, query.userId);
    const base = publicBaseUrl(c, services.config.publicUrl);
    return c.json({ data: (await store.installations.list(user.userId)).map((i) => installationView(i, base)) });
  });
}
