import type { z } from 'zod';
import { findConnector } from '../connectors';
import type { Connector, FieldOption, OptionSource } from '../connectors/types';
import { usableCredential } from '../engine/oauth';
import { ApiError, isStoreUnavailable } from '../errors';
import type { Services } from './context';
import { OptionsCache } from './options-cache';

// One cache per running server (tests start several in one process).
const caches = new WeakMap<Services, OptionsCache>();
const cacheOf = (services: Services) => caches.get(services) ?? caches.set(services, new OptionsCache()).get(services)!;

/** A connector's option source, or a 404 naming it. */
export function requireOptionSource(connectorId: string, source: string): { connector: Connector; load: OptionSource } {
  const connector = findConnector(connectorId);
  // Own properties only: `constructor` or `__proto__` would otherwise name a function of Object.prototype.
  const sources = connector?.optionSources;
  const load = sources && Object.hasOwn(sources, source) ? sources[source] : undefined;
  if (!connector || !load) throw new ApiError(404, 'not_found', `No option source "${source}" in connector "${connectorId}"`);
  return { connector, load };
}

/**
 * The parameters a source takes, picked from `given` (the values of the fields it depends on) and
 * checked by its schema: a missing or invalid one is a 400 at `pathOf(name)`.
 */
function sourceParams(load: OptionSource, given: Record<string, string>, pathOf: (name: string) => string, what: string): Record<string, string> {
  const shape: Record<string, z.ZodType> = load.params?.shape ?? {};
  const picked = Object.fromEntries(
    Object.keys(shape)
      .filter((k) => Object.hasOwn(given, k))
      .map((k) => [k, given[k]]),
  );
  const parsed = load.params?.safeParse(picked);
  if (!parsed || parsed.success) return picked as Record<string, string>;
  const details = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    const missing = !Object.hasOwn(picked, name);
    return { path: pathOf(name), message: missing ? `required: the options of ${what} depend on it` : issue.message };
  });
  throw new ApiError(400, 'invalid_request', `Cannot load the options of ${what}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
}

export interface OptionsRequest {
  userId: string;
  connectorId: string;
  source: string;
  /** The user's credential to load with; null only for a connector that needs no account. */
  credentialId: string | null;
  /** Values of the fields the source depends on, by field name; others are ignored. */
  params?: Record<string, string>;
  /** Where a parameter is in the request, for error details: the query's `treeId`, a configuration's `config.treeId`. */
  paramPath?: (name: string) => string;
  /** What the options are for, in messages (`the field "Category"`). */
  what?: string;
}

/**
 * The options of a configurable field that come from the app (e.g. Slack channels), loaded with
 * the user's credential and cached for a minute by credential, source and parameters. The
 * credential must be the user's and of the source's app (404). A failure at the app is a 502 that
 * says what the app answered; the store being unavailable is a 503.
 */
export async function loadOptions(services: Services, request: OptionsRequest): Promise<FieldOption[]> {
  const { connector, load } = requireOptionSource(request.connectorId, request.source);
  const params = sourceParams(load, request.params ?? {}, request.paramPath ?? ((name) => name), request.what ?? `source "${request.source}"`);
  if (request.credentialId !== null) {
    const row = await services.store.credentials.find(request.userId, request.credentialId);
    if (!row || row.app !== connector.id) {
      throw new ApiError(404, 'not_found', `No ${connector.name} credential "${request.credentialId}" for this user`, [{ path: 'credentialId', message: 'not found' }]);
    }
  }
  const key = JSON.stringify([request.userId, request.credentialId, connector.id, request.source, Object.entries(params).sort()]);
  try {
    return await cacheOf(services).get(key, async () => {
      const credential = request.credentialId === null ? undefined : (await usableCredential(services.engine.deps, request.userId, request.credentialId))!;
      return load({ http: services.engine.deps.http, credential: credential?.data, settings: services.engine.deps.settings }, params);
    });
  } catch (err) {
    // The store failing is the error handler's 503 with Retry-After; anything else is the app's.
    if (isStoreUnavailable(err)) throw err;
    const of = request.what ? ` of ${request.what}` : '';
    throw new ApiError(502, 'upstream_error', `Could not load the options${of} from ${connector.name}: ${(err as Error).message}`);
  }
}
