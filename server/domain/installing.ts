import { availableAuth, findConnector, listConnectors } from '../connectors';
import { credentialDataSchema } from '../connectors/types';
import { ApiError, validationError } from '../errors';
import type { IntegrationDefinition } from '../definitions/schema';
import type { Installation } from '../store/installations';
import type { Services } from './context';
import { connectAccount } from './credentials';
import { emitLifecycle, installationData } from './lifecycle';
import { keepStoredSecrets, parseWorkflowConfig, sealSecrets, redactSecrets } from './config-fields';
import { checkOptionSources } from './option-checks';
import { triggerModule } from '../triggers';
import { connectionView, integrationView, needsReconnect, workflowView } from './views';

/** The integration, or a 404 listing the ones that exist. */
export function requireIntegration(services: Services, integrationId: string): IntegrationDefinition {
  const integration = services.definitions.integration(integrationId);
  if (!integration) {
    const known = services.definitions.integrations.map((i) => i.id).join(', ');
    throw new ApiError(404, 'not_found', `No integration "${integrationId}" (known: ${known})`);
  }
  return integration;
}

/**
 * Stores a credential for an app's API-key form, encrypted; the secret never comes back out.
 * `paths` are where the request holds the app and the data, for error details.
 */
export async function createCredential(
  services: Services,
  userId: string,
  app: string,
  data: Record<string, unknown>,
  paths: { app: string; data: string } = { app: 'app', data: 'data' },
  /** Reconnects this credential of the user's (same id, installations kept) instead of adding one. */
  options: { reconnect?: string } = {},
) {
  const connector = findConnector(app);
  if (!connector) {
    const known = listConnectors()
      .filter((c) => c.auth.some((a) => a.type === 'apiKey'))
      .map((c) => c.id);
    throw new ApiError(404, 'not_found', `No app "${app}" (known: ${known.join(', ')})`, [{ path: paths.app, message: 'unknown app' }]);
  }
  const form = connector.auth.find((a) => a.type === 'apiKey');
  if (!form || form.type !== 'apiKey') {
    const how = connector.auth.some((a) => a.type === 'oauth2') ? 'connect it through OAuth' : 'it needs no account';
    throw new ApiError(400, 'invalid_request', `${connector.name} takes no API-key credential: ${how}`);
  }
  const parsed = credentialDataSchema(form.fields, connector.credentialChecks).safeParse(data);
  if (!parsed.success) throw validationError(parsed.error, paths.data, `Invalid ${connector.name} credential`);
  const values = parsed.data as Record<string, string>;
  return connectAccount(services.engine.deps, { userId, connector, type: 'apiKey', secret: values, credential: values, reconnect: options.reconnect, paths });
}

/** The workflows to install: the ones asked for (each must belong to the integration) or all of them. */
export function selectWorkflows(integration: IntegrationDefinition, workflowIds?: string[]) {
  if (!workflowIds) return integration.workflows;
  return workflowIds.map((id, index) => {
    const workflow = integration.workflows.find((w) => w.id === id);
    if (!workflow) {
      throw new ApiError(404, 'not_found', `Workflow "${id}" is not part of integration "${integration.id}"`, [
        { path: `workflowIds.${index}`, message: 'not in this integration' },
      ]);
    }
    return workflow;
  });
}

/** The user's own credential, for the integration's app: 404 when it is not theirs, 400 for another app. */
export async function requireCredentialFor(services: Services, userId: string, integration: IntegrationDefinition, credentialId: string) {
  const credential = await services.store.credentials.find(userId, credentialId);
  if (!credential) throw new ApiError(404, 'not_found', `No credential "${credentialId}" for this user`, [{ path: 'credentialId', message: 'not found' }]);
  if (credential.app !== findConnector(integration.connector)?.id) {
    throw new ApiError(400, 'invalid_request', `Credential "${credentialId}" is for ${credential.app}, not ${integration.app}`, [
      { path: 'credentialId', message: `expected a ${integration.app} credential` },
    ]);
  }
  return credential;
}

/**
 * The credential an installation of the integration uses, from the ids the ISV gave (each must be
 * the user's; the one of the integration's app is taken), or else the user's latest usable one of
 * that app; null when the app needs no account or the user has none yet.
 */
export async function credentialForIntegration(
  services: Services,
  userId: string,
  integration: IntegrationDefinition,
  credentialIds: readonly string[] | undefined,
  path = 'credentialIds',
): Promise<string | null> {
  const connector = findConnector(integration.connector);
  if (!connector || connector.auth.length === 0) return null;
  if (credentialIds && credentialIds.length > 0) {
    const found = [];
    for (const [index, id] of credentialIds.entries()) {
      const credential = await services.store.credentials.find(userId, id);
      if (!credential) throw new ApiError(404, 'not_found', `No credential "${id}" for this user`, [{ path: `${path}.${index}`, message: 'not found' }]);
      found.push(credential);
    }
    const own = found.filter((c) => c.app === connector.id).at(-1);
    if (!own) {
      throw new ApiError(400, 'invalid_request', `None of ${path} is a ${integration.app} credential (got ${found.map((c) => c.app).join(', ')})`, [
        { path, message: `expected a ${integration.app} credential` },
      ]);
    }
    return own.credentialId;
  }
  const existing = (await services.store.credentials.list(userId)).filter((c) => c.app === connector.id && c.status !== 'needs_reconnect');
  return existing.at(-1)?.credentialId ?? null;
}

/**
 * Installs workflows of an integration for a user: checks the credential (it must be the user's
 * own, for the integration's app), validates the configuration against each workflow's fields and
 * the values of fields with options from the app against those options (loaded with that
 * credential), and writes every installation in one transaction. On a reinstall, secret values
 * sent back as "[redacted]" or left out keep their stored value.
 */
export async function installIntegration(
  services: Services,
  input: {
    userId: string;
    integrationId: string;
    workflowIds?: string[];
    credentialId?: string;
    config: Record<string, unknown>;
    /** The request's name for the configuration, for error paths: `config` (widget) or `data` (headless). */
    configPath?: string;
    /** A configuration of its own for some workflows (headless: one entry per workflow), with its error path; `config` for the others. */
    configs?: Map<string, { config: Record<string, unknown>; path: string }>;
    /** Id for the first workflow's installation when it is new (the headless flow's pending id). */
    installationId?: string;
    /** Whether the installations are active afterwards; a reinstall activates by default. */
    active?: boolean;
  },
): Promise<Installation[]> {
  const defaultPath = input.configPath ?? 'config';
  const integration = requireIntegration(services, input.integrationId);
  const workflows = selectWorkflows(integration, input.workflowIds);
  const connector = findConnector(integration.connector);
  const needsAccount = Boolean(connector && connector.auth.length > 0);
  let credentialIds: string[] = [];
  if (input.credentialId) {
    const credential = await requireCredentialFor(services, input.userId, integration, input.credentialId);
    credentialIds = [credential.credentialId];
  } else if (needsAccount) {
    const existing = (await services.store.credentials.list(input.userId)).filter((c) => c.app === connector!.id && c.status !== 'needs_reconnect');
    if (existing.length === 0) {
      throw new ApiError(400, 'invalid_request', `Connect a ${integration.app} account first: credentialId is required`, [{ path: 'credentialId', message: 'required' }]);
    }
    credentialIds = [existing.at(-1)!.credentialId];
  }
  const current = new Map((await services.store.installations.list(input.userId)).map((i) => [i.workflowId, i]));
  const configs = workflows.map((workflow) => {
    const own = input.configs?.get(workflow.id);
    const configPath = own?.path ?? defaultPath;
    const { values, nothingToKeep } = keepStoredSecrets(workflow.fields, own?.config ?? input.config, current.get(workflow.id)?.config, services.vault);
    if (nothingToKeep.length > 0) {
      const message = `Invalid configuration for "${workflow.name}": no stored value of ${nothingToKeep.join(', ')} to keep; send the value`;
      const details = nothingToKeep.map((name) => ({ path: `${configPath}.${name}`, message: 'no stored value to keep; send the value' }));
      throw new ApiError(400, 'invalid_request', message, details);
    }
    const parsed = parseWorkflowConfig(workflow, values);
    if (!parsed.success) throw validationError(parsed.error, configPath, `Invalid configuration for "${workflow.name}"`);
    return { workflow, configPath, config: parsed.data as Record<string, unknown> };
  });
  // Only once every workflow's values are well formed: checking against the app's options costs calls to it.
  for (const { workflow, configPath, config } of configs) {
    await checkOptionSources(services, { userId: input.userId, credentialId: credentialIds[0] ?? null, workflow, config, configPath });
  }
  const rows = configs.map(({ workflow, config }, index) => ({
    id: index === 0 ? input.installationId : undefined,
    active: input.active,
    integrationId: integration.id,
    workflowId: workflow.id,
    version: workflow.version,
    config: sealSecrets(workflow.fields, config, services.vault),
    credentialIds,
    needsWebhookToken: triggerModule(workflow.trigger.type).needsUrl,
  }));
  const { store } = services;
  return store.installations.install(input.userId, rows, async (tx, changes) => {
    for (const { installation, created } of changes) {
      await emitLifecycle(store, created ? 'installation.created' : 'installation.updated', installationData(installation), tx);
    }
  });
}

/** One integration with what installing it takes: fields, account forms, the user's credentials and config. */
export async function integrationDetail(services: Services, userId: string, integrationId: string, baseUrl: string) {
  const integration = requireIntegration(services, integrationId);
  const installations = await services.store.installations.list(userId);
  const connector = findConnector(integration.connector);
  const credentials = (await services.store.credentials.list(userId)).filter((c) => c.app === connector?.id);
  const byWorkflow = new Map(installations.map((i) => [i.workflowId, i]));
  const view = integrationView(integration, installations, baseUrl, credentials);
  return {
    ...view,
    // A deleted credential is in no list: the installations that used it need an account again too.
    needsReconnect: view.needsReconnect || installations.some((i) => i.integrationId === integration.id && needsReconnect(i, credentials)),
    connector: integration.connector,
    auth: connector ? availableAuth(connector, services.config.oauthClients) : [],
    credentials: credentials.map((c) => ({
      ...connectionView(c.credentialId, credentials, c.app),
      inUse: installations.some((i) => i.credentialIds.includes(c.credentialId)),
    })),
    workflows: integration.workflows.map((w) => {
      const installation = byWorkflow.get(w.id);
      return {
        ...workflowView(integration, w, installation, baseUrl),
        fields: w.fields,
        config: installation ? redactSecrets(installation.config) : null,
      };
    }),
  };
}
