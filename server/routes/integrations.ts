import { param, publicBaseUrl, type Api } from '../api';
import { eventSchemaToJsonSchema } from '../definitions/event-schema';
import type { Services } from '../domain/context';
import { integrationDetail } from '../domain/installing';
import { actingUser, requireUser } from '../domain/users';
import { connectorOf, isvIntegrationView, primaryConnectorOf } from '../domain/vendor-views';
import { integrationView } from '../domain/views';
import * as S from '../schemas';

/** Integrations and custom events, as the ISV sees them (apps and credential metadata: routes/credentials.ts). */
export function integrationRoutes(api: Api, services: Services) {
  const { store, definitions } = services;
  const tags = ['Integrations'];

  // Also called by alloy-frontend with a user token (middleware/browser-sdk.ts): `userId` is then the token's.
  api.get(
    '/integrations',
    { summary: 'List integrations with a user’s installation state', description: S.BROWSER_SDK_AUTH_NOTE, tags, query: S.ActingUserQuery, response: S.IsvIntegrationsResponse },
    async (c, { query }) => {
      const user = await actingUser(store, c.get('userId'), query.userId);
      const installations = await store.installations.list(user.userId);
      const credentials = await store.credentials.list(user.userId);
      const base = publicBaseUrl(c, services.config.publicUrl);
      return c.json({ data: definitions.integrations.map((i) => isvIntegrationView(i, integrationView(i, installations, base, credentials), credentials)) });
    },
  );

  api.get(
    '/integrations/:integrationId',
    {
      summary: 'One integration, with its fields and the account it needs',
      description: 'Named by its integrationId or, as Alloy allows, by its app name (`app` in the list; any case).',
      tags,
      query: S.UserIdQuery,
      response: S.IntegrationResponse,
    },
    async (c, { query }) => {
      const user = await requireUser(store, query.userId);
      const named = param(c, 'integrationId');
      const integration = definitions.integrations.find((i) => i.id === named) ?? definitions.integrations.find((i) => i.app.toLowerCase() === named.toLowerCase());
      // An unknown name falls through to integrationDetail, whose 404 names the known ids.
      const detail = await integrationDetail(services, user.userId, integration?.id ?? named, publicBaseUrl(c, services.config.publicUrl));
      return c.json({
        data: {
          ...detail,
          primaryConnector: primaryConnectorOf(integration!),
          workflows: detail.workflows.map((w) => ({ ...w, connectors: w.blocks.map(connectorOf) })),
        },
      });
    },
  );

  api.get('/events', { summary: 'The custom events and their schemas', tags, response: S.EventsResponse }, (c) =>
    c.json({
      data: [...definitions.events.values()].map((e) => ({
        name: e.name,
        description: `Starts ${e.workflowIds.map((id) => definitions.workflow(id)?.workflow.name ?? id).join(', ')}`,
        body: e.schema,
        event: e.name,
        schema: e.schema,
        jsonSchema: eventSchemaToJsonSchema(e.schema),
        browser: e.browser,
        workflowIds: e.workflowIds,
      })),
    }),
  );
}
