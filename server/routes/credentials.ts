import type { z } from 'zod';
import { param, publicBaseUrl, type Api } from '../api';
import { availableAuth, findConnector, listConnectors } from '../connectors';
import type { Connector } from '../connectors/types';
import { ApiError } from '../errors';
import type { Services } from '../domain/context';
import { createCredential } from '../domain/installing';
import { tellCredentialDeleted } from '../domain/lifecycle';
import { requireUser } from '../domain/users';
import { absoluteUrl } from '../domain/views';
import { STATE_TTL_MS, startOAuthLink } from '../domain/oauth';
import * as S from '../schemas';
import { oauthBaseUrl } from './oauth';

/** The app, or a 404 listing the apps there are. */
function requireApp(id: string): Connector {
  const app = findConnector(id);
  if (!app)
    throw new ApiError(
      404,
      'not_found',
      `No app "${id}" (known: ${listConnectors()
        .map((a) => a.id)
        .join(', ')})`,
    );
  return app;
}

/**
 * What connecting an account of the app takes, in Alloy's credential-metadata shape. `isOauth`
 * when this server can connect it through OAuth: then `properties` are the OAuth link's extra
 * query parameters (none of our apps needs one); otherwise they are the API-key form's fields,
 * the keys of `credential.data`. `auth` lists every way, with the API-key form an OAuth app may
 * also take (Slack's bot token).
 */
function credentialMetadata(app: Connector, baseUrl: string, oauthClients: Services['config']['oauthClients']): z.input<typeof S.CredentialMetadata> {
  const auth = availableAuth(app, oauthClients);
  const isOauth = auth.some((a) => a.type === 'oauth2');
  const form = auth.find((a) => a.type === 'apiKey');
  const properties = isOauth || !form || form.type !== 'apiKey' ? [] : form.fields.map((f) => ({ name: f.name, displayName: f.label, description: f.description }));
  return { connector: app.id, name: app.id, icon: absoluteUrl(baseUrl, app.icon), isOauth, properties, app: app.id, displayName: app.name, auth };
}

/** An app in the headless guide's list-apps shape (2023-12 `/apps`; 2024-03 `/metadata/apps` adds `oauth`). */
function appView(app: Connector, baseUrl: string, oauthClients: Services['config']['oauthClients']): z.input<typeof S.AppView> {
  const auth = availableAuth(app, oauthClients);
  return {
    name: app.id,
    icon: absoluteUrl(baseUrl, app.icon),
    type: Object.keys(app.actions).length > 0 ? ['action'] : [],
    oauth: auth.some((a) => a.type === 'oauth2'),
    app: app.id,
    displayName: app.name,
    authTypes: auth.map((a) => a.type),
  };
}

/** Apps, what connecting each takes, and a user's credentials: the ISV's side of connecting accounts. */
export function credentialRoutes(api: Api, services: Services) {
  const { store, config } = services;
  const tags = ['Credentials'];
  const base = (c: Parameters<typeof publicBaseUrl>[0]) => publicBaseUrl(c, config.publicUrl);

  api.get(['/apps', '/metadata/apps'], { summary: 'The apps and how each connects', tags, response: S.AppsResponse }, (c) =>
    c.json({ data: listConnectors().map((a) => appView(a, base(c), config.oauthClients)) }),
  );

  api.get('/metadata/credentials', { summary: 'What connecting an account takes, for every app that needs one', tags, response: S.CredentialMetadataListResponse }, (c) =>
    c.json({
      data: listConnectors()
        .filter((a) => a.auth.length > 0)
        .map((a) => credentialMetadata(a, base(c), config.oauthClients)),
    }),
  );

  // `/credentials/:app` is the path the vendor's Node SDK (alloy-node 2.2.1, getCredential) asks it at.
  api.get(['/metadata/credentials/:app', '/credentials/:app'], { summary: 'What connecting an account of an app takes', tags, response: S.CredentialMetadataResponse }, (c) =>
    c.json({ data: credentialMetadata(requireApp(param(c, 'app')), base(c), config.oauthClients) }),
  );

  api.post(
    '/headless/credentials',
    { summary: 'Store a credential for a user', tags, body: S.HeadlessCredentialBody, response: S.CreateCredentialResponse, status: 201 },
    async (c, { body }) => {
      const user = await requireUser(store, body.userId);
      const credential = await createCredential(
        services,
        user.userId,
        body.credential.type,
        body.credential.data,
        { app: 'credential.type', data: 'credential.data' },
        { reconnect: body.credentialId },
      );
      return c.json({ success: true as const, credentialId: credential.credentialId }, 201);
    },
  );

  /** A single-use OAuth link for a user (found by requireUser): GET /oauth/link/<token> (routes/oauth.ts) opens it once. */
  const oauthLink = async (c: Parameters<typeof oauthBaseUrl>[0], user: { userId: string }, appId: string, credentialId?: string): Promise<z.input<typeof S.OAuthUrlResponse>> => {
    const app = requireApp(appId);
    const url = oauthBaseUrl(c, config);
    const token = await startOAuthLink(services.engine.deps, { userId: user.userId, app: app.id, redirectUri: `${url}/oauth/callback`, credentialId });
    return { oauthUrl: `${url}/oauth/link/${token}`, expiresAt: new Date(Date.now() + STATE_TTL_MS).toISOString() };
  };
  const LINK_TERMS =
    'The link is single-use and valid for 10 minutes; whoever opens it connects their account to this user, so hand it only to that user. The provider’s consent screen follows; the last page says the account is connected, and GET /credentials/users/{userId} lists it.';

  api.get(
    '/headless/oauthUrl',
    {
      summary: 'A link that connects an account through OAuth in the user’s browser',
      description: LINK_TERMS,
      tags,
      query: S.OAuthUrlQuery,
      response: S.OAuthUrlResponse,
    },
    async (c, { query }) => {
      const user = await requireUser(store, query.userId);
      const appId = query.app ?? query.credentialName;
      if (!appId) throw new ApiError(400, 'invalid_request', 'Name the app to connect: app (or credentialName)', [{ path: 'app', message: 'required' }]);
      return c.json(await oauthLink(c, user, appId, query.credentialId));
    },
  );

  // The vendor's Node SDK (alloy-node 2.2.1, getUserOauthRedirect) asks for the same link here,
  // with the app in the path and its own arguments as the query (none of our apps needs one).
  api.get(
    '/users/:userId/credentials/:credentialName',
    {
      summary: 'A link that connects an account of the app through OAuth in the user’s browser (the Node SDK’s OAuth redirect)',
      description: `The same link as GET /headless/oauthUrl, with the app named in the path. ${LINK_TERMS}`,
      tags,
      response: S.OAuthUrlResponse,
    },
    async (c) => c.json(await oauthLink(c, await requireUser(store, param(c, 'userId')), param(c, 'credentialName'))),
  );

  api.get('/credentials/users/:userId', { summary: 'A user’s credentials (never their secrets)', tags, response: S.UserCredentialsResponse }, async (c) => {
    const user = await requireUser(store, param(c, 'userId'));
    const credentials = await store.credentials.list(user.userId);
    return c.json({
      data: credentials.map((cred) => ({
        credentialId: cred.credentialId,
        type: cred.app,
        name: `${findConnector(cred.app)?.name ?? cred.app} (${cred.type === 'oauth2' ? 'OAuth' : 'API key'})`,
        createdAt: cred.createdAt,
        updatedAt: cred.updatedAt,
        app: cred.app,
        authType: cred.type,
        status: cred.status,
        displayName: cred.displayName,
        lastError: cred.lastError,
        lastErrorAt: cred.lastErrorAt,
        expiresAt: cred.expiresAt,
      })),
    });
  });

  api.delete(
    '/users/:userId/credentials/:credentialId',
    {
      summary: 'Delete a user’s credential, with its secret',
      description:
        'Also one that installations use, as Alloy’s does: they then show `needsReconnect: true`, and their executions fail at once with a `credential_deleted:` error until the user connects an account again (reinstall, or editInstallation with credentialIds).',
      tags,
      response: S.SuccessResponse,
    },
    async (c) => {
      const user = await requireUser(store, param(c, 'userId'));
      const credentialId = param(c, 'credentialId');
      if (!(await store.credentials.delete(user.userId, credentialId, tellCredentialDeleted(store))))
        throw new ApiError(404, 'not_found', `No credential "${credentialId}" for this user`);
      return c.json({ success: true as const });
    },
  );
}
