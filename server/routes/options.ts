import { z } from 'zod';
import { param, type Api } from '../api';
import { findConnector } from '../connectors';
import { ApiError, isStoreUnavailable } from '../errors';
import type { Services } from '../domain/context';
import { usableCredential } from '../engine/oauth';
import { requireUser } from '../domain/users';

const OptionsQuery = z.object({ credentialId: z.string().min(1) });
const OptionsResponse = z.object({ data: z.array(z.object({ label: z.string(), value: z.string() })) });

/**
 * Options of a configurable field that come from the app itself (e.g. Slack channels), fetched
 * with the user's credential. A failure at the app is a 502 that says what the app answered; the
 * store being unavailable is a 503.
 */
async function loadOptions(services: Services, userId: string, connectorId: string, source: string, credentialId: string) {
  const connector = findConnector(connectorId);
  // Own properties only: `constructor` or `__proto__` would otherwise name a function of Object.prototype.
  const sources = connector?.optionSources;
  const load = sources && Object.hasOwn(sources, source) ? sources[source] : undefined;
  if (!connector || !load) throw new ApiError(404, 'not_found', `No option source "${source}" in connector "${connectorId}"`);
  const row = await services.store.credentials.find(userId, credentialId);
  if (!row || row.app !== connector.id) {
    throw new ApiError(404, 'not_found', `No ${connector.name} credential "${credentialId}" for this user`, [{ path: 'credentialId', message: 'not found' }]);
  }
  try {
    const credential = (await usableCredential(services.engine.deps, userId, credentialId))!;
    return await load({ http: services.engine.deps.http, credential: credential.data, settings: services.engine.deps.settings });
  } catch (err) {
    // The store failing is the error handler's 503 with Retry-After; anything else is the app's.
    if (isStoreUnavailable(err)) throw err;
    throw new ApiError(502, 'upstream_error', `Could not load the options from ${connector.name}: ${(err as Error).message}`);
  }
}

export function optionRoutes(isv: Api, endUser: Api, services: Services) {
  const summary = 'Options of a field loaded from the app with a credential (e.g. Slack channels)';
  isv.get('/users/:userId/options/:connector/:source', { summary, tags: ['Integrations'], query: OptionsQuery, response: OptionsResponse }, async (c, { query }) => {
    const user = await requireUser(services.store, param(c, 'userId'));
    return c.json({ data: await loadOptions(services, user.userId, param(c, 'connector'), param(c, 'source'), query.credentialId) });
  });
  endUser.get('/me/options/:connector/:source', { summary, tags: ['End user (widget)'], query: OptionsQuery, response: OptionsResponse }, async (c, { query }) =>
    c.json({ data: await loadOptions(services, c.get('userId'), param(c, 'connector'), param(c, 'source'), query.credentialId) }),
  );
}
