import { createHash, randomBytes } from 'node:crypto';
import { findConnector } from '../connectors';
import type { Connector } from '../connectors/types';
import { requestToken, tokenData, type OAuthDeps } from '../engine/oauth';
import { ApiError } from '../errors';
import type { PendingOAuth } from '../store/credentials';
import { connectAccount, requireRoomForCredential } from './credentials';

// An end user connecting an account with OAuth 2.0: the sign-in is started (a popup's state or a
// headless link), sent to the provider, and completed at the callback by storing the credential.
// The token exchange and the refreshes that keep it working are the engine's (server/engine/oauth.ts).

/** How long a started sign-in stays pending (its `state`), and its cookie lives. */
export const STATE_TTL_MS = 10 * 60 * 1000;
const b64url = (b: Buffer) => b.toString('base64url');

function oauthConnector(deps: OAuthDeps, app: string): { connector: Connector; client: { clientId: string; clientSecret: string; authorizeUrl: string } } {
  const connector = findConnector(app);
  if (!connector?.oauth || !connector.auth.some((a) => a.type === 'oauth2')) throw new ApiError(404, 'not_found', `${connector?.name ?? app} has no OAuth connection`);
  const client = deps.settings.oauthClients[connector.id];
  if (!client)
    throw new ApiError(
      400,
      'invalid_request',
      `OAuth for ${connector.name} is not configured on this server (set ${connector.id.toUpperCase()}_CLIENT_ID and ${connector.id.toUpperCase()}_CLIENT_SECRET)`,
    );
  return { connector, client };
}

/**
 * Starts an authorization-code flow with PKCE (S256) and a single-use `state`, and returns the
 * state. The browser takes it to the provider through POST /oauth/begin, which binds it to that
 * browser (server/routes/oauth.ts).
 */
export async function startOAuth(
  deps: OAuthDeps,
  input: { userId: string; app: string; redirectUri: string; origin: string | null; statePrefix?: string; credentialId?: string | null },
): Promise<string> {
  const { connector } = oauthConnector(deps, input.app);
  // Refused before the user goes to the provider, not after they have approved there.
  if (input.credentialId) {
    const own = await deps.store.credentials.find(input.userId, input.credentialId);
    if (!own || own.app !== connector.id) {
      throw new ApiError(404, 'not_found', `No ${connector.name} credential "${input.credentialId}" for this user`, [{ path: 'credentialId', message: 'not found' }]);
    }
  } else {
    await requireRoomForCredential(deps.store, input.userId, connector.id, connector.name);
  }
  const state = `${input.statePrefix ?? ''}${b64url(randomBytes(32))}`;
  const codeVerifier = b64url(randomBytes(32));
  await deps.store.credentials.saveOAuthState({
    state,
    userId: input.userId,
    app: connector.id,
    codeVerifier,
    redirectUri: input.redirectUri,
    origin: input.origin,
    credentialId: input.credentialId ?? null,
    expiresAt: Date.now() + STATE_TTL_MS,
  });
  return state;
}

/**
 * What prefixes a headless link's token. A popup's state (startOAuth) is 43 base64url characters
 * and never has it, so neither can be used as the other: a popup state opened as a link would skip
 * the Origin check of POST /oauth/begin.
 */
const LINK_PREFIX = 'link_';
/** A headless link's token: the prefix and 32 random bytes, base64url. */
export const LINK_TOKEN = /^link_[\w-]{43}$/;

/**
 * Starts a sign-in for a link the ISV's backend hands to its user (GET /headless/oauthUrl): no page
 * started it, so it has no origin, and POST /oauth/begin refuses it. Returns the link's token,
 * which GET /oauth/link/:token takes once (openOAuthLink).
 */
export async function startOAuthLink(deps: OAuthDeps, input: { userId: string; app: string; redirectUri: string; credentialId?: string | null }): Promise<string> {
  return startOAuth(deps, { ...input, origin: null, statePrefix: LINK_PREFIX });
}

/**
 * Opens a headless link, once: its token is taken (a second opening finds nothing), and the
 * sign-in goes on under a new state that only this browser's cookie and the provider learn, for
 * another STATE_TTL_MS. Undefined when the link is unknown, used or expired.
 */
export async function openOAuthLink(deps: OAuthDeps, token: string): Promise<PendingOAuth | undefined> {
  if (!LINK_TOKEN.test(token)) return undefined;
  const link = await deps.store.credentials.takeOAuthState(token);
  if (!link) return undefined;
  const pending = { ...link, state: b64url(randomBytes(32)), expiresAt: Date.now() + STATE_TTL_MS };
  await deps.store.credentials.saveOAuthState(pending);
  return pending;
}

/** The provider's authorization URL of a pending request: its client, scopes, redirect URI, state and PKCE challenge. */
export function authorizationUrl(deps: OAuthDeps, pending: PendingOAuth): string {
  const { connector, client } = oauthConnector(deps, pending.app);
  const scopes = connector.auth.find((a) => a.type === 'oauth2')!;
  const url = new URL(client.authorizeUrl);
  url.search = new URLSearchParams({
    // The connector's own first (Google's access_type), so none of them can replace a standard one.
    ...connector.oauth!.authorizeParams,
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: pending.redirectUri,
    scope: scopes.type === 'oauth2' ? scopes.scopes.join(connector.oauth!.scopeSeparator) : '',
    state: pending.state,
    code_challenge: b64url(createHash('sha256').update(pending.codeVerifier).digest()),
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

/**
 * Completes the flow at the callback, with the request taken from the store (takeOAuthState):
 * exchanges the code (with the PKCE verifier) and stores the credential.
 */
export async function completeOAuth(deps: OAuthDeps, pending: PendingOAuth, code: string) {
  const { connector } = oauthConnector(deps, pending.app);
  const tokens = await requestToken(deps, connector, { grant_type: 'authorization_code', code, redirect_uri: pending.redirectUri, code_verifier: pending.codeVerifier });
  const credential = await connectAccount(deps, {
    userId: pending.userId,
    connector,
    type: 'oauth2',
    secret: { ...tokens },
    credential: tokenData(tokens),
    expiresAt: tokens.expiresAt,
    reconnect: pending.credentialId,
  });
  return { credentialId: credential.credentialId, app: connector.id, userId: pending.userId, origin: pending.origin };
}
