import type { Connector, ConnectorSettings } from '../connectors/types';
import type { HttpClient } from '../engine/http';
import { ApiError } from '../errors';

/** How long an app may take to answer the connect-time test before it counts as down. */
export const VERIFY_TIMEOUT_MS = 10_000;

/** Seconds a client should wait before trying to connect again when the app was down. */
const RETRY_AFTER_S = 30;

/**
 * Runs the connector's `test` with the account's secret data before anything is stored, and
 * returns the account's display name (null when the app has no test or tells none). An account
 * the app refuses is a 400 `credential_refused` with the app's reason ("Slack says:
 * invalid_auth"); an app that is down or slow is a 503 with `Retry-After`.
 */
export async function verifyAccount(
  deps: { http: HttpClient; settings: ConnectorSettings },
  connector: Connector,
  credential: Record<string, string>,
  path = 'credential',
): Promise<string | null> {
  if (!connector.test) return null;
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${VERIFY_TIMEOUT_MS / 1000} s`), { retriable: true })), VERIFY_TIMEOUT_MS);
  });
  try {
    const { displayName } = await Promise.race([connector.test({ http: deps.http, settings: deps.settings, credential }), slow]);
    return displayName?.trim() ? displayName.trim().slice(0, 200) : null;
  } catch (err) {
    const reason = reasonOf(connector, err as Error);
    if ((err as { retriable?: boolean }).retriable === false) {
      throw new ApiError(400, 'credential_refused', `${connector.name} says: ${reason}`, [{ path, message: `refused by ${connector.name}: ${reason}` }]);
    }
    throw new ApiError(503, 'unavailable', `${connector.name} could not be reached to check the account (${reason}); nothing was stored, try again shortly`, undefined, {
      'Retry-After': String(RETRY_AFTER_S),
    });
  } finally {
    clearTimeout(timer);
  }
}

/** The app's own words from a connector error: without our "Slack auth.test:" prefix. */
function reasonOf(connector: Connector, err: Error): string {
  const message = err.message || String(err);
  const prefix = message.match(/^[^:]{1,60}:\s+/)?.[0];
  return prefix && prefix.toLowerCase().startsWith(connector.name.toLowerCase()) ? message.slice(prefix.length) : message;
}
