import { param, publicBaseUrl, type Api } from '../api';
import { availableAuth, listConnectors, findConnector } from '../connectors';
import { eventSchemaToJsonSchema } from '../definitions/event-schema';
import { ApiError } from '../errors';
import type { Services } from '../domain/context';
import { integrationDetail } from '../domain/installing';
import { requireUser } from '../domain/users';
import { absoluteUrl, integrationView } from '../domain/views';
import * as S from '../schemas';

/** Integrations, custom events and apps, as the ISV sees them. */
export function integrationRoutes(api: Api, services: Services) {
  const { store, definitions } = services;
  const tags = ['Integrations'];

  api.get('/integrations', { summary: 'List integrations with a user’s installation state', tags, query: S.UserIdQuery, response: S.IntegrationsResponse }, async (c, { query }) => {
    const user = await requireUser(store, query.userId);
    const installations = await store.installations.list(user.userId);
    const credentials = await store.credentials.list(user.userId);
    const base = publicBaseUrl(c, services.config.publicUrl);
    return c.json({ data: definitions.integrations.map((i) => integrationView(i, installations, base, credentials)) });
  });

  api.get('/integrations/:integrationId', { summary: 'One integration, with its fields and the account it needs', tags, query: S.UserIdQuery, response: S.IntegrationDetail }, async (c, { query }) => {
    const user = await requireUser(store, query.userId);
    return c.json(await integrationDetail(services, user.userId, param(c, 'integrationId'), publicBaseUrl(c, services.config.publicUrl)));
  });

  api.get('/events', { summary: 'The custom events and their schemas', tags, response: S.EventsResponse }, (c) =>
    c.json({
      data: [...definitions.events.values()].map((e) => ({
        event: e.name,
        schema: e.schema,
        jsonSchema: eventSchemaToJsonSchema(e.schema),
        browser: e.browser,
        workflowIds: e.workflowIds,
      })),
    }),
  );

  api.get('/apps', { summary: 'The connectors and their icons', tags, response: S.AppsResponse }, (c) => {
    const base = publicBaseUrl(c, services.config.publicUrl);
    return c.json({
      data: listConnectors().map((a) => ({ app: a.id, name: a.name, icon: absoluteUrl(base, a.icon), authTypes: availableAuth(a, services.config.oauthClients).map((x) => x.type) })),
    });
  });

  api.get('/metadata/credentials/:app', { summary: 'The fields a credential of an app needs', tags, response: S.CredentialMetadataResponse }, (c) => {
    const app = findConnector(param(c, 'app'));
    if (!app) throw new ApiError(404, 'not_found', `No app "${param(c, 'app')}" (known: ${listConnectors().map((a) => a.id).join(', ')})`);
    return c.json({ data: { app: app.id, name: app.name, auth: availableAuth(app, services.config.oauthClients) } });
  });
}
