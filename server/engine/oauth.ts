import { z } from 'zod';
import { findConnector } from '../connectors';
import type { Connector, ConnectorSettings } from '../connectors/types';
import { openCredential } from '../domain/credentials';
import { credentialData, emitLifecycle } from '../domain/lifecycle';
import type { Vault } from '../secrets';
import type { Store } from '../store';
import type { Credential } from '../store/credentials';
import { NonRetriableError, RetryAfterError } from './errors';
import type { HttpClient } from './http';

export interface OAuthDeps {
  store: Store;
  vault: Vault;
  http: HttpClient;
  settings: ConnectorSettings;
}

/** Refresh a token this long before it expires, so no call goes out with one about to lapse. */
const REFRESH_MARGIN_MS = 60 * 1000;

/**
 * What is read of a token endpoint's answer (RFC 6749 section 5.1, plus Slack's `{ ok, error }`
 * envelope); other fields are ignored. The answer is untrusted input: a field of the wrong type
 * counts as absent, and `expires_in`, a number of seconds, is also taken as a string of digits,
 * as some providers send it.
 */
const TokenAnswer = z.object({
  ok: z.boolean().optional().catch(undefined),
  error: z.string().optional().catch(undefined),
  access_token: z.string().min(1).optional().catch(undefined),
  refresh_token: z.string().min(1).optional().catch(undefined),
  expires_in: z
    .union([
      z.number(),
      z
        .string()
        .trim()
        .regex(/^\d+(\.\d+)?$/)
        .transform(Number),
    ])
    .optional()
    .catch(undefined),
  scope: z.string().optional().catch(undefined),
});

/** The longest token lifetime believed (a longer one would overflow the store's time columns). */
const MAX_TOKEN_LIFETIME_S = 10 * 365 * 86_400;

/** When a token given `expiresIn` seconds of life at `now` expires, in whole ms (unknown: null; negative: now). */
function expiryOf(expiresIn: number | undefined, now: number): number | null {
  if (expiresIn === undefined || !Number.isFinite(expiresIn)) return null;
  return now + Math.round(Math.min(Math.max(expiresIn, 0), MAX_TOKEN_LIFETIME_S) * 1000);
}

/** The token has no refresh token and still works: a refresh ahead of its expiry cannot be made. */
export class NoRefreshToken extends Error {}

/** A token endpoint said no (Slack's `{ ok: false, error }`, or a 2xx without a token). */
class TokenRefused extends NonRetriableError {
  constructor(
    appName: string,
    readonly code: string | undefined,
  ) {
    super(`${appName} token endpoint: ${code ?? 'no access_token'}`);
  }
}

export interface TokenSet {
  accessToken: string;
  refreshToken?: string;
  expiresAt: number | null;
  scope?: string;
  /** The token answer's fields the connector keeps beside the token (`tokenFields`: Salesforce's `instance_url`). */
  extra?: Record<string, string>;
}

/** What a connector's calls see of a token set: the access token, and the fields kept with it. */
export function tokenData(tokens: TokenSet): Record<string, string> {
  return { ...tokens.extra, accessToken: tokens.accessToken };
}

/** Asks the connector's token endpoint for tokens (a code exchange or a refresh) with the server's OAuth client. */
export async function requestToken(deps: OAuthDeps, connector: Connector, params: Record<string, string>): Promise<TokenSet> {
  const client = deps.settings.oauthClients[connector.id]!;
  const res = await deps.http.send({
    method: 'POST',
    url: connector.oauth!.tokenUrl(deps.settings),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ ...params, client_id: client.clientId, client_secret: client.clientSecret }).toString(),
  });
  // RFC 6749 answers errors with 400 (thrown by the client); Slack answers 200 { ok: false, error }.
  const parsed = TokenAnswer.safeParse(res.body);
  // Not a JSON object (a 200 HTML page, a proxy's): the provider's hiccup, not a refusal; a refresh
  // is retried later instead of marking the connection as needing the user.
  if (!parsed.success)
    throw new RetryAfterError(`${connector.name} token endpoint: unexpected answer (${typeof res.body === 'string' ? res.body.slice(0, 80) : 'not a JSON object'})`);
  const body = parsed.data;
  // Slack's own "try again" errors must not cost the user their connection.
  if (['ratelimited', 'internal_error', 'service_unavailable', 'fatal_error', 'request_timeout'].includes(body.error ?? '')) {
    throw new RetryAfterError(`${connector.name} token endpoint: ${body.error}`);
  }
  if (body.ok === false || body.error || !body.access_token) throw new TokenRefused(connector.name, body.error);
  const extra: Record<string, string> = {};
  for (const field of connector.oauth!.tokenFields ?? []) {
    const value = (res.body as Record<string, unknown>)[field];
    if (typeof value === 'string' && value !== '') extra[field] = value;
  }
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresAt: expiryOf(body.expires_in, Date.now()),
    scope: body.scope,
    ...(Object.keys(extra).length ? { extra } : {}),
  };
}

type OpenedCredential = NonNullable<Awaited<ReturnType<typeof openCredential>>>;

/** A credential's key in this process's maps (refreshes under way, tokens not saved yet). */
const credentialKey = (userId: string, credentialId: string) => `${userId}:${credentialId}`;

/** Settings of the refresh: when a token counts as due, how long a process holds a refresh, how often a waiter looks. */
export const REFRESH = {
  /** Refresh a token this long before it expires, so no call goes out with one about to lapse. */
  marginMs: REFRESH_MARGIN_MS,
  /** How long one process holds a credential's refresh; a process that died lets it go after this. */
  leaseMs: 30_000,
  /** How often a process waiting for another's refresh reads the credential. */
  waitPollMs: 50,
};

/** The prefix of an execution's error when its account must be reconnected, for callers to match on. */
export const NEEDS_RECONNECT = 'needs_reconnect';

/** The account must be connected again by its user: no retry can help, and executions fail with this. */
export class NeedsReconnectError extends NonRetriableError {
  readonly code = NEEDS_RECONNECT;
  constructor(appName: string, why: string | null) {
    super(`${NEEDS_RECONNECT}: ${appName}: the account must be reconnected by the user${why ? ` (${why})` : ''}`);
    this.name = 'NeedsReconnectError';
  }
}

/**
 * A credential ready to use: an OAuth token about to expire is refreshed first.
 *
 * One refresh per credential at a time, across processes: the refresh is a lease in the store
 * (`claimRefresh`, status `refreshing`) that one process takes; the others wait for its result and
 * use the tokens it stored. With refresh tokens that work once (Slack's rotation), a second
 * refresh with the same one would be refused and cost the user a working connection. Within a
 * process, callers of the same credential also queue behind one another, so fifty executions of
 * one user make one read of the store each, not fifty claims.
 *
 * The provider's refusal of the refresh token (`invalid_grant` and its equivalents) marks the
 * credential `needs_reconnect` at once and tells the ISV (`credential.needs_reconnect`); a
 * provider that is down or slow leaves it healthy, its error noted, and the execution is retried.
 */
export async function usableCredential(deps: OAuthDeps, userId: string, credentialId: string) {
  const found = await readCredential(deps, userId, credentialId);
  if (!found || 'ready' in found) return found?.ready;
  return singleFlight(credentialKey(userId, credentialId), () => refreshOrWait(deps, userId, credentialId));
}

/**
 * Refreshes the credential ahead of its expiry (the sweep): the same single-flight path as an
 * execution's. Resolves whatever came of it; what went wrong is on the credential.
 */
export async function refreshAhead(deps: OAuthDeps, userId: string, credentialId: string, windowMs: number): Promise<'refreshed' | 'no_refresh_token' | 'failed'> {
  try {
    await singleFlight(credentialKey(userId, credentialId), () => refreshOrWait(deps, userId, credentialId, windowMs));
    return 'refreshed';
  } catch (err) {
    return err instanceof NoRefreshToken ? 'no_refresh_token' : 'failed';
  }
}

async function refreshOrWait(deps: OAuthDeps, userId: string, credentialId: string, aheadMs = REFRESH.marginMs): Promise<OpenedCredential | undefined> {
  const started = Date.now();
  let waited = false;
  for (;;) {
    const now = await readCredential(deps, userId, credentialId, aheadMs);
    if (!now) return undefined;
    if ('ready' in now) return now.ready;
    const { stale } = now;
    // The refresh we waited for failed for now (the provider is down): its error is ours, and
    // the execution is retried later, rather than every waiter asking the provider again.
    if (waited && stale.status !== 'refreshing' && stale.lastErrorAt && Date.parse(stale.lastErrorAt) >= started) {
      throw new RetryAfterError(`${appName(stale.app)}: ${stale.lastError}`);
    }
    const claimed = await deps.store.credentials.claimRefresh(userId, credentialId, Date.now() + aheadMs, REFRESH.leaseMs);
    if (claimed) return refresh(deps, userId, credentialId, claimed);
    // Another process holds the refresh: wait for what it stores.
    if (Date.now() - started > REFRESH.leaseMs * 2) throw new RetryAfterError(`${appName(stale.app)}: the token is still being refreshed by another process; trying again`);
    waited = true;
    await new Promise((resolve) => setTimeout(resolve, REFRESH.waitPollMs));
  }
}

const appName = (app: string) => findConnector(app)?.name ?? app;

/**
 * The credential, ready to use, or `stale`: an OAuth one whose token expires within `aheadMs` or
 * that another process is refreshing. One the user must reconnect throws `NeedsReconnectError`.
 */
async function readCredential(
  deps: OAuthDeps,
  userId: string,
  credentialId: string,
  aheadMs = REFRESH.marginMs,
): Promise<{ ready: OpenedCredential } | { stale: OpenedCredential } | undefined> {
  const credential = await openCredential(deps.store, deps.vault, userId, credentialId);
  if (!credential) return undefined;
  if (credential.status === 'needs_reconnect') throw new NeedsReconnectError(appName(credential.app), credential.lastError);
  if (credential.type !== 'oauth2') return { ready: credential };
  const key = credentialKey(userId, credentialId);
  const unsaved = unsavedTokens.get(key);
  if (unsaved) {
    // A refresh this process got but could not store: store it now, as it may have replaced
    // the stored refresh token, then use it.
    await deps.store.credentials.updateSecret(userId, credentialId, deps.vault.encrypt(JSON.stringify(unsaved)), unsaved.expiresAt);
    unsavedTokens.delete(key);
    return { ready: { ...credential, data: tokenData(unsaved) } };
  }
  if (credential.status === 'refreshing') return { stale: credential };
  const tokens = credential.data as unknown as TokenSet;
  const expiresAt = credential.expiresAt ? Date.parse(credential.expiresAt) : null;
  if (expiresAt === null || expiresAt - Date.now() > aheadMs) return { ready: { ...credential, data: tokenData(tokens) } };
  return { stale: credential };
}

/**
 * What a token endpoint's refusal of a refresh token is called: RFC 6749's `invalid_grant`, and
 * Slack's own words for a revoked or used-up token. The user must connect the account again.
 */
const REFUSED_GRANT = new Set(['invalid_grant', 'invalid_refresh_token', 'token_revoked', 'token_expired', 'refresh_token_expired', 'account_inactive']);
/** The ISV's OAuth client is wrong (its id or secret): the user reconnecting cannot fix that. */
const CLIENT_ERRORS = new Set(['invalid_client', 'unauthorized_client', 'invalid_client_id', 'bad_client_secret', 'invalid_request', 'unsupported_grant_type']);

/** The error code of a refused token request: Slack's `error`, or the RFC 6749 JSON body of an HTTP 4xx (the HTTP client's `responseText`). */
function refusalCode(err: Error): string | undefined {
  if (err instanceof TokenRefused) return err.code;
  const body = (err as { responseText?: unknown }).responseText;
  if (typeof body !== 'string' || !body) return undefined;
  try {
    const error = (JSON.parse(body) as { error?: unknown }).error;
    return typeof error === 'string' ? error : undefined;
  } catch {
    return undefined;
  }
}

async function refresh(deps: OAuthDeps, userId: string, credentialId: string, claimed: { credential: Credential; secret: string }): Promise<OpenedCredential> {
  const name = appName(claimed.credential.app);
  const tokens = JSON.parse(deps.vault.decrypt(claimed.secret)) as TokenSet;
  const needsReconnect = async (why: string): Promise<never> => {
    await deps.store.credentials.markNeedsReconnect(userId, credentialId, why, (tx, credential) =>
      emitLifecycle(deps.store, 'credential.needs_reconnect', credentialData(credential), tx),
    );
    throw new NeedsReconnectError(name, why);
  };
  if (!tokens.refreshToken) {
    // Refreshed ahead (the sweep) while the token still works: nothing to do until it expires.
    if (claimed.credential.expiresAt && Date.parse(claimed.credential.expiresAt) > Date.now()) {
      await deps.store.credentials.releaseRefresh(userId, credentialId, null);
      throw new NoRefreshToken();
    }
    return needsReconnect('the access token expired and there is no refresh token');
  }
  let fresh: TokenSet;
  try {
    fresh = await requestToken(deps, findConnector(claimed.credential.app)!, { grant_type: 'refresh_token', refresh_token: tokens.refreshToken });
  } catch (err) {
    const message = (err as Error).message;
    const code = refusalCode(err as Error);
    const transient = (err as { retriable?: boolean }).retriable !== false;
    if (!transient && code && REFUSED_GRANT.has(code)) return needsReconnect(`${name} refused the refresh: ${code}`);
    if (!transient && code && CLIENT_ERRORS.has(code)) {
      await deps.store.credentials.releaseRefresh(userId, credentialId, `${name} refused this server's OAuth client: ${code}`);
      throw new NonRetriableError(
        `${name}: refreshing the token failed: the server's OAuth client was refused (${code}); check ${name.toUpperCase()}_CLIENT_ID and _CLIENT_SECRET`,
      );
    }
    if (!transient) return needsReconnect(`${name} refused the refresh: ${code ?? message}`);
    // Down, slow, rate-limited: the connection is not broken. The execution is retried on its schedule.
    await deps.store.credentials.releaseRefresh(userId, credentialId, `refreshing the token failed for now: ${message}`);
    throw err;
  }
  // The new tokens (the rotated refresh token with them) are stored in one update. If the store
  // fails saving them, the execution is retried and the tokens are kept here until they are
  // saved: a provider that rotates refresh tokens has already invalidated the stored one.
  const key = credentialKey(userId, credentialId);
  // A refresh answer may leave out what the first one told (Salesforce's `instance_url` stays).
  const extra = { ...tokens.extra, ...fresh.extra };
  const next = { ...fresh, refreshToken: fresh.refreshToken ?? tokens.refreshToken, ...(Object.keys(extra).length ? { extra } : {}) };
  unsavedTokens.set(key, next);
  await deps.store.credentials.updateSecret(userId, credentialId, deps.vault.encrypt(JSON.stringify(next)), next.expiresAt);
  unsavedTokens.delete(key);
  const expiresAt = next.expiresAt === null ? null : new Date(next.expiresAt).toISOString();
  return { app: claimed.credential.app, type: 'oauth2', status: 'healthy', lastError: null, lastErrorAt: null, expiresAt, data: tokenData(next) };
}

/**
 * Runs `task` once for every caller of the same key while it runs (this process only): they all
 * get its result, success or failure, so a provider that is down is asked once, not once per
 * waiting execution. A caller after it settled starts a new one.
 */
function singleFlight<T>(key: string, task: () => Promise<T>): Promise<T> {
  const running = inFlight.get(key);
  if (running) return running as Promise<T>;
  const run = task().finally(() => inFlight.delete(key));
  inFlight.set(key, run);
  return run;
}
const inFlight = new Map<string, Promise<unknown>>();

/** Refreshed tokens the store could not save yet, by `userId:credentialId` (this process only). */
const unsavedTokens = new Map<string, TokenSet>();
