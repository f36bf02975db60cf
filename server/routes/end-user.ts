import { z } from 'zod';
import { param, publicBaseUrl, type Api, type AppContext } from '../api';
import { findBlock, isActionBlock } from '../blocks';
import { ApiError } from '../errors';
import type { Services } from '../domain/context';
import { deleteCredential } from '../domain/credentials';
import { runEvent } from '../domain/events';
import { hasUserSetDestination, issueSigningSecrets, rotateSigningSecret } from '../engine/destination-secrets';
import { createCredential, installIntegration, integrationDetail } from '../domain/installing';
import { tellInstallations } from '../domain/lifecycle';
import { upgradeInstallation } from '../domain/upgrade';
import { integrationView, installationView } from '../domain/views';
import * as S from '../schemas';
import { eventAnswer, idempotencyKeyHeader } from './idempotency';

/**
 * What the widget calls with the user token. The user is always the token's subject
 * (`c.get('userId')`): no route takes a userId, so none can reach another user's rows.
 */
export function endUserRoutes(api: Api, services: Services) {
  const { store } = services;
  const tags = ['End user (widget)'];
  const base = (c: AppContext) => publicBaseUrl(c, services.config.publicUrl);

  const requireInstallation = async (c: AppContext) => {
    const installation = await store.installations.findById(c.get('userId'), param(c, 'installationId'));
    if (!installation) throw new ApiError(404, 'not_found', `No installation "${param(c, 'installationId')}"`);
    return installation;
  };

  api.get('/me/integrations', { summary: 'The user’s integrations', tags, response: S.IntegrationsResponse }, async (c) => {
    const installations = await store.installations.list(c.get('userId'));
    const credentials = await store.credentials.list(c.get('userId'));
    return c.json({ data: services.definitions.integrations.map((i) => integrationView(i, installations, base(c), credentials)) });
  });

  api.get('/me/integrations/:integrationId', { summary: 'One integration with its fields and the account it needs', tags, response: S.IntegrationDetail }, async (c) =>
    c.json(await integrationDetail(services, c.get('userId'), param(c, 'integrationId'), base(c))),
  );

  api.post(
    '/me/credentials',
    { summary: 'Connect an account with an API-key form', tags, body: S.EndUserCredentialBody, response: S.CredentialResponse, status: 201 },
    async (c, { body }) => {
      const credential = await createCredential(services, c.get('userId'), body.app, body.data);
      return c.json({ credentialId: credential.credentialId, displayName: credential.displayName }, 201);
    },
  );

  api.put(
    '/me/credentials/:credentialId',
    {
      summary: 'Reconnect an account with its API-key form: the same credential, so every installation on it is kept',
      tags,
      body: S.EndUserReconnectBody,
      response: S.CredentialResponse,
    },
    async (c, { body }) => {
      const userId = c.get('userId');
      const credentialId = param(c, 'credentialId');
      const existing = await store.credentials.find(userId, credentialId);
      if (!existing) throw new ApiError(404, 'not_found', `No credential "${credentialId}" for this user`, [{ path: 'credentialId', message: 'not found' }]);
      const credential = await createCredential(services, userId, existing.app, body.data, { app: 'credentialId', data: 'data' }, { reconnect: credentialId });
      return c.json({ credentialId: credential.credentialId, displayName: credential.displayName });
    },
  );

  api.delete('/me/credentials/:credentialId', { summary: 'Delete an account no installation uses, with its secret', tags, response: S.SuccessResponse }, async (c) => {
    await deleteCredential(store, c.get('userId'), param(c, 'credentialId'));
    return c.json({ success: true as const });
  });

  api.get('/me/installations', { summary: 'The user’s installations', tags, response: S.InstallationsResponse }, async (c) => {
    const credentials = await store.credentials.list(c.get('userId'));
    return c.json({ data: (await store.installations.list(c.get('userId'))).map((i) => installationView(i, base(c), credentials)) });
  });

  api.post(
    '/me/installations',
    { summary: 'Install (or reinstall) workflows of an integration', tags, body: S.EndUserInstallBody, response: S.InstallResponse, status: 201 },
    async (c, { body }) => {
      const installations = await installIntegration(services, { userId: c.get('userId'), ...body });
      const credentials = await store.credentials.list(c.get('userId'));
      return c.json(
        {
          success: true as const,
          installationId: installations[0]!.installationId,
          workflowIds: installations.map((i) => i.workflowId),
          installations: installations.map((i) => installationView(i, base(c), credentials)),
          signingSecrets: await issueSigningSecrets(services, installations),
        },
        201,
      );
    },
  );

  api.post(
    '/me/installations/:installationId/signing-secrets/:blockId/rotate',
    {
      summary: 'Replace the signing secret of a destination the user chose',
      description:
        'For a block whose URL comes from the user’s settings. Answers the new secret, once; the old one keeps signing beside it (two signatures in `webhook-signature`) for 24 hours, so the receiver can switch over.',
      tags,
      response: S.SigningSecret.extend({ previousSignsUntil: z.string() }),
    },
    async (c) => {
      const installation = await requireInstallation(c);
      const blockId = param(c, 'blockId');
      const version = await store.versions.get(installation.workflowId, installation.version);
      const block = version && findBlock(version.definition.blocks, blockId);
      if (!block || !isActionBlock(block) || !hasUserSetDestination(block)) {
        throw new ApiError(404, 'not_found', `Block "${blockId}" of this installation sends to no destination of the user's choosing, so it has no signing secret of its own`);
      }
      const rotated = await rotateSigningSecret(services, installation.installationId, blockId);
      return c.json({ installationId: installation.installationId, workflowId: installation.workflowId, blockId, ...rotated });
    },
  );

  api.put(
    '/me/installations/:installationId',
    { summary: 'Reconfigure an installation', tags, body: S.EndUserReconfigureBody, response: S.InstallationView },
    async (c, { body }) => {
      const current = await requireInstallation(c);
      const [updated] = await installIntegration(services, {
        userId: c.get('userId'),
        integrationId: current.integrationId,
        workflowIds: [current.workflowId],
        credentialId: body.credentialId ?? current.credentialIds[0],
        config: body.config,
        // Changing settings does not resume a paused installation.
        active: current.active,
      });
      return c.json(installationView(updated!, base(c), await store.credentials.list(c.get('userId'))));
    },
  );

  api.delete('/me/installations/:installationId', { summary: 'Uninstall', tags, response: S.SuccessResponse }, async (c) => {
    const installation = await requireInstallation(c);
    await store.installations.uninstall(c.get('userId'), installation.workflowId, tellInstallations(store, 'installation.deleted'));
    return c.json({ success: true as const });
  });

  api.put(
    '/me/installations/:installationId/upgrade',
    { summary: 'Upgrade an installation to the released version of its workflow', tags, response: S.UpgradeResponse },
    async (c) => {
      const installation = await requireInstallation(c);
      const found = services.definitions.workflow(installation.workflowId);
      if (!found) throw new ApiError(404, 'not_found', `The workflow "${installation.workflowId}" is no longer offered`);
      return c.json(await upgradeInstallation(services, installation, found.workflow));
    },
  );

  for (const action of ['activate', 'deactivate'] as const) {
    api.put(
      `/me/installations/:installationId/${action}`,
      { summary: `${action === 'activate' ? 'Activate' : 'Deactivate'} an installation`, tags, response: S.SuccessResponse },
      async (c) => {
        const installation = await requireInstallation(c);
        await store.installations.setActive(c.get('userId'), installation.workflowId, action === 'activate', tellInstallations(store, 'installation.updated'));
        return c.json({ success: true as const });
      },
    );
  }

  api.post(
    ['/plugins/appmixer/utils/appevents/events/:event', '/me/events/:event'],
    {
      summary: 'Send an app event as the user (Appmixer-compatible)',
      description: 'The body is the event data. Only events whose definition sets "browser": true are accepted; an Idempotency-Key header makes a resend safe.',
      tags,
      body: S.AppEventBody,
      response: S.RunEventResponse,
    },
    async (c, { body }) => {
      const idempotencyKey = idempotencyKeyHeader(c);
      return eventAnswer(
        c,
        await runEvent(services, { userId: c.get('userId'), event: param(c, 'event'), data: body, source: 'browser', idempotencyKey, requestId: c.get('requestId') }),
      );
    },
  );
}
